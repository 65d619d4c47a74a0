import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from '../../src/compile.js';
import { OUTPUT_DTYPE_SPECS, outputDtypeSuite } from '../helpers/output-dtype-suite.js';
import { inParallel } from '../helpers/property.js';
import { hasCxx, hasNvcc, hasNvrtc } from '../helpers/requirements.js';

describe.skipIf(!hasCxx)('CPU outputs of another dtype (needs a C++ compiler)', () => {
  outputDtypeSuite('cpu');
});

// Without a GPU, CI can still compile the CUDA source of every such spec (sm_90; the separable ones
// also for sm_80, where their cluster entry must build as a trap).
describe.skipIf(!hasNvcc)('nvcc builds CUDA outputs of another dtype (needs nvcc)', () => {
  it(`compiles ${OUTPUT_DTYPE_SPECS.length} specs`, async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'dwconv-out-nvcc-'));
    const jobs = [...OUTPUT_DTYPE_SPECS.map((s) => [s, 'sm_90'] as const), ...OUTPUT_DTYPE_SPECS.filter((s) => s.pointwise).map((s) => [s, 'sm_80'] as const)];
    const artifacts = await inParallel(jobs, 2, ([s, arch]) => build(s, { target: 'cuda', arch, cacheDir }));
    for (const a of artifacts) expect(a.origin).toBe('compiled');
  }, 600_000);
});

describe.skipIf(!hasNvrtc)('NVRTC builds CUDA outputs of another dtype (needs libnvrtc)', () => {
  it(`compiles ${OUTPUT_DTYPE_SPECS.length} specs for sm_90`, async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'dwconv-out-nvrtc-'));
    for (const s of OUTPUT_DTYPE_SPECS) expect((await build(s, { target: 'cuda', arch: 'sm_90', compiler: 'nvrtc', cacheDir })).origin).toBe('compiled');
  }, 600_000);
});
