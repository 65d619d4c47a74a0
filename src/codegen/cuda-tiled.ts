import { DTYPE_BYTES } from '../dtype.js';
import { outputDtypeOf, type KernelSpec } from '../spec.js';
import { and, divides, ge, mul, not, num, TRUE, v, type Expr } from '../plan/expr.js';
import type { InputFootprint } from '../plan/plan.js';
import { hasEpilogue } from './epilogue.js';
import { tileAxis } from './footprint.js';
import { planeTiles, THREADS, type CudaFamily } from './family.js';
import { aligned16 } from './plan-prologue.js';

/**
 * Whether the register-tiled kernel applies: stride 1 or 2 along W (any along H), small windows, and
 * the thread's own input vectors (SW of them, from SW * ow0) inside the columns its outputs read.
 */
export function tiledApplies(spec: KernelSpec): boolean {
  const [kh, kw] = spec.kernelSize;
  const [, sw] = spec.stride;
  const halo = (kw - 1) * spec.dilation[1];
  return (sw === 1 || sw === 2) && kh * kw <= 49 && spec.padding[2] <= halo - (sw - 1) && halo <= 24;
}

/** Default rows per thread, from a sweep on an H100 (docs/perf.md): 4 for fp32 and fp16, 2 for bf16. */
export function defaultTiledTileH(spec: KernelSpec): number {
  return spec.dtype === 'bfloat16' ? 2 : 4;
}

/** One extern "C" entry point of the tiled kernel: input and output vector widths in elements. */
export interface TiledEntry {
  readonly name: string;
  readonly inVec: number;
  readonly outVec: number;
}

/**
 * The entry points in the order they are tried, with their conditions: the widest loads and stores
 * the row lengths and the pointers' alignment allow. y16: y (and the residual, read with the stores'
 * width) 16-byte aligned; inVec: rows of whole input vectors and x aligned.
 */
export function tiledEntries(symbol: string, tileW: number): (TiledEntry & { readonly when: Expr })[] {
  const inVec = and(divides(tileW, v('W')), aligned16('xLow'));
  const y16 = and(aligned16('yLow'), aligned16('rLow'));
  const entry = (inVec: number, outVec: number, when: Expr) => ({ name: `${symbol}_tiled_${inVec}_${outVec}`, inVec, outVec, when });
  const stores = (outVec: number) => and(y16, divides(outVec, v('Wo')));
  return [
    entry(1, 1, not(inVec)),
    entry(tileW, tileW, stores(tileW)),
    entry(tileW, tileW / 2, stores(tileW / 2)),
    ...(tileW >= 8 ? [entry(tileW, tileW / 4, stores(tileW / 4))] : []),
    entry(tileW, 1, TRUE),
  ];
}

