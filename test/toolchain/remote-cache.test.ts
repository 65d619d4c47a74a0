import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cacheKey } from '../../src/cache/key.js';
import { parseRemoteUrl, type RemoteConfig } from '../../src/cache/remote/config.js';
import { sealEnvelope } from '../../src/cache/remote/envelope.js';
import { RemoteStore, type RemoteRefusal } from '../../src/cache/remote/store.js';
import { remoteTierFromEnvironment } from '../../src/cache/remote/tier.js';
import { freePort, noRedisReason, rawClient, startPrivateRedis, testConfig, testRedisUrl } from '../helpers/remote.js';
import { makeEntry, SECRET, type TestEntry } from '../helpers/remote-entry.js';

const expectations = { cacheFormat: 1, keyOf: (p: unknown) => cacheKey(p as Parameters<typeof cacheKey>[0]) };

function storeOf(config: RemoteConfig) {
  const logs: string[] = [];
  const refusals: RemoteRefusal[] = [];
  const store = new RemoteStore(config, { log: (m) => logs.push(m), onRefusal: (r) => refusals.push(r), expect: expectations });
  return { store, logs, refusals };
}

const same = (a: { metaBytes: Buffer; source: Buffer; artifact: Buffer }, b: TestEntry) =>
  a.metaBytes.equals(b.metaBytes) && a.source.equals(b.source) && a.artifact.equals(b.artifact);

