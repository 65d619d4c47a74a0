import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/compile.js';
import { precompile } from '../../src/tools/precompile.js';
import { familyParts } from '../helpers/family-parts.js';
import { checkOnShape, SEED } from '../helpers/property.js';
import { gpuMultiprocessors, gpuReason, hasGpu } from '../helpers/requirements.js';
import { splitBlocks, wideBlocks } from '../helpers/separable-suite.js';

/**
 * A separable block precompiled as sm_80 code plus compute_80 PTX, loaded on a newer GPU: the driver
 * JIT-compiles the PTX, so the split entry's code reads binaryVersion 90 but was compiled for sm_80,
 * where its body is a trap. The launcher must see this (ptxVersion) and take the narrow entry.
 */
describe.skipIf(!hasGpu)(`CUDA code JIT-compiled from older PTX (needs a GPU: ${gpuReason})`, () => {
  it('a split-eligible call on compute_80 PTX matches float64 (the split entry is not taken)', async () => {
    const input = { kernelSize: 3, padding: 1, bias: true, pointwise: { outChannels: 160, bias: true } } as const;
    const out = mkdtempSync(join(tmpdir(), 'dwconv-ptx80-'));
    const built = await precompile({ targets: ['cuda'], archs: ['sm_80'], ptx: true, specs: [input] }, { out, jobs: 1 });
    expect(built).toMatchObject({ built: 1, failed: 0 });
    const kernel = await compile(input, { cacheDir: mkdtempSync(join(tmpdir(), 'dwconv-ptx80-cache-')), precompiled: [out] });
    expect(kernel.provenance.origin).toBe('precompiled');
    const sep = familyParts(kernel.spec).separable!;
    const dims = [3, 136, 7, 7] as const;
    // On sm_90 code this call would take the split entry.
    expect(sep.split).toBeDefined();
    expect(wideBlocks(kernel.spec, sep, dims)).toBeLessThan(sep.narrowBelowPerSm * gpuMultiprocessors);
    expect(splitBlocks(kernel.spec, sep.split!, dims)).toBeLessThanOrEqual(sep.split!.maxBlocksPerSm * gpuMultiprocessors);
    const r = checkOnShape(kernel, dims, SEED);
    expect(r.failures, JSON.stringify(r.firstFailures)).toBe(0);
    expect(r.checked).toBeGreaterThan(0);
  });
});
