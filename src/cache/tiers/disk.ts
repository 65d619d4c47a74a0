import type { CacheEntry, DiskCache } from '../disk-cache.js';
import { putPortable, type PortableEntry } from '../portable.js';
import type { Tier, TierHit, TierRequest } from './tier.js';

/** The user's writable cache: by exact key; a broken entry is removed (and then rebuilt by the caller). */
export class DiskTier implements Tier {
  readonly name = 'disk' as const;

  constructor(readonly cache: DiskCache) {}

  async get(request: TierRequest): Promise<TierHit | undefined> {
    const entry = await this.cache.get(await request.key(), request.expect);
    return entry ? { origin: 'disk', entry } : undefined;
  }

  /**
   * Commits bytes from elsewhere (a remote tier's answer) through the same atomic put a compile
   * uses, then returns the entry as the disk tier's checks see it.
   */
  /**
   * Commits bytes from elsewhere (a remote tier's answer) through the same atomic put a compile
   * uses, then returns the entry as the disk tier's checks see it.
   */
  async materialize(request: TierRequest, p: PortableEntry): Promise<CacheEntry | undefined> {
    if (p.meta.key !== (await request.key())) return undefined;
    await putPortable(this.cache, p, request.expect);
    return this.cache.get(p.meta.key, request.expect);
  }

  list(): Promise<string[]> {
    return this.cache.keys();
  }
}
