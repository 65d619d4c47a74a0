import { SpecError } from '../errors.js';
import type { KernelSpec } from '../spec.js';
import { tiledApplies } from './cuda-tiled.js';

/** Which CUDA kernel family and tile to generate: part of the source, so part of the cache key. */
export type CudaVariant = { readonly kernel: 'direct' } | { readonly kernel: 'tiled'; readonly tileH: number };

export const TILE_HEIGHTS = [2, 4, 8, 16] as const;

export function normalizeVariant(spec: KernelSpec, variant: unknown): CudaVariant {
  if (typeof variant !== 'object' || variant === null) throw new SpecError('options.variant', variant, "{ kernel: 'direct' } or { kernel: 'tiled', tileH }");
  const v = variant as Record<string, unknown>;
  for (const key of Object.keys(v)) if (key !== 'kernel' && key !== 'tileH') throw new SpecError(`options.variant.${key}`, v[key], 'kernel, tileH');
  if (v.kernel === 'direct') return { kernel: 'direct' };
  if (v.kernel !== 'tiled') throw new SpecError('options.variant.kernel', v.kernel, "'direct' | 'tiled'");
  if (!tiledApplies(spec)) throw new SpecError('options.variant.kernel', 'tiled', "'direct' (the tiled kernel needs stride 1, kh*kw <= 49 and padding within the window)");
  if (!(TILE_HEIGHTS as readonly unknown[]).includes(v.tileH)) throw new SpecError('options.variant.tileH', v.tileH, TILE_HEIGHTS.join(' | '));
  return { kernel: 'tiled', tileH: v.tileH as number };
}

/** Every variant the generator can produce for this spec (the GPU tests run them all). */
export function allVariants(spec: KernelSpec): CudaVariant[] {
  return [{ kernel: 'direct' }, ...(tiledApplies(spec) ? TILE_HEIGHTS.map((tileH) => ({ kernel: 'tiled' as const, tileH })) : [])];
}
