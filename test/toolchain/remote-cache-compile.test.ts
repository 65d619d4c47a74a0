// The remote cache through compile(): the tier list with a real Redis and a real C++ compiler (one
// that counts its compiles). The store's own behaviour (timeouts, back-off, locks, the envelope) is
// tested in remote-cache.test.ts; this file tests what a user of compile() sees.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveTagKey } from '../../src/cache/remote/config.js';
import { openEnvelope, sealEnvelope } from '../../src/cache/remote/envelope.js';
import { REMOTE_WARNING_CODE, remoteCounters } from '../../src/cache/tiers/remote.js';
import type { RemoteCounters } from '../../src/cache/remote/store.js';
import { compile } from '../../src/compile.js';
import { readEnvironment } from '../../src/env.js';
import type { CompileOptions } from '../../src/options.js';
import type { SpecInput } from '../../src/spec.js';
import { remoteCachePublish } from '../../src/tools/remote-cache.js';
import { SEED, checkOnShape } from '../helpers/property.js';
import { countingCompiler, freePort, noRedisReason, rawClient, startPrivateRedis, testRedisUrl, testUrl } from '../helpers/remote.js';
import { SECRET } from '../helpers/remote-entry.js';
import { hasCxx } from '../helpers/requirements.js';

const child = fileURLToPath(new URL('../fixtures/remote-compile-child.mjs', import.meta.url));
const SHAPE = [2, 3, 11, 13] as const;
const A = { kernelSize: 3 };
const B = { kernelSize: 5, padding: 'same' as const };

const freshDir = () => mkdtempSync(join(tmpdir(), 'dwconv-remote-e2e-'));
const prefixOf = (url: string) => `${new URL(url).searchParams.get('prefix')}:`;

/** This process's counters for the remote at `url` (the tier is one per configuration). */
function countersOf(url: string): RemoteCounters {
  const found = Object.entries(remoteCounters()).filter(([d]) => d.endsWith(`prefix=${prefixOf(url)}`));
  if (found.length !== 1) throw new Error(`${found.length} remote tiers for ${url}`);
  return found[0]![1];
}

const needs = !hasCxx ? 'no C++ compiler' : !testRedisUrl ? noRedisReason : undefined;

