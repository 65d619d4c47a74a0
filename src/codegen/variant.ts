import { SpecError } from '../errors.js';
import type { KernelSpec } from '../spec.js';
import { nhwcVectors } from './cuda-nhwc.js';
import { ringAnyFits } from './cuda-ring-any.js';
import { ringFits } from './cuda-ring.js';
import { ringNhwcFits } from './cuda-ring-nhwc.js';
import { tiledApplies } from './cuda-tiled.js';

/** Which CUDA kernel family and tile to generate: part of the source, so part of the cache key. */
export interface CudaVariant {
  /** 'ring': the row ring of either layout; 'ringAny': the NCHW ring for rows of any width. */
  readonly kernel: 'direct' | 'tiled' | 'ring' | 'ringAny' | 'nhwc';
  /** Output rows per thread (ring: per step). */
  readonly tileH: number;
  /** nhwc only: outputs along W per thread. */
  readonly tileW?: number;
  /** nhwc only: channels per thread on the vector path (see nhwcVectors). */
  readonly vec?: number;
}

/**
 * nhwc: 4 rows measured slower than 2 in every dtype (docs/perf.md), so variants stop at 2.
 * ringAny: its register bounds were fitted at 4 rows a step (bench/width-lab/README.md).
 */
export const TILE_HEIGHTS = { direct: [1, 2, 4], tiled: [2, 4, 8, 16], ring: [2, 4, 8], ringAny: [4], nhwc: [1, 2] } as const;
export const NHWC_TILE_WIDTHS = [2, 4] as const;

export function normalizeVariant(spec: KernelSpec, variant: unknown): CudaVariant {
  if (typeof variant !== 'object' || variant === null) throw new SpecError('options.variant', variant, "{ kernel: 'direct' | 'tiled' | 'ring' | 'ringAny' | 'nhwc', tileH, tileW? }");
  const v = variant as Record<string, unknown>;
  if (spec.pointwise) throw new SpecError('options.variant', variant, 'none: a separable block (pointwise) has one kernel');
  for (const key of Object.keys(v)) if (!['kernel', 'tileH', 'tileW', 'vec'].includes(key)) throw new SpecError(`options.variant.${key}`, v[key], 'kernel, tileH, tileW, vec');
  if (spec.layout === 'NHWC' && v.kernel === 'ring') {
    if (!ringNhwcFits(spec)) throw new SpecError('options.variant.kernel', 'ring', "'nhwc' (the NHWC ring needs stride 1, no channel multiplier and at most 9 taps)");
    if (v.tileW !== undefined || v.vec !== undefined) throw new SpecError('options.variant', variant, "no tileW or vec: they are for the 'nhwc' kernel");
    if (typeof v.tileH !== 'number' || !(TILE_HEIGHTS.ring as readonly number[]).includes(v.tileH)) throw new SpecError('options.variant.tileH', v.tileH, TILE_HEIGHTS.ring.join(' | '));
    return { kernel: 'ring', tileH: v.tileH };
  }
  if (spec.layout === 'NHWC') {
    if (v.kernel !== 'nhwc') throw new SpecError('options.variant.kernel', v.kernel, "'nhwc' | 'ring' (the NHWC layout's kernels)");
    if (typeof v.tileH !== 'number' || !(TILE_HEIGHTS.nhwc as readonly number[]).includes(v.tileH)) throw new SpecError('options.variant.tileH', v.tileH, TILE_HEIGHTS.nhwc.join(' | '));
    if (typeof v.tileW !== 'number' || !(NHWC_TILE_WIDTHS as readonly number[]).includes(v.tileW)) throw new SpecError('options.variant.tileW', v.tileW, NHWC_TILE_WIDTHS.join(' | '));
    if (typeof v.vec !== 'number' || !nhwcVectors(spec).includes(v.vec)) throw new SpecError('options.variant.vec', v.vec, nhwcVectors(spec).join(' | '));
    return { kernel: 'nhwc', tileH: v.tileH, tileW: v.tileW, vec: v.vec };
  }
  if (v.tileW !== undefined || v.vec !== undefined) throw new SpecError('options.variant', variant, "no tileW or vec: they are for the 'nhwc' kernel");
  if (v.kernel !== 'direct' && v.kernel !== 'tiled' && v.kernel !== 'ring' && v.kernel !== 'ringAny') throw new SpecError('options.variant.kernel', v.kernel, "'direct' | 'tiled' | 'ring' | 'ringAny' (NCHW)");
  if (v.kernel === 'tiled' && !tiledApplies(spec)) throw new SpecError('options.variant.kernel', 'tiled', "'direct' (the tiled kernel needs stride 1 or 2 along W, kh*kw <= 49 and padding within the window)");
  if (v.kernel === 'ring' && !ringFits(spec)) throw new SpecError('options.variant.kernel', 'ring', "'direct' (the ring kernel needs stride 1 and spans (k - 1) * dilation <= 30)");
  if (v.kernel === 'ringAny' && !ringAnyFits(spec)) throw new SpecError('options.variant.kernel', 'ringAny', "'direct' | 'ring' (the any-width ring needs stride 1, no dilation and windows up to 7x7)");
  const heights: readonly number[] = TILE_HEIGHTS[v.kernel];
  if (typeof v.tileH !== 'number' || !heights.includes(v.tileH)) throw new SpecError('options.variant.tileH', v.tileH, heights.join(' | '));
  return { kernel: v.kernel, tileH: v.tileH };
}

/** Every variant the generator can produce for this spec (the GPU tests run them all). */
export function allVariants(spec: KernelSpec): CudaVariant[] {
  if (spec.pointwise) return [];
  if (spec.layout === 'NHWC') {
    const rings = ringNhwcFits(spec) ? TILE_HEIGHTS.ring.map((tileH): CudaVariant => ({ kernel: 'ring', tileH })) : [];
    return [...TILE_HEIGHTS.nhwc.flatMap((tileH) => NHWC_TILE_WIDTHS.flatMap((tileW) => nhwcVectors(spec).map((vec): CudaVariant => ({ kernel: 'nhwc', tileH, tileW, vec })))), ...rings];
  }
  const of = (kernel: 'direct' | 'tiled' | 'ring' | 'ringAny') => TILE_HEIGHTS[kernel].map((tileH): CudaVariant => ({ kernel, tileH }));
  return [...of('direct'), ...(tiledApplies(spec) ? of('tiled') : []), ...(ringFits(spec) ? of('ring') : []), ...(ringAnyFits(spec) ? of('ringAny') : [])];
}
