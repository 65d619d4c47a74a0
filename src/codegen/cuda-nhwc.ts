import { DTYPE_BYTES } from '../dtype.js';
import { outputDtypeOf, type KernelSpec } from '../spec.js';
import { MAX_UNROLLED_TAPS } from './common.js';
import { add, and, divides, evaluate, ge, le, mul, num, TRUE, v, type Bindings, type Expr } from '../plan/expr.js';
import type { InputFootprint } from '../plan/plan.js';
import { hasEpilogue } from './epilogue.js';
import { THREADS, type CudaFamily } from './family.js';
import { columnsRead, tileAxis } from './footprint.js';
import { aligned16 } from './plan-prologue.js';

/** Input column vectors a thread may hold for one tap row, times the vector width, before its tile gets narrower. */
const MAX_FLOATS = 48;

/** Channels per thread on the vector path, at most: one 16-byte access. Only without a channel multiplier (else channels are not contiguous per input). */
export function nhwcVector(spec: KernelSpec): number {
  return spec.channelMultiplier === 1 ? 16 / DTYPE_BYTES[spec.dtype] : 1;
}

/** The vector widths a variant may pick: 16-byte accesses, or 8-byte ones (half the registers per thread). */
export function nhwcVectors(spec: KernelSpec): number[] {
  const full = nhwcVector(spec);
  return full > 1 ? [full, full / 2] : [1];
}

/**
 * The most shared memory the channels-first entry of a wide window stages its weights in: all C of
 * them as fp32, tap-major ((C + NHWC_STAGED_PAD) * KH * KW * 4 bytes; 38.4 KB at 7x7 for C = 192, from where the
 * W-first entry takes the call). Under the 48 KiB a launch gets without opting in.
 */
export const NHWC_STAGED_WEIGHT_BYTES = 48 * 1024;

/**
 * Floats past C in each tap's row of the staged weights (the template's STAGED_PAD): 4 keeps every
 * row 16-byte aligned, and puts the consecutive taps of one channel that a warp stores at once 4
 * banks apart rather than C (a multiple of 32 at ConvNeXt's widths).
 */
export const NHWC_STAGED_PAD = 4;

/** Shared memory the staged weights of `channels` output channels take: KH * KW rows of C + pad floats. */
function stagedWeightBytes(spec: KernelSpec, channels: Expr): Expr {
  return mul(add(channels, NHWC_STAGED_PAD), spec.kernelSize[0] * spec.kernelSize[1] * 4);
}

/**
 * Whether an entry stages the weights in shared memory: the channels-first vector entry of windows
 * of 7x7 and larger whose weights fit for every C below the W-first entry's threshold (so 7x7: a
 * wider window's channels-first entry would need a fallback for the C between). Its block spans
 * every channel vector of a few pixels, and a thread loads its VEC channels' weights for each tap,
 * VEC loads KH * KW elements apart in [C, 1, KH, KW]; staged tap-major, they are one or two 16-byte
 * shared loads a tap. Profiled at ConvNeXt's C = 96 stage (docs/perf.md): 86% of the global sectors
 * those loads requested were excess, the kernel latency-bound at 25% occupancy.
 */
export function nhwcStagesWeights(spec: KernelSpec, vec: number, pixelsFirst: boolean): boolean {
  // The launch plan's own formula at the threshold's C: a constant, so no call's values are needed.
  const below = evaluate(stagedWeightBytes(spec, num(NHWC_PIXELS_FIRST_MIN_CHANNELS)), {} as Bindings);
  return vec % 4 === 0 && !pixelsFirst && nhwcPixelsFirst(spec) && below <= BigInt(NHWC_STAGED_WEIGHT_BYTES);
}

/** The same bound for windows of 7 or more tap rows, where a thread's own rows are what it reads (below). */
const MAX_FLOATS_TALL = 80;

