import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readEnvironment } from '../env.js';
import { SpecError } from '../errors.js';
import { defaultCacheDir } from '../artifact.js';
import { DiskCache, type EntryMeta } from '../cache/disk-cache.js';
import { entryBytes } from '../cache/prune.js';
import { describeSpec, normalizeSpec } from '../spec.js';
import { median } from './stats.js';

/** One row of `cache ls`. */
export interface EntryRow {
  readonly key: string;
  readonly spec: string;
  readonly target: string;
  readonly compiler: string;
  readonly arch: string;
  readonly variant: string;
  readonly bytes: number;
  readonly createdAt: string;
  /** Kept by the cache itself (a log of uses per entry), not by file access times. */
  readonly lastUsed: string;
  readonly hits: number;
  readonly compileMs: number;
  /** null when the entry is whole and its artifact matches its hash. */
  readonly problem: string | null;
}

export function cacheRoot(cacheDir?: string): string {
  return cacheDir ?? defaultCacheDir(readEnvironment());
}

function describeMetaSpec(meta: EntryMeta): string {
  try {
    return describeSpec(normalizeSpec(meta.spec));
  } catch {
    return '(unreadable spec)';
  }
}

/** Every entry with its metadata and whether it is sound (no entry is changed). */
export async function listEntries(root: string): Promise<EntryRow[]> {
  const cache = await DiskCache.open(root);
  const rows: EntryRow[] = [];
  for (const key of await cache.keys()) {
    const { entry, problem } = await cache.inspect(key);
    let meta = entry?.meta;
    if (!meta) meta = await readFile(join(root, key, 'meta.json'), 'utf8').then((t) => JSON.parse(t) as EntryMeta, () => undefined);
    const usage = await cache.usage(key, meta?.createdAt ?? '?');
    rows.push({
      key,
      spec: meta ? describeMetaSpec(meta) : '?',
      target: meta?.parts?.target ?? '?',
      compiler: meta?.parts?.compiler ? `${meta.parts.compiler.kind} ${meta.parts.compiler.version.replace(/^.*release /, '').slice(0, 40)}` : '?',
      arch: meta?.parts?.arch ?? '?',
      variant: meta?.variant ? Object.entries(meta.variant).map(([k, v]) => `${k}=${v}`).join(',') : '',
      bytes: await entryBytes(join(root, key)),
      createdAt: meta?.createdAt ?? '?',
      lastUsed: usage.lastUsed,
      hits: usage.hits,
      compileMs: meta?.compileMilliseconds ?? 0,
      problem: problem ?? null,
    });
  }
  return rows;
}

/** The entries whose key starts with `prefix`: exactly one, or a SpecError saying how many matched. */
export async function findEntry(root: string, prefix: string): Promise<{ key: string; meta: EntryMeta; dir: string; problem: string | null }> {
  if (!/^[0-9a-f]{1,64}$/.test(prefix)) throw new SpecError('key', prefix, 'a hex prefix of a cache key');
  const cache = await DiskCache.open(root);
  const keys = (await cache.keys()).filter((k) => k.startsWith(prefix));
  if (keys.length !== 1) throw new SpecError('key', prefix, keys.length === 0 ? 'a prefix of an existing key (none matches)' : `a longer prefix (${keys.length} keys match)`);
  const key = keys[0]!;
  const { problem } = await cache.inspect(key);
  const dir = join(root, key);
  const meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')) as EntryMeta;
  return { key, meta, dir, problem: problem ?? null };
}

export interface CacheStats {
  readonly root: string;
  readonly entries: number;
  readonly broken: number;
  readonly bytes: number;
  readonly byTarget: Readonly<Record<string, number>>;
  readonly compileMs: { readonly min: number; readonly median: number; readonly max: number } | null;
  /** Loads served from an entry after the compile that made it; each entry was one miss (one compile). */
  readonly hits: number;
  readonly misses: number;
  readonly leftovers: number;
}

export async function cacheStats(root: string): Promise<CacheStats> {
  const rows = await listEntries(root);
  const times = rows.filter((r) => r.compileMs > 0).map((r) => r.compileMs);
  const byTarget: Record<string, number> = {};
  for (const r of rows) byTarget[r.target] = (byTarget[r.target] ?? 0) + 1;
  const cache = await DiskCache.open(root);
  return {
    root,
    entries: rows.length,
    broken: rows.filter((r) => r.problem).length,
    bytes: rows.reduce((a, r) => a + r.bytes, 0),
    byTarget,
    compileMs: times.length ? { min: Math.min(...times), median: median(times), max: Math.max(...times) } : null,
    hits: rows.reduce((a, r) => a + r.hits, 0),
    misses: rows.length,
    leftovers: (await cache.leftovers()).length,
  };
}

/** Checks every entry; with `fix`, moves the broken ones to .quarantine/ and removes the leftovers of interrupted writes. */
export async function verifyCache(root: string, fix: boolean): Promise<{ checked: number; broken: { key: string; problem: string; quarantinedTo?: string }[]; removed: number }> {
  const cache = await DiskCache.open(root);
  const broken: { key: string; problem: string; quarantinedTo?: string }[] = [];
  const keys = await cache.keys();
  for (const key of keys) {
    const { problem } = await cache.inspect(key);
    if (problem) broken.push({ key, problem });
  }
  let removed = 0;
  if (fix) {
    for (const b of broken) {
      b.quarantinedTo = await cache.quarantine(b.key);
      removed++;
    }
    for (const path of await cache.leftovers()) {
      await rm(path, { recursive: true, force: true });
      removed++;
    }
  }
  return { checked: keys.length, broken, removed };
}

/** Removes every entry and leftover; the directory itself stays. */
export async function clearCache(root: string): Promise<{ removed: number }> {
  const cache = await DiskCache.open(root);
  const keys = await cache.keys();
  for (const key of keys) await cache.remove(key);
  for (const path of await cache.leftovers()) await rm(path, { recursive: true, force: true });
  return { removed: keys.length };
}
