import { debug, shortKey } from '../../debug.js';
import type { CacheEntry } from '../disk-cache.js';
import { sameFile } from '../trust.js';
import type { Tier, TierHit, TierRequest } from './tier.js';

/**
 * Entries already found or built in this process, by request (identity, arch and what the caller
 * asked of the compiler): a second lookup neither reads nor hashes the files again, only checks that
 * the artifact is still the file whose bytes were checked. Only entries that passed every check of
 * the tier that found them are remembered.
 */
export class MemoryTier implements Tier {
  readonly name = 'memory' as const;
  private readonly entries = new Map<string, CacheEntry>();

  constructor(private readonly requestKey: (request: TierRequest) => string) {}

  /** A remembered entry whose artifact is still the file that was checked (same inode, size, times); else a miss, and forgotten. */
  async get(request: TierRequest): Promise<TierHit | undefined> {
    const key = this.requestKey(request);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (!entry.artifactStat || !(await sameFile(entry.artifactPath, entry.artifactStat))) {
      debug('memory: forgot %s (its artifact file changed since it was checked)', shortKey(entry.meta.key));
      this.entries.delete(key);
      return undefined;
    }
    return { origin: 'memory', entry };
  }

  put(request: TierRequest, entry: CacheEntry): Promise<void> {
    this.entries.set(this.requestKey(request), entry);
    return Promise.resolve();
  }

  list(): Promise<string[]> {
    return Promise.resolve([...new Set([...this.entries.values()].map((e) => e.meta.key))].sort());
  }
}
