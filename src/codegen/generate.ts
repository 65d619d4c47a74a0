import { SpecError } from '../errors.js';
import { normalizeSpec, type KernelSpec } from '../spec.js';
import type { Target } from '../target.js';
import type { GeneratedSource } from './common.js';
import { generateCpu } from './cpu.js';
import { generateCuda } from './cuda.js';
import { normalizeVariant, type CudaVariant } from './variant.js';

/**
 * Spec in, source out: deterministic, no I/O beyond reading the package's templates. `variant` is
 * CUDA-only. The spec is normalized here again (a normalized spec passes unchanged): this function is
 * exported, and only validated numbers and enums may reach the source.
 */
export function generate(spec: KernelSpec, target: Target, variant?: CudaVariant): GeneratedSource {
  const checked = normalizeSpec(spec);
  if (target !== 'cuda' && target !== 'cpu') throw new SpecError('target', target, "'cuda' | 'cpu'");
  if (variant !== undefined && target !== 'cuda') throw new SpecError('variant', variant, "nothing: variants exist for target 'cuda' only");
  return target === 'cuda' ? generateCuda(checked, variant === undefined ? undefined : normalizeVariant(checked, variant)) : generateCpu(checked);
}
