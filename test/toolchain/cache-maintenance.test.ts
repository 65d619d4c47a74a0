import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/compile.js';
import { SpecError } from '../../src/errors.js';
import { importBundle } from '../../src/tools/bundle-import.js';
import { parseDuration, parseSize } from '../../src/cache/prune.js';
import { hasCxx } from '../helpers/requirements.js';

const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const fresh = (name: string) => join(mkdtempSync(join(tmpdir(), `dwconv-${name}-`)), 'cache');
const entries = (dir: string) => readdirSync(dir).filter((n) => /^[0-9a-f]{64}$/.test(n));
const json = async (cacheDir: string, args: string[], env: Record<string, string> = {}) => {
  const r = await execa(process.execPath, [cli, ...args, '--cache-dir', cacheDir, '--json'], { reject: false, env: { DWCONV_JIT_TARGET: 'cpu', ...env } });
  return { code: r.exitCode, out: JSON.parse(r.stdout) as Record<string, unknown> };
};

describe('size and age arguments', () => {
  it('parse sizes and durations, and name the flag when they are wrong', () => {
    expect(parseSize('x', '500M')).toBe(500 * 2 ** 20);
    expect(parseSize('x', '2GiB')).toBe(2 * 2 ** 30);
    expect(parseSize('x', '1024')).toBe(1024);
    expect(parseDuration('x', '30d')).toBe(30 * 86_400_000);
    expect(() => parseSize('--max-size', 'lots')).toThrow(SpecError);
    expect(() => parseDuration('--older-than', '3 days')).toThrow(SpecError);
  });
});