/** The spec-dependent text of the tiled kernel (templates/cuda/tiled.hbs). */
export function tiledParts(spec: KernelSpec, tileH: number, symbol: string) {
  const tileW = 16 / DTYPE_BYTES[spec.dtype]; // one 16-byte vector along W
  const [kh, kw] = spec.kernelSize;
  const [dh, dw] = spec.dilation;
  const [sh, sw] = spec.stride;
  const ind = '    ';
  const weights: string[] = [];
  for (let r = 0; r < kh; r++) for (let s = 0; s < kw; s++) weights.push(`${ind}const float w${r}_${s} = load_x(wp + ${r * kw + s});`);
  const accInit = Array.from({ length: tileH }, (_, i) => `${ind}float acc${i}[TW] = {};`).join('\n');
  const rows: string[] = [];
  const inputRows = (tileH - 1) * sh + (kh - 1) * dh + 1;
  for (let j = 0; j < inputRows; j++) {
    const feeds: [number, number][] = []; // (output row i, tap row r) with i * SH + r * DH = j
    for (let r = 0; r < kh; r++) {
      const i = (j - r * dh) / sh;
      if (Number.isInteger(i) && i >= 0 && i < tileH) feeds.push([i, r]);
    }
    if (feeds.length === 0) continue; // a row between two output rows' windows (stride above the window)
    rows.push(`${ind}{  // input row ih0 + ${j}`);
    rows.push(`${ind}  float v[NV];`);
    rows.push(`${ind}  load_row<IN_VEC>(xp + (i64)(ih0 + ${j}) * W, (unsigned)(ih0 + ${j}) < (unsigned)H, ow0, W, v);`);
    for (const [i, r] of feeds) {
      for (let s = 0; s < kw; s++) {
        for (let t = 0; t < tileW; t++) rows.push(`${ind}  acc${i}[${t}] = fmaf(w${r}_${s}, v[${t * sw + s * dw}], acc${i}[${t}]);`);
      }
    }
    rows.push(`${ind}}`);
  }
  const stores: string[] = [];
  if (hasEpilogue(spec)) stores.push(`${ind}const ChannelEpi ce = channel_epi(e, co);`);
  for (let i = 0; i < tileH; i++) {
    stores.push(`${ind}if (oh0 + ${i} < Ho) {`);
    if (spec.residual !== 'none') {
      stores.push(`${ind}  float res[TW];`);
      stores.push(`${ind}  load_residual_row<OUT_VEC>(e.r + (plane * Ho + oh0 + ${i}) * (i64)Wo, ow0, Wo, res);`);
    }
    const res = spec.residual === 'none' ? '0.f' : 'res[t]';
    if (hasEpilogue(spec)) stores.push(`${ind}  for (int t = 0; t < TW; ++t) acc${i}[t] = epilogue(acc${i}[t], ce.bias, ce.scale, ce.shift, ${res});`);
    stores.push(`${ind}  store_tile_row<OUT_VEC>(yp + (i64)(oh0 + ${i}) * Wo, ow0, Wo, acc${i});`);
    stores.push(`${ind}}`);
  }
  // An output of another storage type than the input is stored one element at a time (the vector
  // stores pack words of the input's type): only the scalar-store entries.
  const cast = outputDtypeOf(spec) !== spec.dtype;
  const entries = tiledEntries(symbol, tileW).filter((e) => !cast || e.outVec === 1);
  // What a thread's tile reads: of its inputRows rows from ih0 = oh0 * SH - PT (each whether or not
  // its output rows pass Ho) the ones a tap row reaches, and NV = SW * (TW - 1) + (KW - 1) * DW + 1
  // columns from SW * ow0 - PL (load_row), every load masked.
  const footprint: InputFootprint = {
    by: 'tile',
    rows: tileAxis(1, tileH * sh, -spec.padding[0], inputRows, v('H')),
    cols: tileAxis(0, tileW * sw, -spec.padding[2], sw * (tileW - 1) + (kw - 1) * dw + 1, v('W')),
  };
  return { tileW, tileH, weights: weights.join('\n'), accInit, rows: rows.join('\n'), stores: stores.join('\n'), entries, footprint };
}

/**
 * NCHW, stride 1 or 2 along W, small windows: a thread per tile of tileH rows of one 16-byte vector. Beside the
 * direct kernel it takes only the shapes it suits (measured in docs/perf.md): rows long enough for several
 * vectors, vector loads possible; narrow planes go to the direct kernel.
 */
export const tiledFamily: CudaFamily = {
  id: 'tiled', label: 'tiled', template: 'tiled', launchRank: 1, threads: THREADS,
  build(spec, variant, symbol) {
    if (spec.layout !== 'NCHW' || spec.pointwise || !(variant ? variant.kernel === 'tiled' : tiledApplies(spec))) return false;
    const parts = tiledParts(spec, variant?.tileH ?? defaultTiledTileH(spec), symbol);
    const suits = and(divides(parts.tileW, v('W')), ge(v('Wo'), 4 * parts.tileW), aligned16('xLow'));
    return {
      parts,
      variant: { tiledTileW: parts.tileW, tiledTileH: parts.tileH },
      // Beside another family the tiled entries take only the calls that suit them, whose rows are
      // whole input vectors: there the scalar-load entry could never be taken, so the plan (and so
      // the source, cuda.ts) leaves it out.
      entries: (last) => parts.entries.filter((e) => last || e.inVec === parts.tileW).map((e) => ({
        name: e.name, scope: 'tiled', when: last ? e.when : and(suits, e.when), threads: THREADS, tilesPerBlock: THREADS,
        grid: planeTiles(spec, parts.tileW, parts.tileH), sharedBytes: num(0), maxSharedBytes: 0, takesPixels: false,
        footprint: parts.footprint,
      })),
    };
  },
};
