import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CacheError } from '../../src/errors.js';
import { DiskCache, type EntryDraft } from '../../src/cache/disk-cache.js';
import { cacheKey, CACHE_FORMAT_VERSION, sha256, type KeyParts } from '../../src/cache/key.js';

const parts: KeyParts = {
  format: CACHE_FORMAT_VERSION, package: '0.1.0', target: 'cpu', sourceSha256: sha256('// source'),
  compiler: { kind: 'cxx', version: 'g++ 12' }, flags: ['-O3'], arch: 'x64 test',
};

function fakeBuild(content: string, calls: { n: number }) {
  return async (work: string): Promise<EntryDraft> => {
    calls.n++;
    writeFileSync(join(work, 'kernel.cpp'), '// source');
    writeFileSync(join(work, 'kernel.so'), content);
    return { parts, symbol: 'dwconv_test', spec: {}, variant: {}, files: { source: 'kernel.cpp', artifact: 'kernel.so' }, compilerPath: '/bin/true', compileMilliseconds: 1 };
  };
}

const freshRoot = () => join(mkdtempSync(join(tmpdir(), 'dwconv-cache-unit-')), 'cache');

describe('cache key', () => {
  it('changes with every named part', () => {
    const base = cacheKey(parts);
    const variants: KeyParts[] = [
      { ...parts, format: parts.format + 1 }, { ...parts, package: '0.2.0' }, { ...parts, target: 'cuda' },
      { ...parts, sourceSha256: 'b'.repeat(64) }, { ...parts, compiler: { kind: 'cxx', version: 'g++ 13' } },
      { ...parts, flags: ['-O2'] }, { ...parts, arch: 'sm_90' },
    ];
    const keys = new Set(variants.map(cacheKey));
    expect(keys.size).toBe(variants.length);
    expect(keys.has(base)).toBe(false);
    expect(base).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('DiskCache', () => {
  const key = cacheKey(parts);

  it('creates its directory 0700 and commits an entry with meta.json', async () => {
    const root = freshRoot();
    const cache = await DiskCache.open(root);
    const calls = { n: 0 };
    const entry = await cache.put(key, fakeBuild('ELF-ish', calls));
    expect(entry.meta.artifactBytes).toBe(7);
    expect(readdirSync(entry.dir).sort()).toEqual(['kernel.cpp', 'kernel.so', 'meta.json']);
    expect((await cache.get(key))?.meta.artifactSha256).toBe(entry.meta.artifactSha256);
    expect(statSync(root).mode & 0o777).toBe(0o700);
    expect(readdirSync(join(root, '.tmp'))).toEqual([]);
  });

  it('treats a changed artifact as a miss and removes the entry', async () => {
    const cache = await DiskCache.open(freshRoot());
    const entry = await cache.put(key, fakeBuild('original', { n: 0 }));
    writeFileSync(entry.artifactPath, 'originaX');
    expect(await cache.get(key)).toBeUndefined();
    expect(await cache.get(key)).toBeUndefined();
  });

  it.each([
    ['garbage meta.json', (dir: string) => writeFileSync(join(dir, 'meta.json'), '{not json')],
    ['missing meta.json', (dir: string) => rmSync(join(dir, 'meta.json'))],
    ['empty meta.json', (dir: string) => writeFileSync(join(dir, 'meta.json'), '')],
    ['an older format', (dir: string) => writeFileSync(join(dir, 'meta.json'), JSON.stringify({ ...JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')), format: 0 }))],
    ['a truncated artifact', (dir: string) => writeFileSync(join(dir, 'kernel.so'), 'orig')],
    ['an artifact path that leaves the entry', (dir: string) => writeFileSync(join(dir, 'meta.json'), JSON.stringify({ ...JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')), files: { artifact: '../x.so' } }))],
  ])('rejects an entry with %s', async (_name, damage) => {
    const cache = await DiskCache.open(freshRoot());
    const entry = await cache.put(key, fakeBuild('original', { n: 0 }));
    damage(entry.dir);
    expect(await cache.get(key)).toBeUndefined();
  });

  it('refuses an entry that is a symlink, or holds one, instead of following it to a load', async () => {
    const root = freshRoot();
    const cache = await DiskCache.open(root);
    const entry = await cache.put(key, fakeBuild('original', { n: 0 }));
    const outside = mkdtempSync(join(tmpdir(), 'dwconv-outside-'));
    writeFileSync(join(outside, 'kernel.so'), 'original');
    rmSync(entry.artifactPath);
    symlinkSync(join(outside, 'kernel.so'), entry.artifactPath);
    expect((await cache.inspect(key)).problem).toBe('kernel.so is a symlink');
    rmSync(entry.dir, { recursive: true });
    symlinkSync(outside, entry.dir);
    expect((await cache.inspect(key)).problem).toBe('the entry is a symlink');
    expect(await cache.get(key)).toBeUndefined();
  });

  it('discarding a broken entry never deletes a fresh one that replaced it meanwhile', async () => {
    const root = freshRoot();
    const cache = await DiskCache.open(root);
    const first = await cache.put(key, fakeBuild('original', { n: 0 }));
    writeFileSync(first.artifactPath, 'broken!!');
    expect((await cache.inspect(key)).problem).toBeDefined(); // this process judges it broken...
    await cache.remove(key); // ...another one removes it and commits a fresh entry
    await cache.put(key, fakeBuild('original', { n: 0 }));
    await (cache as unknown as { discard(dir: string, key?: string): Promise<void> }).discard(cache.entryDir(key), key);
    expect((await cache.inspect(key)).entry).toBeDefined();
  });

  it('lets concurrent puts of one key end with one valid entry', async () => {
    const root = freshRoot();
    const cache = await DiskCache.open(root);
    const entries = await Promise.all(Array.from({ length: 8 }, () => cache.put(key, fakeBuild('same bytes', { n: 0 }))));
    expect(new Set(entries.map((e) => e.dir)).size).toBe(1);
    expect(readdirSync(root).filter((n) => !n.startsWith('.'))).toEqual([key]);
    expect(readdirSync(join(root, '.tmp'))).toEqual([]);
  });

  it('refuses a directory writable by others: it holds code that gets loaded', async () => {
    const root = freshRoot();
    mkdirSync(root, { recursive: true });
    chmodSync(root, 0o777);
    await expect(DiskCache.open(root)).rejects.toThrow(CacheError);
  });

  it('refuses a key that is not a sha256', async () => {
    const cache = await DiskCache.open(freshRoot());
    await expect(cache.get('../etc')).rejects.toThrow(CacheError);
  });
});
