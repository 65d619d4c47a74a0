import type { KernelSpec } from '../spec.js';
import type { GeneratedSource, Target } from './common.js';
import { generateCpu } from './cpu.js';
import { generateCuda } from './cuda.js';

/** Spec in, source out: deterministic, no I/O beyond reading the package's templates. */
export function generate(spec: KernelSpec, target: Target): GeneratedSource {
  return target === 'cuda' ? generateCuda(spec) : generateCpu(spec);
}