describe.skipIf(!testRedisUrl)(`remote cache on Redis${testRedisUrl ? '' : ` (skipped: ${noRedisReason})`}`, () => {
  const raw = testRedisUrl ? rawClient() : undefined;
  const opened: RemoteStore[] = [];
  const open = (config: RemoteConfig) => {
    const s = storeOf(config);
    opened.push(s.store);
    return s;
  };
  afterAll(() => {
    for (const s of opened) s.close();
    raw?.disconnect();
  });

  it('round trip: one process publishes, another (its own connection) gets the same bytes, verified', async () => {
    const config = testConfig();
    const a = open(config);
    const b = open(config);
    const e = makeEntry(3, 50_000);
    expect(await b.store.get(e.key, e.spec)).toBeUndefined();
    expect(b.store.counters.misses).toBe(1);
    expect(await a.store.put(e.key, e)).toBe(true);
    const hit = await b.store.get(e.key, e.spec);
    expect(hit && same(hit, e)).toBe(true);
    expect(hit?.meta.key).toBe(e.key);
    expect(b.store.counters).toMatchObject({ hits: 1, misses: 1, failures: 0 });
    expect(b.logs).toEqual([]);
  });

  it('entries expire: the TTL is set on publish and renewed on a hit', async () => {
    const config = testConfig('ttl=60s');
    const { store } = open(config);
    const e = makeEntry(3);
    await store.put(e.key, e);
    const ttl = await raw!.pttl(store.entryKey(e.key));
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    await raw!.pexpire(store.entryKey(e.key), 5_000);
    expect(await store.get(e.key)).toBeDefined();
    await new Promise((r) => setTimeout(r, 100)); // the renewal is sent after the hit returns
    expect(await raw!.pttl(store.entryKey(e.key))).toBeGreaterThan(50_000);
  });

  it('tampered entries are refused, counted and reported: artifact byte flipped, tag removed, key swapped, another spec', async () => {
    const config = testConfig();
    const writer = open(config);
    const { store, refusals, logs } = open(config);
    const a = makeEntry(3, 20_000);
    const b = makeEntry(5, 20_000);
    await writer.store.put(a.key, a);
    await writer.store.put(b.key, b);
    const [blobA, blobB] = [(await raw!.getBuffer(writer.store.entryKey(a.key)))!, (await raw!.getBuffer(writer.store.entryKey(b.key)))!];

    const flipped = Buffer.from(blobA);
    flipped[flipped.length - 1032] = flipped[flipped.length - 1032]! ^ 0x80; // inside the artifact
    await raw!.set(store.entryKey(a.key), flipped);
    expect(await store.get(a.key, a.spec)).toBeUndefined();

    await raw!.set(store.entryKey(a.key), blobA.subarray(0, blobA.length - 32));
    expect(await store.get(a.key, a.spec)).toBeUndefined();

    await raw!.set(store.entryKey(a.key), blobB); // b's authentic entry under a's key
    expect(await store.get(a.key, a.spec)).toBeUndefined();

    // A writer without the secret replacing meta.json with another spec's breaks the tag; one with the
    // secret (a buggy publisher) still cannot make a reader take it for the spec it asked for.
    const otherSpecMeta = Buffer.from(a.metaBytes.toString().replace('"kernelSize": [\n      3,\n      3\n    ]', '"kernelSize": [\n      7,\n      7\n    ]'));
    expect(otherSpecMeta.equals(a.metaBytes)).toBe(false);
    await raw!.set(store.entryKey(a.key), sealEnvelope(config.tagKey, a.key, { ...a, metaBytes: otherSpecMeta }));
    expect(await store.get(a.key, a.spec)).toBeUndefined();

    expect(refusals.map((r) => r.reason)).toEqual(['tag', 'tag', 'key', 'spec']);
    expect(store.counters.refused).toMatchObject({ tag: 2, key: 1, spec: 1 });
    expect(store.counters.hits).toBe(0);
    expect(logs).toHaveLength(4);
    for (const line of logs) expect(line).toMatch(/refused entry [0-9a-f]{12} .*compiling locally/);
    const fleet = await store.fleet();
    expect(fleet.counters).toMatchObject({ 'refused:tag': 2, 'refused:key': 1, 'refused:spec': 1 });

    // A publish mends it: the entry is whole again.
    await writer.store.put(a.key, a);
    const mended = await store.get(a.key, a.spec);
    expect(mended && same(mended, a)).toBe(true);
    expect(blobB.length).toBeGreaterThan(0);
  });

  it('a reader with another secret refuses every entry (tag)', async () => {
    const config = testConfig();
    const writer = open(config);
    const e = makeEntry(3);
    await writer.store.put(e.key, e);
    const other = open({ ...testConfig('', 'a different secret, also long enough'), prefix: config.prefix });
    expect(await other.store.get(e.key)).toBeUndefined();
    expect(other.refusals.map((r) => r.reason)).toEqual(['tag']);
  });

  it('no secret: the tier is off, says so once, and never connects', async () => {
    const logs: string[] = [];
    const env = { remoteCache: `${testRedisUrl}?prefix=nosecret-test`, remoteKey: undefined, remoteKeyFile: undefined };
    const tier = remoteTierFromEnvironment(env, { log: (m) => logs.push(m), connect: () => Promise.reject(new Error('must not connect')) });
    const again = remoteTierFromEnvironment(env, { log: (m) => logs.push(m) });
    expect(tier.enabled).toBe(false);
    expect(again.enabled).toBe(false);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/off: no shared secret .*never loaded/);
    const e = makeEntry(3);
    expect(await tier.get(e.key)).toBeUndefined();
    expect(await tier.put(e.key, e)).toBe(false);
    expect(await tier.withLock(e.key, async () => 42)).toEqual({ produced: 42 });
    expect(await raw!.keys('nosecret-test:*')).toEqual([]);
  });

  it('Redis down (connection refused): falls back within the connect timeout, logs once, then skips requests for the back-off', async () => {
    const port = await freePort(); // nothing listens there
    const config = { ...parseRemoteUrl(`redis://:a-password-to-hide@127.0.0.1:${port}?connectTimeout=300ms&timeout=300ms&backoff=60s`), tagKey: testConfig().tagKey };
    const { store, logs } = open(config);
    const e = makeEntry(3);
    await import('ioredis'); // loaded (the tier preloads it): what is timed is the connect
    const t0 = performance.now();
    expect(await store.get(e.key)).toBeUndefined();
    expect(performance.now() - t0).toBeLessThan(300 + 100);
    const t1 = performance.now();
    for (let i = 0; i < 10; i++) expect(await store.get(e.key)).toBeUndefined();
    expect(await store.put(e.key, e)).toBe(false);
    expect(await store.withLock(e.key, async () => 'compiled here')).toEqual({ produced: 'compiled here' });
    expect(performance.now() - t1).toBeLessThan(50);
    expect(store.counters.failures).toBe(1);
    expect(store.counters.skipped).toBeGreaterThanOrEqual(12);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/unavailable .*working without it/);
    expect(logs.join('\n')).not.toContain('a-password-to-hide');
    expect(logs.join('\n')).not.toContain(SECRET);
  });

  it('Redis stalled (SIGSTOP) mid-use: a request costs at most the timeout; after SIGCONT and the back-off it is used again', async () => {
    const server = await startPrivateRedis();
    try {
      const config = testConfig('timeout=250ms&backoff=500ms', SECRET, server.url);
      const { store, logs } = open(config);
      const e = makeEntry(3, 100_000);
      expect(await store.put(e.key, e)).toBe(true);
      expect(await store.get(e.key)).toBeDefined();
      await store.fleet(); // on the same connection: the hit's renewal, sent after it returned, is answered
      server.process.kill('SIGSTOP');
      const t0 = performance.now();
      expect(await store.get(e.key)).toBeUndefined();
      const stalled = performance.now() - t0;
      expect(stalled).toBeGreaterThanOrEqual(240);
      expect(stalled).toBeLessThan(250 + 150);
      const t1 = performance.now();
      expect(await store.put(e.key, e)).toBe(false); // off: not even tried
      expect(performance.now() - t1).toBeLessThan(20);
      expect(logs).toEqual([expect.stringMatching(/unavailable \(GETRANGE got no reply within 250 ms\); working without it/)]);
      server.process.kill('SIGCONT');
      await new Promise((r) => setTimeout(r, 600));
      const back = await store.get(e.key);
      expect(back && same(back, e)).toBe(true);
      expect(logs[1]).toMatch(/reachable again/);
      console.log(`stalled Redis: get returned after ${stalled.toFixed(0)} ms (timeout 250 ms)`);
    } finally {
      server.stop();
    }
  });

  it('entries over the size limit are neither published nor downloaded', async () => {
    const big = testConfig('maxEntry=1M');
    const small = { ...big, maxEntryBytes: 64 * 1024 };
    const writer = open(big);
    const reader = open(small);
    const e = makeEntry(3, 200_000);
    expect(await reader.store.put(e.key, e)).toBe(false);
    expect(reader.store.counters.notPublished).toBe(1);
    expect(await raw!.exists(reader.store.entryKey(e.key))).toBe(0);
    expect(reader.logs[0]).toMatch(/not publishing .* over the limit of 65536/);
    expect(await writer.store.put(e.key, e)).toBe(true);
    expect(await reader.store.get(e.key)).toBeUndefined();
    expect(reader.refusals).toEqual([expect.objectContaining({ reason: 'size' })]);
    expect(reader.refusals[0]!.detail).toBe('over the limit of 65536 bytes');
  });

  it('an entry that would fail a reader\'s checks is not published', async () => {
    const { store, logs } = open(testConfig());
    const e = makeEntry(3);
    expect(await store.put(e.key, { ...e, artifact: Buffer.from('not the artifact meta.json describes') })).toBe(false);
    expect(logs[0]).toMatch(/would be refused \(hash/);
    expect(await raw!.exists(store.entryKey(e.key))).toBe(0);
  });

  it('a dead lock holder (SIGKILL) frees the lock after its expiry', async () => {
    const config = testConfig('lockTtl=1500ms');
    const url = `${testRedisUrl}?prefix=${config.prefix}&lockTtl=1500ms&connectTimeout=10s&timeout=10s`;
    const e = makeEntry(3);
    const entryFile = join(mkdtempSync(join(tmpdir(), 'dwconv-hold-')), 'entry.json');
    writeFileSync(entryFile, JSON.stringify({ key: e.key, metaBytes: '', source: '', artifact: '' }));
    const child = spawn(process.execPath, [fileURLToPath(new URL('../fixtures/remote-lock-child.mjs', import.meta.url)), 'hold', url, entryFile, '/dev/null', '/dev/null'], {
      env: { ...process.env, DWCONV_JIT_REMOTE_KEY: SECRET },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
      child.on('exit', (code) => reject(new Error(`the holder exited (${code}) before taking the lock`)));
    });
    child.kill('SIGKILL');
    const killedAt = performance.now();
    const { store } = open(config);
    expect(await raw!.exists(store.lockKey(e.key))).toBe(1);
    const r = await store.withLock(e.key, async () => performance.now() - killedAt);
    expect('produced' in r).toBe(true);
    const waited = 'produced' in r ? r.produced : 0;
    expect(waited).toBeLessThan(1500 + 1000);
    expect(store.counters.locksTaken).toBe(1);
    expect(await raw!.exists(store.lockKey(e.key))).toBe(0); // released by its new holder
    console.log(`dead holder: the lock was taken ${waited.toFixed(0)} ms after the kill (lock TTL 1500 ms)`);
  });

  it('the lock is released by compare-and-delete: a holder whose lock expired never frees another\'s', async () => {
    const config = testConfig('lockTtl=300ms');
    const a = open(config);
    const e = makeEntry(3);
    const lock = a.store.lockKey(e.key);
    const r = await a.store.withLock(e.key, async () => {
      await raw!.set(lock, 'someone-else', 'PX', 10_000); // ours expired and another process took it
      return 'done';
    });
    expect(r).toEqual({ produced: 'done' });
    expect(await raw!.get(lock)).toBe('someone-else');
    await raw!.del(lock);
  });

  it('a lock waiter takes the entry its holder publishes', async () => {
    const config = testConfig();
    const holder = open(config);
    const waiter = open(config);
    const e = makeEntry(3);
    let release!: () => void;
    const held = holder.store.withLock(e.key, () => new Promise<string>((resolve) => {
      release = () => resolve('holder compiled');
    }));
    await new Promise((r) => setTimeout(r, 50));
    const waiting = waiter.store.withLock(e.key, async () => 'waiter compiled');
    await new Promise((r) => setTimeout(r, 300));
    await holder.store.put(e.key, e);
    release();
    expect(await held).toEqual({ produced: 'holder compiled' });
    const w = await waiting;
    expect('found' in w && same(w.found, e)).toBe(true);
    expect(waiter.store.counters).toMatchObject({ locksFound: 1, locksTaken: 0, misses: 0 });
  });
});
