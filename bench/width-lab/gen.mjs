// Writes the library's generated sources for the lab's six specs (3x3 no padding and 7x7 padding 3;
// float32, float16, bfloat16) to gen/lib_<dt>_k<k>.cu, each wrapped in its own namespace (the sources'
// ring::run, tiled::run and direct::run would collide at link) with an extern "C" alias
// lib_<dt>_k<k> of the harness's signature. Needs the built package (npm run build).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { normalizeSpec } from '../../dist/spec.js';
import { generate } from '../../dist/codegen/generate.js';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'gen');
mkdirSync(out, { recursive: true });
const dtypes = { f32: 'float32', f16: 'float16', bf16: 'bfloat16' };
const windows = { 3: { kernelSize: 3 }, 7: { kernelSize: 7, padding: 3 } };
for (const [dt, dtype] of Object.entries(dtypes)) {
  for (const [k, window] of Object.entries(windows)) {
    const spec = normalizeSpec({ ...window, dtype });
    const generated = generate(spec, 'cuda');
    const name = `lib_${dt}_k${k}`;
    const families = /Kernel families in this file: [^\n]*/.exec(generated.source)?.[0] ?? '';
    const text = [
      `// ${name}: the library's source for ${JSON.stringify(spec)}, ${families}`,
      '#include <cuda_runtime.h>',
      `namespace ns_${name} {`,
      generated.source,
      `}  // namespace ns_${name}`,
      `extern "C" int ${name}(const void* x, const void* w, void* y, long long N, long long C, long long H, long long W, cudaStream_t s) {`,
      `  return ns_${name}::${generated.symbol}(x, w, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, y, N, C, H, W, s);`,
      '}',
      '',
    ].join('\n');
    writeFileSync(join(out, `${name}.cu`), text);
    process.stdout.write(`${name}.cu: ${generated.symbol}\n`);
  }
}
