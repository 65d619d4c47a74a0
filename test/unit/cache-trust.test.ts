// The trust model's file-system and input checks that need no compiler: hostile meta.json, links,
// ownership, bundles that must be refused before anything is written, locks of reused pids,
// compiler environments and maintenance next to live compiles.
import { chmodSync, chownSync, linkSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CacheError, SpecError } from '../../src/errors.js';
import { DiskCache, type EntryDraft } from '../../src/cache/disk-cache.js';
import { cacheKey, CACHE_FORMAT_VERSION, sha256, type KeyParts } from '../../src/cache/key.js';
import { readBundle } from '../../src/cache/bundle.js';
import { importBundle } from '../../src/tools/bundle-import.js';
import { withKeyLock } from '../../src/cache/key-lock.js';
import { isAlive, selfIdentity, workMarker } from '../../src/cache/process-identity.js';
import { chainProblem } from '../../src/cache/trust.js';
import { compilerEnvironment } from '../../src/compiler/child-env.js';
import { compileSource } from '../../src/compiler/compilers.js';
import { cxxCandidates, findCxx, findNvcc } from '../../src/compiler/toolchain.js';
import { readEnvironment } from '../../src/env.js';
import { expandManifest } from '../../src/tools/precompile.js';
import { cacheStats, clearCache, entrySource, findEntry, listEntries, verifyCache } from '../../src/tools/cache-inspect.js';
import { pruneCache } from '../../src/cache/prune.js';

const SOURCE = '// source';
const parts: KeyParts = {
  format: CACHE_FORMAT_VERSION, package: '0.1.0', target: 'cpu', sourceSha256: sha256(SOURCE),
  compiler: { kind: 'cxx', version: 'g++ 12' }, flags: ['-O3'], arch: 'x64 test',
};
const key = cacheKey(parts);
const freshRoot = () => join(mkdtempSync(join(tmpdir(), 'dwconv-trust-')), 'cache');
const isRoot = process.getuid?.() === 0;
const OTHER_UID = 65534;

function build(work: string): Promise<EntryDraft> {
  writeFileSync(join(work, 'kernel.cpp'), SOURCE);
  writeFileSync(join(work, 'kernel.so'), 'ELF-ish');
  return Promise.resolve({ parts, symbol: 'dwconv_test', spec: {}, variant: {}, files: { source: 'kernel.cpp', artifact: 'kernel.so' }, compilerPath: '/bin/true', compileMilliseconds: 1 });
}

function edit(dir: string, change: (meta: Record<string, unknown>) => Record<string, unknown>): void {
  const path = join(dir, 'meta.json');
  writeFileSync(path, JSON.stringify(change(JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>)));
}

async function withEntry(): Promise<{ root: string; cache: DiskCache; dir: string }> {
  const root = freshRoot();
  const cache = await DiskCache.open(root);
  const entry = await cache.put(key, build);
  return { root, cache, dir: entry.dir };
}

