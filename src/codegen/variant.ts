import { SpecError } from '../errors.js';
import type { KernelSpec } from '../spec.js';
import { tiledApplies } from './cuda-tiled.js';

/** Which CUDA kernel family and tile to generate: part of the source, so part of the cache key. */
export interface CudaVariant {
  readonly kernel: 'direct' | 'tiled';
  /** Output rows per thread. */
  readonly tileH: number;
}

export const TILE_HEIGHTS = { direct: [1, 2, 4], tiled: [2, 4, 8, 16] } as const;

export function normalizeVariant(spec: KernelSpec, variant: unknown): CudaVariant {
  if (typeof variant !== 'object' || variant === null) throw new SpecError('options.variant', variant, "{ kernel: 'direct' | 'tiled', tileH }");
  const v = variant as Record<string, unknown>;
  for (const key of Object.keys(v)) if (key !== 'kernel' && key !== 'tileH') throw new SpecError(`options.variant.${key}`, v[key], 'kernel, tileH');
  if (spec.layout === 'NHWC') throw new SpecError('options.variant', variant, "nothing: NHWC has one kernel family, chosen per call");
  if (v.kernel !== 'direct' && v.kernel !== 'tiled') throw new SpecError('options.variant.kernel', v.kernel, "'direct' | 'tiled'");
  if (v.kernel === 'tiled' && !tiledApplies(spec)) throw new SpecError('options.variant.kernel', 'tiled', "'direct' (the tiled kernel needs stride 1, kh*kw <= 49 and padding within the window)");
  const heights: readonly number[] = TILE_HEIGHTS[v.kernel];
  if (typeof v.tileH !== 'number' || !heights.includes(v.tileH)) throw new SpecError('options.variant.tileH', v.tileH, heights.join(' | '));
  return { kernel: v.kernel, tileH: v.tileH };
}

/** Every variant the generator can produce for this spec (the GPU tests run them all). */
export function allVariants(spec: KernelSpec): CudaVariant[] {
  if (spec.layout === 'NHWC') return []; // one family; the default source holds both of its entry points
  const direct = TILE_HEIGHTS.direct.map((tileH): CudaVariant => ({ kernel: 'direct', tileH }));
  return tiledApplies(spec) ? [...direct, ...TILE_HEIGHTS.tiled.map((tileH): CudaVariant => ({ kernel: 'tiled', tileH }))] : direct;
}
