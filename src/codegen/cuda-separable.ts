import type { KernelSpec, PointwiseSpec } from '../spec.js';
import { DTYPE_BYTES } from '../dtype.js';
import { and, ceilDiv, divides, ge, le, lt, mul, not, num, TRUE, v, type Expr } from '../plan/expr.js';
import type { InputFootprint, PlanEntry } from '../plan/plan.js';
import { MAX_UNROLLED_TAPS } from './common.js';
import type { CudaFamily } from './family.js';
import { pixelAxis } from './footprint.js';
import { INT_MAX } from './plan-prologue.js';

export const SEPARABLE_THREADS = 256;
const WARPS = SEPARABLE_THREADS / 32;
/** Depthwise channels per chunk: one k16 step of the 16-bit mma, two k8 steps of the TF32 one. */
export const SEPARABLE_CHUNK = 16;
/** mma n8 tiles a warp holds at most: 8 x 4 = 32 accumulators per thread. */
const MAX_WARP_NTILES = 8;
/**
 * Output channels per block at most: the float32 path keeps a chunk's 1x1 weights twice (TF32 high
 * and low parts, 20 words a row), 41 KB at 256, inside the 48 KB of static shared memory.
 */
const MAX_COUT_TILE = 256;
/**
 * The launcher takes the narrow entry when the wide one would launch fewer blocks than this many per
 * SM of the device (its SM count read when the call is launched): two (three fit), below which a
 * wide block's chunk loop runs nearly alone on its SM and its latency shows. Measured in the separable
 * lab on a 132-SM H100 (264 blocks): forcing either layout moved C192/C384/C960 by ±10% (docs/perf.md).
 */
export const SEPARABLE_NARROW_BELOW_PER_SM = 2;
/** The split entry's grid is at most this many blocks per SM of the device (one: each block alone on its SM). */
export const SEPARABLE_SPLIT_MAX_BLOCKS_PER_SM = 1;
/**
 * Where the wide layout would launch too few blocks, the split entry (sm_90 and newer) runs clusters of
 * this many blocks, each summing a part of the depthwise channels, when there are at least
 * `SEPARABLE_SPLIT_MIN_CHUNKS` chunks and no more blocks than SMs. Only for wide tiles of at most
 * `SPLIT_MAX_PIXELS` pixels (many output channels). Measured on an H100 (docs/perf.md): C960->160 at
 * 7x7 0.115 -> 0.087 ms in float32 and 0.061 -> 0.056 in float16 with 2 slices, 4 and 8 slower; 4
 * slices of 48-pixel tiles 0.073 -> 0.102 ms against 2.
 */
export const SEPARABLE_SPLIT = 2;
export const SEPARABLE_SPLIT_MIN_CHUNKS = 4 * SEPARABLE_SPLIT;
const SPLIT_MAX_PIXELS = 32;
/**
 * Warps of a split block at most: WN along the output channels (the wide layout's) by as many along
 * the pixels as fit. On an H100 (docs/perf.md), C960->160 at 7x7 float32 (wide WN = 4): 2 x 4 warps (32-pixel tiles,
 * 196 blocks, two on some SMs) 0.079 ms; 3 x 2 warps of 10 n8 tiles (48 pixels, 132 blocks, one per
 * SM) 0.073; 3 x 4 warps (48 pixels, 384 threads, one per SM) 0.065.
 */
const SPLIT_MAX_WARPS = 12;

/**
 * NCHW windows of up to 5x5 keep a table of their taps' offsets in registers; a 7x7 one (49 offsets)
 * spilled 304 bytes under the 80-register bound (ptxas, float32 7x7 -> 300), so larger windows take
 * the per-channel window walk.
 */
const MAX_TABLE_TAPS = 25;

/**
 * One entry's warp layout: WM warps along the pixels (16 each: P = 16 WM) by WN along the output
 * channels, each warp holding NT n8 tiles (COT = 8 WN NT channels per block).
 */
export interface SeparableShape {
  readonly name: string;
  readonly wm: number;
  readonly wn: number;
  readonly nt: number;
  readonly pixels: number;
  readonly coutTile: number;
}

function shape(name: string, wn: number, nTiles: number): SeparableShape {
  const nt = Math.min(MAX_WARP_NTILES, MAX_COUT_TILE / (8 * wn), Math.ceil(nTiles / wn));
  const wm = WARPS / wn;
  return { name, wm, wn, nt, pixels: 16 * wm, coutTile: 8 * wn * nt };
}

/**
 * The two warp layouts of a separable block. Wide: the fewest warps along the output channels that
 * hold them all (most pixels per block, fewest 1x1 weight loads per pixel). Narrow: four times as
 * many, for the small planes of deep layers, where wide blocks would be too few to fill the GPU.
 */