describe.skipIf(needs)(`compile() with a remote cache${needs ? ` (skipped: ${needs})` : ''}`, () => {
  const cxx = hasCxx ? countingCompiler() : undefined;
  const env = { ...process.env, CXX: cxx?.path ?? '', DWCONV_JIT_REMOTE_CACHE: '', DWCONV_JIT_REMOTE_KEY: '', NODE_DEBUG: '' };
  const raw = testRedisUrl ? rawClient() : undefined;
  const warnings: string[] = [];
  const onWarning = (w: Error & { code?: string }) => {
    if (w.code === REMOTE_WARNING_CODE) warnings.push(w.message);
  };
  beforeAll(() => void process.on('warning', onWarning));
  afterAll(() => {
    process.off('warning', onWarning);
    raw?.disconnect();
  });

  const options = (url: string, extra: Partial<CompileOptions> = {}): CompileOptions => ({ target: 'cpu', cacheDir: freshDir(), precompiled: [], env, remoteCache: { url, key: SECRET }, ...extra });
  const compileChecked = async (spec: SpecInput, o: CompileOptions) => {
    const k = await compile(spec, o);
    const check = checkOnShape(k, SHAPE, SEED);
    expect(check.failures, `seed ${SEED}`).toBe(0);
    expect(check.checked).toBeGreaterThan(0);
    return k;
  };
  /** A published entry of A (one compile) whose local directory can publish it again anywhere. */
  let published: { dir: string; key: string } | undefined;
  const entryOfA = async () => {
    if (!published) {
      const o = options(testUrl());
      const k = await compile(A, o);
      published = { dir: o.cacheDir!, key: k.key };
    }
    return published;
  };

  it('two processes with their own cache directories share one Redis: the second gets origin remote, correct results, no compile; NODE_DEBUG traces it without the secret', async () => {
    const url = testUrl();
    const childEnv = { ...env, DWCONV_JIT_REMOTE_CACHE: url, DWCONV_JIT_REMOTE_KEY: SECRET, NODE_DEBUG: 'dwconv-jit' };
    const run = async (dir: string) => {
      const r = await execa(process.execPath, [child, dir, JSON.stringify(B)], { env: childEnv, extendEnv: false });
      return { ...(JSON.parse(r.stdout) as { origin: string; key: string; failures: number; checked: number }), trace: r.stderr };
    };
    const before = cxx!.count();
    const first = await run(freshDir());
    expect(first).toMatchObject({ origin: 'compiled', failures: 0 });
    expect(cxx!.count()).toBe(before + 1);
    const secondDir = freshDir();
    const second = await run(secondDir);
    expect(second).toMatchObject({ origin: 'remote', key: first.key, failures: 0 });
    expect(second.checked).toBeGreaterThan(0);
    expect(cxx!.count()).toBe(before + 1);

    const lines = (trace: string) => trace.split('\n').filter((l) => l.startsWith('DWCONV-JIT ')).map((l) => l.replace(/^DWCONV-JIT \d+: /, ''));
    const t1 = lines(first.trace);
    for (const want of [/: memory miss$/, /: precompiled miss$/, /: disk miss$/, /^remote \[.*\] miss /, /: remote miss$/, /took the compile lock/, /: compile [0-9a-f]{12} started/, /: compile [0-9a-f]{12} done in \d+ ms/, /^remote \[.*\] published [0-9a-f]{12} \(\d+ bytes\)/]) {
      expect(t1.some((l) => want.test(l)), `${want} in\n${t1.join('\n')}`).toBe(true);
    }
    const t2 = lines(second.trace);
    expect(t2.some((l) => /: remote hit$/.test(l))).toBe(true);
    expect(t2.some((l) => /committed to the disk cache/.test(l))).toBe(true);
    expect(t2.some((l) => /compile .* started/.test(l))).toBe(false);
    for (const trace of [first.trace, second.trace]) expect(trace).not.toContain(SECRET);

    // A broken local entry is traced with its reason, removed, and mended from the remote, still without a compile.
    const artifact = join(secondDir, second.key, 'kernel.so');
    const bytes = readFileSync(artifact);
    bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0xff;
    writeFileSync(artifact, bytes);
    const third = await run(secondDir);
    expect(third).toMatchObject({ origin: 'remote', key: first.key, failures: 0 });
    expect(cxx!.count()).toBe(before + 1);
    expect(lines(third.trace).some((l) => /^disk .* refused [0-9a-f]{12} \(the artifact does not match its sha256\); removed$/.test(l)), third.trace).toBe(true);
  });

  it('tampered entries are refused, counted, reported once and compiled locally: an artifact byte flipped, the tag removed, entries swapped, a meta.json for another spec', async () => {
    const url = testUrl();
    const prefix = prefixOf(url);
    const a = await compile(A, options(url));
    const b = await compile(B, options(url));
    const entryKey = (key: string) => `${prefix}entry:${key}`;
    const good = { a: (await raw!.getBuffer(entryKey(a.key)))!, b: (await raw!.getBuffer(entryKey(b.key)))! };
    const opened = openEnvelope(deriveTagKey(Buffer.from(SECRET)), good.a);
    if (!opened.ok) throw new Error(`the published entry does not open: ${opened.detail}`);

    const flipped = Buffer.from(good.a);
    const at = flipped.length - 32 - 100; // inside the artifact, the last field before the tag
    flipped[at] = flipped[at]! ^ 0x01;
    const otherSpec = Buffer.from(opened.entry.metaBytes.toString('utf8').replace(/"kernelSize": \[\s*3,\s*3\s*\]/, '"kernelSize": [\n      7,\n      7\n    ]'));
    expect(otherSpec.equals(opened.entry.metaBytes)).toBe(false);
    const cases: [string, Buffer, keyof RemoteCounters['refused']][] = [
      ['artifact byte flipped', flipped, 'tag'],
      ['tag removed', good.a.subarray(0, good.a.length - 32), 'tag'],
      ["B's entry under A's key", good.b, 'key'],
      // Sealed under the secret (a buggy publisher): authentic, and still not the spec asked for.
      ['meta.json for another spec', sealEnvelope(deriveTagKey(Buffer.from(SECRET)), a.key, { ...opened.entry, metaBytes: otherSpec }), 'spec'],
    ];
    const counters = countersOf(url);
    for (const [what, blob, reason] of cases) {
      await raw!.set(entryKey(a.key), blob);
      const refusedBefore = counters.refused[reason];
      const compilesBefore = cxx!.count();
      warnings.length = 0;
      const k = await compileChecked(A, options(url));
      expect(k.provenance.origin, what).toBe('compiled');
      expect(k.key).toBe(a.key);
      expect(counters.refused[reason], what).toBe(refusedBefore + 1);
      expect(cxx!.count(), what).toBe(compilesBefore + 1);
      expect(warnings, what).toEqual([expect.stringMatching(new RegExp(`refused entry ${a.key.slice(0, 12)} \\(${reason}: .*compiling locally`))]);
      // The local compile published a sound entry over the bad one.
      expect((await raw!.getBuffer(entryKey(a.key)))!.equals(blob)).toBe(false);
      expect((await compile(A, options(url))).provenance.origin, what).toBe('remote');
    }
    expect(counters.hits).toBe(cases.length);
  });

  it('a reader with another secret refuses every entry (tag) and compiles locally', async () => {
    const url = testUrl();
    const { dir, key } = await entryOfA();
    expect((await remoteCachePublish(dir, { url, env: { ...readEnvironment({}), remoteKey: SECRET } })).published).toBe(1);
    warnings.length = 0;
    const k = await compileChecked(A, { ...options(url), remoteCache: { url, key: 'another secret, long enough to be one' } });
    expect(k).toMatchObject({ key });
    expect(k.provenance.origin).toBe('compiled');
    expect(warnings).toEqual([expect.stringMatching(/refused entry .* \(tag: the tag does not match/)]);
  });

  it('Redis down: compile() works as without a remote, says so once, and does not ask again during the back-off', async () => {
    const url = `redis://:a-password-to-hide@127.0.0.1:${await freePort()}?prefix=down${Date.now().toString(36)}&connectTimeout=300ms`;
    warnings.length = 0;
    const k = await compileChecked(A, options(url));
    expect(k.provenance.origin).toBe('compiled');
    const k2 = await compileChecked(B, options(url));
    expect(k2.provenance.origin).toBe('compiled');
    const c = countersOf(url);
    expect(c.failures).toBe(1); // one failed connect; everything after it skipped
    expect(c.skipped).toBeGreaterThanOrEqual(3);
    expect(warnings).toEqual([expect.stringMatching(/unavailable .*working without it, next try in 30 s/)]);
    expect(warnings.join('\n')).not.toContain('a-password-to-hide');
  });

  it('Redis stopped (SIGSTOP) while in use: one request waits for the timeout, every later one is skipped, the kernel is compiled and correct', async () => {
    const server = await startPrivateRedis();
    try {
      const url = testUrl('timeout=300ms&backoff=60s', server.url);
      const { dir } = await entryOfA();
      expect((await remoteCachePublish(dir, { url, env: { ...readEnvironment({}), remoteKey: SECRET } })).published).toBe(1);
      expect((await compile(A, options(url))).provenance.origin).toBe('remote'); // connected and in use
      // The hit's renewal is sent after the hit returns: it is answered before the server stops.
      const stats = rawClient(server.url);
      while (Number(await stats.hget(`${prefixOf(url)}stats`, 'hits')) < 1) await new Promise((r) => setTimeout(r, 10));
      stats.disconnect();
      server.process.kill('SIGSTOP');
      warnings.length = 0;
      const c = countersOf(url);
      const [failures, skipped] = [c.failures, c.skipped];
      const k = await compileChecked(A, options(url));
      expect(k.provenance.origin).toBe('compiled');
      expect(c.failures).toBe(failures + 1); // the lookup's timeout, the only wait
      expect(c.skipped).toBeGreaterThanOrEqual(skipped + 2); // the lock and the publish were not sent
      expect(warnings).toEqual([expect.stringMatching(/unavailable \(GETRANGE got no reply within 300 ms\)/)]);
    } finally {
      server.stop();
    }
  });

  it('an entry over the reader\'s size limit is refused and compiled locally; the reader does not publish its own either', async () => {
    const url = testUrl();
    const { dir } = await entryOfA();
    expect((await remoteCachePublish(dir, { url, env: { ...readEnvironment({}), remoteKey: SECRET } })).published).toBe(1);
    const small = `${url}&maxEntry=8K`;
    warnings.length = 0;
    const k = await compileChecked(A, options(small));
    expect(k.provenance.origin).toBe('compiled');
    const c = countersOf(small);
    expect(c.refused.size).toBe(1);
    expect(c.notPublished).toBe(1);
    expect(warnings).toEqual([expect.stringMatching(/refused entry .* \(size: over the limit of 8192 bytes\)/), expect.stringMatching(/not publishing .* over the limit of 8192/)]);
  });

  it('without a secret the remote is off: one warning, however many compiles, and nothing is written to Redis', async () => {
    const url = testUrl();
    const { dir } = await entryOfA();
    const noSecret = { ...env, DWCONV_JIT_REMOTE_CACHE: url };
    warnings.length = 0;
    // A local hit does not even look at the remote's configuration.
    expect((await compile(A, { target: 'cpu', cacheDir: dir, precompiled: [], env: noSecret })).provenance.origin).toBe('disk');
    expect(warnings).toEqual([]);
    for (let i = 0; i < 2; i++) expect((await compileChecked(A, { target: 'cpu', cacheDir: freshDir(), precompiled: [], env: noSecret })).provenance.origin).toBe('compiled');
    expect(warnings).toEqual([expect.stringMatching(/off: no shared secret .*never loaded/)]);
    expect(await raw!.keys(`${prefixOf(url)}*`)).toEqual([]);
  });

  it('remoteCache: false turns a configured remote off for the call', async () => {
    const url = testUrl();
    const k = await compile(A, { target: 'cpu', cacheDir: freshDir(), precompiled: [], env: { ...env, DWCONV_JIT_REMOTE_CACHE: url, DWCONV_JIT_REMOTE_KEY: SECRET }, remoteCache: false });
    expect(k.provenance.origin).toBe('compiled');
    expect(Object.keys(remoteCounters()).some((d) => d.endsWith(`prefix=${prefixOf(url)}`))).toBe(false);
    expect(await raw!.keys(`${prefixOf(url)}*`)).toEqual([]); // nothing asked, nothing published
  });
});

