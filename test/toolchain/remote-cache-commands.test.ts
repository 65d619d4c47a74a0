import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { readEnvironment } from '../../src/env.js';
import { SpecError } from '../../src/errors.js';
import { remoteCacheList, remoteCachePrune, remoteCachePublish, remoteCacheStats, remoteCacheVerify } from '../../src/tools/remote-cache.js';
import { noRedisReason, rawClient, testRedisUrl, testUrl } from '../helpers/remote.js';
import { hasCxx } from '../helpers/requirements.js';
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

const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

describe.skipIf(!testRedisUrl)(`dwconv-jit cache remote ... --json${testRedisUrl ? '' : ` (skipped: ${noRedisReason})`}`, () => {
  const url = testRedisUrl ? testUrl() : '';
  const run = (args: string[], env: Record<string, string | undefined> = {}) =>
    execa(process.execPath, [cli, ...args], { reject: false, env: { DWCONV_JIT_REMOTE_CACHE: url, DWCONV_JIT_REMOTE_KEY: SECRET, NODE_DEBUG: '', ...env } });
  const json = <T>(stdout: string) => JSON.parse(stdout) as T;
  const [a, b] = [makeEntry(3), makeEntry(5, 8192)];
  const raw = testRedisUrl ? rawClient() : undefined;
  afterAll(() => raw?.disconnect());

  it('publish, stats, ls and verify print JSON and exit 0', async () => {
    const published = await run(['cache', 'remote', 'publish', '--cache-dir', localCache([a, b]), '--json']);
    expect(published.exitCode, published.stderr).toBe(0);
    expect(json(published.stdout)).toMatchObject({ published: 2, skipped: [] });
    const stats = await run(['cache', 'remote', 'stats', '--json'], { DWCONV_JIT_REMOTE_KEY: undefined });
    expect(stats.exitCode, stats.stderr).toBe(0);
    expect(json(stats.stdout)).toMatchObject({ entries: 2, locks: 0, fleet: { published: 2 }, remote: expect.stringContaining('prefix=') });
    const ls = await run(['cache', 'remote', 'ls', '--json']);
    expect(ls.exitCode, ls.stderr).toBe(0);
    expect(json<{ key: string; refused: unknown }[]>(ls.stdout).map((r) => [r.key, r.refused]).sort()).toEqual([[a.key, null], [b.key, null]].sort());
    const verify = await run(['cache', 'remote', 'verify', '--json']);
    expect(verify.exitCode, verify.stderr).toBe(0);
    expect(json(verify.stdout)).toMatchObject({ checked: 2, ok: 2, refused: [] });
    const text = await run(['cache', 'remote', 'ls']);
    expect(text.stdout).toMatch(new RegExp(`^${a.key.slice(0, 12)} .* ok$`, 'm'));
  });

  it('verify exits 1 on a tampered entry; prune --refused --dry-run names it, prune --refused removes it', async () => {
    const k = `${new URL(url).searchParams.get('prefix')}:entry:${a.key}`;
    const blob = (await raw!.getBuffer(k))!;
    blob[100] = blob[100]! ^ 1;
    await raw!.set(k, blob);
    const verify = await run(['cache', 'remote', 'verify', '--json']);
    expect(verify.exitCode).toBe(1);
    expect(json(verify.stdout)).toMatchObject({ checked: 2, ok: 1, refused: [{ key: a.key, reason: 'tag' }] });
    const dry = await run(['cache', 'remote', 'prune', '--refused', '--dry-run', '--json']);
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(json(dry.stdout)).toMatchObject({ dryRun: true, removed: [{ key: a.key }] });
    expect(await raw!.exists(k)).toBe(1);
    const pruned = await run(['cache', 'remote', 'prune', '--refused', '--json']);
    expect(json(pruned.stdout)).toMatchObject({ dryRun: false, removed: [{ key: a.key, why: expect.stringMatching(/^refused \(tag/) }] });
    expect(await raw!.exists(k)).toBe(0);
    const old = await run(['cache', 'remote', 'prune', '--older-than', '0s', '--json']);
    expect(json(old.stdout)).toMatchObject({ removed: [{ key: b.key }] });
  });

  it('errors are JSON with a stable code: no remote configured (exit 2), no secret (exit 2), nothing to prune by (exit 2), an unreachable server (exit 1)', async () => {
    const errorOf = (stdout: string) => json<{ error: { name: string; code: string; field?: string } }>(stdout).error;
    const none = await run(['cache', 'remote', 'stats', '--json'], { DWCONV_JIT_REMOTE_CACHE: undefined });
    expect(none.exitCode).toBe(2);
    expect(errorOf(none.stdout)).toMatchObject({ code: 'ERR_DWCONV_SPEC', field: 'DWCONV_JIT_REMOTE_CACHE' });
    const noKey = await run(['cache', 'remote', 'ls', '--json'], { DWCONV_JIT_REMOTE_KEY: undefined });
    expect(noKey.exitCode).toBe(2);
    expect(errorOf(noKey.stdout)).toMatchObject({ code: 'ERR_DWCONV_SPEC', field: 'DWCONV_JIT_REMOTE_KEY' });
    const nothing = await run(['cache', 'remote', 'prune', '--json']);
    expect(nothing.exitCode).toBe(2);
    const down = await run(['cache', 'remote', 'verify', '--url', 'redis://:hidden-password@127.0.0.1:1?connectTimeout=200ms', '--json']);
    expect(down.exitCode).toBe(1);
    expect(errorOf(down.stdout)).toMatchObject({ name: 'CacheError', code: 'ERR_DWCONV_CACHE' });
    for (const r of [none, noKey, nothing, down]) expect(r.stdout + r.stderr).not.toContain(SECRET);
    expect(down.stdout + down.stderr).not.toContain('hidden-password');
  });

  it.skipIf(!hasCxx)('precompile --publish builds, then publishes what it built; without a remote it refuses before building', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dwconv-precompile-publish-'));
    const manifest = join(dir, 'manifest.json');
    writeFileSync(manifest, JSON.stringify({ targets: ['cpu'], specs: [{ kernelSize: 3, bias: true }] }));
    const out = join(dir, 'out');
    const refused = await run(['precompile', manifest, '--out', out, '--publish', '--json'], { DWCONV_JIT_REMOTE_CACHE: undefined });
    expect(refused.exitCode).toBe(2);
    expect(existsSync(out)).toBe(false);
    const r = await run(['precompile', manifest, '--out', out, '--publish', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const summary = json<{ built: number; results: { key: string }[]; published: { published: number; skipped: unknown[] } }>(r.stdout);
    expect(summary).toMatchObject({ built: 1, published: { published: 1, skipped: [] } });
    const ls = json<{ key: string; target: string; refused: unknown }[]>((await run(['cache', 'remote', 'ls', '--json'])).stdout);
    expect(ls).toEqual([expect.objectContaining({ key: summary.results[0]!.key, target: 'cpu', refused: null })]);
  });
});