export function separableShapes(pw: PointwiseSpec, entry: string): { wide: SeparableShape; narrow: SeparableShape } {
  const nTiles = Math.ceil(pw.outChannels / 8);
  const wn = [1, 2, 4, 8].find((w) => Math.ceil(nTiles / w) <= MAX_WARP_NTILES) ?? 8;
  const narrowWn = Math.min(WARPS, 4 * wn);
  return { wide: shape(`${entry}_wide`, wn, nTiles), narrow: shape(`${entry}_narrow`, narrowWn, nTiles) };
}

/**
 * Whether the spec can have the quads entry (templates/cuda/separable.hbs): NCHW windows of the tap
 * table, stride 1 along W, an output row no wider than the input row, and halos that the neighbouring
 * lanes' 4-element vectors hold (at most 4 columns each side), on wide tiles of 128 pixels.
 */
function hasQuads(spec: KernelSpec, wide: SeparableShape, tapTable: boolean): boolean {
  const [, kw] = spec.kernelSize;
  const [, , pl, pr] = spec.padding;
  const reach = (kw - 1) * spec.dilation[1];
  return tapTable && spec.stride[1] === 1 && pl <= 4 && reach - pl <= 4 && pl + pr <= reach && wide.pixels === QUAD_PIXELS;
}
const QUAD_PIXELS = 128;
/**
 * Blocks per SM the quads entry is compiled for (its register bound: 64 at 4, 80 at 3, 128 at 2). On
 * an H100 (docs/perf.md), C144->24 at 56x56 (the 80-register build rematerializes addresses in its chunk
 * loop): float32 0.183 ms at 3 blocks, 0.167 at 4, 0.188 at 2; float16 0.169 at 3, 0.162 at 4, 0.145
 * at 2. float32 takes 4 only with at most 3 n8 tiles (12 accumulators): ptxas spills 80 bytes at 4
 * tiles (32 output channels) under 64 registers, 284 at 8.
 */
function quadsMinBlocks(dtype: KernelSpec['dtype'], wide: SeparableShape): number {
  return dtype !== 'float32' ? 2 : wide.nt <= 3 ? 4 : 3;
}

/**
 * The static shared memory of a block (templates/cuda/separable.hbs): a chunk's operands (the depthwise
 * results [KC][P + 8] and the 1x1 weights [COT][KC + 4] in float32, both twice for the three-product
 * float32 path; [KC][P + 8] and [COT][KC + 8] 16-bit elements otherwise) or a split block's partial
 * sums [P][COT + 4] floats, whichever is larger, and with the tap table a chunk's staged depthwise weights.
 */
export function separableSharedBytes(spec: KernelSpec & { pointwise: PointwiseSpec }, pixels: number, coutTile: number, slices: number): number {
  const kc = SEPARABLE_CHUNK, ds = pixels + 8;
  const chunk = spec.dtype !== 'float32' ? 2 * (kc * ds + coutTile * (kc + 8)) : (spec.pointwise.tf32 ? 4 : 8) * (kc * ds + coutTile * (kc + 4));
  const partial = slices > 1 ? 4 * pixels * (coutTile + 4) : 0;
  const taps = spec.kernelSize[0] * spec.kernelSize[1];
  return Math.max(chunk, partial) + (hasTapTable(spec) ? kc * taps * DTYPE_BYTES[spec.dtype] : 0);
}
function hasTapTable(spec: KernelSpec): boolean {
  return spec.layout === 'NCHW' && spec.kernelSize[0] * spec.kernelSize[1] <= MAX_TABLE_TAPS;
}
const STATIC_SHARED_BYTES = 48 * 1024;

/**
 * The split entry's layout: the wide one's warps along the output channels, as many along the pixels
 * as SPLIT_MAX_WARPS allows and the static shared memory holds.
 */
function splitShape(spec: KernelSpec & { pointwise: PointwiseSpec }, wide: SeparableShape, name: string) {
  let wm = Math.floor(SPLIT_MAX_WARPS / wide.wn);
  while (wm > 1 && separableSharedBytes(spec, 16 * wm, wide.coutTile, SEPARABLE_SPLIT) > STATIC_SHARED_BYTES) wm--;
  return { name, wm, wn: wide.wn, nt: wide.nt, pixels: 16 * wm, coutTile: wide.coutTile, threads: 32 * wm * wide.wn, slices: SEPARABLE_SPLIT, minChunks: SEPARABLE_SPLIT_MIN_CHUNKS, maxBlocksPerSm: SEPARABLE_SPLIT_MAX_BLOCKS_PER_SM };
}

/** What templates/cuda/separable.hbs needs, and the launch info (the entries and their tiles). */
export function separableParts(spec: KernelSpec & { pointwise: PointwiseSpec }, symbol: string) {
  const { wide, narrow } = separableShapes(spec.pointwise, `${symbol}_separable`);
  const tapTable = hasTapTable(spec);
  const quads = hasQuads(spec, wide, tapTable) ? { ...wide, name: `${symbol}_separable_quads`, minBlocks: quadsMinBlocks(spec.dtype, wide) } : undefined;
  const split = wide.pixels <= SPLIT_MAX_PIXELS ? splitShape(spec, wide, `${symbol}_separable_split`) : undefined;
  return {
    wide,
    narrow,
    split,
    quads,
    entries: [wide, narrow],
    narrowBelowPerSm: SEPARABLE_NARROW_BELOW_PER_SM,
    chunk: SEPARABLE_CHUNK,
    tf32: spec.dtype === 'float32',
    tf32x3: spec.dtype === 'float32' && !spec.pointwise.tf32,
    unrollRows: spec.kernelSize[0] * spec.kernelSize[1] <= MAX_UNROLLED_TAPS,
    tapTable,
  };
}

