// Disk full, quota, read-only and permission faults injected into the file calls the cache makes:
// each must be a CacheError that says what happened and what to do, and leave nothing partial.
import { chmodSync, existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CacheError } from '../../src/errors.js';
import { DiskCache, type EntryDraft } from '../../src/cache/disk-cache.js';
import { cacheKey, CACHE_FORMAT_VERSION, sha256, type KeyParts } from '../../src/cache/key.js';
import { withKeyLock } from '../../src/cache/key-lock.js';

const fault = vi.hoisted(() => ({ current: undefined as undefined | { call: string; code: string; pathHas?: string }, injected: 0 }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const faulty = <F extends (...args: never[]) => Promise<unknown>>(call: string, fn: F) =>
    ((...args: Parameters<F>) => {
      const f = fault.current;
      if (f?.call === call && (f.pathHas === undefined || String(args[0]).includes(f.pathHas))) {
        fault.injected++;
        return Promise.reject(Object.assign(new Error(`${f.code}: injected fault, ${call} '${String(args[0])}'`), { code: f.code }));
      }
      return fn(...args);
    }) as F;
  return {
    ...real,
    access: faulty('access', real.access),
    mkdir: faulty('mkdir', real.mkdir),
    mkdtemp: faulty('mkdtemp', real.mkdtemp),
    writeFile: faulty('writeFile', real.writeFile),
    rename: faulty('rename', real.rename),
  };
});

// The cache root's check (cache-root.ts) is synchronous, as a remembered hit makes it: the same faults there.
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const accessSync: typeof real.accessSync = (path, mode) => {
    const f = fault.current;
    if (f?.call === 'access' && (f.pathHas === undefined || String(path).includes(f.pathHas))) {
      fault.injected++;
      throw Object.assign(new Error(`${f.code}: injected fault, accessSync '${String(path)}'`), { code: f.code });
    }
    return real.accessSync(path, mode);
  };
  return { ...real, accessSync, default: { ...real, accessSync } };
});

const parts: KeyParts = {
  format: CACHE_FORMAT_VERSION, package: '0.1.0', target: 'cpu', sourceSha256: sha256('// source'),
  compiler: { kind: 'cxx', version: 'g++ 12' }, flags: ['-O3'], arch: 'x64 test',
};
const key = cacheKey(parts);
const freshRoot = () => join(mkdtempSync(join(tmpdir(), 'dwconv-faults-')), 'cache');

function build(work: string): Promise<EntryDraft> {
  writeFileSync(join(work, 'kernel.cpp'), '// source');
  writeFileSync(join(work, 'kernel.so'), 'ELF-ish');
  return Promise.resolve({ parts, symbol: 'dwconv_test', spec: {}, variant: {}, files: { source: 'kernel.cpp', artifact: 'kernel.so' }, compilerPath: '/bin/true', compileMilliseconds: 1 });
}

/** The cache holds no entry and no leftovers of the failed write. */
function expectNothingPartial(root: string): void {
  expect(existsSync(join(root, key))).toBe(false);
  expect(existsSync(join(root, '.tmp')) ? readdirSync(join(root, '.tmp')) : []).toEqual([]);
}

afterEach(() => {
  fault.current = undefined;
});

describe('storage faults', () => {
  const duringPut = [
    { call: 'mkdir', code: 'ENOSPC', pathHas: '.tmp', says: /no space left/ },
    { call: 'mkdtemp', code: 'EDQUOT', says: /quota/ },
    { call: 'writeFile', code: 'ENOSPC', pathHas: 'meta.json', says: /no space left/ },
    { call: 'rename', code: 'ENOSPC', says: /no space left/ },
    { call: 'rename', code: 'EROFS', says: /read-only/ },
  ] as const;
  for (const f of duringPut) {
    it(`${f.code} in ${f.call} while writing an entry: a CacheError saying so, nothing partial, and the next put works`, async () => {
      const root = freshRoot();
      const cache = await DiskCache.open(root);
      fault.current = f;
      const before = fault.injected;
      const err = await cache.put(key, build).catch((e: unknown) => e);
      expect(fault.injected).toBeGreaterThan(before);
      expect(err).toBeInstanceOf(CacheError);
      expect((err as Error).message).toMatch(f.says);
      fault.current = undefined;
      expectNothingPartial(root);
      expect(await cache.get(key)).toBeUndefined();
      const entry = await cache.put(key, build);
      expect((await cache.get(key))?.meta.artifactSha256).toBe(entry.meta.artifactSha256);
    });
  }

  it('a compiler step that runs out of space (its own write fails) is reported as a full disk', async () => {
    const root = freshRoot();
    const cache = await DiskCache.open(root);
    const failing = () => Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
    await expect(cache.put(key, failing)).rejects.toThrow(/no space left on the device: free some/);
    expectNothingPartial(root);
  });

  it('a read-only file system or a directory this user cannot write is a clear error when the cache opens', async () => {
    fault.current = { call: 'mkdir', code: 'EROFS' };
    await expect(DiskCache.open(freshRoot())).rejects.toThrow(/cannot create the cache directory: the file system is read-only/);
    fault.current = { call: 'access', code: 'EACCES' };
    await expect(DiskCache.open(freshRoot())).rejects.toThrow(/the cache directory is not writable: permission denied/);
  });

  it('a full disk when taking the compile lock is a CacheError and leaves no lock behind', async () => {
    const root = freshRoot();
    await DiskCache.open(root);
    fault.current = { call: 'writeFile', code: 'ENOSPC', pathHas: '.lock' };
    let ran = false;
    await expect(withKeyLock(root, key, 1000, async () => (ran = true))).rejects.toThrow(/cannot create a compile lock: no space left/);
    expect(ran).toBe(false);
    expect(readdirSync(join(root, '.locks'))).toEqual([]);
  });

  // Root writes through any mode bits, so this one can only run as another user.
  it.skipIf(process.getuid?.() === 0)('a real read-only directory (mode 0500) is refused when opened', async () => {
    const root = freshRoot();
    await DiskCache.open(root);
    chmodSync(root, 0o500);
    try {
      await expect(DiskCache.open(root)).rejects.toThrow(/not writable/);
    } finally {
      chmodSync(root, 0o700);
    }
  });
});
