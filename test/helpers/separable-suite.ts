import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { compileWhole } from './compile-whole.js';
import type { separableParts } from '../../src/codegen/cuda-separable.js';
import { familyParts } from './family-parts.js';
import { gpuMultiprocessors } from './requirements.js';
import { SEPARABLE_CHUNK } from '../../src/codegen/cuda-separable.js';
import { ACTIVATIONS, inLayout, logicalDims, outputShape, type KernelSpec, type SpecInput } from '../../src/spec.js';
import { TF32_TOLERANCE, TOLERANCE } from '../../src/verify/compare.js';
import { outputCoords } from '../../src/verify/reference.js';
import { checkKernels, checkOnShape, inParallel, SEED, specArbitrary } from './property.js';

/**
 * Separable blocks: random depthwise specs (every field but residual) with a random 1x1 part. The
 * output channel counts cross the CUDA kernel's tile boundaries: one thread group (up to 24), several,
 * and more than one block's worth (over 192).
 */
const separableArbitrary: fc.Arbitrary<SpecInput> = fc
  .tuple(
    specArbitrary,
    fc.record({
      outChannels: fc.oneof(fc.integer({ min: 1, max: 6 }), fc.constantFrom(24, 48, 49, 96, 160, 385)),
      bias: fc.boolean(),
      activation: fc.oneof(fc.constant('none' as const), fc.constantFrom(...ACTIVATIONS)),
      negativeSlope: fc.double({ min: -2, max: 2, noNaN: true }),
      tf32: fc.boolean(),
    }),
  )
  .map(([dw, { negativeSlope, tf32, ...pw }]) => ({
    ...dw,
    residual: 'none' as const,
    pointwise: {
      ...pw,
      ...(pw.activation === 'leaky_relu' ? { negativeSlope } : {}),
      ...(tf32 && (dw.dtype ?? 'float32') === 'float32' ? { tf32 } : {}),
    },
  }));

export function separableSuite(target: 'cpu' | 'cuda', specs: number, jobs: number): void {
  it(`${specs} random separable blocks x 2 shapes match the float64 reference on ${target} (seed ${SEED})`, async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), `dwconv-sep-${target}-`));
    const inputs = fc.sample(separableArbitrary, { seed: SEED, numRuns: specs });
    const kernels = await inParallel(inputs, jobs, (input) => compileWhole(input, { target, cacheDir }));
    const { checked, failures } = checkKernels(kernels.map((kernel, index) => ({ kernel, index, label: '' })), 2);
    expect(failures, `seed ${SEED}`).toEqual([]);
    expect(checked).toBeGreaterThan(specs);
    console.log(`${specs} separable blocks, ${checked} outputs checked`);
  });
}

/**
 * Padding reads as zeros, whatever lies beside the window: with input column 0 all +inf, an output
 * whose window misses column 0 is finite and matches float64. Dilated windows, so that a padded tap's
 * nearest input column (0) lies outside the window; NHWC and 7x7 take the per-channel window walk,
 * NCHW 3x3 the tap table.
 */
export function paddingBesideInfSuite(target: 'cpu' | 'cuda'): void {
  const specs: SpecInput[] = [
    { kernelSize: 3, dilation: 2, padding: 2, layout: 'NHWC', pointwise: { outChannels: 5, bias: true } },
    { kernelSize: 7, dilation: 2, padding: 6, pointwise: { outChannels: 5, bias: true } },
    { kernelSize: 3, dilation: 2, padding: 2, dtype: 'float16', pointwise: { outChannels: 5 } },
  ];
  it.each(specs)(`an inf beside a window does not reach its output on ${target}: %j`, async (input) => {
    const cacheDir = mkdtempSync(join(tmpdir(), `dwconv-sep-inf-${target}-`));
    const kernel = await compileWhole(input, { target, cacheDir });
    const { spec } = kernel;
    const shape = inLayout(spec, [2, 3, 6, 6]);
    const outShape = kernel.outputShape(shape) as [number, number, number, number];
    const [kw, pl, sw, dw] = [spec.kernelSize[1], spec.padding[2], spec.stride[1], spec.dilation[1]];
    const missesColumn0 = (ow: number) => Array.from({ length: kw }, (_, s) => ow * sw - pl + s * dw).every((iw) => iw !== 0);
    const r = checkOnShape(kernel, shape, SEED, {
      input: (x) => x.forEach((_, i) => { if (outputCoords(spec, shape, i)[3] === 0) x[i] = Infinity; }),
      checks: (flat) => missesColumn0(outputCoords(spec, outShape, flat)[3]),
    });
    expect(r.failures, `seed ${SEED}: ${JSON.stringify(r.firstFailures)}`).toBe(0);
    expect(r.checked).toBeGreaterThan(0);
  });
}