describe('entries as untrusted input', () => {
  it.each([
    ['null', (dir: string) => writeFileSync(join(dir, 'meta.json'), 'null'), /not an object/],
    ['an array', (dir: string) => writeFileSync(join(dir, 'meta.json'), '[1]'), /not an object/],
    ['a directory', (dir: string) => { rmSync(join(dir, 'meta.json')); mkdirSync(join(dir, 'meta.json')); }, /not a regular file/],
    ['garbage', (dir: string) => writeFileSync(join(dir, 'meta.json'), '{"format":'), /not valid JSON/],
    ['a number for the artifact name', (dir: string) => edit(dir, (m) => ({ ...m, files: { source: 'kernel.cpp', artifact: 7 } })), /files/],
    ['meta.json as the artifact', (dir: string) => edit(dir, (m) => ({ ...m, files: { source: 'kernel.cpp', artifact: 'meta.json' } })), /files/],
    ['parts edited (another arch)', (dir: string) => edit(dir, (m) => ({ ...m, parts: { ...(m.parts as object), arch: 'sm_90' } })), /recomputed/],
    ['a source that is not the one in the key', (dir: string) => writeFileSync(join(dir, 'kernel.cpp'), '// edited'), /source does not match/],
  ])('meta.json or files being %s: a problem, removed by get(), never a TypeError', async (_name, spoil, says) => {
    const { cache, dir } = await withEntry();
    spoil(dir);
    expect((await cache.inspect(key)).problem).toMatch(says);
    expect(await cache.get(key)).toBeUndefined();
    expect(existsSync(dir)).toBe(false);
    expect(await cache.put(key, build)).toBeDefined(); // and it is rebuilt
  });

  it.each([
    ['null', (dir: string) => writeFileSync(join(dir, 'meta.json'), 'null')],
    ['a directory', (dir: string) => { rmSync(join(dir, 'meta.json')); mkdirSync(join(dir, 'meta.json')); }],
  ])('meta.json being %s: ls, stats, show, verify --fix and prune report or remove the entry, never a TypeError', async (_name, spoil) => {
    for (const step of ['verify', 'prune'] as const) {
      const { root, cache, dir } = await withEntry();
      spoil(dir);
      expect((await listEntries(root))[0]).toMatchObject({ key, spec: '?', problem: expect.stringMatching(/meta.json/) });
      expect(await cacheStats(root)).toMatchObject({ entries: 1, broken: 1 });
      await expect(findEntry(root, key.slice(0, 8))).rejects.toThrow(SpecError);
      if (step === 'verify') expect((await verifyCache(root, true)).broken).toMatchObject([{ key, quarantinedTo: expect.any(String) }]);
      else expect((await pruneCache(root, {})).removed).toMatchObject([{ key }]);
      expect(await cache.keys()).toEqual([]);
    }
  });

  it('refuses an artifact with a second hard link, and never appends uses to a hard-linked uses.log', async () => {
    const { cache, dir } = await withEntry();
    const outside = join(mkdtempSync(join(tmpdir(), 'dwconv-outside-')), 'victim');
    writeFileSync(outside, 'precious\n');
    linkSync(outside, join(dir, 'uses.log'));
    await cache.recordUse(key);
    expect(readFileSync(outside, 'utf8')).toBe('precious\n');
    expect((await cache.inspect(key)).problem).toMatch(/hard links/);
    const again = await withEntry();
    linkSync(join(again.dir, 'kernel.so'), join(mkdtempSync(join(tmpdir(), 'dwconv-outside-')), 'so'));
    expect((await again.cache.inspect(key)).problem).toMatch(/kernel.so has 2 hard links/);
  });

  it('refuses entry files writable by others, and (as root) files owned by another user', async () => {
    const { cache, dir } = await withEntry();
    chmodSync(join(dir, 'kernel.so'), 0o666);
    expect((await cache.inspect(key)).problem).toMatch(/writable by group or others/);
    chmodSync(join(dir, 'kernel.so'), 0o600);
    chmodSync(dir, 0o777);
    expect((await cache.inspect(key)).problem).toMatch(/entry is writable/);
    chmodSync(dir, 0o700);
    expect((await cache.inspect(key)).entry).toBeDefined();
    if (!isRoot) return; // chown needs root; CI runs as root
    chownSync(join(dir, 'kernel.so'), OTHER_UID, OTHER_UID);
    expect((await cache.inspect(key)).problem).toMatch(/owned by uid 65534/);
  });

  it('a .trash or .tmp that is a file is a CacheError, not a raw EEXIST', async () => {
    const { root, cache } = await withEntry();
    rmSync(join(root, '.trash'), { recursive: true, force: true });
    rmSync(join(root, '.tmp'), { recursive: true, force: true });
    writeFileSync(join(root, '.trash'), 'x');
    writeFileSync(join(root, '.tmp'), 'x');
    await expect(cache.remove(key)).rejects.toThrow(CacheError);
    await expect(cache.put(key, build)).rejects.toThrow(/\.tmp in the cache is not a directory/);
  });

  it('show --source does not follow a symlinked source', async () => {
    const { root, dir } = await withEntry();
    rmSync(join(dir, 'kernel.cpp'));
    symlinkSync('/etc/passwd', join(dir, 'kernel.cpp'));
    await expect(entrySource(root, key.slice(0, 8))).rejects.toThrow(SpecError);
  });
});

describe('folder chain of a precompiled layer', () => {
  it('accepts root-owned sticky /tmp above, refuses a world-writable parent without the sticky bit', async () => {
    const base = mkdtempSync(join(tmpdir(), 'dwconv-chain-'));
    const layer = join(base, 'layer');
    mkdirSync(layer, { mode: 0o755 });
    chmodSync(base, 0o755);
    expect(await chainProblem(layer)).toBeUndefined();
    chmodSync(base, 0o777);
    expect(await chainProblem(layer)).toMatch(/writable by group or others/);
    chmodSync(base, 0o775);
    expect(await chainProblem(layer)).toMatch(/writable by group or others/);
    chmodSync(base, 0o755);
    if (!isRoot) return;
    chownSync(base, OTHER_UID, OTHER_UID);
    expect(await chainProblem(layer)).toMatch(/owned by uid 65534/);
  });
});

