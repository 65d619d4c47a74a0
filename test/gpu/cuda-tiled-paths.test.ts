import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpus } from 'node:os';
import { beforeAll, describe, expect, it } from 'vitest';
import { TILE_HEIGHTS } from '../../src/codegen/variant.js';
import { compile } from '../../src/compile.js';
import type { SpecInput } from '../../src/spec.js';
import { checkOnShape, inParallel, SEED } from '../helpers/property.js';
import { gpuReason, hasGpu } from '../helpers/requirements.js';

// Shapes that drive the tiled launcher down each of its load/store paths (stride 1 and 2): W a multiple of the
// vector or not, Wo a multiple of the vector, of half of it, of a quarter, or odd; planes smaller
// than a tile; rows that end inside a tile.
const SHAPES: [number, number, number, number][] = [
  [2, 3, 11, 64], [1, 2, 9, 66], [1, 2, 9, 68], [1, 3, 5, 72], [1, 2, 17, 63], [2, 2, 3, 8], [1, 1, 40, 16], [1, 1, 2, 3],
];
const SPECS: SpecInput[] = [];
for (const dtype of ['float32', 'float16', 'bfloat16'] as const) {
  SPECS.push({ kernelSize: 3, dtype }, { kernelSize: 3, padding: 'same', bias: true, dtype }, { kernelSize: [1, 3], dilation: 2, padding: [0, 1], dtype, channelMultiplier: 2 });
  // Stride 2 along W: two own vectors a row; along H too, and a stride along H alone.
  SPECS.push({ kernelSize: 3, stride: 2, padding: 1, dtype }, { kernelSize: 5, stride: [1, 2], padding: 2, bias: true, residual: true, dtype });
}

describe.skipIf(!hasGpu)(`tiled CUDA kernel load/store paths (needs a GPU: ${gpuReason})`, () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'dwconv-tiled-'));
  beforeAll(async () => {
    // Compile every (spec, tile height) at once; the tests below then hit the in-process cache.
    const jobs = SPECS.flatMap((spec) => TILE_HEIGHTS.tiled.map((tileH) => ({ spec, tileH })));
    await inParallel(jobs, cpus().length, ({ spec, tileH }) => compile(spec, { target: 'cuda', cacheDir, variant: { kernel: 'tiled', tileH } }));
  });

  it.each(SPECS)('%j on every path', async (spec) => {
    const failures: string[] = [];
    for (const tileH of TILE_HEIGHTS.tiled) {
      const k = await compile(spec, { target: 'cuda', cacheDir, variant: { kernel: 'tiled', tileH } });
      for (const [i, shape] of SHAPES.entries()) {
        const padded = (spec.padding ?? 0) !== 0;
        if (!padded && (shape[2] < 3 || shape[3] < 5)) continue;
        const r = checkOnShape(k, shape, SEED + i);
        if (r.failures || !r.checked) failures.push(`tileH ${tileH} ${shape.join('x')}: ${r.failures}/${r.checked} ${JSON.stringify(r.firstFailures[0])}`);
      }
    }
    expect(failures).toEqual([]);
  });
});
