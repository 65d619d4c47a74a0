import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DiskCache } from './disk-cache.js';
import { lockHeld } from './key-lock.js';

// Loaded without the cache's code: option checks parse sizes and durations at every call.
export { parseDuration, parseSize } from './sizes.js';

export interface PruneOptions {
  /** Remove least recently used entries until the cache holds at most this many bytes. */
  readonly maxBytes?: number;
  /** Remove entries not used (or, never used, not created) within this many milliseconds. */
  readonly olderThanMs?: number;
  /** Never remove this key (the entry just built). */
  readonly keep?: string;
  /** Leftovers of interrupted writes younger than this are left alone: they may be a live compile. Default 1 h. */
  readonly leftoverAgeMs?: number;
  /**
   * Entries committed less than this long ago are never removed for size or age: another process
   * may be about to load what it just built. Default 0 (an explicit `cache prune`); the automatic
   * prune after a compile (DWCONV_JIT_CACHE_MAX_SIZE) passes RECENT_MS.
   */
  readonly recentMs?: number;
}

export const RECENT_MS = 10 * 60_000;

export interface PruneResult {
  readonly removed: readonly { readonly key: string; readonly reason: string; readonly bytes: number }[];
  readonly leftoversRemoved: number;
  readonly bytesBefore: number;
  readonly bytesAfter: number;
}

/** Bytes of every file in an entry folder (source, artifact, meta.json, uses.log). */
export async function entryBytes(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir).catch(() => [] as string[])) total += await stat(join(dir, name)).then((s) => s.size, () => 0);
  return total;
}

/** Removes broken entries, old leftovers of interrupted writes, then what the age and size limits ask, least recently used first. */
export async function pruneCache(root: string, o: PruneOptions): Promise<PruneResult> {
  const cache = await DiskCache.open(root);
  const now = Date.now();
  const removed: { key: string; reason: string; bytes: number }[] = [];
  const live: { key: string; bytes: number; lastUsed: number }[] = [];
  const recent = o.recentMs ?? 0;
  const protectedKeys = new Set<string>(o.keep === undefined ? [] : [o.keep]);
  for (const key of await cache.keys()) {
    const bytes = await entryBytes(cache.entryDir(key));
    // A live compile holds it (it may be replacing a broken one right now): not ours to touch.
    if (await lockHeld(root, key)) protectedKeys.add(key);
    const { entry, problem } = await cache.inspect(key);
    if (!entry) {
      if (problem === 'missing' || protectedKeys.has(key)) continue;
      await cache.remove(key);
      removed.push({ key, reason: `broken: ${problem}`, bytes });
      continue;
    }
    if (now - (Date.parse(entry.meta.createdAt) || 0) < recent) protectedKeys.add(key);
    const { lastUsed } = await cache.usage(key, entry.meta.createdAt);
    live.push({ key, bytes, lastUsed: Date.parse(lastUsed) || 0 });
  }
  const bytesBefore = [...live, ...removed].reduce((a, e) => a + e.bytes, 0);
  let leftoversRemoved = 0;
  for (const path of await cache.leftovers()) {
    const age = now - (await stat(path).then((s) => s.mtimeMs, () => now));
    if (age >= (o.leftoverAgeMs ?? 3_600_000)) {
      await rm(path, { recursive: true, force: true });
      leftoversRemoved++;
    }
  }
  live.sort((a, b) => a.lastUsed - b.lastUsed);
  const drop = async (e: (typeof live)[number], reason: string) => {
    await cache.remove(e.key);
    removed.push({ key: e.key, reason, bytes: e.bytes });
  };
  let kept = live;
  if (o.olderThanMs !== undefined) {
    const cutoff = now - o.olderThanMs;
    for (const e of live) if (e.lastUsed < cutoff && !protectedKeys.has(e.key)) await drop(e, `last used ${new Date(e.lastUsed).toISOString()}`);
    kept = live.filter((e) => !removed.some((r) => r.key === e.key));
  }
  if (o.maxBytes !== undefined) {
    let total = kept.reduce((a, e) => a + e.bytes, 0);
    for (const e of [...kept]) {
      if (total <= o.maxBytes) break;
      if (protectedKeys.has(e.key)) continue;
      await drop(e, `over the size limit of ${o.maxBytes} bytes (least recently used)`);
      total -= e.bytes;
      kept = kept.filter((k) => k !== e);
    }
  }
  return { removed, leftoversRemoved, bytesBefore, bytesAfter: kept.reduce((a, e) => a + e.bytes, 0) };
}

