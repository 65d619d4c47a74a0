import type { KernelSpec } from '../spec.js';
import { templateContext, type GeneratedSource } from './common.js';
import { generateCudaTiled, tiledApplies } from './cuda-tiled.js';
import { render } from './templates.js';
import type { CudaVariant } from './variant.js';

const THREADS = 128;
/** Input columns a thread may hold in registers for one tap row before the tile gets narrower. */
const MAX_COLUMNS = 48;

/** Input columns (relative to the strip's first) that outputs 0..tileW-1 read in one tap row. */
function columnsRead(spec: KernelSpec, tileW: number): number[] {
  const cols = new Set<number>();
  for (let t = 0; t < tileW; t++) for (let s = 0; s < spec.kernelSize[1]; s++) cols.add(t * spec.stride[1] + s * spec.dilation[1]);
  return [...cols].sort((a, b) => a - b);
}

function chooseTileW(spec: KernelSpec): number {
  for (const tileW of [4, 2]) if (columnsRead(spec, tileW).length <= MAX_COLUMNS) return tileW;
  return 1;
}

/** Every tap written out: per tap row, a bounds-checked load of each column used, then the multiply-adds. */
function emitTaps(spec: KernelSpec, tileW: number): string {
  const [kh, kw] = spec.kernelSize;
  const lines: string[] = [];
  const ind = '      ';
  const cols = columnsRead(spec, tileW);
  for (let r = 0; r < kh; r++) {
    lines.push(`${ind}{  // tap row ${r}`);
    lines.push(`${ind}  const int ih = ih0 + ${r * spec.dilation[0]};`);
    lines.push(`${ind}  if ((unsigned)ih < (unsigned)H) {`);
    lines.push(`${ind}    const storage_t* xr = xp + (i64)ih * W + iw0;`);
    for (const j of cols) {
      lines.push(`${ind}    const float x${j} = (unsigned)(iw0 + ${j}) < (unsigned)W ? load_x(xr + ${j}) : 0.f;`);
    }
    for (let s = 0; s < kw; s++) {
      lines.push(`${ind}    const float w${s} = load_x(wp + ${r * kw + s});`);
      for (let t = 0; t < tileW; t++) {
        lines.push(`${ind}    acc${t} = fmaf(w${s}, x${t * spec.stride[1] + s * spec.dilation[1]}, acc${t});`);
      }
    }
    lines.push(`${ind}  }`);
    lines.push(`${ind}}`);
  }
  return lines.join('\n');
}

/** Default output rows per thread for the direct kernel. */
export const DIRECT_TILE_H = 2;

/** The direct kernel: TW x TH outputs per thread, each row from its own loads; any stride, dilation and window. */
export function generateCudaDirect(spec: KernelSpec, tileH = DIRECT_TILE_H): GeneratedSource {
  const tileW = chooseTileW(spec);
  const ctx = templateContext(spec, 'cuda');
  const ind = '      ';
  const accs = Array.from({ length: tileW }, (_, t) => `acc${t} = 0.f`).join(', ');
  const biasTerm = spec.bias ? ' + bias' : '';
  const stores = Array.from({ length: tileW }, (_, t) =>
    t === 0 ? `${ind}store_y(yr, acc0${biasTerm});` : `${ind}if (ow0 + ${t} < Wo) store_y(yr + ${t}, acc${t}${biasTerm});`,
  ).join('\n');
  const source = render('cuda/dwconv.cu.hbs', {
    ...ctx,
    tileW,
    tileH,
    threads: THREADS,
    accInit: `${ind}float ${accs};`,
    taps: emitTaps(spec, tileW),
    stores,
  });
  return { target: 'cuda', symbol: ctx.symbol, language: 'cuda', source, specJson: ctx.specJson, variant: { tiled: 0, tileW, tileH, threads: THREADS } };
}

/** The requested variant, or the default: register-tiled where it applies, else direct. */
export function generateCuda(spec: KernelSpec, variant?: CudaVariant): GeneratedSource {
  if (variant) return variant.kernel === 'tiled' ? generateCudaTiled(spec, variant.tileH) : generateCudaDirect(spec, variant.tileH);
  return tiledApplies(spec) ? generateCudaTiled(spec) : generateCudaDirect(spec);
}