describe('bundles are checked whole before anything is written', () => {
  const write = (value: unknown) => {
    const file = join(mkdtempSync(join(tmpdir(), 'dwconv-bundle-')), 'b.json.gz');
    writeFileSync(file, gzipSync(JSON.stringify(value)));
    return file;
  };
  const meta = { format: CACHE_FORMAT_VERSION, key, parts, symbol: 'dwconv_test', spec: {}, variant: {}, files: { source: 'kernel.cpp', artifact: 'kernel.so' }, artifactBytes: 3, artifactSha256: sha256('abc'), compilerPath: '/x', compileMilliseconds: 1, createdAt: 'now' };
  const entry = { key, meta, files: { 'kernel.cpp': Buffer.from(SOURCE).toString('base64'), 'kernel.so': Buffer.from('abc').toString('base64') } };
  const bundle = (entries: unknown[]) => ({ format: 'dwconv-jit-bundle', version: 2, entries });

  it.each([
    ['two entries of one key', bundle([entry, entry]), /each key once/],
    ['an artifact named meta.json', bundle([{ ...entry, meta: { ...meta, files: { source: 'kernel.cpp', artifact: 'meta.json' } } }]), /valid meta.json/],
    ["'..' as a file name", bundle([{ ...entry, meta: { ...meta, files: { source: '..', artifact: 'kernel.so' } } }]), /valid meta.json/],
    ['a file that is not a string', bundle([{ ...entry, files: { 'kernel.cpp': 7, 'kernel.so': 'YWJj' } }]), /base64 string/],
    ['an extra file', bundle([{ ...entry, files: { ...entry.files, 'evil.so': 'YWJj' } }]), /exactly/],
    ['a null entry', bundle([null]), /an entry object/],
    ['meta null', bundle([{ ...entry, meta: null }]), /not an object/],
    ['a source not matching its key', bundle([{ ...entry, files: { ...entry.files, 'kernel.cpp': Buffer.from('// other').toString('base64') } }]), /source matching/],
  ])('%s: a SpecError, and the cache is not even created', async (_name, value, says) => {
    const root = freshRoot();
    const err = await importBundle(root, write(value)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpecError);
    expect((err as Error).message).toMatch(says);
    expect(existsSync(root)).toBe(false);
  });

  it('a gzip bomb stops at the decompressed cap', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'dwconv-bomb-')), 'bomb.gz');
    writeFileSync(file, gzipSync(Buffer.alloc(16 << 20), { level: 1 })); // 16 MiB of zeros in well under 1 MiB
    expect(readFileSync(file).length).toBeLessThan(1 << 20);
    await expect(readBundle(file, { maxBytes: 1 << 20 })).rejects.toThrow(/at most 1048576 bytes decompressed/);
  }, 30_000);

  it('with a key, an unsigned or wrongly signed bundle is refused', async () => {
    const file = write(bundle([]));
    await expect(readBundle(file, { key: Buffer.alloc(32, 1) })).rejects.toThrow(/HMAC-SHA256/);
    expect((await readBundle(file)).signature).toBe('unsigned');
  });
});

describe('locks and live work folders', () => {
  it('pid 0 and negative pids are never alive; a reused pid (same pid, other start time) is not the holder', () => {
    expect(isAlive({ pid: 0 })).toBe(false);
    expect(isAlive({ pid: -1 })).toBe(false);
    const me = selfIdentity();
    expect(isAlive(me)).toBe(true);
    if (me.start !== null) expect(isAlive({ ...me, start: String(Number(me.start) + 1) })).toBe(false);
    if (me.boot !== null) expect(isAlive({ ...me, boot: 'another-boot' })).toBe(false);
  });

  it('takes over at once a lock naming pid 1 from another boot, and a day-old lock of a live-looking pid', async () => {
    const root = freshRoot();
    mkdirSync(join(root, '.locks'), { recursive: true });
    const lock = join(root, '.locks', `${key}.lock`);
    writeFileSync(lock, JSON.stringify({ pid: 1, start: '1', boot: 'before-restart', host: (await import('node:os')).hostname(), token: 't', since: '' }));
    // Each would otherwise wait out the 60 s timeout and fail (a CacheError, or the test's own timeout).
    expect(await withKeyLock(root, key, 60_000, () => Promise.resolve('ran'))).toBe('ran');
    writeFileSync(lock, JSON.stringify({ pid: 1, host: 'elsewhere', token: 't', since: '' }));
    const dayAgo = new Date(Date.now() - 86_400_000);
    utimesSync(lock, dayAgo, dayAgo);
    expect(await withKeyLock(root, key, 60_000, () => Promise.resolve('ran'))).toBe('ran');
  });

  it('verify --fix, clear and prune leave the work folders of live compiles alone, and remove dead ones', async () => {
    const { root } = await withEntry();
    const live = join(root, '.tmp', `${key.slice(0, 16)}-${workMarker()}-abcdef`);
    const dead = join(root, '.tmp', `${key.slice(0, 16)}-999999999.1-abcdef`);
    mkdirSync(live, { recursive: true });
    mkdirSync(dead, { recursive: true });
    await verifyCache(root, true);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(dead)).toBe(false);
    mkdirSync(dead);
    await clearCache(root);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(dead)).toBe(false);
    await pruneCache(root, { leftoverAgeMs: 0 });
    expect(readdirSync(join(root, '.tmp'))).toEqual([live.split('/').at(-1)]);
  });

  it('clear leaves an entry a live compile holds the lock of', async () => {
    const { root } = await withEntry();
    await withKeyLock(root, key, 1_000, async () => {
      expect(await clearCache(root)).toMatchObject({ removed: 0, kept: 1 });
    });
    expect(await clearCache(root)).toMatchObject({ removed: 1, kept: 0 });
  });
});

