import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SpecError } from '../errors.js';
import { baselineOf } from '../artifact.js';
import { checkPortable } from '../cache/bundle.js';
import { DiskCache, META_NAME, type EntryExpectation, type EntryMeta } from '../cache/disk-cache.js';
import { MAX_META_BYTES, MAX_SOURCE_BYTES, parseMeta } from '../cache/entry-meta.js';
import { lockHeld } from '../cache/key-lock.js';
import { entryBytes } from '../cache/prune.js';
import { readTrusted } from '../cache/trust.js';
import { describeSpec, normalizeSpec } from '../spec.js';
import { median } from './stats.js';
import { PACKAGE_VERSION } from '../version.js';

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

export { cacheRoot } from './cache-root.js';

/**
 * Every check a load makes, plus the spec regenerating the source and the library's dynamic section
 * (with the initializer counts this machine's compiler was seen to emit, as a load allows them).
 * Entries of another package version (a cache shared by two projects) get the hash checks only:
 * this version cannot regenerate their source, and never loads them.
 */
async function fullCheck(root: string): Promise<EntryExpectation> {
  const learned = await baselineOf(root);
  return { artifact: (bytes, meta) => (meta.parts.package === PACKAGE_VERSION ? checkPortable(meta, bytes, learned) : undefined) };
}

/** meta.json as far as it can be read (for listing a broken entry), through the same bounded, no-follow read. */
async function readMetaLoosely(dir: string, key: string): Promise<EntryMeta | undefined> {
  const read = await readTrusted(join(dir, META_NAME), META_NAME, MAX_META_BYTES).catch(() => undefined);
  if (!read || typeof read === 'string') return undefined;
  const meta = parseMeta(read.bytes.toString('utf8'), key);
  return typeof meta === 'string' ? undefined : meta;
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
  const check = await fullCheck(root);
  for (const key of await cache.keys()) {
    const { entry, problem } = await cache.inspect(key, check);
    const meta = entry?.meta ?? (await readMetaLoosely(join(root, key), key));
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
  const { problem } = await cache.inspect(key, await fullCheck(root));
  const dir = join(root, key);
  const meta = await readMetaLoosely(dir, key);
  if (!meta) throw new SpecError('key', prefix, `an entry with a readable meta.json (${problem ?? 'unreadable'})`);
  return { key, meta, dir, problem: problem ?? null };
}

/**
 * An entry's generated source, read as a load reads files: its name from a checked meta.json (never
 * a path), no symlink followed, bounded. A SpecError when the entry does not pass its checks.
 */
export async function entrySource(root: string, prefix: string): Promise<string> {
  const e = await findEntry(root, prefix);
  if (e.problem) throw new SpecError('key', prefix, `a sound entry (this one is broken: ${e.problem})`);
  const read = await readTrusted(join(e.dir, e.meta.files.source), 'the source', MAX_SOURCE_BYTES);
  if (typeof read === 'string') throw new SpecError('key', prefix, `an entry whose source can be read (${read})`);
  return read.bytes.toString('utf8');
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
  const check = await fullCheck(root);
  for (const key of keys) {
    const { problem } = await cache.inspect(key, check);
    if (problem) broken.push({ key, problem });
  }
  let removed = 0;
  if (fix) {
    for (const b of broken) {
      if (await lockHeld(root, b.key)) continue; // a live compile is replacing it
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

/**
 * Removes every entry and leftover; the directory itself stays. Entries a live compile holds the
 * lock of, and the work folders of live compiles, are left alone (they are reported as kept).
 */
export async function clearCache(root: string): Promise<{ removed: number; kept: number }> {
  const cache = await DiskCache.open(root);
  let removed = 0;
  let kept = 0;
  for (const key of await cache.keys()) {
    if (await lockHeld(root, key)) kept++;
    else {
      await cache.remove(key);
      removed++;
    }
  }
  for (const path of await cache.leftovers()) await rm(path, { recursive: true, force: true });
  return { removed, kept };
}
