import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readEnvironment } from '../../src/env.js';
import { SpecError, ToolchainNotFoundError } from '../../src/errors.js';
import { normalizeArch } from '../../src/compiler/arch.js';
import { findCxx, nvccCandidates } from '../../src/compiler/toolchain.js';
import { PACKAGE_VERSION } from '../../src/version.js';

describe('toolchain discovery', () => {
  it('looks for nvcc in the documented order', () => {
    const env = readEnvironment({ DWCONV_JIT_NVCC: '/opt/x/nvcc', CUDA_HOME: '/opt/cuda', PATH: '/a:/b' });
    expect(nvccCandidates(env)).toEqual(['/opt/x/nvcc']); // named: that one or an error, never another
    expect(nvccCandidates(readEnvironment({ CUDA_HOME: '/opt/cuda', PATH: '/a:/b' }))).toEqual(['/opt/cuda/bin/nvcc', '/a/nvcc', '/b/nvcc', '/usr/local/cuda/bin/nvcc']);
  });

  it('says what it searched and how to fix it when there is no C++ compiler', async () => {
    const err = await findCxx(readEnvironment({ CXX: '/nonexistent/c++', PATH: '/nonexistent' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolchainNotFoundError);
    expect((err as ToolchainNotFoundError).searched).toContain('/nonexistent/c++');
    expect((err as Error).message).toMatch(/set CXX/);
  });
});

describe('arch', () => {
  it.each([['sm_90', 'sm_90'], ['90', 'sm_90'], [80, 'sm_80'], ['sm_90a', 'sm_90a'], ['100', 'sm_100']])('normalizes %s', (input, out) => {
    expect(normalizeArch(input)).toBe(out);
  });
  it.each([['sm_90; rm -rf /'], ['compute_90'], ['9'], [''], [90.5], [null]])('rejects %j before it reaches a command line', (input) => {
    expect(() => normalizeArch(input)).toThrow(SpecError);
  });
});

describe('version', () => {
  it('matches package.json (it is part of every cache key)', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(PACKAGE_VERSION).toBe(pkg.version);
  });
});
