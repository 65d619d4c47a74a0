import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { allVariants } from '../../src/codegen/variant.js';
import { compileWhole } from './compile-whole.js';
import { inLayout, normalizeSpec, type SpecInput } from '../../src/spec.js';
import { checkOnShape, SEED } from './property.js';

/**
 * outputDtype: the output (and the residual, which has its shape) stored in another type than the
 * input, every direction between the three dtypes, each kernel family: the tiled and direct NCHW
 * kernels (on CUDA every pinned variant too), NHWC, a separable block. Shapes with rows of whole
 * vectors and wide enough for the tiled kernel, and an odd one.
 */
export const OUTPUT_DTYPE_SPECS: SpecInput[] = [
  { kernelSize: 3, padding: 1, outputDtype: 'float16', bias: true, residual: true },
  { kernelSize: 3, padding: 1, outputDtype: 'bfloat16', activation: 'gelu' },
  { kernelSize: 3, dtype: 'float16', outputDtype: 'float32', batchNorm: true, residual: 'before-activation', activation: 'relu' },
  { kernelSize: 5, padding: 2, dtype: 'float16', outputDtype: 'bfloat16', stride: 2 },
  { kernelSize: 3, dtype: 'bfloat16', outputDtype: 'float32', channelMultiplier: 2, residual: true },
  { kernelSize: 3, dtype: 'bfloat16', outputDtype: 'float16', dilation: 2, padding: 'same' },
  { kernelSize: 3, padding: 1, layout: 'NHWC', dtype: 'float16', outputDtype: 'float32', bias: true, residual: true },
  { kernelSize: 3, layout: 'NHWC', outputDtype: 'bfloat16', activation: 'silu' },
  { kernelSize: 3, padding: 1, dtype: 'float16', outputDtype: 'float32', activation: 'relu6', pointwise: { outChannels: 24, bias: true } },
  { kernelSize: 3, padding: 1, outputDtype: 'float16', pointwise: { outChannels: 40, tf32: true } },
];
const SHAPES: [number, number, number, number][] = [[2, 8, 12, 64], [1, 5, 7, 29]];

export function outputDtypeSuite(target: 'cpu' | 'cuda'): void {
  it.each(OUTPUT_DTYPE_SPECS)(`an output of another dtype matches float64 on ${target}: %j`, async (input) => {
    const cacheDir = mkdtempSync(join(tmpdir(), `dwconv-out-${target}-`));
    const variants = target === 'cuda' && !input.pointwise ? [undefined, ...allVariants(normalizeSpec(input))] : [undefined];
    for (const variant of variants) {
      const kernel = await compileWhole(input, { target, cacheDir, ...(variant ? { variant } : {}) });
      for (const [i, dims] of SHAPES.entries()) {
        const r = checkOnShape(kernel, inLayout(kernel.spec, dims), SEED + i);
        expect(r.failures, `${JSON.stringify(variant ?? 'default')} on ${dims}: ${JSON.stringify(r.firstFailures)}`).toBe(0);
        expect(r.checked).toBeGreaterThan(0);
      }
    }
  });
}
