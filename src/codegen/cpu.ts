import type { KernelSpec } from '../spec.js';
import { templateContext, type GeneratedSource } from './common.js';
import { render } from './templates.js';

/** The sum of one tap row's kw products for output column `ow`, reading row pointer `xr`; `checked` guards each column. */
function rowSum(spec: KernelSpec, r: number, checked: boolean): string {
  const [, kw] = spec.kernelSize;
  const terms: string[] = [];
  for (let s = 0; s < kw; s++) {
    const col = `iw + ${s * spec.dilation[1]}`;
    const load = `load_x(xr + ${col})`;
    terms.push(checked ? `((unsigned long long)(${col}) < (unsigned long long)W ? wk[${r * kw + s}] * ${load} : 0.f)` : `wk[${r * kw + s}] * ${load}`);
  }
  return terms.join('\n              + ');
}

function emitTaps(spec: KernelSpec): string {
  const [kh] = spec.kernelSize;
  const ind = '      ';
  const lines: string[] = [];
  for (let r = 0; r < kh; r++) {
    lines.push(`${ind}{  // tap row ${r}`);
    lines.push(`${ind}  const i64 ih = oh * SH - PT + ${r * spec.dilation[0]};`);
    lines.push(`${ind}  if (ih >= 0 && ih < H) {`);
    lines.push(`${ind}    const storage_t* xr = xp + ih * W;`);
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
  const source = render('cpu/dwconv.cpp.hbs', { ...ctx, taps: emitTaps(spec) });
  return { target: 'cpu', symbol: ctx.symbol, language: 'c++', source, specJson: ctx.specJson, variant: {} };
}
