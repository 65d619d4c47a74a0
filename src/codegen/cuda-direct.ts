import { num, TRUE, v } from '../plan/expr.js';
import type { InputFootprint } from '../plan/plan.js';
import type { KernelSpec } from '../spec.js';
import { hasEpilogue } from './epilogue.js';
import { columnsRead, tileAxis } from './footprint.js';
import { planeTiles, THREADS, type CudaFamily } from './family.js';

/** Input columns a thread may hold in registers for one tap row before the tile gets narrower. */
const MAX_COLUMNS = 48;

/** Default output rows per thread: 1 was best or within noise in a sweep on an H100 (docs/perf.md). */
export const DIRECT_TILE_H = 1;

export function directTileW(spec: KernelSpec): number {
  for (const tileW of [4, 2]) if (columnsRead(spec, tileW).length <= MAX_COLUMNS) return tileW;
  return 1;
}

/** The spec-dependent text of the direct kernel (templates/cuda/direct.hbs): every tap written out. */
export function directParts(spec: KernelSpec, tileH: number) {
  const tileW = directTileW(spec);
  const [kh, kw] = spec.kernelSize;
  const ind = '      ';
  const lines: string[] = [];
  const cols = columnsRead(spec, tileW);
  for (let r = 0; r < kh; r++) {
    lines.push(`${ind}{  // tap row ${r}`);
    lines.push(`${ind}  const int ih = ih0 + ${r * spec.dilation[0]};`);
    lines.push(`${ind}  if ((unsigned)ih < (unsigned)H) {`);
    lines.push(`${ind}    const storage_t* xr = xp + (i64)ih * W + iw0;`);
    for (const j of cols) lines.push(`${ind}    const float x${j} = (unsigned)(iw0 + ${j}) < (unsigned)W ? load_x(xr + ${j}) : 0.f;`);
    for (let s = 0; s < kw; s++) {
      lines.push(`${ind}    const float w${s} = load_x(wp + ${r * kw + s});`);
      for (let t = 0; t < tileW; t++) lines.push(`${ind}    acc${t} = fmaf(w${s}, x${t * spec.stride[1] + s * spec.dilation[1]}, acc${t});`);
    }
    lines.push(`${ind}  }`);
    lines.push(`${ind}}`);
  }
  const value = (t: number) => {
    if (!hasEpilogue(spec)) return `acc${t}`;
    const res = spec.residual === 'none' ? '0.f' : `load_r(rr + ${t})`;
    return `epilogue(acc${t}, ce.bias, ce.scale, ce.shift, ${res})`;
  };
  const stores = Array.from({ length: tileW }, (_, t) =>
    t === 0 ? `${ind}store_y(yr, ${value(0)});` : `${ind}if (ow0 + ${t} < Wo) store_y(yr + ${t}, ${value(t)});`,
  ).join('\n');
  const accInit = `${ind}float ${Array.from({ length: tileW }, (_, t) => `acc${t} = 0.f`).join(', ')};`;
  return { tileW, tileH, accInit, taps: lines.join('\n'), stores };
}

/**
 * What a thread's tile reads (templates/cuda/direct.hbs): columns iw0 + j, iw0 = ow0 * SW - PL, for
 * the j of columnsRead (every tap of its TW outputs, loaded whether or not an output is past Wo), and
 * for each of its TH rows oh (up to Ho) the rows oh * SH - PT + r * DH; each load masked.
 */
function directFootprint(spec: KernelSpec, tileW: number, tileH: number): InputFootprint {
  const [kh] = spec.kernelSize;
  const [sh, sw] = spec.stride;
  const cols = columnsRead(spec, tileW);
  return {
    by: 'tile',
    rows: tileAxis(1, tileH * sh, -spec.padding[0], (tileH - 1) * sh + (kh - 1) * spec.dilation[0] + 1, v('H')),
    cols: tileAxis(0, tileW * sw, -spec.padding[2], cols[cols.length - 1]! + 1, v('W')),
  };
}

/** NCHW, any window: a thread per tile of tileW x tileH outputs. Taken by every call no other family takes. */
export const directFamily: CudaFamily = {
  id: 'direct', label: 'direct', template: 'direct', launchRank: 2, threads: THREADS,
  build(spec, variant, symbol) {
    if (spec.layout !== 'NCHW' || spec.pointwise || variant?.kernel === 'tiled') return false;
    const parts = directParts(spec, variant?.kernel === 'direct' ? variant.tileH : DIRECT_TILE_H);
    return {
      parts,
      variant: { directTileW: parts.tileW, directTileH: parts.tileH },
      entries: () => [{
        name: `${symbol}_direct`, scope: 'direct', when: TRUE, threads: THREADS, tilesPerBlock: THREADS,
        grid: planeTiles(spec, parts.tileW, parts.tileH), sharedBytes: num(0), maxSharedBytes: 0, takesPixels: false,
        footprint: directFootprint(spec, parts.tileW, parts.tileH),
      }],
    };
  },
};