/** Output pixels (N x Ho x Wo) of an input of logical dims N, C, H, W, whatever the spec's layout. */
function outputPixels(spec: KernelSpec, dims: readonly [number, number, number, number]): number {
  const [n, , ho, wo] = logicalDims(spec, outputShape(spec, inLayout(spec, dims)));
  return n * ho * wo;
}

type SeparableParts = ReturnType<typeof separableParts>;

/** The blocks the wide layout would launch on an input of logical dims N, C, H, W: what the launchers' entry choice turns on. */
export function wideBlocks(spec: KernelSpec, sep: SeparableParts, dims: readonly [number, number, number, number]): number {
  const [wide] = sep.entries;
  return Math.ceil(outputPixels(spec, dims) / wide!.pixels) * Math.ceil(spec.pointwise!.outChannels / wide!.coutTile);
}

/** The blocks the split entry would launch on the same (its own tiles, `slices` blocks a tile). */
export function splitBlocks(spec: KernelSpec, split: NonNullable<SeparableParts['split']>, dims: readonly [number, number, number, number]): number {
  return Math.ceil(outputPixels(spec, dims) / split.pixels) * Math.ceil(spec.pointwise!.outChannels / split.coutTile) * split.slices;
}

/**
 * Many depthwise channels on few pixels: on sm_90 the launchers take the split entry (clusters of
 * blocks, each summing a slice of the channel chunks, partial sums added through distributed shared
 * memory) where the spec has one (many output channels: 160, 200, 385 here), else the narrow one. 136
 * channels are 9 chunks, the last one partial, in uneven slices; every dtype, both layouts, the tap
 * table and the window walk, tiles cut by the output channel count and the pixels.
 */
export function channelSplitSuite(target: 'cpu' | 'cuda'): void {
  const specs: SpecInput[] = [
    { kernelSize: 3, padding: 1, bias: true, activation: 'relu6', pointwise: { outChannels: 160, bias: true } },
    { kernelSize: 3, padding: 1, pointwise: { outChannels: 160, tf32: true } },
    { kernelSize: 3, padding: 1, dtype: 'float16', pointwise: { outChannels: 24, activation: 'silu' } },
    { kernelSize: 3, padding: 1, dtype: 'bfloat16', channelMultiplier: 2, pointwise: { outChannels: 385, bias: true } },
    { kernelSize: 5, stride: 2, padding: 2, bias: true, pointwise: { outChannels: 64, bias: true, activation: 'gelu' } },
    { kernelSize: 7, padding: 3, layout: 'NHWC', pointwise: { outChannels: 40 } },
    { kernelSize: 3, padding: 1, layout: 'NHWC', dtype: 'float16', bias: true, pointwise: { outChannels: 160, bias: true } },
    { kernelSize: 7, padding: 3, batchNorm: true, activation: 'silu', pointwise: { outChannels: 200 } },
  ];
  it.each(specs)(`channels split over a cluster match float64 on ${target}: %j`, async (input) => {
    const cacheDir = mkdtempSync(join(tmpdir(), `dwconv-sep-split-${target}-`));
    const kernel = await compileWhole(input, { target, cacheDir });
    const sep = familyParts(kernel.spec).separable!;
    for (const [i, dims] of ([[3, 136, 7, 7], [1, 136, 5, 9]] as const).entries()) {
      if (sep.split) { // the CUDA launchers' condition for the split entry holds (on sm_90)
        expect(wideBlocks(kernel.spec, sep, dims)).toBeLessThan(sep.narrowBelowPerSm * gpuMultiprocessors);
        expect(splitBlocks(kernel.spec, sep.split, dims)).toBeLessThanOrEqual(sep.split.maxBlocksPerSm * gpuMultiprocessors);
        expect(Math.ceil((dims[1] * kernel.spec.channelMultiplier) / SEPARABLE_CHUNK)).toBeGreaterThanOrEqual(sep.split.minChunks);
      }
      const r = checkOnShape(kernel, inLayout(kernel.spec, dims), SEED + i);
      expect(r.failures, `seed ${SEED + i}, ${dims}: ${JSON.stringify(r.firstFailures)}`).toBe(0);
      expect(r.checked).toBeGreaterThan(0);
    }
  });
}

