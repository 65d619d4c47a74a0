import type { KernelSpec } from '../spec.js';
import type { GeneratedSource, Target } from './common.js';
import { generateCpu } from './cpu.js';
import { generateCuda } from './cuda.js';
import type { CudaVariant } from './variant.js';

/** Spec in, source out: deterministic, no I/O beyond reading the package's templates. `variant` is CUDA-only. */
export function generate(spec: KernelSpec, target: Target, variant?: CudaVariant): GeneratedSource {
  return target === 'cuda' ? generateCuda(spec, variant) : generateCpu(spec);
}
