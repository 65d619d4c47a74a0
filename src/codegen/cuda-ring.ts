import { DTYPE_BYTES } from '../dtype.js';
import type { KernelSpec } from '../spec.js';
import { and, ceilDiv, divides, ge, mul, num, v, type Expr } from '../plan/expr.js';
import type { InputFootprint } from '../plan/plan.js';
import { hasEpilogue } from './epilogue.js';
import { THREADS, type CudaFamily } from './family.js';
import { tileAxis } from './footprint.js';
import { aligned16 } from './plan-prologue.js';
import { RING_ANY_TAIL_MAX, ringAnyFits, stripsBesideTail } from './cuda-ring-any.js';
import { ringSegment } from './ring-segment.js';

/** Default rows a step, from a sweep on an H100 (docs/perf.md): 4 was best or within 1% for 5x5 to 31x31. */
export const RING_TILE_H = 4;

/**
 * Steps of input rows copied ahead into shared memory (cp.async), or 0: one step ahead in registers.
 * The NCHW ring keeps registers: on an H100 the copies timed slower (docs/perf.md; 3x3 fp16 1.532 ->
 * 1.644 ms, 7x7 fp32 3.057 -> 3.244).
 */
const RING_STAGES = 0;

/** Register weights (every tap unrolled) up to 7x7; shared-memory weights above (measured, docs/perf.md). */
const REGISTER_WEIGHTS_MAX_TAPS = 49;

/**
 * The launchers take the ring for rows at least this wide: with 512-column strips, narrower rows
 * would leave most lanes idle, where the tiled and direct kernels pack small planes densely.
 */
export const RING_MIN_WO = 256;

/** The largest window span along either axis, (k - 1) * dilation: bounds a lane's window and the ring. */
const MAX_SPAN = 30;

/** Whether the row-ring kernel can run this spec: NCHW, stride 1, spans up to 30 (31x31). */
export function ringFits(spec: KernelSpec): boolean {
  const [kh, kw] = spec.kernelSize;
  const [dh, dw] = spec.dilation;
  return spec.layout === 'NCHW' && spec.stride[0] === 1 && spec.stride[1] === 1 && (kh - 1) * dh <= MAX_SPAN && (kw - 1) * dw <= MAX_SPAN;
}

/**
 * Whether a spec's default source holds the ring: wherever it fits, but for float32 windows below 5x5
 * with a residual. 16-bit: 3x3 fp16 1.647 -> 1.532 ms over the tiled kernel, 7x7 4.48 -> 2.41 over the
 * direct one (H100). Float32 3x3 on the H200 (docs/perf.md): 2.302 -> 2.154 ms over the tiled kernel,
 * and with bias, relu6, silu or gelu 2.387-2.439 -> 2.153-2.161; with a residual 3.413 -> 3.669 (the
 * ring reads it one element at a time, the tiled kernel as vectors), so those keep the tiled kernel.
 */
export function ringApplies(spec: KernelSpec): boolean {
  const small = spec.kernelSize[0] * spec.kernelSize[1] < 25;
  return ringFits(spec) && !(spec.dtype === 'float32' && small && spec.residual !== 'none');
}

/**
 * The default launcher's bound on strips mostly empty, in quarters of the strips' columns: 3 where
 * the tiled kernel is the alternative (16-bit windows up to 7x7, float32 ones below 5x5), 0 otherwise.
 * There the ring beats the tiled kernel by 7% on full strips (1.53 against 1.65 ms on the 16-bit
 * reference), while a row of 518 outputs (two 512-column strips, the second 6 wide) took the ring
 * 1.95 ms (docs/perf.md; the tiled kernel was not timed on it). Wide windows keep the ring on any
 * row: it beats the direct kernel by far more.
 */
function ringMinFill(spec: KernelSpec): number {
  const taps = spec.kernelSize[0] * spec.kernelSize[1];
  return taps <= (spec.dtype === 'float32' ? 24 : 49) ? 3 : 0;
}

/**
 * Blocks an SM the compiler must leave room for (`__launch_bounds__`), or 0 for no bound. 8 (64
 * registers) for plain 16-bit windows up to 3x3: NVRTC's build of plain bf16 3x3 ran at 1.652 ms
 * against nvcc's 1.516, and 1.512 with the bound (on an H100, docs/perf.md). Not with an
 * epilogue: bf16 bias+bn+relu6 went from 1.536 to 1.668 with it. Larger windows spill.
 */
function ringMinBlocks(spec: KernelSpec): number {
  const [kh, kw] = spec.kernelSize;
  return spec.dtype !== 'float32' && kh * kw <= 9 && !hasEpilogue(spec) ? 8 : 0;
}

/**
 * Whether the ring holds 16-bit rows as they are (half the shared-memory traffic; each lane converts
 * the columns it reads, every step) rather than as floats (converted once, on the way in): windows up
 * to 3 columns wide. On the H200, float rows and 16-bit ones timed side by side (docs/perf.md): the
 * fp16 / bf16 reference 1.241 / 1.235 -> 1.220 / 1.212 ms, but 7x7 'same' in 16-bit 2.405 / 2.448 ->
 * 2.531 / 2.581 (its lanes read 10 columns a row, and its arithmetic is what binds).
 */
export function ringHalfRows(spec: KernelSpec): boolean {
  return spec.dtype !== 'float32' && spec.kernelSize[1] <= 3;
}

