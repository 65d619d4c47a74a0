import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/compile.js';
import { NoGpuError, SpecError } from '../../src/errors.js';
import { hasCxx, hasGpu } from '../helpers/requirements.js';

describe.skipIf(!hasCxx)('compile options (needs a C++ compiler)', () => {
  it('cache: false compiles privately, loads, and leaves no folder behind', async () => {
    const k = await compile({ kernelSize: 3 }, { target: 'cpu', cache: false });
    expect(k.provenance.origin).toBe('compiled');
    expect(existsSync(k.provenance.artifactPath)).toBe(false);
    const y = await k.run(new Float32Array(16).fill(1), [1, 1, 4, 4], new Float32Array(9).fill(2));
    expect([...y]).toEqual([18, 18, 18, 18]);
  });

  it.each([
    [{ target: 'gpu' }, 'options.target'], [{ compiler: 'clang' }, 'options.compiler'], [{ cache: 'no' }, 'options.cache'],
    [{ cacheDir: '' }, 'options.cacheDir'], [{ arch: 'sm_9x' }, 'arch'], [{ variant: { kernel: 'tiled', tileH: 4 }, target: 'cpu' }, 'options.variant'],
    [{ verbose: true }, 'options.verbose'], [{ remoteCache: 'redis://h' }, 'options.remoteCache'], [{ remoteCache: { host: 'h' } }, 'options.remoteCache.host'],
    [{ remoteCache: { url: 1 } }, 'options.remoteCache.url'], [{ remoteCache: { key: 'a secret of sixteen+', keyFile: '/k' } }, 'options.remoteCache'],
  ])('rejects %j', async (options, field) => {
    const err = await compile({ kernelSize: 3 }, options as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpecError);
    expect((err as SpecError).field).toBe(field);
    expect((err as SpecError).message).not.toContain('a secret of sixteen+');
  });

  it.skipIf(hasGpu)('target cuda without a GPU is a clear error before compiling, even with an arch', async () => {
    const err = await compile({ kernelSize: 3 }, { target: 'cuda', arch: 'sm_90' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoGpuError);
    expect((err as NoGpuError).code).toBe('ERR_DWCONV_NO_GPU');
  });
});
