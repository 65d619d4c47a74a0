// End to end with real libraries: nothing that fails the trust checks is ever loaded. The critical
// case: a bundle whose artifact was rebuilt from edited source (a constructor that writes a file, or
// every output doubled) with its sha256 updated. Unsigned, import rebuilds every entry from its
// source and never uses the bundle's library; with --trust-unsigned the load checks refuse the
// constructor (the doubled arithmetic is what that option trusts the sender for); verify and compile
// refuse such a library placed on disk, and the constructor never runs.
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { baselineOf } from '../../src/artifact.js';
import { build, compile } from '../../src/compile.js';
import { CacheError, SpecError, ToolchainNotFoundError } from '../../src/errors.js';
import { exportBundle } from '../../src/cache/bundle.js';
import { importBundle } from '../../src/tools/bundle-import.js';
import { cacheKey, sha256, type KeyParts } from '../../src/cache/key.js';
import { cxxFlags } from '../../src/compiler/compilers.js';
import { findCxx } from '../../src/compiler/toolchain.js';
import { readEnvironment } from '../../src/env.js';
import { withKeyLock } from '../../src/cache/key-lock.js';
import { entrySource, listEntries, verifyCache } from '../../src/tools/cache-inspect.js';
import { canonicalJson, normalizeSpec } from '../../src/spec.js';
import { hasCxx } from '../helpers/requirements.js';

const isRoot = process.getuid?.() === 0;
const fresh = (name: string) => join(mkdtempSync(join(tmpdir(), `dwconv-${name}-`)), 'cache');
const entries = (dir: string) => readdirSync(dir).filter((n) => /^[0-9a-f]{64}$/.test(n));
const SPEC = { kernelSize: 3, padding: 1 };
const x = new Float32Array(2 * 5 * 5).map((_, i) => (i % 7) - 3);
const w = new Float32Array(2 * 9).map((_, i) => (i % 5) - 2);

interface BundleJson { format: string; version: number; entries: { key: string; meta: Record<string, unknown> & { files: { source: string; artifact: string }; parts: KeyParts }; files: Record<string, string> }[] }
const readJson = (file: string) => JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as BundleJson;
const writeJson = (file: string, b: unknown) => writeFileSync(file, gzipSync(JSON.stringify(b)));

