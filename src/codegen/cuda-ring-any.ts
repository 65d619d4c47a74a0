import { DTYPE_BYTES } from '../dtype.js';
import type { KernelSpec } from '../spec.js';
import { and, ceilDiv, ge, le, max, mul, num, sub, v, type Expr } from '../plan/expr.js';
import type { InputFootprint, PlanEntry } from '../plan/plan.js';
import { THREADS, type CudaFamily } from './family.js';
import { tileAxis } from './footprint.js';
import { ringSegment } from './ring-segment.js';

/** Rows a step: the width lab's designs were built and measured at 4 (bench/width-lab/README.md). */
export const RING_ANY_TILE_H = 4;

/** The widest remainder past the full strips done by tail blocks rather than one more, mostly empty, strip. */
export const RING_ANY_TAIL_MAX = 32;

/** The largest window side: the lab covered 3x3 and 7x7 with every tap's weight in registers. */
const MAX_SIDE = 7;

/** Whether the any-width ring can run this spec: NCHW, stride 1, no dilation, windows up to 7x7. */
export function ringAnyFits(spec: KernelSpec): boolean {
  const [kh, kw] = spec.kernelSize;
  return spec.layout === 'NCHW' && !spec.pointwise && spec.stride[0] === 1 && spec.stride[1] === 1 && spec.dilation[0] === 1 && spec.dilation[1] === 1 && kh <= MAX_SIDE && kw <= MAX_SIDE;
}

/**
 * Quarters of its strips' columns a row must fill for the default launcher to take the any-width
 * ring over the direct kernel (a tail of at most RING_ANY_TAIL_MAX columns counts as no strip). On the H200 at
 * unaligned widths the direct kernel ran at 0.45-0.62 of the aligned library for 3x3 and 0.21-0.31
 * for 7x7, the any-width ring at 0.73-0.88 and 0.71-0.77 of it on full strips; a strip's blocks
 * cost about the same however few of its columns are outputs, so the ring's rate scales with the
 * fill. Break-even fills: 0.6-0.7 for 3x3 windows, 0.3-0.45 for 7x7. So 3 quarters up to 9 taps
 * (Wo >= 384 on one strip), 2 above (Wo >= 256).
 */
function ringAnyMinFill(spec: KernelSpec): number {
  const [kh, kw] = spec.kernelSize;
  return kh * kw <= 9 ? 3 : 2;
}

/**
 * Blocks an SM for `__launch_bounds__`: the most that ptxas 13.0 fits without spilling. 8 (64
 * registers) up to 25 taps; above, 7 (72) for 16-bit and 5 (96) for float32 inputs: at 8 and 6 the
 * library's kernel spilled 24-60 and 4 bytes (the lab's, without the TileGrid and epilogue
 * arguments, fitted 8 and 6). A residual's loads cost a step more: float32 3x3 spilled 48 bytes at 8,
 * 4 at 6 with bias and batch norm too (so 5), bf16 7x7 16 bytes at 7 (so 6).
 */
function ringAnyMinBlocks(spec: KernelSpec): number {
  const [kh, kw] = spec.kernelSize;
  const residual = spec.residual !== 'none';
  if (spec.dtype === 'float32') return kh * kw > 25 || residual ? 5 : 8;
  return kh * kw <= 25 ? 8 : residual ? 6 : 7;
}

/**
 * Windows over 9 taps: rows filling EARLY_MIN_FILL quarters of its strips are tried before the tiled
 * kernel, rows filling less (down to minFill) after it. On the H200 the tiled kernel ran at 0.55-0.62
 * of the aligned ring's speed at fp32 7x7 and 0.72 at 5x5 (docs/perf.md, every variant of the
 * kernel-size group), this ring at 0.85-0.96 at fp32 7x7 and 0.71-0.83 at 16-bit 7x7 on full
 * strips: so on the rows of whole vectors that the aligned ring leaves it for (a last strip of a
 * few columns, which this ring does in tail blocks) it is the faster of the two.
 */
const EARLY_RANK = 0.5;
const EARLY_MIN_FILL = 3;

/** Columns beyond which the kernel's int column arithmetic (c0 + ROW + 1) could overflow. */
const MAX_W = 2 ** 30;

/**
 * The any-width ring's shape for one spec (templates/cuda/ring-any.hbs recomputes and checks it).
 * pinned: a variant asked for it, which then takes every call.
 */
