// `dwconv-jit cache remote stats|ls|verify|prune|publish`: the remote cache's maintenance, as
// functions returning plain data (the CLI prints them). Unlike the compile path, these fail loudly:
// an unreachable or unconfigured remote is an error here, not a quiet fallback.
import { randomBytes } from 'node:crypto';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readEnvironment, type Environment } from '../env.js';
import { SpecError } from '../errors.js';
import { CACHE_FORMAT_VERSION, cacheKey, type KeyParts } from '../cache/key.js';
import { deriveTagKey, parseRemoteUrl, readSecret, type RemoteConfig } from '../cache/remote/config.js';
import type { RefusalReason } from '../cache/remote/envelope.js';
import { RemoteStore } from '../cache/remote/store.js';
import { entryFromFolder } from '../cache/remote/tier.js';
import { describeSpec, normalizeSpec } from '../spec.js';

export interface RemoteCommandOptions {
  /** The remote's URL; default DWCONV_JIT_REMOTE_CACHE. */
  readonly url?: string;
  readonly env?: Environment;
}

/** What the maintenance commands check entries against: this version's cache format and key function. */
const EXPECT = { cacheFormat: CACHE_FORMAT_VERSION, keyOf: (parts: unknown) => cacheKey(parts as KeyParts) };

function configOf(o: RemoteCommandOptions, needSecret: boolean): RemoteConfig {
  const env = o.env ?? readEnvironment();
  const url = o.url ?? env.remoteCache;
  if (url === undefined) throw new SpecError('DWCONV_JIT_REMOTE_CACHE', undefined, 'a redis:// or rediss:// URL (or --url)');
  const parsed = parseRemoteUrl(url);
  const secret = readSecret(env);
  if (!secret && needSecret) {
    throw new SpecError('DWCONV_JIT_REMOTE_KEY', undefined, 'the shared secret (or DWCONV_JIT_REMOTE_KEY_FILE): entries can only be verified with it');
  }
  // `stats` reads no entry, so it runs without the secret (a key nobody has, never used).
  return { ...parsed, tagKey: deriveTagKey(secret ?? randomBytes(32)) };
}

/** Checks that a remote and its secret are configured (a SpecError names what is missing); its URL without credentials. */
export function requireRemote(o: RemoteCommandOptions = {}): string {
  return configOf(o, true).display;
}

async function withStore<T>(o: RemoteCommandOptions, needSecret: boolean, fn: (store: RemoteStore) => Promise<T>): Promise<T> {
  const store = new RemoteStore(configOf(o, needSecret), { expect: EXPECT });
  try {
    return await fn(store);
  } finally {
    store.close();
  }
}

export interface RemoteStats {
  readonly remote: string;
  readonly entries: number;
  readonly bytes: number;
  /** Compile locks held right now. */
  readonly locks: number;
  /** Counted by every process of the fleet: hits, misses, published, refused:<reason>. */
  readonly fleet: Readonly<Record<string, number>>;
  /** The server's version and memory (maxmemory_policy: entries are evicted only under an allkeys-* or volatile-* policy). */
  readonly server: Readonly<Record<string, string>>;
  readonly ttlMs: number;
  readonly maxEntryBytes: number;
}

export async function remoteCacheStats(o: RemoteCommandOptions = {}): Promise<RemoteStats> {
  return withStore(o, false, async (store) => {
    const keys = await store.keys();
    let bytes = 0;
    for (const key of keys) bytes += (await store.inspectSize(key)) ?? 0;
    const { counters, server } = await store.fleet();
    return { remote: store.config.display, entries: keys.length, bytes, locks: await store.heldLocks(), fleet: counters, server, ttlMs: store.config.ttlMs, maxEntryBytes: store.config.maxEntryBytes };
  });
}

/** One row of `cache remote ls`; spec, target and compiler only for entries that verify. */
export interface RemoteEntryRow {
  readonly key: string;
  readonly spec: string;
  readonly target: string;
  readonly compiler: string;
  readonly bytes: number;
  /** Time left before it expires (-1: no expiry). */
  readonly ttlMs: number;
  readonly createdAt: string;
  /** null when the entry verifies under this secret. */
  readonly refused: { readonly reason: RefusalReason; readonly detail: string } | null;
}

function describeMeta(meta: Record<string, unknown>): Pick<RemoteEntryRow, 'spec' | 'target' | 'compiler' | 'createdAt'> {
  const parts = meta.parts as Partial<KeyParts> | undefined;
  let spec = '(unreadable spec)';
  try {
    spec = describeSpec(normalizeSpec(meta.spec));
  } catch {
    // shown as unreadable
  }
  return {
    spec,
    target: String(parts?.target ?? '?'),
    compiler: parts?.compiler ? `${parts.compiler.kind} ${String(parts.compiler.version).replace(/^.*release /, '').slice(0, 40)}` : '?',
    createdAt: typeof meta.createdAt === 'string' ? meta.createdAt : '?',
  };
}

