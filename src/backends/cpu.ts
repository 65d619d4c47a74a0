import { cpus } from 'node:os';
import { generateCpu } from '../codegen/cpu.js';
import { SpecError } from '../errors.js';
import { loadArtifact } from '../runtime/library.js';
import type { Backend } from './backend.js';
import { CPU_TRAITS } from './traits.js';

/** The CPU target: C++ through the system compiler, OpenMP threads, host buffers. */
export const cpuBackend: Backend = {
  ...CPU_TRAITS,
  probe: () => ({ ok: true, detail: `${process.arch} ${cpus()[0]?.model ?? 'unknown cpu'}` }),
  deviceFor(requested) {
    if (requested !== undefined) throw new SpecError('options.device', requested === 'current' ? 'cuda' : requested, "nothing: a device is for target 'cuda' (the CPU target runs on this machine's CPU)");
    return undefined;
  },
  archFor(given) {
    if (given !== undefined) throw new SpecError('options.arch', given, "nothing: an arch is for target 'cuda' (the CPU target builds for this machine's CPU)");
    return undefined;
  },
  cudaCompiler: () => 'nvcc',
  generate: (spec) => generateCpu(spec),
  prepare: () => undefined,
  load: (path, generated) => loadArtifact(path, generated.symbol, 'cpu', generated.specJson),
};
