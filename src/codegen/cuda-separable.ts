import type { KernelSpec, PointwiseSpec } from '../spec.js';
import { MAX_UNROLLED_TAPS } from './common.js';

export const SEPARABLE_THREADS = 256;
/** Depthwise channels per chunk: 16 rows of the 1x1 product per pass through shared memory. */
const CHUNK = 16;
/**
 * Accumulators a thread holds at most (output channels of one pixel). Run 5 of session 3 (ncu, 48 at
 * most): 80 registers left 24 warps per SM and the kernel latency-bound, so fewer and more groups.
 */
const MAX_PER_THREAD = 24;

/**
 * The shape of a separable block's work: the fewest thread groups along the output channels (so the
 * most pixels per block) that keep a thread's accumulators at MAX_PER_THREAD or fewer, rounded up to a
 * multiple of 4 (the weights are read as float4; padded channels get zero weights and are not stored).
 */
export function separableTile(pw: PointwiseSpec): { pixels: number; perThread: number; chunk: number; coutTile: number } {
  const groups = [1, 2, 4, 8].find((g) => Math.ceil(pw.outChannels / g) <= MAX_PER_THREAD) ?? 8;
  const perThread = 4 * Math.ceil(Math.min(MAX_PER_THREAD, Math.ceil(pw.outChannels / groups)) / 4);
  return { pixels: SEPARABLE_THREADS / groups, perThread, chunk: CHUNK, coutTile: groups * perThread };
}

/** What templates/cuda/separable.hbs needs, and the launch info (the entry and its tile). */
export function separableParts(spec: KernelSpec & { pointwise: PointwiseSpec }, symbol: string) {
  const tile = separableTile(spec.pointwise);
  return { ...tile, entry: `${symbol}_separable`, unrollRows: spec.kernelSize[0] * spec.kernelSize[1] <= MAX_UNROLLED_TAPS };
}