describe('compilers', () => {
  it('get an allow-listed environment: CPATH, GCC_EXEC_PREFIX, NVCC_*_FLAGS, LD_PRELOAD never reach them', () => {
    const env = compilerEnvironment('/usr/bin/g++', '/tmp/work', {
      PATH: '/evil:/usr/bin', HOME: '/root', CPATH: '/evil', CPLUS_INCLUDE_PATH: '/evil', C_INCLUDE_PATH: '/evil', GCC_EXEC_PREFIX: '/evil', COMPILER_PATH: '/evil',
      LIBRARY_PATH: '/evil', NVCC_PREPEND_FLAGS: '-Xcompiler -include/evil', NVCC_APPEND_FLAGS: '-evil', NVCC_CCBIN: '/evil', LD_PRELOAD: '/evil.so', LD_LIBRARY_PATH: '/evil',
    });
    expect(Object.keys(env).sort()).toEqual(['HOME', 'LANG', 'LC_ALL', 'PATH', 'TMPDIR']);
    expect(env.PATH).not.toContain('/evil');
    expect(env.TMPDIR).toBe('/tmp/work');
  });

  it('CXX with arguments is a SpecError naming CXX; a CXX or DWCONV_JIT_NVCC that does not exist names the variable, never another tool', async () => {
    expect(() => cxxCandidates(readEnvironment({ CXX: 'ccache g++', PATH: '/usr/bin' }))).toThrow(/invalid CXX/);
    await expect(findCxx(readEnvironment({ CXX: 'ccache g++', PATH: '/usr/bin' }))).rejects.toThrow(SpecError);
    const nope = await findCxx(readEnvironment({ CXX: '/nope', PATH: '/usr/bin:/bin' })).catch((e: unknown) => e);
    expect((nope as Error).message).toMatch(/named by CXX \(\/nope\)/);
    expect((nope as { searched: string[] }).searched).toEqual(['/nope']);
    await expect(findNvcc(readEnvironment({ DWCONV_JIT_NVCC: '/nope', PATH: '/usr/local/cuda/bin:/usr/bin' }))).rejects.toThrow(/named by DWCONV_JIT_NVCC/);
  });

  it('relative PATH entries are never searched', () => {
    expect(cxxCandidates(readEnvironment({ PATH: 'bin:/usr/bin:.' }))).toEqual(['/usr/bin/c++', '/usr/bin/g++', '/usr/bin/clang++']);
  });

  it('a compiler that runs out of space is a CacheError without the numbered source', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dwconv-fakecc-'));
    const fake = join(dir, 'fake-c++');
    writeFileSync(fake, '#!/bin/sh\necho "/usr/bin/ld: final link failed: No space left on device" >&2\nexit 1\n', { mode: 0o755 });
    const err = await compileSource({ kind: 'cxx', path: fake, version: 'fake', environment: '' }, 'c++', 'int x;\n', [], dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CacheError);
    expect((err as Error).message).toMatch(/No space left on device/);
    expect((err as Error).message).not.toContain('1 | int x;');
  });
});

describe('precompile manifests', () => {
  it('a grid of 10^8 configs is refused before it is expanded', () => {
    // Expanded, it would take tens of GB: the heap runs out long before the job limit could be checked.
    const ten = Array.from({ length: 10 }, (_, i) => i + 1);
    const grid = Object.fromEntries(['kernelSize', 'stride', 'padding', 'dilation', 'channelMultiplier', 'bias', 'batchNorm', 'dtype'].map((f) => [f, ten]));
    expect(() => expandManifest({ targets: ['cpu'], grids: [grid] })).toThrow(/100000000 configs/);
  });
});
