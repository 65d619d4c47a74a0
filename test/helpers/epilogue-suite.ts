import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { compileWhole } from './compile-whole.js';
import { ACTIVATIONS, describeSpec, DTYPES, inLayout, LAYOUTS, RESIDUALS, type SpecInput } from '../../src/spec.js';
import { checkOnShape, inParallel, SEED } from './property.js';

/**
 * Every activation in every dtype, each with bias, batchNorm, a residual mode and the layout in rotation so all
 * combinations of the three appear, on a shape with borders (padding 1) and odd width, every output
 * against float64. The random property suite covers the rest of the spec space.
 */
/** [N, C, H, W]: borders, an odd width, and 8 channels (NHWC's vectors); put in each spec's layout. */
const SHAPES = [[2, 3, 9, 13], [1, 8, 6, 40]] as const;

export function epilogueSuite(target: 'cpu' | 'cuda', jobs: number): void {
  it(`every activation x dtype with bias, batchNorm and residual in rotation matches float64 on ${target} (seed ${SEED})`, async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), `dwconv-epilogue-${target}-`));
    const specs: SpecInput[] = [];
    let i = 0;
    for (const activation of ACTIVATIONS) {
      for (const dtype of DTYPES) {
        specs.push({
          kernelSize: 3, padding: 1, dtype, activation, layout: LAYOUTS[(i >> 2) % 2]!, bias: (i & 1) === 1, batchNorm: (i & 2) === 2,
          residual: RESIDUALS[i % RESIDUALS.length]!, ...(activation === 'leaky_relu' ? { negativeSlope: 0.2 - i / 10 } : {}),
        });
        i++;
      }
    }
    const kernels = await inParallel(specs, jobs, (s) => compileWhole(s, { target, cacheDir }));
    const failures: string[] = [];
    let checked = 0;
    kernels.forEach((kernel, k) => {
      for (const [j, nchw] of SHAPES.entries()) {
        const shape = inLayout(kernel.spec, nchw);
        const r = checkOnShape(kernel, shape, SEED + 10 * k + j);
        checked += r.checked;
        if (r.failures > 0 || r.checked === 0) failures.push(`${describeSpec(kernel.spec)} on ${shape.join('x')}: ${r.failures}/${r.checked} wrong, e.g. ${JSON.stringify(r.firstFailures[0])}`);
      }
    });
    expect(failures, `seed ${SEED}`).toEqual([]);
    expect(checked).toBe(kernels.reduce((a, kern) => a + SHAPES.reduce((b, s) => b + kern.outputShape(inLayout(kern.spec, s)).reduce((p, q) => p * q, 1), 0), 0));
  });
}
