import type { CacheEntry } from '../disk-cache.js';
import type { Tier, TierHit, TierRequest } from './tier.js';

/**
 * Entries already found or built in this process, by request (identity, arch and what the caller
 * asked of the compiler): a second lookup neither reads nor hashes the files again. Only entries that
 * passed every check of the tier that found them are remembered.
 */
export class MemoryTier implements Tier {
  readonly name = 'memory' as const;
  private readonly entries = new Map<string, CacheEntry>();

  constructor(private readonly requestKey: (request: TierRequest) => string) {}

  get(request: TierRequest): Promise<TierHit | undefined> {
    const entry = this.entries.get(this.requestKey(request));
    return Promise.resolve(entry ? { origin: 'memory', entry } : undefined);
  }

  put(request: TierRequest, entry: CacheEntry): Promise<void> {
    this.entries.set(this.requestKey(request), entry);
    return Promise.resolve();
  }

  list(): Promise<string[]> {
    return Promise.resolve([...new Set([...this.entries.values()].map((e) => e.meta.key))].sort());
  }
}
