import { DTYPE_BYTES } from '../dtype.js';
import type { KernelSpec } from '../spec.js';
import { hasEpilogue } from './epilogue.js';

/** Input column vectors a thread may hold for one tap row, times the vector width, before its tile gets narrower. */
const MAX_FLOATS = 48;

/** Input columns (relative to the tile's first) that outputs 0..tileW-1 read in one tap row. */
function columnsRead(spec: KernelSpec, tileW: number): number[] {
  const cols = new Set<number>();
  for (let t = 0; t < tileW; t++) for (let s = 0; s < spec.kernelSize[1]; s++) cols.add(t * spec.stride[1] + s * spec.dilation[1]);
  return [...cols].sort((a, b) => a - b);
}

/** Channels per thread on the vector path: one 16-byte access. Only without a channel multiplier (else channels are not contiguous per input). */
export function nhwcVector(spec: KernelSpec): number {
  return spec.channelMultiplier === 1 ? 16 / DTYPE_BYTES[spec.dtype] : 1;
}

/**
 * The spec-dependent text of the NHWC kernel (templates/cuda/nhwc.hbs). Each thread computes VEC
 * consecutive channels of TW consecutive outputs along W in one output row; per tap row it loads the
 * input column vectors the tile needs once and feeds every output that reads them.
 */
export function nhwcParts(spec: KernelSpec, symbol: string) {
  const vec = nhwcVector(spec);
  const tileW = [4, 2].find((tw) => columnsRead(spec, tw).length * vec <= MAX_FLOATS) ?? 1;
  const [kh, kw] = spec.kernelSize;
  const cols = columnsRead(spec, tileW);
  const ind = '    ';
  const taps: string[] = [];
  for (let r = 0; r < kh; r++) {
    taps.push(`${ind}{  // tap row ${r}`);
    taps.push(`${ind}  const int ih = ih0 + ${r * spec.dilation[0]};`);
    taps.push(`${ind}  if ((unsigned)ih < (unsigned)H) {`);
    taps.push(`${ind}    const storage_t* xr = xn + (i64)ih * W * C + ci0;`);
    for (const j of cols) taps.push(`${ind}    float c${j}[VEC];`, `${ind}    load_column<VEC>(xr, iw0 + ${j}, W, C, c${j});`);
    for (let s = 0; s < kw; s++) {
      taps.push(`${ind}    {`);
      taps.push(`${ind}      float wv[VEC];`);
      taps.push(`${ind}#pragma unroll`);
      taps.push(`${ind}      for (int v = 0; v < VEC; ++v) wv[v] = load_x(w + (i64)(co0 + v) * (KH * KW) + ${r * kw + s});`);
      for (let t = 0; t < tileW; t++) {
        taps.push(`${ind}#pragma unroll`);
        taps.push(`${ind}      for (int v = 0; v < VEC; ++v) acc[${t}][v] = fmaf(wv[v], c${t * spec.stride[1] + s * spec.dilation[1]}[v], acc[${t}][v]);`);
      }
      taps.push(`${ind}    }`);
    }
    taps.push(`${ind}  }`);
    taps.push(`${ind}}`);
  }
  const res = spec.residual !== 'none';
  const entries = [...(vec > 1 ? [{ name: `${symbol}_nhwc_${vec}`, vec }] : []), { name: `${symbol}_nhwc_1`, vec: 1 }];
  return { vec, tileW, taps: taps.join('\n'), epilogue: hasEpilogue(spec), residual: res, entries };
}
