// The remote tier as plain data in, plain data out. It knows nothing of the disk cache: an entry is
// meta.json (parsed and as bytes), the source and the artifact. src/cache/tiers/remote.ts adapts it
// to the cache's tier list (artifact.ts), after the memory, precompiled and disk tiers:
//
//   const hit = await tier.get(key, spec);                 // verified, or undefined
//   if (hit) → materialized into the disk cache through its atomic put, origin 'remote'
//   else {
//     const r = await tier.withLock(key, async () => {     // one compile fleet-wide per key
//       const entry = await compileIntoDisk();             // the local path, unchanged
//       await tier.put(key, await entryFromFolder(entry.dir)); // published before the lock is released
//       return entry;
//     }, spec);
//     'produced' in r ? r.produced (origin 'compiled') : materialize(r.found) (origin 'remote')
//   }
//
// Every method is safe to call when the tier is off (no URL, no secret, misconfigured): get finds
// nothing, put publishes nothing, withLock just runs the producer. None of them throws because of Redis.
import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { preloadRedisClient } from './client.js';
import { resolveRemote, type RemoteConfig, type RemoteSource } from './config.js';
import type { EntryBytes } from './envelope.js';
import { RemoteStore, type RemoteCounters, type RemoteStoreOptions } from './store.js';

/** One cache entry as data: meta.json parsed (`meta`) and as its exact bytes (`metaBytes`, what the tag covers). */
export interface TierEntry {
  readonly meta: unknown;
  readonly metaBytes: Buffer;
  readonly source: Buffer;
  readonly artifact: Buffer;
}

export interface RemoteTier {
  /** False when no remote is configured, or it is misconfigured or has no secret. */
  readonly enabled: boolean;
  /** The remote's URL without credentials, or why the tier is off. */
  readonly description: string;
  /** This process's counts (hits, misses, refusals by reason, failures, ...); undefined when off. */
  readonly counters: RemoteCounters | undefined;
  /** A verified entry for `key` (and, when given, for this normalized `spec`), or undefined. */
  get(key: string, spec?: unknown): Promise<TierEntry | undefined>;
  /** Publishes an entry; false when off, unavailable, over the size limit, or failing its own checks. */
  put(key: string, entry: EntryBytes): Promise<boolean>;
  /** Single flight across processes and machines; see RemoteStore.withLock. `signal` ends a wait for another holder. */
  withLock<T>(key: string, produce: () => Promise<T>, spec?: unknown, signal?: AbortSignal): Promise<{ produced: T } | { found: TierEntry }>;
  /** The entry keys it holds (empty when off or unreachable). */
  keys(): Promise<string[]>;
  /** Drops the connection (a process that exits need not: the socket never keeps it alive). */
  close(): void;
}

export type RemoteTierOptions = RemoteStoreOptions;

function offTier(why: string): RemoteTier {
  return {
    enabled: false,
    description: why,
    counters: undefined,
    get: async () => undefined,
    put: async () => false,
    withLock: async (_key, produce) => ({ produced: await produce() }),
    keys: async () => [],
    close: () => undefined,
  };
}

/** The tier over a parsed configuration; off when `config` is undefined. */
export function remoteTier(config: RemoteConfig | undefined, options: RemoteTierOptions = {}): RemoteTier {
  if (!config) return offTier('no remote cache configured');
  preloadRedisClient();
  const store = new RemoteStore(config, options);
  return {
    enabled: true,
    description: config.display,
    counters: store.counters,
    get: (key, spec) => store.get(key, spec),
    put: (key, entry) => store.put(key, entry),
    withLock: (key, produce, spec, signal) => store.withLock(key, produce, spec, signal),
    keys: () => store.keys().catch(() => []),
    close: () => store.close(),
  };
}

const toldOnce = new Set<string>();

/**
 * The tier configured by DWCONV_JIT_REMOTE_CACHE and DWCONV_JIT_REMOTE_KEY(_FILE). A remote that is
 * configured but cannot be trusted (no secret) or parsed is off, and says so once per process.
 */
export function remoteTierFromEnvironment(env: RemoteSource, options: RemoteTierOptions = {}): RemoteTier {
  const resolved = resolveRemote(env);
  if ('config' in resolved) return remoteTier(resolved.config, options);
  if (resolved.message !== undefined && !toldOnce.has(resolved.message)) {
    toldOnce.add(resolved.message);
    options.log?.(resolved.message);
  }
  return offTier(resolved.off);
}

/** Reads a committed disk-cache entry folder as tier data (the files its meta.json names; no symlinks followed). */
export async function entryFromFolder(dir: string): Promise<TierEntry> {
  const plain = async (name: string) => {
    if (typeof name !== 'string' || name.includes('/') || !(await lstat(join(dir, name))).isFile()) throw new Error(`${name} is not a plain file of the entry`);
    return readFile(join(dir, name));
  };
  const metaBytes = await plain('meta.json');
  const meta = JSON.parse(metaBytes.toString('utf8')) as { files?: { source: string; artifact: string } };
  const [source, artifact] = await Promise.all([plain(meta.files?.source ?? ''), plain(meta.files?.artifact ?? '')]);
  return { meta, metaBytes, source, artifact };
}
