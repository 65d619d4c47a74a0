import { debug, shortKey } from '../../debug.js';
import type { CacheEntry, DiskCache } from '../disk-cache.js';
import { putPortable, type PortableEntry } from '../portable.js';
import type { Tier, TierHit, TierRequest } from './tier.js';

/** The user's writable cache: by exact key; a broken entry is removed (and then rebuilt by the caller). */
export class DiskTier implements Tier {
  readonly name = 'disk' as const;

  constructor(readonly cache: DiskCache) {}

  async get(request: TierRequest): Promise<TierHit | undefined> {
    const key = await request.key();
    const entry = await this.cache.get(key, request.expect, (problem) => debug('disk %s: refused %s (%s); removed', this.cache.root, shortKey(key), problem));
    return entry ? { origin: 'disk', entry } : undefined;
  }

  /**
   * Commits bytes from elsewhere (a remote tier's answer) through the same atomic put a compile
   * uses, then returns the entry as the disk tier's checks see it. Bytes that fail those checks are
   * not committed: undefined, and `onProblem` hears why (the caller compiles instead).
   */
  async materialize(request: TierRequest, p: PortableEntry, onProblem?: (problem: string) => void): Promise<CacheEntry | undefined> {
    const key = await request.key();
    if (p.meta.key !== key) {
      onProblem?.('the entry is for another key');
      return undefined;
    }
    try {
      await putPortable(this.cache, p, request.expect);
    } catch (err) {
      onProblem?.(err instanceof Error ? err.message : String(err));
      return undefined;
    }
    return this.cache.get(key, request.expect, onProblem);
  }

  list(): Promise<string[]> {
    return this.cache.keys();
  }
}