export function ringAnyParts(spec: KernelSpec, tileH: number, symbol: string, lanes: number, pinned: boolean) {
  const [kh, kw] = spec.kernelSize;
  const [pt, , pl, pr] = spec.padding;
  const half = DTYPE_BYTES[spec.dtype] === 2;
  const a = Math.ceil(pl / 4) * 4; // the strip's first ring column is ow0 - A (a quad boundary)
  const o = a - pl;
  const quadsRead = Math.ceil((o + 4 + kw - 1) / 4);
  const row = 4 * (lanes + quadsRead - 1);
  const slot = row + 8; // a quad either side: 16-bit words on an odd grid write one float past either end
  const rows = tileH + kh - 1;
  const segment = ringSegment(spec);
  const smem = 4 * Math.max(rows * slot, (segment + kh - 1) * (RING_ANY_TAIL_MAX + kw - 1));
  const cols = 4 * lanes;
  // What a block reads: the ring's rows, as the aligned ring's (R - TH first, TH a step); of each,
  // ROW columns from c0 = ow0 - A in 4-byte words on the tensor's own grid (16-bit: one element
  // before c0 or after its last). Outside the row they are not masked but where a padded window
  // reads them (edge strips): an unpadded window reads past a row only for outputs past Wo, so
  // those loads come from the neighbouring rows, inside the tensor. Tail blocks read a subset.
  const slack = half ? 1 : 0;
  const footprint: InputFootprint = {
    by: 'tile',
    rows: tileAxis(1, segment, -pt, rows - tileH + Math.ceil(segment / tileH) * tileH, v('H')),
    cols: tileAxis(0, cols, -a - slack, row + 2 * slack, v('W'), { align: 4, slack, outside: 'unmasked' }),
  };
  const minFill = pinned ? 0 : ringAnyMinFill(spec);
  return {
    name: `${symbol}_ring_any`, tileH, segment, smem, cols, tailMax: RING_ANY_TAIL_MAX, padded: pl > 0 || pr > 0,
    minBlocks: ringAnyMinBlocks(spec), minFill, footprint,
  };
}

/** Full strips of `cols` columns a row of Wo outputs needs when a tail of at most tailMax columns counts as none. */
export function stripsBesideTail(cols: number, tailMax: number): Expr {
  return ceilDiv(max(sub(v('Wo'), tailMax), 1), cols);
}

/**
 * The calls it takes: rows filling at least minFill quarters of their strips (a tail of at most
 * RING_ANY_TAIL_MAX columns counting as none), widths its int arithmetic holds. Any W, any x alignment.
 */
export function ringAnyTakes(parts: { readonly cols: number; readonly tailMax: number; readonly minFill: number }): Expr {
  return and(le(v('W'), MAX_W), ge(mul(4, v('Wo')), mul(parts.minFill * parts.cols, stripsBesideTail(parts.cols, parts.tailMax))));
}

/**
 * NCHW, stride 1, windows up to 7x7, rows of any width and x at any element alignment: the row
 * ring's blocks and window reads, each input element placed at its own column of the shared ring
 * from naturally aligned 4-byte loads, outputs stored in pairs on the row's own 2-element grid
 * (bench/width-lab, `nar_pr`). After the aligned ring and the tiled kernel, which take the rows of
 * whole vectors they suit (the aligned ring leaves it rows whose last strip would hold at most
 * RING_ANY_TAIL_MAX columns; above 9 taps its early entry comes before the tiled kernel); before
 * the direct kernel. In default sources (taken by ringAnyTakes): on
 * the H200, at the widths bench group's widths that are not whole 16-byte vectors, it ran at
 * 0.87-1.05 of the aligned library's bandwidth for float32 3x3, 0.77-0.96 for 16-bit 3x3, 0.85-0.96
 * for float32 7x7 'same' and 0.71-0.83 for 16-bit 7x7, where the direct kernel those calls fell to
 * ran at 0.63, 0.46, 0.23 and 0.31 (docs/perf.md).
 */
export const ringAnyFamily: CudaFamily = {
  // Its program took NVRTC 11.8 296 ms alone where a tiled entry's took 178-183, NVRTC 13.0 437 against
  // 170-198 (docs/perf.md): the heaviest of a source's programs either way, so it compiles after a
  // first load (the direct kernel takes its rows meanwhile).
  id: 'ringAny', label: 'ring (any width)', template: 'ring-any', launchRank: 1.5, threads: THREADS, compileWeight: 1.6, compiledLater: true,
  build(spec, variant, symbol) {
    if (!ringAnyFits(spec) || (variant !== undefined && variant.kernel !== 'ringAny')) return false;
    const parts = ringAnyParts(spec, variant?.tileH ?? RING_ANY_TILE_H, symbol, THREADS, variant !== undefined);
    return {
      parts,
      variant: { ringAnyTileH: parts.tileH },
      entries: () => [entry(ringAnyTakes(parts))],
      ...(variant === undefined && parts.minFill < EARLY_MIN_FILL ? { early: { rank: EARLY_RANK, entries: () => [entry(ringAnyTakes({ ...parts, minFill: EARLY_MIN_FILL }))] } } : {}),
    };
    function entry(when: Expr): PlanEntry {
      return {
        name: parts.name, scope: 'ring_any', when, threads: THREADS, tilesPerBlock: 1,
        grid: { axes: [{ size: parts.cols, extent: v('Wo') }, { size: parts.segment, extent: v('Ho') }, { size: 1, extent: mul(v('C'), spec.channelMultiplier) }], images: v('N') },
        sharedBytes: num(parts.smem), maxSharedBytes: parts.smem, takesPixels: false, footprint: parts.footprint,
      };
    }
  },
};