export async function remoteCacheList(o: RemoteCommandOptions = {}): Promise<RemoteEntryRow[]> {
  return withStore(o, true, async (store) => {
    const rows: RemoteEntryRow[] = [];
    for (const key of await store.keys()) {
      const seen = await store.inspect(key);
      if (!seen.entry && !seen.refusal) continue; // expired meanwhile
      // Nothing from a refused entry is shown: its text is whatever a writer put there.
      rows.push({
        key,
        ...(seen.entry ? describeMeta(seen.entry.meta) : { spec: '?', target: '?', compiler: '?', createdAt: '?' }),
        bytes: seen.bytes,
        ttlMs: seen.ttlMs,
        refused: seen.refusal ? { reason: seen.refusal.reason, detail: seen.refusal.detail } : null,
      });
    }
    return rows;
  });
}

export interface RemoteVerifyReport {
  readonly remote: string;
  readonly checked: number;
  readonly ok: number;
  readonly refused: readonly { readonly key: string; readonly reason: RefusalReason; readonly detail: string }[];
}

/** Every entry checked as a reader would check it (tag, key, format, hashes); changes nothing. */
export async function remoteCacheVerify(o: RemoteCommandOptions = {}): Promise<RemoteVerifyReport> {
  return withStore(o, true, async (store) => {
    const refused: { key: string; reason: RefusalReason; detail: string }[] = [];
    let checked = 0;
    for (const key of await store.keys()) {
      const seen = await store.inspect(key);
      if (!seen.entry && !seen.refusal) continue;
      checked++;
      if (seen.refusal) refused.push({ key, reason: seen.refusal.reason, detail: seen.refusal.detail });
    }
    return { remote: store.config.display, checked, ok: checked - refused.length, refused };
  });
}

export interface RemotePruneOptions extends RemoteCommandOptions {
  /** Remove entries created longer ago than this. */
  readonly olderThanMs?: number;
  /**
   * Remove entries that do not verify under this secret. Off by default: with the wrong secret every
   * entry is refused, and this would empty the fleet's cache.
   */
  readonly refused?: boolean;
  /** Report what would be removed; remove nothing. */
  readonly dryRun?: boolean;
}

export interface RemotePruneReport {
  readonly remote: string;
  readonly checked: number;
  readonly removed: readonly { readonly key: string; readonly why: string }[];
  readonly dryRun: boolean;
}

/** Removes old or (with `refused`) unverifiable entries; an entry replaced meanwhile is left alone. */
export async function remoteCachePrune(o: RemotePruneOptions = {}): Promise<RemotePruneReport> {
  if (o.olderThanMs === undefined && !o.refused) throw new SpecError('prune', '(nothing to prune by)', '--older-than <age> and/or --refused');
  return withStore(o, true, async (store) => {
    const cutoff = o.olderThanMs === undefined ? undefined : Date.now() - o.olderThanMs;
    const removed: { key: string; why: string }[] = [];
    let checked = 0;
    for (const key of await store.keys()) {
      const seen = await store.inspect(key);
      if (!seen.entry && !seen.refusal) continue;
      checked++;
      let why: string | undefined;
      if (seen.refusal) {
        if (o.refused) why = `refused (${seen.refusal.reason}: ${seen.refusal.detail})`;
      } else if (cutoff !== undefined) {
        const created = Date.parse(String(seen.entry!.meta.createdAt));
        if (Number.isFinite(created) && created < cutoff) why = `created ${new Date(created).toISOString()}`;
      }
      if (why === undefined) continue;
      if (o.dryRun || (await store.removeIfSame(key, seen.blobSha1))) removed.push({ key, why });
    }
    return { remote: store.config.display, checked, removed, dryRun: !!o.dryRun };
  });
}

export interface RemotePublishReport {
  readonly remote: string;
  readonly published: number;
  readonly skipped: readonly { readonly key: string; readonly why: string }[];
}

const KEY_PATTERN = /^[0-9a-f]{64}$/;

export interface RemotePublishOptions extends RemoteCommandOptions {
  /** Only these entries (a precompile's results); default every entry of the directory. */
  readonly keys?: readonly string[];
}

/**
 * Publishes the entries of a local cache directory (the user cache, or a precompile's output) to
 * the remote. Each is checked as a reader would check it before it is sent (its hashes, its key
 * recomputed from its parts), so a broken local entry is skipped, not spread.
 */
export async function remoteCachePublish(cacheDir: string, o: RemotePublishOptions = {}): Promise<RemotePublishReport> {
  return withStore(o, true, async (store) => {
    const skipped: { key: string; why: string }[] = [];
    let published = 0;
    const present = (await readdir(cacheDir)).filter((n) => KEY_PATTERN.test(n));
    for (const key of [...new Set(o.keys ?? present)].sort()) {
      const dir = join(cacheDir, key);
      if (!KEY_PATTERN.test(key) || !present.includes(key)) {
        skipped.push({ key, why: 'not in the cache directory' });
        continue;
      }
      if (!(await lstat(dir)).isDirectory()) {
        skipped.push({ key, why: 'not a directory' });
        continue;
      }
      const entry = await entryFromFolder(dir).catch((err: unknown) => (err as Error).message);
      if (typeof entry === 'string') {
        skipped.push({ key, why: `unreadable: ${entry}` });
        continue;
      }
      if (await store.put(key, entry, { strict: true })) published++;
      else skipped.push({ key, why: 'fails its checks or is over the size limit' });
    }
    return { remote: store.config.display, published, skipped };
  });
}