/**
 * Default tile: 2 rows x 4 columns, 16-byte vectors for fp32 and 8-byte ones for 16-bit types (the
 * best of the 8 NHWC variants in every dtype at 3x3, docs/perf.md); narrower when a wide window would
 * hold too many columns. Windows of 7 or more tap rows (ConvNeXt's 7x7) take 16-byte vectors in every
 * dtype (the channels-first entry's; the W-first one picks its own, nhwcPixelsFirstVector). Two rows
 * there too since the channels-first entry stages its weights: on the H200, ConvNeXt's four 7x7
 * stages, every variant timed in one run, one row -> two: fp32 0.144 / 0.152 / 0.061 / 0.034 ms ->
 * 0.116 / 0.110 / 0.053 / 0.036, fp16 0.139 / 0.105 / 0.051 / 0.033 -> 0.130 / 0.089 / 0.048 / 0.037
 * (bf16 alike): faster on every stage but the 7x7 plane, where half as many threads cover it
 * (docs/perf.md).
 */
export function defaultNhwcTile(spec: KernelSpec): { tileH: number; tileW: number; vec: number } {
  const tall = spec.kernelSize[0] >= 7;
  const vec = spec.dtype === 'float32' || tall ? nhwcVector(spec) : nhwcVectors(spec).at(-1)!;
  const bound = tall ? MAX_FLOATS_TALL : MAX_FLOATS;
  const tileW = [4, 2].find((tw) => columnsRead(spec, tw).length * vec <= bound) ?? 1;
  return { tileH: 2, tileW, vec };
}

/**
 * Whether a spec's source also holds a vector entry whose grid takes the tiles along W fastest
 * rather than the channel vectors: windows of 7x7 and larger (measured at ConvNeXt's 7x7; smaller
 * windows keep the one order). With channels fastest, a warp's lanes hold up to 32 channel vectors,
 * so each per-channel weight load touches that many sectors (weights 98 bytes apart a channel at
 * 7x7 fp16), and a thread loads 8 weights a tap against one input vector a column and tap row. With
 * W's tiles fastest a warp holds a few channel vectors, so a weight load touches a few sectors, while
 * each input vector load touches one sector a lane, half of it used (the other half is the next
 * channel vector's, which the block's neighbouring warps read).
 */
export function nhwcPixelsFirst(spec: KernelSpec): boolean {
  return spec.kernelSize[0] >= 7 && spec.kernelSize[1] >= 7;
}

/**
 * The output channels (C * M) from which the launcher takes the W-first entry. On the H200,
 * ConvNeXt's 7x7 stages, both orders timed side by side: W first took C = 192, 384, 768 from 0.137 / 0.097 /
 * 0.050 ms to 0.110 / 0.057 / 0.034 in fp16 and from 0.166 / 0.095 / 0.049 to 0.152 / 0.061 / 0.034
 * in fp32, but C = 96 (56x56) from 0.203 to 0.230 and from 0.263 to 0.353 (docs/perf.md).
 */
export const NHWC_PIXELS_FIRST_MIN_CHANNELS = 192;

/**
 * The W-first entry's vector width: 16-byte vectors for fp32, 8-byte ones for 16-bit types, whose
 * threads then hold half the accumulators and input columns (the other entries keep `vec`). Measured
 * on the H200, ConvNeXt's C = 192 / 384 / 768 stages in 16-bit, both widths on one machine: 0.111 /
 * 0.057 / 0.034 ms with 16-byte vectors, 0.105 / 0.050 / 0.033 with 8-byte ones (docs/perf.md).
 */
export function nhwcPixelsFirstVector(spec: KernelSpec, vec: number): number {
  return spec.dtype === 'float32' ? vec : Math.min(vec, 8 / DTYPE_BYTES[spec.dtype]);
}

/** Opens one input row `ih` (skipped outside the input) and loads the column vectors the tile reads from it. */
function openRow(ih: string, cols: number[], ind: string): string[] {
  return [
    `${ind}  const int ih = ${ih};`,
    `${ind}  if ((unsigned)ih < (unsigned)H) {`,
    `${ind}    const storage_t* xr = xn + (i64)ih * W * C + ci0;`,
    ...cols.flatMap((c) => [`${ind}    float c${c}[VEC];`, `${ind}    load_column<VEC>(xr, iw0 + ${c}, W, C, c${c});`]),
  ];
}