type SeparableParts = ReturnType<typeof separableParts>;

/**
 * What a separable block reads: each output pixel its own window (window_of: ih0 = oh * SH - PT,
 * iw0 = ow * SW - PL), every tap's row and column clamped into the plane and its product zeroed
 * outside it (depthwise, taps_of). The quads entry (quad_row) loads a quad's own four columns as one
 * vector and its halo columns masked, its rows clamped; a quad reads its four pixels' windows.
 */
function separableFootprint(spec: KernelSpec, quads: boolean): InputFootprint {
  const [kh, kw] = spec.kernelSize;
  return {
    by: 'pixel',
    rows: pixelAxis(spec.stride[0], spec.padding[0], kh, spec.dilation[0], v('H'), 'clamped'),
    cols: pixelAxis(spec.stride[1], spec.padding[2], kw, spec.dilation[1], v('W'), quads ? 'masked' : 'clamped'),
  };
}

/**
 * The entries of a separable block, tried in order: the split one where the wide layout would launch
 * too few blocks, the split grid is at most one block per SM, there are enough chunks of depthwise
 * channels and its code was built for clusters; else the narrow one for too few wide blocks; else the
 * wide one, in its quads form where rows come in whole quads read as aligned 4-element vectors. A
 * block per tile of output channels x a run of pixels of all images; a run's index is an int.
 */
function separableEntries(spec: KernelSpec & { pointwise: PointwiseSpec }, sep: SeparableParts): PlanEntry[] {
  const pixels = mul(mul(v('N'), v('Ho')), v('Wo'));
  const runs = (e: { readonly pixels: number }) => ceilDiv(pixels, e.pixels);
  const cout = num(spec.pointwise.outChannels);
  const coutTiles = (e: { readonly coutTile: number }) => ceilDiv(spec.pointwise.outChannels, e.coutTile);
  // Block counts against the device's SM count (v('SMs')): the same rule fills a GPU of any size.
  const fewBlocks = lt(mul(runs(sep.wide), coutTiles(sep.wide)), mul(sep.narrowBelowPerSm, v('SMs')));
  const entry = (e: { readonly name: string; readonly pixels: number; readonly coutTile: number }, when: Expr, threads = SEPARABLE_THREADS, slices = 1): PlanEntry => ({
    name: e.name, scope: 'sep', when, fits: le(runs(e), INT_MAX), threads, tilesPerBlock: 1,
    grid: { axes: [{ size: e.coutTile, extent: cout, copies: slices }, { size: e.pixels, extent: pixels }, { size: 1, extent: num(1) }], images: num(1) },
    sharedBytes: num(0), maxSharedBytes: 0, takesPixels: true, footprint: separableFootprint(spec, e === sep.quads),
  });
  const split = sep.split && {
    ...entry(sep.split, and(fewBlocks, le(mul(mul(runs(sep.split), coutTiles(sep.split)), sep.split.slices), mul(sep.split.maxBlocksPerSm, v('SMs'))), ge(ceilDiv(mul(v('C'), spec.channelMultiplier), SEPARABLE_CHUNK), sep.split.minChunks)), sep.split.threads, sep.split.slices),
    cluster: [sep.split.slices, 1, 1] as const,
  };
  // The quads entry has the wide one's tiles.
  const quads = sep.quads && entry(sep.quads, and(not(fewBlocks), divides(4, v('Wo')), divides(4, v('W')), divides(4 * DTYPE_BYTES[spec.dtype], v('xLow'))));
  return [...(split ? [split] : []), entry(sep.narrow, fewBlocks), ...(quads ? [quads] : []), entry(sep.wide, TRUE)];
}

/** A depthwise-separable block (pointwise set): one family, no variants. */
export const separableFamily: CudaFamily = {
  id: 'separable', label: 'separable', template: 'separable', launchRank: 0, threads: SEPARABLE_THREADS,
  build(spec, _variant, symbol) {
    if (!spec.pointwise) return false;
    const withPointwise = { ...spec, pointwise: spec.pointwise };
    const parts = separableParts(withPointwise, symbol);
    return {
      parts,
      variant: { pixels: parts.wide.pixels, coutTile: parts.wide.coutTile },
      // A plane's pixels are counted in an int.
      checks: [and(le(mul(v('Ho'), v('Wo')), INT_MAX), le(mul(v('H'), v('W')), INT_MAX))],
      entries: () => separableEntries(withPointwise, parts),
    };
  },
};