/**
 * The calls the ring takes: rows of whole 16-byte vectors, x aligned, rows at least minWo wide (narrow
 * planes go to the tiled or direct kernel), filling at least minFill quarters of their strips' columns,
 * and, where tailMax > 0, no last strip of 1 to tailMax columns: the any-width ring does such a
 * remainder in tail blocks, where this kernel would run a whole strip's blocks for it.
 */
function ringTakes(ring: { readonly vec: number; readonly cols: number; readonly minWo: number; readonly minFill: number; readonly tailMax: number }): Expr {
  const Wo = v('Wo');
  const fills = ge(mul(4, Wo), mul(ring.minFill, mul(ceilDiv(Wo, ring.cols), ring.cols)));
  const takes = [divides(ring.vec, v('W')), aligned16('xLow'), ge(Wo, ring.minWo), fills];
  if (ring.tailMax > 0) takes.push(ge(mul(stripsBesideTail(ring.cols, ring.tailMax), ring.cols), Wo));
  return and(...takes);
}

/**
 * The ring kernel's shape for one spec (templates/cuda/ring.hbs recomputes and checks the shared
 * memory). lanes: the threads of a block (4 output columns each: 128 make a strip 512 wide). pinned:
 * a variant asked for the ring, which then takes every call whose rows it can load (no width bound).
 */
export function ringParts(spec: KernelSpec, tileH: number, symbol: string, lanes: number, pinned: boolean) {
  const [kh, kw] = spec.kernelSize;
  const [dh, dw] = spec.dilation;
  const pl = spec.padding[2];
  const vec = 16 / DTYPE_BYTES[spec.dtype]; // input elements of a 16-byte global load
  const a = Math.ceil(pl / vec) * vec; // the strip's first input column is ow0 - A
  const o = a - pl;
  const quadsRead = Math.ceil((o + 4 + (kw - 1) * dw) / 4);
  const row = Math.ceil((4 * (lanes + quadsRead - 1)) / vec) * vec;
  const rows = tileH + (kh - 1) * dh;
  const registerWeights = kh * kw <= REGISTER_WEIGHTS_MAX_TAPS;
  const stages = RING_STAGES;
  // The ring (16-bit rows as they are, or floats), then the weights (float) where they are not in registers.
  const halfRows = ringHalfRows(spec);
  const smem = (halfRows ? 2 : 4) * rows * row + 4 * (registerWeights ? 0 : kh * Math.ceil(kw / 4) * 4) + stages * tileH * (row / vec) * 16;
  const segment = ringSegment(spec);
  const cols = 4 * lanes;
  // What a block reads: from ih_begin = oh_begin - PT, the R - TH rows put in first and TH a step for
  // its steps (its segment's rows rounded up to whole steps); of each, the ROW columns (VECS whole
  // vectors) from c0 = ow0 - A. Rows outside the plane and vectors outside the row are not loaded.
  const footprint: InputFootprint = {
    by: 'tile',
    rows: tileAxis(1, segment, -spec.padding[0], rows - tileH + Math.ceil(segment / tileH) * tileH, v('H')),
    cols: tileAxis(0, cols, -a, row, v('W'), { align: vec }),
  };
  return {
    name: `${symbol}_ring`, vec, stages, tileH, segment, minBlocks: ringMinBlocks(spec), registerWeights, halfRows, smem, minWo: pinned ? 1 : RING_MIN_WO,
    /** Quarters of its strips' columns a row must fill for the launcher to take the ring (0: any). */
    minFill: pinned ? 0 : ringMinFill(spec),
    /**
     * The widest last strip it leaves to the any-width ring's tail blocks, where default sources hold
     * that ring (0: none). At fp32 7x7 'same' W = 516 (a second strip of 4 columns) this ring took
     * 5.21 ms on the H200, the any-width ring 3.16 (docs/perf.md).
     */
    tailMax: pinned || !ringAnyFits(spec) ? 0 : RING_ANY_TAIL_MAX,
    /** Output columns of a strip: the grid's first extent is Wo / cols rounded up. */
    cols,
    footprint,
  };
}

/**
 * NCHW, stride 1: a block of lanes per (strip of `cols` output columns, segment of rows, channel,
 * image), its input rows in a ring in shared memory. Pinned by a variant, it keeps the direct kernel
 * beside it for the calls whose rows it cannot load.
 */
export const ringFamily: CudaFamily = {
  id: 'ring', label: 'ring', template: 'ring', launchRank: 0, threads: THREADS,
  build(spec, variant, symbol) {
    if (spec.layout !== 'NCHW' || spec.pointwise || !(variant ? variant.kernel === 'ring' : ringApplies(spec))) return false;
    const parts = ringParts(spec, variant?.tileH ?? RING_TILE_H, symbol, THREADS, variant !== undefined);
    return {
      parts,
      variant: { ringTileH: parts.tileH },
      entries: () => [{
        name: parts.name, scope: 'ring', when: ringTakes(parts), threads: THREADS, tilesPerBlock: 1,
        grid: { axes: [{ size: parts.cols, extent: v('Wo') }, { size: parts.segment, extent: v('Ho') }, { size: 1, extent: mul(v('C'), spec.channelMultiplier) }], images: v('N') },
        sharedBytes: num(parts.smem), maxSharedBytes: parts.smem, takesPixels: false, footprint: parts.footprint,
      }],
    };
  },
};