describe.skipIf(!hasCxx)('cache export/import, prune, explain (needs a C++ compiler)', () => {
  it('a bundle exported and imported into an empty cache is then used without compiling', async () => {
    const source = fresh('export');
    for (const k of ['3', '5']) expect((await json(source, ['compile', '--kernel-size', k])).code).toBe(0);
    const bundle = join(mkdtempSync(join(tmpdir(), 'dwconv-bundle-')), 'kernels.bundle');
    expect((await json(source, ['cache', 'export', bundle])).out).toMatchObject({ exported: 2, skipped: [] });
    const target = fresh('import');
    // Unsigned: each entry is rebuilt here from its source (g++ gives the same bytes).
    expect((await json(target, ['cache', 'import', bundle])).out).toMatchObject({ imported: 2, present: 0, signature: 'unsigned', artifacts: 'rebuilt', differing: [] });
    expect((await json(target, ['cache', 'import', bundle])).out).toMatchObject({ imported: 0, present: 2 });
    const trusting = fresh('import-trusting');
    expect((await json(trusting, ['cache', 'import', bundle, '--trust-unsigned'])).out).toMatchObject({ imported: 2, signature: 'unsigned', artifacts: 'sender' });
    const keyFile = join(mkdtempSync(join(tmpdir(), 'dwconv-bundle-key-')), 'key');
    writeFileSync(keyFile, 'a shared secret of enough bytes', { mode: 0o600 });
    const conflict = await json(fresh('import-conflict'), ['cache', 'import', bundle, '--trust-unsigned', '--key-file', keyFile]);
    expect(conflict.code).toBe(2);
    expect(JSON.stringify(conflict.out)).toMatch(/cannot be used with/);
    const unsignedWithKey = await json(fresh('import-needs-signature'), ['cache', 'import', bundle, '--key-file', keyFile]);
    expect(unsignedWithKey).toMatchObject({ code: 2, out: { error: { code: 'ERR_DWCONV_SPEC' } } });
    const k = await compile({ kernelSize: 5 }, { target: 'cpu', cacheDir: target });
    expect(k.provenance.origin).toBe('disk');
    const y = await k.run(new Float32Array(25).fill(1), [1, 1, 5, 5], new Float32Array(25).fill(1));
    expect([...y]).toEqual([25]);
  });

  it('import checks every entry before writing anything', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dwconv-badbundle-'));
    const root = fresh('badimport');
    const bad = join(dir, 'bad.bundle');
    writeFileSync(bad, gzipSync(JSON.stringify({ format: 'dwconv-jit-bundle', version: 1, entries: [{ key: 'a'.repeat(64), meta: { key: 'a'.repeat(64), format: 1, files: { source: '../x', artifact: 'k.so' } }, files: {} }] })));
    await expect(importBundle(root, bad)).rejects.toThrow(SpecError);
    writeFileSync(bad, 'not gzip');
    await expect(importBundle(root, bad)).rejects.toThrow(SpecError);
    expect(existsSync(root)).toBe(false); // not even the directory was created
  });

  it('prune removes by size (least recently used first), by age, broken entries and old leftovers only', async () => {
    const root = fresh('prune');
    for (const k of ['3', '5', '7']) await json(root, ['compile', '--kernel-size', k]);
    await json(root, ['compile', '--kernel-size', '3']); // a use: 3x3 is now the most recently used
    mkdirSync(join(root, '.tmp', 'old-write'), { recursive: true });
    mkdirSync(join(root, '.tmp', 'live-write'), { recursive: true });
    const old = new Date(Date.now() - 2 * 3_600_000);
    utimesSync(join(root, '.tmp', 'old-write'), old, old);
    const ls = (await json(root, ['cache', 'ls'])).out as unknown as { key: string; spec: string; bytes: number; hits: number }[];
    expect(ls.find((r) => r.spec.startsWith('3x3'))?.hits).toBe(1);
    const keep = ls.find((r) => r.spec.startsWith('3x3'))!;
    const r = await json(root, ['cache', 'prune', '--max-size', String(keep.bytes + 10)]);
    expect(r.out).toMatchObject({ leftoversRemoved: 1 });
    expect(entries(root)).toEqual([keep.key]);
    expect(readdirSync(join(root, '.tmp'))).toEqual(['live-write']);
    expect((await json(root, ['cache', 'prune', '--older-than', '1h'])).out).toMatchObject({ removed: [] });
  });

  it('DWCONV_JIT_CACHE_MAX_SIZE prunes after each compile; a bad value fails before compiling', async () => {
    const root = fresh('autoprune');
    for (const k of ['3', '5']) expect((await json(root, ['compile', '--kernel-size', k], { DWCONV_JIT_CACHE_MAX_SIZE: '1' })).code).toBe(0);
    // Entries committed in the last minutes are never pruned: another process may be loading them.
    expect(entries(root)).toHaveLength(2);
    for (const key of entries(root)) {
      const metaPath = join(root, key, 'meta.json');
      const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as { createdAt: string };
      writeFileSync(metaPath, JSON.stringify({ ...meta, createdAt: new Date(Date.now() - 3_600_000).toISOString() }));
    }
    expect((await json(root, ['compile', '--kernel-size', '7'], { DWCONV_JIT_CACHE_MAX_SIZE: '1' })).code).toBe(0);
    expect(entries(root)).toHaveLength(1); // the older ones went; the one just built is kept
    const bad = await json(fresh('badsize'), ['compile', '--kernel-size', '3'], { DWCONV_JIT_CACHE_MAX_SIZE: 'huge' });
    expect(bad).toMatchObject({ code: 2, out: { error: { field: 'DWCONV_JIT_CACHE_MAX_SIZE' } } });
  });

  it('explain says whether a spec is cached and, on a miss, which key parts differ from the nearest entry', async () => {
    const root = fresh('explain');
    await json(root, ['compile', '--kernel-size', '3']);
    expect((await json(root, ['cache', 'explain', '--kernel-size', '3', '--target', 'cpu'])).out).toMatchObject({ cached: 'disk' });
    const miss = (await json(root, ['cache', 'explain', '--kernel-size', '3', '--bias', '--target', 'cpu'])).out;
    expect(miss).toMatchObject({ cached: false, nearest: { differs: ['sourceSha256'] } });
  });
});
