import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CacheError } from '../errors.js';
import type { CacheEntry, DiskCache, EntryDraft, EntryExpectation } from './disk-cache.js';
import type { EntryMeta } from './entry-meta.js';

/** An entry as bytes: what a bundle holds and what a remote tier returns. Never loaded as it is. */
export interface PortableEntry {
  readonly meta: EntryMeta;
  readonly source: Buffer;
  readonly artifact: Buffer;
}

/**
 * Commits an entry from elsewhere through the disk cache's one atomic put (which checks parts, key
 * and source again, and `expect` on the artifact), as a fresh build would be.
 */
export async function putPortable(cache: DiskCache, p: PortableEntry, expect?: EntryExpectation): Promise<CacheEntry> {
  const entry = await cache.put(p.meta.key, async (work): Promise<EntryDraft> => {
    await writeFile(join(work, p.meta.files.source), p.source, { mode: 0o600 });
    await writeFile(join(work, p.meta.files.artifact), p.artifact, { mode: 0o600 });
    const { format: _f, key: _k, artifactBytes: _b, artifactSha256: _s, createdAt: _c, ...draft } = p.meta;
    return draft;
  }, expect);
  if (entry.meta.artifactSha256 !== p.meta.artifactSha256) throw new CacheError('an entry changed while it was written', entry.dir);
  return entry;
}
