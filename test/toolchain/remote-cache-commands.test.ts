import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readEnvironment } from '../../src/env.js';
import { SpecError } from '../../src/errors.js';
import { remoteCacheList, remoteCachePrune, remoteCachePublish, remoteCacheStats, remoteCacheVerify } from '../../src/tools/remote-cache.js';
import { noRedisReason, rawClient, testRedisUrl } from '../helpers/remote.js';
import { makeEntry, SECRET, type TestEntry } from '../helpers/remote-entry.js';

/** A local cache directory holding these entries, laid out as the disk cache writes them. */
function localCache(entries: readonly TestEntry[]): string {
  const root = mkdtempSync(join(tmpdir(), 'dwconv-publish-'));
  for (const e of entries) {
    const dir = join(root, e.key);
    mkdirSync(dir);
    writeFileSync(join(dir, 'meta.json'), e.metaBytes);
    writeFileSync(join(dir, 'kernel.cpp'), e.source);
    writeFileSync(join(dir, 'kernel.so'), e.artifact);
  }
  return root;
}

describe.skipIf(!testRedisUrl)(`cache remote commands${testRedisUrl ? '' : ` (skipped: ${noRedisReason})`}`, () => {
  const prefix = `cmd${Date.now().toString(36)}`;
  const url = `${testRedisUrl}?prefix=${prefix}`;
  const env = { ...readEnvironment({}), remoteCache: url, remoteKey: SECRET };
  const raw = testRedisUrl ? rawClient() : undefined;
  afterAll(() => raw?.disconnect());
  const [a, b, c] = [makeEntry(3), makeEntry(5, 8192), makeEntry(7)];

  it('publish: a local cache directory goes to the remote; a broken local entry is skipped', async () => {
    const root = localCache([a, b, { ...c, artifact: Buffer.from('truncated') }]);
    const r = await remoteCachePublish(root, { env });
    expect(r.published).toBe(2);
    expect(r.skipped).toEqual([{ key: c.key, why: expect.stringContaining('fails its checks') }]);
  });

  it('stats (no secret needed), ls, verify', async () => {
    const s = await remoteCacheStats({ env: { ...env, remoteKey: undefined } });
    expect(s).toMatchObject({ entries: 2, locks: 0, fleet: { published: 2 } });
    expect(s.bytes).toBeGreaterThan(a.artifact.length + b.artifact.length);
    expect(s.server.redis_version).toMatch(/^\d+\./);
    const rows = await remoteCacheList({ env });
    expect(rows.map((r) => r.key).sort()).toEqual([a.key, b.key].sort());
    for (const r of rows) expect(r).toMatchObject({ target: 'cpu', refused: null });
    expect(rows.find((r) => r.key === b.key)!.spec).toMatch(/5x5/);
    expect(rows.every((r) => r.ttlMs > 0)).toBe(true);
    expect(await remoteCacheVerify({ env })).toMatchObject({ checked: 2, ok: 2, refused: [] });
  });

  it('verify and ls report a tampered entry; prune removes it only when asked (--refused), and only it', async () => {
    const k = `${prefix}:entry:${a.key}`;
    const blob = (await raw!.getBuffer(k))!;
    blob[blob.length - 100] = blob[blob.length - 100]! ^ 1;
    await raw!.set(k, blob);
    const v = await remoteCacheVerify({ env });
    expect(v).toMatchObject({ checked: 2, ok: 1, refused: [{ key: a.key, reason: 'tag' }] });
    const rows = await remoteCacheList({ env });
    expect(rows.find((r) => r.key === a.key)).toMatchObject({ spec: '?', refused: { reason: 'tag' } });
    const dry = await remoteCachePrune({ env, refused: true, dryRun: true });
    expect(dry.removed.map((r) => r.key)).toEqual([a.key]);
    expect(await raw!.exists(k)).toBe(1);
    const old = await remoteCachePrune({ env, olderThanMs: 3_600_000 }); // without --refused a bad entry stays
    expect(old.removed).toEqual([]);
    const pruned = await remoteCachePrune({ env, refused: true });
    expect(pruned.removed).toEqual([{ key: a.key, why: expect.stringMatching(/^refused \(tag/) }]);
    expect(await raw!.exists(k)).toBe(0);
    expect(await remoteCacheVerify({ env })).toMatchObject({ checked: 1, ok: 1 });
  });

  it('prune --older-than removes entries by their creation time', async () => {
    expect((await remoteCachePrune({ env, olderThanMs: 3_600_000 })).removed).toEqual([]);
    const r = await remoteCachePrune({ env, olderThanMs: 0 });
    expect(r.removed.map((x) => x.key)).toEqual([b.key]);
    expect((await remoteCacheStats({ env })).entries).toBe(0);
  });

  it('errors are typed: no URL, no secret, nothing to prune by, an unreachable server', async () => {
    await expect(remoteCacheStats({ env: { ...env, remoteCache: undefined } })).rejects.toThrow(SpecError);
    await expect(remoteCacheList({ env: { ...env, remoteKey: undefined } })).rejects.toThrow(/DWCONV_JIT_REMOTE_KEY/);
    await expect(remoteCachePrune({ env })).rejects.toThrow(SpecError);
    await expect(remoteCacheStats({ env, url: 'redis://127.0.0.1:1?connectTimeout=200ms' })).rejects.toThrow(/remote cache: SCAN failed/);
  });
});
