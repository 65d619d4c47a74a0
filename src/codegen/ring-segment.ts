// How many output rows a row-ring block walks: shared by the aligned and the any-width NCHW rings.
import type { KernelSpec } from '../spec.js';

/** Output rows a ring block walks: enough blocks to fill the GPU, few enough ring prologues. */
export const RING_SEGMENT = 64;

/**
 * Rows a block walks for this spec: RING_SEGMENT, but 16 for 16-bit 3-row windows without vertical
 * padding. Measured on an H100 (TH = 4, docs/perf.md): unpadded 3x3 gained 1-3% on three shapes in both
 * 16-bit types (reference fp16 1.532 -> 1.513 ms, bf16 1.535 -> 1.518), padded 3x3 lost 1-3% on the
 * same shapes and 7x7 lost 14% (its prologue is 6 rows a segment). Why padding decides is not
 * understood (docs/perf.md).
 */
export function ringSegment(spec: KernelSpec): number {
  const [pt, pb] = spec.padding;
  return spec.dtype !== 'float32' && spec.kernelSize[0] === 3 && spec.dilation[0] === 1 && pt === 0 && pb === 0 ? 16 : RING_SEGMENT;
}