/** The kw taps of one tap row into output row i of the tile; tap s's weight is at `weight(s)` in its channel's window. */
function rowTaps(spec: KernelSpec, tileW: number, i: number, weight: (s: number) => string, label: (s: number) => string, ind: string): string[] {
  const [, kw] = spec.kernelSize;
  const lines: string[] = [];
  for (let s = 0; s < kw; s++) {
    lines.push(`${ind}    {${label(s)}`, `${ind}      float wv[VEC];`);
    lines.push(`${ind}      load_weights<VEC, STAGED>(w, staged, C, co0, ${weight(s)}, wv);`);
    for (let t = 0; t < tileW; t++) {
      lines.push(`${ind}#pragma unroll`);
      lines.push(`${ind}      for (int v = 0; v < VEC; ++v) acc[${i}][${t}][v] = fmaf(wv[v], c${t * spec.stride[1] + s * spec.dilation[1]}[v], acc[${i}][${t}][v]);`);
    }
    lines.push(`${ind}    }`);
  }
  return lines;
}

/** The taps as a loop over tap rows; each iteration loads the columns one input row gives each output row and unrolls the row's taps. */
function rolledRows(spec: KernelSpec, tileH: number, tileW: number, cols: number[]): string[] {
  const rows = ['  #pragma unroll 1', '  for (int r = 0; r < KH; ++r) {'];
  for (let i = 0; i < tileH; i++) {
    rows.push(`    {  // output row ${i}`, ...openRow(`ih0 + ${i} * SH + r * DH`, cols, '    '));
    rows.push(...rowTaps(spec, tileW, i, (s) => `r * KW + ${s}`, () => '', '    '), '      }', '    }');
  }
  rows.push('  }');
  return rows;
}

/**
 * The spec-dependent text of the NHWC kernel (templates/cuda/nhwc.hbs). Each thread computes VEC
 * consecutive channels of a TH x TW tile of outputs. It walks the input rows the tile needs once;
 * per row it loads the column vectors the tile reads once and feeds every output row that row
 * touches (sliding rows), so an input vector is loaded once per thread rather than once per tap.
 */
export function nhwcParts(spec: KernelSpec, symbol: string, tileH: number, tileW: number, vec: number) {
  const [kh, kw] = spec.kernelSize;
  const [sh] = spec.stride;
  const [dh] = spec.dilation;
  const cols = columnsRead(spec, tileW);
  const ind = '  ';
  // Input row offset j (from the tile's first) -> the (output row i, tap row r) pairs it feeds.
  const feeds = new Map<number, [number, number][]>();
  for (let i = 0; i < tileH; i++) for (let r = 0; r < kh; r++) feeds.set(i * sh + r * dh, [...(feeds.get(i * sh + r * dh) ?? []), [i, r]]);
  const rows: string[] = [];
  if (kh * kw > MAX_UNROLLED_TAPS) rows.push(...rolledRows(spec, tileH, tileW, cols));
  else for (const j of [...feeds.keys()].sort((a, b) => a - b)) {
    rows.push(`${ind}{  // input row ih0 + ${j}`, ...openRow(`ih0 + ${j}`, cols, ind));
    for (const [i, r] of feeds.get(j)!) rows.push(...rowTaps(spec, tileW, i, (s) => `${r * kw + s}`, (s) => `  // output row ${i}, tap (${r}, ${s})`, ind));
    rows.push(`${ind}  }`, `${ind}}`);
  }
  // What a thread's tile reads: the input rows ih0 + j, ih0 = oh0 * SH - PT, for every j of `feeds`
  // (or of the rolled loop: the same i * SH + r * DH), whether or not an output row passes Ho, and of
  // each the columns iw0 + c, iw0 = ow0 * SW - PL, for the c of columnsRead; both masked (openRow,
  // load_column). Grid axes: channel vectors, tiles along W, tiles along H (W's tiles first in the
  // W-first entry: nhwcAxes).
  const offsets = [...feeds.keys()];
  const footprint = (pixelsFirst: boolean): InputFootprint => ({
    by: 'tile',
    rows: tileAxis(2, tileH * sh, -spec.padding[0], Math.max(...offsets) + 1, v('H')),
    cols: tileAxis(pixelsFirst ? 0 : 1, tileW * spec.stride[1], -spec.padding[2], cols[cols.length - 1]! + 1, v('W')),
  });
  const res = spec.residual !== 'none';
  // The vector entry stores vectors of the input's type: not for an output of another type.
  const vectorEntry = vec > 1 && outputDtypeOf(spec) === spec.dtype;
  const pixelsFirst = vectorEntry && nhwcPixelsFirst(spec);
  const wFirstVec = nhwcPixelsFirstVector(spec, vec);
  const entries = [
    ...(pixelsFirst ? [{ name: `${symbol}_nhwc_${wFirstVec}_wfirst`, vec: wFirstVec, pixelsFirst: true }] : []),
    ...(vectorEntry ? [{ name: `${symbol}_nhwc_${vec}`, vec, pixelsFirst: false }] : []),
    { name: `${symbol}_nhwc_1`, vec: 1, pixelsFirst: false },
  ].map((e) => ({ ...e, staged: nhwcStagesWeights(spec, e.vec, e.pixelsFirst) }));
  return { vec, tileW, tileH, stagedPad: NHWC_STAGED_PAD, taps: rows.join('\n'), epilogue: hasEpilogue(spec), residual: res, entries, footprint };
}

