import type { KernelSpec } from '../spec.js';
import { MAX_UNROLLED_TAPS, templateContext, type GeneratedSource } from './common.js';
import { render } from './templates.js';


/**
 * The sum of one tap row's kw products for output column `ow`, reading row pointer `xr`; `checked`
 * guards each column. `row` is the tap row: a literal, or the loop variable `r`.
 */
function rowSum(spec: KernelSpec, row: number | 'r', checked: boolean): string {
  const [, kw] = spec.kernelSize;
  const terms: string[] = [];
  for (let s = 0; s < kw; s++) {
    const col = `iw + ${s * spec.dilation[1]}`;
    const load = `xf[${col}]`;
    const w = row === 'r' ? `wr[${s}]` : `wk[${row * kw + s}]`;
    terms.push(checked ? `((unsigned long long)(${col}) < (unsigned long long)W ? ${w} * ${load} : 0.f)` : `${w} * ${load}`);
  }
  return terms.join('\n              + ');
}

function emitTaps(spec: KernelSpec): string {
  const [kh, kw] = spec.kernelSize;
  const ind = '      ';
  const lines: string[] = [];
  const rowLoop = kh * kw > MAX_UNROLLED_TAPS;
  const rows: (number | 'r')[] = rowLoop ? ['r'] : Array.from({ length: kh }, (_, r) => r);
  for (const r of rows) {
    if (r === 'r') {
      lines.push(`${ind}for (int r = 0; r < KH; ++r) {  // tap rows (the kw taps of each are unrolled)`);
      lines.push(`${ind}  const float* wr = wk + r * ${kw};`);
      lines.push(`${ind}  const i64 ih = oh * SH - PT + (i64)r * DH;`);
    } else {
      lines.push(`${ind}{  // tap row ${r}`);
      lines.push(`${ind}  const i64 ih = oh * SH - PT + ${r * spec.dilation[0]};`);
    }
    lines.push(`${ind}  if (ih >= 0 && ih < H) {`);
    lines.push(`${ind}    const float* xf = widen_row(xp + ih * W, W, row.data());  // float32: the row itself`);
    for (const [from, to, checked] of [['0', 'lo', true], ['lo', 'hi', false], ['hi', 'Wo', true]] as const) {
      lines.push(`${ind}    for (i64 ow = ${from}; ow < ${to}; ++ow) {`);
      lines.push(`${ind}      const i64 iw = ow * SW - PL;`);
      lines.push(`${ind}      a[ow] += ${rowSum(spec, r, checked)};`);
      lines.push(`${ind}    }`);
    }
    lines.push(`${ind}  }`);
    lines.push(`${ind}}`);
  }
  return lines.join('\n');
}

export function generateCpu(spec: KernelSpec): GeneratedSource {
  const ctx = templateContext(spec, 'cpu');
  // float32 without a multiplier: NHWC input rows are read in place instead of widened first.
  const directRows = spec.dtype === 'float32' && spec.channelMultiplier === 1;
  const source = spec.pointwise ? render('cpu/separable.cpp.hbs', ctx) : spec.layout === 'NHWC' ? render('cpu/dwconv_nhwc.cpp.hbs', { ...ctx, directRows }) : render('cpu/dwconv.cpp.hbs', { ...ctx, taps: emitTaps(spec) });
  return { target: 'cpu', symbol: ctx.symbol, language: 'c++', source, specJson: ctx.specJson, variant: {} };
}