/**
 * pointwise.tf32 is in effect: the block misses float32's tolerance (its 1x1 operands are rounded to
 * TF32) and keeps TF32_TOLERANCE, where the same block without it keeps float32's.
 */
export function tf32Suite(target: 'cpu' | 'cuda'): void {
  it(`pointwise.tf32 rounds the 1x1 operands to TF32 on ${target}, and only then`, async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), `dwconv-sep-tf32-${target}-`));
    const errors = await Promise.all([false, true].map(async (tf32) => {
      const kernel = await compileWhole({ kernelSize: 3, padding: 1, pointwise: { outChannels: 40, ...(tf32 ? { tf32 } : {}) } }, { target, cacheDir });
      return checkOnShape(kernel, [2, 64, 6, 7], SEED).maxRelativeError;
    }));
    const [exact, rounded] = errors as [number, number];
    expect(exact).toBeLessThanOrEqual(TOLERANCE.float32);
    expect(rounded).toBeGreaterThan(TOLERANCE.float32);
    expect(rounded).toBeLessThanOrEqual(TF32_TOLERANCE);
  });
}

/**
 * Wide calls whose rows come in whole aligned quads of output columns: on CUDA the quads entry (a lane
 * computes 4 neighbouring outputs, halo columns from the neighbouring lanes). Enough pixels for the
 * wide layout (the test checks that the CUDA launchers' condition holds), rows of 60 and 64 columns
 * (warps that start inside a row), a last tile cut short, halos of 0 to 4 columns a side, a stride
 * along H, a channel multiplier.
 */
export function quadsSuite(target: 'cpu' | 'cuda'): void {
  const specs: SpecInput[] = [
    { kernelSize: 3, padding: 1, bias: true, activation: 'relu6', pointwise: { outChannels: 24, bias: true } },
    { kernelSize: 3, padding: 1, dtype: 'float16', pointwise: { outChannels: 40, activation: 'hardswish' } },
    { kernelSize: 3, padding: 1, dtype: 'bfloat16', stride: [2, 1], channelMultiplier: 2, pointwise: { outChannels: 64, bias: true } },
    { kernelSize: 5, padding: [2, 2, 4, 0], batchNorm: true, pointwise: { outChannels: 24, tf32: true } },
    { kernelSize: 3, dilation: 2, padding: [2, 2, 0, 4], dtype: 'float16', pointwise: { outChannels: 8 } },
    { kernelSize: [1, 5], padding: [0, 0, 2, 2], pointwise: { outChannels: 16 } },
  ];
  it.each(specs)(`whole quads of output columns match float64 on ${target}: %j`, async (input) => {
    const cacheDir = mkdtempSync(join(tmpdir(), `dwconv-sep-quads-${target}-`));
    const kernel = await compileWhole(input, { target, cacheDir });
    const sep = familyParts(kernel.spec).separable!;
    expect(sep.quads).toBeDefined();
    for (const [i, [c, h, w]] of ([[5, 61, 60], [3, 32, 64]] as const).entries()) {
      const [, , ho, wo] = outputShape(kernel.spec, [1, c, h, w]);
      const n = Math.ceil(36_000 / (ho! * wo!));
      expect(wideBlocks(kernel.spec, sep, [n, c, h, w])).toBeGreaterThanOrEqual(sep.narrowBelowPerSm * gpuMultiprocessors);
      expect([w % 4, wo! % 4]).toEqual([0, 0]);
      const r = checkOnShape(kernel, inLayout(kernel.spec, [n, c, h, w]), SEED + i);
      expect(r.failures, `seed ${SEED + i}, ${[n, c, h, w]}: ${JSON.stringify(r.firstFailures)}`).toBe(0);
      expect(r.checked).toBeGreaterThan(0);
    }
  });
}