/**
 * NHWC: a thread per (vector of channels, tile of rows x columns, image); the vector entry where
 * channels come in whole vectors and every tensor is 16-byte aligned, else the scalar one. A variant
 * pins its tile; beside a pinned ring it keeps its default tile for the calls the ring cannot take.
 */
export const nhwcFamily: CudaFamily = {
  id: 'nhwc', label: 'nhwc', template: 'nhwc', launchRank: 1, threads: THREADS,
  build(spec, variant, symbol) {
    if (spec.layout !== 'NHWC' || spec.pointwise) return false;
    const tile = variant?.kernel === 'nhwc' ? { tileH: variant.tileH, tileW: variant.tileW!, vec: variant.vec! } : defaultNhwcTile(spec);
    const parts = nhwcParts(spec, symbol, tile.tileH, tile.tileW, tile.vec);
    const aligned = and(aligned16('xLow'), aligned16('yLow'), aligned16('rLow'));
    const outChannels = mul(v('C'), spec.channelMultiplier);
    const stagedBytes = stagedWeightBytes(spec, outChannels);
    return {
      parts,
      variant: { nhwcTileW: parts.tileW, nhwcTileH: parts.tileH, nhwcVector: parts.vec },
      entries: () => parts.entries.map((e) => ({
        name: e.name, scope: 'nhwc', threads: THREADS, tilesPerBlock: THREADS,
        when: e.vec === 1 ? TRUE : and(
          ...(e.pixelsFirst ? [ge(outChannels, NHWC_PIXELS_FIRST_MIN_CHANNELS)] : []),
          ...(e.staged ? [le(stagedBytes, NHWC_STAGED_WEIGHT_BYTES)] : []),
          divides(e.vec, v('C')), aligned),
        // The vector entries take whole vectors of channels only (their condition), so the channel tiles are exact.
        grid: { axes: nhwcAxes(e.pixelsFirst, { size: e.vec, extent: outChannels }, { size: parts.tileW, extent: v('Wo') }, { size: parts.tileH, extent: v('Ho') }), images: v('N') },
        sharedBytes: e.staged ? stagedBytes : num(0), maxSharedBytes: e.staged ? NHWC_STAGED_WEIGHT_BYTES : 0,
        takesPixels: false, footprint: parts.footprint(e.pixelsFirst),
      })),
    };
  },
};

/** The grid's axes, fastest first: channel vectors, tiles along W, tiles along H; or W's tiles first (nhwcPixelsFirst). */
function nhwcAxes<A>(pixelsFirst: boolean, channels: A, alongW: A, alongH: A): [A, A, A] {
  return pixelsFirst ? [alongW, channels, alongH] : [channels, alongW, alongH];
}
