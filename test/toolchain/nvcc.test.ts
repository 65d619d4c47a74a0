import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from '../../src/compile.js';
import { readEnvironment } from '../../src/env.js';
import { CompileError } from '../../src/errors.js';
import { compileSource, nvccFlags } from '../../src/compiler/compilers.js';
import { findNvcc } from '../../src/compiler/toolchain.js';
import type { SpecInput } from '../../src/spec.js';
import { inParallel } from '../helpers/property.js';
import { hasNvcc } from '../helpers/requirements.js';

const SPECS: SpecInput[] = [
  { kernelSize: 3 },
  { kernelSize: 3, padding: 1, bias: true, dtype: 'float16' },
  { kernelSize: [5, 7], stride: 2, dilation: [2, 1], channelMultiplier: 3, dtype: 'bfloat16' },
  { kernelSize: 31, padding: 'same' },
  { kernelSize: [1, 11], dilation: 8, padding: [0, 40] },
  // Separable blocks whose split entry is the widest that static shared memory holds (float32, 256
  // output channels: 32-pixel tiles) and the 12-warp one (bfloat16, 160).
  { kernelSize: 3, padding: 1, pointwise: { outChannels: 256 } },
  { kernelSize: 3, padding: 1, dtype: 'bfloat16', bias: true, activation: 'relu6', pointwise: { outChannels: 160, bias: true } },
];

describe.skipIf(!hasNvcc)('nvcc builds the CUDA source without a GPU (needs nvcc)', () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'dwconv-nvcc-'));

  it(`compiles ${SPECS.length} specs for sm_90`, async () => {
    const artifacts = await inParallel(SPECS, 2, (s) => build(s, { target: 'cuda', arch: 'sm_90', cacheDir }));
    for (const a of artifacts) {
      expect(a.origin).toBe('compiled');
      expect(a.parts.flags).toContain('-gencode=arch=compute_90,code=sm_90');
      expect(readFileSync(a.path).subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    }
    const again = await build(SPECS[0]!, { target: 'cuda', arch: '90', cacheDir });
    expect(again.origin).not.toBe('compiled');
  });

  it('reports a compile failure with the log and the numbered source', async () => {
    const nvcc = await findNvcc(readEnvironment());
    const work = mkdtempSync(join(tmpdir(), 'dwconv-nvcc-bad-'));
    const err = await compileSource(nvcc, 'cuda', 'extern "C" int f() { return undeclared; }\n', nvccFlags(['sm_90']), work).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CompileError);
    expect((err as CompileError).log).toMatch(/undeclared/);
    expect((err as CompileError).message).toContain('1 | extern "C" int f()');
  });
});
