import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileWhole } from '../helpers/compile-whole.js';
import { generate } from '../../src/codegen/generate.js';
import { normalizeSpec, type KernelSpec, type SpecInput } from '../../src/spec.js';
import type { LaunchPlan } from '../../src/plan/plan.js';
import { entryFor } from '../helpers/family-parts.js';
import type { CudaVariant } from '../../src/codegen/variant.js';
import { checkOnShape, SEED } from '../helpers/property.js';
import { gpuReason, hasGpu } from '../helpers/requirements.js';

/**
 * The row-ring kernel on calls the launchers give it by default (rows of whole quads, Wo >= minWo):
 * several strips with a last one cut short, several row segments with a last one cut short, padding
 * on every side (unaligned on the left), dilation, a channel multiplier, odd output widths (scalar
 * stores), register and shared-memory weights (5x5 to 31x31, over 48 KiB of shared memory), every
 * epilogue operand and an output cast, float32 and 16-bit inputs; each with both compilers (the nvcc
 * build runs the C++ launcher), by default where the default source holds the ring (16-bit, or
 * float32 with 25 taps or more) and pinned at 2, 4 and 8 rows a step.
 */
const cases: [SpecInput, [number, number, number, number]][] = [
  [{ kernelSize: 7 }, [2, 3, 80, 1080]], // Wo 1074: a last strip of 50 columns (1-32 go to the any-width ring)
  [{ kernelSize: 5, padding: 2, bias: true, batchNorm: true, activation: 'relu6' }, [1, 4, 70, 512]],
  [{ kernelSize: [5, 7], padding: [2, 2, 3, 3], dilation: [2, 1], channelMultiplier: 2, residual: true, activation: 'gelu' }, [1, 2, 66, 600]],
  [{ kernelSize: [7, 6], padding: [0, 1, 1, 1] }, [1, 2, 70, 560]], // Wo 557: scalar stores
  [{ kernelSize: 11, padding: 5, outputDtype: 'bfloat16', batchNorm: true }, [1, 2, 70, 520]],
  [{ kernelSize: 9, dilation: 3, padding: 'same', bias: true, residual: 'after-activation', activation: 'silu' }, [1, 1, 80, 400]],
  [{ kernelSize: 31, padding: [15, 15, 13, 17] }, [1, 2, 67, 300]],
  // 16-bit inputs (8-element loads, converted on the way into shared memory); rows that fill 3/4 of
  // their strips, which the launchers require by default up to 7x7.
  [{ kernelSize: 3, dtype: 'float16', padding: [1, 1, 3, 1], bias: true, activation: 'silu' }, [2, 3, 70, 1016]],
  [{ kernelSize: 7, dtype: 'bfloat16', padding: 3, residual: true, batchNorm: true }, [1, 2, 66, 1000]],
  [{ kernelSize: [5, 3], dtype: 'float16', outputDtype: 'float32', dilation: [1, 3], channelMultiplier: 2 }, [1, 2, 70, 1000]],
  [{ kernelSize: 31, dtype: 'bfloat16', padding: 15 }, [1, 1, 66, 296]],
];

/**
 * The NHWC ring (shapes [N, H, W, C]) on calls it takes: strips cut short, segments cut short, left
 * padding that is not a vector boundary, dilation, a 9-tap row, one and two vectors a lane (16-bit,
 * float32), vector and element stores (a cast output), every epilogue operand; rows copied ahead
 * asynchronously, with zeros for rows and columns outside the image.
 */
const nhwcCases: [SpecInput, [number, number, number, number]][] = [
  [{ kernelSize: 3, layout: 'NHWC', dtype: 'float16' }, [2, 70, 300, 128]],
  [{ kernelSize: 3, layout: 'NHWC', dtype: 'bfloat16', padding: 1, bias: true, batchNorm: true, activation: 'silu', residual: true }, [1, 66, 40, 36]],
  [{ kernelSize: 3, layout: 'NHWC', dtype: 'float16', outputDtype: 'float32', dilation: 2, padding: [2, 1, 3, 1] }, [1, 70, 50, 64]],
  [{ kernelSize: 3, layout: 'NHWC', padding: 'same', bias: true, activation: 'relu6', residual: 'after-activation' }, [1, 66, 70, 60]],
  [{ kernelSize: [1, 9], layout: 'NHWC', dtype: 'float16', padding: [0, 0, 4, 4] }, [1, 65, 64, 24]],
];

/**
 * Every ring build of a spec, with both compilers: the default source where it holds the ring
 * (`holdsRing`), else the ring pinned at 4 rows a step; and the ring pinned at 2 and 8 rows. Each
 * is checked against float64 on `shape` after `takesRing` confirms the launchers give it the call.
 */
async function checkRingBuilds(input: SpecInput, shape: [number, number, number, number], holdsRing: (plan: LaunchPlan) => boolean, takesRing: (spec: KernelSpec, variant: CudaVariant | undefined) => boolean) {
  const cacheDir = mkdtempSync(join(tmpdir(), 'dwconv-ring-'));
  const byDefault = holdsRing(generate(normalizeSpec(input), 'cuda').plan!);
  const variants = [...(byDefault ? [undefined] : [{ kernel: 'ring', tileH: 4 }] as const), { kernel: 'ring', tileH: 2 }, { kernel: 'ring', tileH: 8 }] as const;
  const builds = (['nvrtc', 'nvcc'] as const).flatMap((compiler) => variants.map((variant) => ({ compiler, variant })));
  const kernels = await Promise.all(builds.map(({ compiler, variant }) => compileWhole(input, { cacheDir, compiler, ...(variant ? { variant } : {}) })));
  for (const [k, kernel] of kernels.entries()) {
    const { compiler, variant } = builds[k]!;
    expect(takesRing(kernel.spec, variant), `${compiler} ${JSON.stringify(variant)}: the launchers take the ring`).toBe(true);
    const r = checkOnShape(kernel, shape, SEED);
    expect(r.failures, `${compiler} ${JSON.stringify(variant)} seed ${SEED}: ${JSON.stringify(r.firstFailures)}`).toBe(0);
    expect(r.checked).toBeGreaterThan(0);
  }
}

describe.skipIf(!hasGpu)(`CUDA row-ring kernel (needs a GPU: ${gpuReason})`, () => {
  it.each(nhwcCases)('NHWC %j on %j matches float64 with nvcc and NVRTC, at 2, 4 and 8 rows a step', async (input, shape) => {
    const [n, h, w, c] = shape;
    await checkRingBuilds(input, shape, (plan) => plan.entries.some((e) => e.name.endsWith('_ring_nhwc')), (spec, variant) => entryFor(spec, variant, [n, c, h, w])?.endsWith('_ring_nhwc') === true);
  });

  it.each(cases)('%j on %j matches float64 with nvcc and NVRTC, at 2, 4 and 8 rows a step', async (input, shape) => {
    await checkRingBuilds(input, shape, (plan) => plan.entries.some((e) => e.name.endsWith('_ring')), (spec, variant) => entryFor(spec, variant, shape)?.endsWith('_ring') === true);
  });
});
