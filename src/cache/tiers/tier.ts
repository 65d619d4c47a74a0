import type { CacheEntry, EntryExpectation } from '../disk-cache.js';
import type { PortableEntry } from '../portable.js';
import type { Target } from '../../target.js';

/** Where an artifact was found. */
export type TierName = 'memory' | 'precompiled' | 'disk' | 'remote';

/**
 * What a lookup asks every tier for. A tier that needs the exact key (the disk, a remote) asks
 * `key()`, which finds the compiler to fingerprint it; the precompiled layers find entries by
 * identity and arch alone, so they serve machines without any compiler.
 */
export interface TierRequest {
  /** What the artifact implements: format, package, target and source (layers.ts identityOf). */
  readonly identity: string;
  readonly target: Target;
  /** The GPU's arch ('sm_90') or the CPU identity: what a precompiled entry must run on. */
  readonly arch: string | undefined;
  /** The exact cache key (compiler, flags and archs included). */
  key(): Promise<string>;
  /** Checked on every entry before it counts as a hit (symbol, spec, the artifact's bytes). */
  readonly expect: EntryExpectation;
}

/** An entry on this machine's disk, checked; its artifactPath may be loaded. */
export interface LocalHit {
  readonly origin: TierName;
  readonly entry: CacheEntry;
}

/**
 * An entry that exists only as bytes (a remote store's answer): never loaded as it is. The caller
 * materializes it into the disk tier through DiskCache.put (the one atomic commit, which checks
 * parts, key and source again) and then reads it back through the disk tier's checks.
 */
export interface PortableHit {
  readonly origin: TierName;
  readonly portable: PortableEntry;
}

export type TierHit = LocalHit | PortableHit;

/**
 * One cache tier. The lookup walks an ordered list (memory ▸ precompiled layers ▸ user disk ▸
 * remote, artifact.ts) and takes the first hit; a miss everywhere compiles and commits to the disk
 * tier, then offers the entry to every tier with `put`. A remote tier is one more implementation:
 * `get` returns a PortableHit (verify its tag under the shared secret before returning it), `put`
 * uploads an entry, `list` names its keys.
 */
export interface Tier {
  readonly name: TierName;
  get(request: TierRequest): Promise<TierHit | undefined>;
  /** Offered every entry committed on a miss (memory remembers it; a remote may upload it). */
  put?(request: TierRequest, entry: CacheEntry): Promise<void>;
  /** The keys it holds (for maintenance and listing). */
  list(): Promise<string[]>;
}