describe.skipIf(!hasCxx)('trust checks before any load (needs a C++ compiler)', () => {
  let source: string;
  let reference: Float32Array;
  let bundleFile: string;
  let marker: string;
  let evilLibrary: Buffer;
  let evilSource: string;

  let doubledLibrary: Buffer;

  /** A library of `text` built with the flags a cache build uses (what an attacker with the same compiler makes). */
  async function library(text: string): Promise<Buffer> {
    const work = mkdtempSync(join(tmpdir(), 'dwconv-trust-evil-'));
    writeFileSync(join(work, 'evil.cpp'), text);
    const cxx = await findCxx(readEnvironment());
    await execa(cxx.path, [...cxxFlags(), '-o', join(work, 'evil.so'), join(work, 'evil.cpp')]);
    return readFileSync(join(work, 'evil.so'));
  }

  beforeAll(async () => {
    const root = fresh('trust-origin');
    const k = await compile(SPEC, { target: 'cpu', cacheDir: root, precompiled: [] });
    reference = await k.run(x, [1, 2, 5, 5], w);
    const [key] = entries(root);
    source = readFileSync(join(root, key!, 'kernel.cpp'), 'utf8');
    bundleFile = join(mkdtempSync(join(tmpdir(), 'dwconv-trust-bundle-')), 'good.json.gz');
    await exportBundle(root, [key!], bundleFile);
    // The attacker's libraries: the same kernel plus a constructor that leaves a mark; and the same
    // kernel with every output doubled (no constructor: nothing in the bytes tells it apart).
    marker = join(mkdtempSync(join(tmpdir(), 'dwconv-trust-mark-')), 'constructor-ran');
    evilSource = `${source}\n#include <cstdio>\n__attribute__((constructor)) static void dwconv_tamper(void) { FILE* f = std::fopen(${JSON.stringify(marker)}, "w"); if (f) std::fclose(f); }\n`;
    evilLibrary = await library(evilSource);
    const doubledSource = source.replace('to_out(epilogue(a[ow]', 'to_out(2.f * epilogue(a[ow]');
    expect(doubledSource).not.toBe(source);
    doubledLibrary = await library(doubledSource);
  });

  /** The good bundle with its artifact replaced (and, when asked, its source too, with the hashes that follow). */
  function tampered(opts: { library?: Buffer; editSource?: boolean; rekey?: boolean; parts?: Partial<KeyParts> } = {}): string {
    const b = readJson(bundleFile);
    const e = b.entries[0]!;
    const lib = opts.library ?? evilLibrary;
    e.files[e.meta.files.artifact] = lib.toString('base64');
    e.meta.artifactBytes = lib.length;
    e.meta.artifactSha256 = sha256(lib);
    if (opts.editSource) {
      e.files[e.meta.files.source] = Buffer.from(evilSource).toString('base64');
      e.meta.parts = { ...e.meta.parts, sourceSha256: sha256(evilSource) };
    }
    if (opts.parts) e.meta.parts = { ...e.meta.parts, ...opts.parts };
    if (opts.rekey) e.key = e.meta.key = cacheKey(e.meta.parts) as never;
    const file = join(mkdtempSync(join(tmpdir(), 'dwconv-trust-bad-')), 'bad.json.gz');
    writeJson(file, b);
    return file;
  }

  const served = async (root: string) => {
    const k = await compile(SPEC, { target: 'cpu', cacheDir: root, precompiled: [] });
    // 'memory' where this process rebuilt it during the import: either way, no compile now.
    const origin = k.provenance.origin === 'memory' ? 'disk' : k.provenance.origin;
    return { origin, y: Array.from(await k.run(x, [1, 2, 5, 5], w)) };
  };

  it.each([
    ['a constructor added', () => evilLibrary],
    ['every output doubled', () => doubledLibrary],
  ])('unsigned, with the artifact swapped (%s, sha256 updated): rebuilt from its source, never the bundle\'s library', async (_name, lib) => {
    const root = fresh('trust-rebuild');
    const [key] = readJson(bundleFile).entries.map((e) => e.key);
    expect(await importBundle(root, tampered({ library: lib() }))).toEqual({ imported: 1, present: 0, signature: 'unsigned', artifacts: 'rebuilt', differing: [key] });
    expect(await served(root)).toEqual({ origin: 'disk', y: Array.from(reference) });
    expect(existsSync(marker)).toBe(false);
    expect((await verifyCache(root, false)).broken).toEqual([]);
  });

  it('unsigned and untouched: rebuilt, byte for byte the bundle\'s artifact (g++ builds are reproducible)', async () => {
    const root = fresh('trust-rebuild-same');
    expect(await importBundle(root, bundleFile)).toMatchObject({ imported: 1, artifacts: 'rebuilt', differing: [] });
    expect(await importBundle(root, bundleFile)).toMatchObject({ imported: 0, present: 1, artifacts: 'rebuilt', differing: [] });
  });

  it.each([
    ['the source edited too, its hash in the parts updated', { editSource: true }, /key recomputed/],
    ['the source edited and the entry re-keyed', { editSource: true, rekey: true }, /not what this version generates/],
  ])('import refuses a bundle with %s, signed or not; nothing is written, the constructor never runs', async (_name, opts, says) => {
    for (const trustUnsigned of [false, true]) {
      const root = fresh('trust-import');
      const err = await importBundle(root, tampered(opts), { trustUnsigned }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SpecError);
      expect((err as Error).message).toMatch(says);
      expect(existsSync(root)).toBe(false);
    }
    expect(existsSync(marker)).toBe(false);
  });

  it('unsigned, built by another toolchain (its key parts say so): refused before anything is written, not rebuilt under another key', async () => {
    const root = fresh('trust-otherkey');
    const file = tampered({ library: doubledLibrary, parts: { compiler: { kind: 'cxx', version: 'g++ (Elsewhere) 99.1' } }, rekey: true });
    const err = await importBundle(root, file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpecError);
    expect((err as Error).message).toMatch(/its compiler differs from this machine's.*--trust-unsigned/);
    expect(existsSync(root)).toBe(false);
  });

  it('--trust-unsigned: the load checks still refuse a constructor; the doubled arithmetic is what the importer chose to trust', async () => {
    const refused = fresh('trust-sender');
    const err = await importBundle(refused, tampered({ library: evilLibrary }), { trustUnsigned: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpecError);
    expect((err as Error).message).toMatch(/initializers/);
    expect(existsSync(refused)).toBe(false);
    const root = fresh('trust-sender-doubled');
    expect(await importBundle(root, tampered({ library: doubledLibrary }), { trustUnsigned: true })).toMatchObject({ imported: 1, artifacts: 'sender', signature: 'unsigned' });
    expect(await served(root)).toEqual({ origin: 'disk', y: Array.from(reference).map((v) => 2 * v) });
    expect(existsSync(marker)).toBe(false);
  });

  it('unsigned with no compiler here: a ToolchainNotFoundError saying how to import without one; nothing written', async () => {
    const root = fresh('trust-nocc');
    const err = await importBundle(root, bundleFile, { env: { ...process.env, CXX: '/nonexistent/c++' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolchainNotFoundError);
    expect((err as Error).message).toMatch(/--key-file.*--trust-unsigned/);
    expect(existsSync(root)).toBe(false);
  });

  it('all or nothing when rebuilding: an entry that cannot be built removes the ones this import built', async () => {
    const origin = fresh('trust-two');
    const a = await build(SPEC, { target: 'cpu', cacheDir: origin });
    const b = await build({ kernelSize: 5 }, { target: 'cpu', cacheDir: origin });
    const file = join(mkdtempSync(join(tmpdir(), 'dwconv-trust-two-')), 'two.json.gz');
    await exportBundle(origin, [a.key, b.key], file);
    const root = fresh('trust-two-target');
    mkdirSync(root, { recursive: true, mode: 0o700 });
    // Another holder of the second key's compile lock: its rebuild times out after the first was committed.
    const err = await withKeyLock(root, b.key, 60_000, () => importBundle(root, file, { env: { ...process.env, DWCONV_JIT_LOCK_TIMEOUT: '500' } }).catch((e: unknown) => e));
    expect(err).toBeInstanceOf(CacheError);
    expect((err as Error).message).toMatch(/waited .* for the compile/); // reached the second entry, after the first was committed
    expect(entries(root)).toEqual([]);
    expect(await importBundle(root, file)).toMatchObject({ imported: 2, present: 0 });
  });

  it('the same entry placed on disk: verify reports it, compile rebuilds it and never runs its constructor', async () => {
    const root = fresh('trust-disk');
    await importBundle(root, bundleFile);
    const [key] = entries(root);
    const dir = join(root, key!);
    const metaPath = join(dir, 'meta.json');
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(join(dir, 'kernel.so'), evilLibrary, { mode: 0o600 });
    writeFileSync(metaPath, JSON.stringify({ ...meta, artifactBytes: evilLibrary.length, artifactSha256: sha256(evilLibrary) }), { mode: 0o600 });
    const verified = await verifyCache(root, false);
    expect(verified.broken.map((b) => b.problem).join()).toMatch(/initializers/);
    const k = await compile(SPEC, { target: 'cpu', cacheDir: root, precompiled: [] });
    expect(k.provenance.origin).toBe('compiled');
    expect(Array.from(await k.run(x, [1, 2, 5, 5], w))).toEqual(Array.from(reference));
    expect(existsSync(marker)).toBe(false);
  });

  it("verify counts initializers as a load does: up to what this machine's compiler was seen to emit", async () => {
    // g++ 13 on Ubuntu 24.04 emits 2 where Debian's g++ 12 emits 1: verify must not call every entry there broken.
    const root = fresh('trust-learned');
    await importBundle(root, bundleFile);
    const [key] = entries(root);
    const metaPath = join(root, key!, 'meta.json');
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as { parts: KeyParts };
    writeFileSync(join(root, key!, 'kernel.so'), evilLibrary, { mode: 0o600 });
    writeFileSync(metaPath, JSON.stringify({ ...meta, artifactBytes: evilLibrary.length, artifactSha256: sha256(evilLibrary) }), { mode: 0o600 });
    expect((await verifyCache(root, false)).broken).toHaveLength(1);
    await (await baselineOf(root)).learn(meta.parts.compiler.version, 2);
    expect((await verifyCache(root, false)).broken).toEqual([]);
  });

  it('a signed bundle imports under its key; changed after signing it is refused', async () => {
    const root = fresh('trust-signed');
    const origin = fresh('trust-signed-origin');
    await importBundle(origin, bundleFile);
    const key = Buffer.from('a shared secret of enough bytes');
    const signed = join(mkdtempSync(join(tmpdir(), 'dwconv-trust-signed-')), 'signed.json.gz');
    expect(await exportBundle(origin, entries(origin), signed, key)).toMatchObject({ exported: 1, signed: true });
    expect(await importBundle(root, signed, { key })).toMatchObject({ imported: 1, signature: 'verified', artifacts: 'signed' });
    const b = readJson(signed);
    b.entries[0]!.meta.compileMilliseconds = 1; // any change, even one no other check sees
    writeJson(signed, b);
    await expect(importBundle(fresh('trust-signed-2'), signed, { key })).rejects.toThrow(/HMAC-SHA256/);
  });

  it("an entry holding another kernel's library (hashes updated) is broken: verify says so, compile rebuilds it", async () => {
    const root = fresh('trust-other');
    const k3 = await build(SPEC, { target: 'cpu', cacheDir: root });
    const k5 = await build({ kernelSize: 5 }, { target: 'cpu', cacheDir: root });
    const other = readFileSync(k5.path);
    const meta = JSON.parse(readFileSync(join(root, k3.key, 'meta.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(k3.path, other, { mode: 0o600 });
    writeFileSync(join(root, k3.key, 'meta.json'), JSON.stringify({ ...meta, artifactBytes: other.length, artifactSha256: sha256(other) }), { mode: 0o600 });
    expect((await verifyCache(root, false)).broken.map((b) => b.problem).join()).toMatch(/does not export|self-description/);
    const k = await compile(SPEC, { target: 'cpu', cacheDir: root, precompiled: [] });
    expect(k.provenance.origin).toBe('compiled');
    expect(Array.from(await k.run(x, [1, 2, 5, 5], w))).toEqual(Array.from(reference));
  });

  it('a bundle with a sound entry and then one naming ".." is refused whole: nothing is written, trusted or not', async () => {
    const b = readJson(bundleFile);
    const second = JSON.parse(JSON.stringify(b.entries[0])) as BundleJson['entries'][number];
    second.meta.files.source = '..';
    second.meta.parts = { ...second.meta.parts, flags: [...second.meta.parts.flags, '-DOTHER'] };
    second.key = second.meta.key = cacheKey(second.meta.parts) as never;
    const file = join(mkdtempSync(join(tmpdir(), 'dwconv-trust-dotdot-')), 'b.json.gz');
    writeJson(file, { ...b, entries: [b.entries[0], second] });
    for (const trustUnsigned of [false, true]) {
      const root = fresh('trust-dotdot');
      await expect(importBundle(root, file, { trustUnsigned })).rejects.toThrow(/entries\[1\]\.meta/);
      expect(existsSync(root)).toBe(false);
    }
  });

  describe("an entry's files are read as a load reads them: no symlink followed, names from the allow-list", () => {
    const withSourceSpoiled = async (spoil: (dir: string, metaPath: string) => void) => {
      const root = fresh('trust-source');
      const k = await build(SPEC, { target: 'cpu', cacheDir: root });
      spoil(join(root, k.key), join(root, k.key, 'meta.json'));
      const file = join(mkdtempSync(join(tmpdir(), 'dwconv-trust-export-')), 'b.json.gz');
      return { root, key: k.key, file, exported: await exportBundle(root, [k.key], file) };
    };
    it.each([
      ['a source that is a symlink to /etc/passwd', (dir: string) => { rmSync(join(dir, 'kernel.cpp')); symlinkSync('/etc/passwd', join(dir, 'kernel.cpp')); }],
      ["meta.json naming '../../../../../../etc/passwd' as the source", (_dir: string, metaPath: string) => {
        const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as { files: Record<string, string> };
        writeFileSync(metaPath, JSON.stringify({ ...meta, files: { ...meta.files, source: '../../../../../../etc/passwd' } }), { mode: 0o600 });
      }],
    ])('%s: show --source refuses, export skips the entry, and neither reads the file', async (_name, spoil) => {
      const { root, key, file, exported } = await withSourceSpoiled(spoil);
      await expect(entrySource(root, key.slice(0, 12))).rejects.toThrow(SpecError);
      expect(exported).toMatchObject({ exported: 0, skipped: [key] });
      expect(gunzipSync(readFileSync(file)).toString('utf8')).not.toContain('root:');
    });
  });

  it("meta.json's spec edited to another kernel's (a 7x7 on a 3x3 entry): ls and verify say it is broken, compile rebuilds it", async () => {
    const root = fresh('trust-spec');
    const k = await build(SPEC, { target: 'cpu', cacheDir: root });
    const metaPath = join(root, k.key, 'meta.json');
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as { spec: Record<string, unknown> };
    writeFileSync(metaPath, JSON.stringify({ ...meta, spec: JSON.parse(canonicalJson(normalizeSpec({ kernelSize: 7, padding: 1 }))) as unknown }), { mode: 0o600 });
    expect((await listEntries(root))[0]!.problem).toMatch(/not what this version generates/);
    expect((await verifyCache(root, false)).broken).toHaveLength(1);
    // Another process (this one remembers the artifact it built, which is still the right one).
    const cli = new URL('../../dist/cli/main.js', import.meta.url).pathname;
    const r = await execa(process.execPath, [cli, 'compile', '--spec-json', JSON.stringify(SPEC), '--target', 'cpu', '--cache-dir', root, '--json'], { reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ origin: 'compiled' });
    expect((await verifyCache(root, false)).broken).toEqual([]);
  });

  describe('precompiled layers: every folder and file checked, not only the top folder', () => {
    let layerSource: string;
    beforeAll(async () => {
      layerSource = join(mkdtempSync(join(tmpdir(), 'dwconv-trust-layer-')), 'layer');
      await build(SPEC, { target: 'cpu', cacheDir: layerSource });
    });
    const layerCopy = () => {
      const base = mkdtempSync(join(tmpdir(), 'dwconv-trust-layercopy-'));
      chmodSync(base, 0o755);
      const layer = join(base, 'layer');
      cpSync(layerSource, layer, { recursive: true });
      chmodSync(layer, 0o755);
      return { base, layer, entry: join(layer, entries(layer)[0]!) };
    };
    const origin = async (layer: string) => (await compile(SPEC, { target: 'cpu', cacheDir: fresh('trust-layer-user'), precompiled: [layer] })).provenance.origin;

    it('a sound layer serves compile()', async () => {
      expect(await origin(layerCopy().layer)).toBe('precompiled');
    });

    it("an entry holding another kernel's library (its hashes updated): skipped, compiled instead of failing", async () => {
      const other = readFileSync((await build({ kernelSize: 5 }, { target: 'cpu', cacheDir: fresh('trust-layer-other') })).path);
      const l = layerCopy();
      const metaPath = join(l.entry, 'meta.json');
      const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as Record<string, unknown>;
      writeFileSync(join(l.entry, 'kernel.so'), other, { mode: 0o644 });
      writeFileSync(metaPath, JSON.stringify({ ...meta, artifactBytes: other.length, artifactSha256: sha256(other) }), { mode: 0o644 });
      expect(await origin(l.layer)).toBe('compiled');
    });

    it.each([
      ['an entry folder of mode 0777', (l: ReturnType<typeof layerCopy>) => chmodSync(l.entry, 0o777)],
      ['an artifact of mode 0666', (l: ReturnType<typeof layerCopy>) => chmodSync(join(l.entry, 'kernel.so'), 0o666)],
      ['meta.json of mode 0666', (l: ReturnType<typeof layerCopy>) => chmodSync(join(l.entry, 'meta.json'), 0o666)],
      ['a group-writable layer', (l: ReturnType<typeof layerCopy>) => chmodSync(l.layer, 0o775)],
      ['a world-writable parent without the sticky bit', (l: ReturnType<typeof layerCopy>) => chmodSync(l.base, 0o777)],
    ])('%s: not searched, compiled instead', async (_name, spoil) => {
      const l = layerCopy();
      spoil(l);
      expect(await origin(l.layer)).toBe('compiled');
    });

    it.skipIf(!isRoot)('(as root) a layer, an entry or an artifact owned by another uid: not searched', async () => {
      for (const pick of [(l: ReturnType<typeof layerCopy>) => l.layer, (l: ReturnType<typeof layerCopy>) => l.entry, (l: ReturnType<typeof layerCopy>) => join(l.entry, 'kernel.so')]) {
        const l = layerCopy();
        chownSync(pick(l), 65534, 65534);
        expect(await origin(l.layer)).toBe('compiled');
      }
    });
  });

  it('CPATH (and the other variables that change what gets built) never reach the compiler', async () => {
    const evil = mkdtempSync(join(tmpdir(), 'dwconv-trust-cpath-'));
    for (const header of ['cmath', 'vector', 'cstdint']) writeFileSync(join(evil, header), '#error injected header\n');
    const env = { ...process.env, CPATH: evil, CPLUS_INCLUDE_PATH: evil, GCC_EXEC_PREFIX: `${evil}/`, COMPILER_PATH: evil };
    const k = await compile({ kernelSize: 3, bias: true }, { target: 'cpu', cacheDir: fresh('trust-cpath'), precompiled: [], env });
    expect(k.provenance.origin).toBe('compiled');
  });

  it('a relative cache directory, and one whose name starts with "-", work (absolute paths everywhere)', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'dwconv-trust-cwd-'));
    mkdirSync(join(cwd, 'sub'));
    const cli = new URL('../../dist/cli/main.js', import.meta.url).pathname;
    for (const dir of ['rel/cache', '-x', '-fplugin=p']) {
      const r = await execa(process.execPath, [cli, 'compile', '--kernel-size', '3', `--cache-dir=${dir}`, '--json'], { cwd, reject: false, env: { DWCONV_JIT_TARGET: 'cpu' } });
      expect(r.exitCode, r.stderr + r.stdout).toBe(0);
      expect(entries(join(cwd, dir))).toHaveLength(1);
    }
    writeFileSync(join(cwd, 'm.json'), JSON.stringify({ targets: ['cpu'], specs: [{ kernelSize: 3 }] }));
    for (const out of ['out', '-xout']) {
      const r = await execa(process.execPath, [cli, 'precompile', 'm.json', `--out=${out}`, '--json'], { cwd, reject: false });
      expect(r.exitCode, r.stderr + r.stdout).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ built: 1, failed: 0, out: join(cwd, out) });
    }
  });

  it('an uncached compile that fails leaves no temporary folder behind', async () => {
    const before = readdirSync(tmpdir()).filter((n) => n.startsWith('dwconv-jit-')).length;
    const dir = mkdtempSync(join(tmpdir(), 'dwconv-trust-failcc-'));
    const fake = join(dir, 'failing-c++');
    writeFileSync(fake, '#!/bin/sh\nif [ "$1" = "--version" ]; then echo "fake 1.0"; exit 0; fi\necho "error: nope" >&2\nexit 1\n', { mode: 0o755 });
    await expect(compile({ kernelSize: 3 }, { target: 'cpu', cache: false, env: { ...process.env, CXX: fake } })).rejects.toThrow(/nope/);
    expect(readdirSync(tmpdir()).filter((n) => n.startsWith('dwconv-jit-')).length).toBeLessThanOrEqual(before);
  });
});
