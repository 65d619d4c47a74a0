// The remote cache (Redis, src/cache/remote) as the last tier of the list: after memory, precompiled
// layers and the user's disk. Its hits are bytes the store has verified (tag, key, format, hashes,
// spec); they are never loaded as they are, but committed to the disk tier through its one atomic put
// and read back through the disk tier's checks. A compile here is published to it, under its
// fleet-wide lock. artifact.ts imports this file only when a remote is configured, so a process
// without one loads none of it.
import { createHash } from 'node:crypto';
import { debug, shortKey } from '../../debug.js';
import type { CacheEntry } from '../disk-cache.js';
import type { EntryMeta } from '../entry-meta.js';
import { CACHE_FORMAT_VERSION, cacheKey, type KeyParts } from '../key.js';
import type { PortableEntry } from '../portable.js';
import type { RemoteSource } from '../remote/config.js';
import type { RemoteCounters } from '../remote/store.js';
import { entryFromFolder, remoteTierFromEnvironment, type RemoteTier, type TierEntry } from '../remote/tier.js';
import type { DiskTier } from './disk.js';
import type { PortableHit, Tier, TierRequest } from './tier.js';

/** The warning code of every remote-cache message (process.on('warning') can pick them out). */
export const REMOTE_WARNING_CODE = 'DWCONV_JIT_REMOTE_CACHE';

/**
 * Where the remote's messages go: a Node warning (stderr unless the application handles warnings),
 * and the debug trace. The store says each thing once (off, unavailable, reachable again, a refused
 * entry), so this is never a flood; none of them holds the secret.
 */
function warn(message: string): void {
  debug('%s', message);
  process.emitWarning(message, { code: REMOTE_WARNING_CODE });
}

/** The spec a request is for, as the entry's meta.json records it (what the remote checks an entry against). */
function specOf(request: TierRequest): unknown {
  return request.expect.specJson === undefined ? undefined : JSON.parse(request.expect.specJson);
}

function hitOf(found: TierEntry): PortableHit {
  // The store checked meta.json's key, format, file names, hashes and key parts; the disk tier's put
  // and get check the rest (its shape, the symbol, the artifact's bytes) before anything is loaded.
  return { origin: 'remote', portable: { meta: found.meta as EntryMeta, source: found.source, artifact: found.artifact } };
}

export class RemoteCacheTier implements Tier {
  readonly name = 'remote' as const;
  private readonly localRefusals = new Set<string>();

  constructor(private readonly remote: RemoteTier) {}

  /** The remote's URL without credentials. */
  get description(): string {
    return this.remote.description;
  }

  /** This process's counts of hits, misses, refusals by reason, publishes and failures. */
  get counters(): RemoteCounters | undefined {
    return this.remote.counters;
  }

  async get(request: TierRequest): Promise<PortableHit | undefined> {
    const found = await this.remote.get(await request.key(), specOf(request));
    return found && hitOf(found);
  }

  /** Publishes an entry just committed here; a failure to read or send it costs the publish, never the compile. */
  async put(_request: TierRequest, entry: CacheEntry): Promise<void> {
    const key = entry.meta.key;
    let bytes: TierEntry;
    try {
      bytes = await entryFromFolder(entry.dir);
    } catch (err) {
      debug('remote [%s] not publishing %s (%s)', this.remote.description, shortKey(key), (err as Error).message);
      return;
    }
    await this.remote.put(key, bytes);
  }

  /**
   * Runs `produce` (the local compile, which publishes through `put`) under the key's fleet-wide
   * lock, unless another process publishes the entry meanwhile: then that entry, to be committed
   * with `materialize`. Without a reachable remote, `produce` simply runs.
   */
  async singleFlight<T>(request: TierRequest, produce: () => Promise<T>, signal?: AbortSignal): Promise<{ produced: T } | { found: PortableHit }> {
    const r = await this.remote.withLock(await request.key(), produce, specOf(request), signal);
    return 'produced' in r ? r : { found: hitOf(r.found) };
  }

  /**
   * Commits a remote hit into the disk tier and returns it as the disk tier reads it back; undefined
   * when the disk tier's own checks refuse it (then the caller compiles, and its publish replaces the
   * entry). Such a refusal is reported once per entry, like the store's.
   */
  async materialize(disk: DiskTier, request: TierRequest, portable: PortableEntry): Promise<CacheEntry | undefined> {
    const entry = await disk.materialize(request, portable, (problem) => {
      const seen = `${portable.meta.key}:${portable.meta.artifactSha256}`;
      if (this.localRefusals.has(seen)) return;
      this.localRefusals.add(seen);
      warn(`remote cache: refused entry ${shortKey(portable.meta.key)} (local checks: ${problem}); compiling locally`);
    });
    if (entry) debug('remote [%s] %s committed to the disk cache %s', this.remote.description, shortKey(entry.meta.key), disk.cache.root);
    return entry;
  }

  list(): Promise<string[]> {
    return this.remote.keys();
  }
}

/** What every entry read or published is checked against: this version's cache format and key function. */
const EXPECT = { cacheFormat: CACHE_FORMAT_VERSION, keyOf: (parts: unknown) => cacheKey(parts as KeyParts) };

/** One tier per configuration in a process: one connection, one back-off state, one set of counters. */
const tiers = new Map<string, RemoteCacheTier | undefined>();

/**
 * The remote tier configured by `source` (the variables, or the compile option standing in for them),
 * or undefined when it is off: no URL, or no usable secret (said once, as a warning), or a URL that
 * does not parse (said once too).
 */
export function remoteCacheTier(source: RemoteSource): RemoteCacheTier | undefined {
  if (source.remoteCache === undefined) return undefined;
  // By a hash: the map holds no copy of the secret.
  const id = createHash('sha256').update(JSON.stringify([source.remoteCache, source.remoteKey ?? null, source.remoteKeyFile ?? null])).digest('hex');
  if (tiers.has(id)) return tiers.get(id);
  const remote = remoteTierFromEnvironment(source, { log: warn, expect: EXPECT });
  const tier = remote.enabled ? new RemoteCacheTier(remote) : undefined;
  debug('remote [%s] %s', remote.description, tier ? 'on' : 'off');
  tiers.set(id, tier);
  return tier;
}

/** This process's counts for every remote in use, by description (for tests, tools and the debug trace). */
export function remoteCounters(): Record<string, RemoteCounters> {
  const out: Record<string, RemoteCounters> = {};
  for (const tier of tiers.values()) if (tier?.counters) out[tier.description] = tier.counters;
  return out;
}
