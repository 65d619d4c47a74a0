import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { compile } from '../../src/compile.js';
import { ACTIVATIONS, type SpecInput } from '../../src/spec.js';
import { checkKernels, inParallel, SEED, specArbitrary } from './property.js';

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
    }),
  )
  .map(([dw, { negativeSlope, ...pw }]) => ({
    ...dw,
    residual: 'none' as const,
    pointwise: { ...pw, ...(pw.activation === 'leaky_relu' ? { negativeSlope } : {}) },
  }));

export function separableSuite(target: 'cpu' | 'cuda', specs: number, jobs: number): void {
  it(`${specs} random separable blocks x 2 shapes match the float64 reference on ${target} (seed ${SEED})`, async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), `dwconv-sep-${target}-`));
    const inputs = fc.sample(separableArbitrary, { seed: SEED, numRuns: specs });
    const kernels = await inParallel(inputs, jobs, (input) => compile(input, { target, cacheDir }));
    const { checked, failures } = checkKernels(kernels.map((kernel, index) => ({ kernel, index, label: '' })), 2);
    expect(failures, `seed ${SEED}`).toEqual([]);
    expect(checked).toBeGreaterThan(specs);
    console.log(`${specs} separable blocks, ${checked} outputs checked`);
  });
}
