import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CacheError } from '../errors.js';
import { appendUse, ARTIFACT_FILE_NAMES, MAX_ARTIFACT_BYTES, MAX_META_BYTES, MAX_SOURCE_BYTES, META_NAME, parseMeta, SOURCE_FILE_NAMES, USES_NAME, type EntryMeta } from './entry-meta.js';
import { cacheKey, CACHE_FORMAT_VERSION, sha256 } from './key.js';
import { workFolderAlive, workMarker } from './process-identity.js';
import { checkCacheRoot, isStorageFault, storageError } from './cache-root.js';
import { fileProblem, folderProblem, readTrusted, sameFile, trustedOwner } from './trust.js';

export { META_NAME, USES_NAME, type EntryMeta } from './entry-meta.js';
export { storageError } from './cache-root.js';

export interface CacheEntry {
  readonly dir: string;
  readonly artifactPath: string;
  readonly meta: EntryMeta;
  /** The artifact as it was when its bytes were checked: a later user can tell whether the path still names them (trust.ts sameFile). */
  readonly artifactStat?: Stats;
}

/** What a build writes into its private folder before the entry is committed. */
export type EntryDraft = Omit<EntryMeta, 'format' | 'key' | 'artifactBytes' | 'artifactSha256' | 'createdAt'>;

/**
 * What the caller generated, checked against the entry before it counts as a hit: an entry whose
 * symbol or spec is another kernel's is broken (removed and rebuilt), whatever its hashes say.
 */
export interface EntryExpectation {
  readonly symbol?: string;
  /** canonicalJson of the spec. */
  readonly specJson?: string;
  /** Further checks of the artifact's bytes (the very bytes hashed): a problem string or undefined. */
  readonly artifact?: (bytes: Buffer, meta: EntryMeta) => string | undefined;
}

export interface Inspection {
  readonly entry?: CacheEntry;
  readonly problem?: string;
}

const KEY_PATTERN = /^[0-9a-f]{64}$/;

/** A content-addressed directory of compiled kernels: one folder per key, committed by rename. */
export class DiskCache {
  private constructor(readonly root: string) {}

  /** Creates the directory (0700) if needed; refuses one owned by another user or writable by others (cache-root.ts): it holds code we load. */
  static async open(root: string): Promise<DiskCache> {
    try {
      await mkdir(root, { recursive: true, mode: 0o700 });
    } catch (cause) {
      throw storageError('cannot create the cache directory', root, cause);
    }
    checkCacheRoot(root);
    return new DiskCache(root);
  }

  /**
   * A cache that is only read (a precompiled layer): no creation, no permission changes, nothing
   * removed. The caller checks the folder chain above it (layers.ts).
   */
  static readOnly(root: string): DiskCache {
    return new DiskCache(root);
  }

  entryDir(key: string): string {
    if (!KEY_PATTERN.test(key)) throw new CacheError(`not a cache key: ${key}`, this.root);
    return join(this.root, key);
  }

  /** A complete entry that passes every check of inspect(), or undefined. A broken entry is removed (after `onProblem` hears why). */
  async get(key: string, expect?: EntryExpectation, onProblem?: (problem: string) => void): Promise<CacheEntry | undefined> {
    const found = await this.inspect(key, expect);
    if (found.problem && found.problem !== 'missing') {
      onProblem?.(found.problem);
      await this.discard(this.entryDir(key), key, expect);
    }
    if (found.entry) await this.recordUse(key);
    return found.entry;
  }

  /** Appends a use (entry-meta.ts): the pruner's record of when an entry was last needed. */
  recordUse(key: string): Promise<void> {
    appendUse(this.entryDir(key));
    return Promise.resolve();
  }

  /** Hits and the last use (or the creation time when never used). */
  async usage(key: string, createdAt: string): Promise<{ hits: number; lastUsed: string }> {
    const read = await readTrusted(join(this.entryDir(key), USES_NAME), USES_NAME, 64 << 20).catch(() => undefined);
    const text = read && typeof read !== 'string' ? read.bytes.toString('utf8') : '';
    const stamps = text.split('\n').filter(Boolean).map(Number).filter(Number.isFinite);
    return { hits: stamps.length, lastUsed: stamps.length ? new Date(Math.max(...stamps)).toISOString() : createdAt };
  }

  /**
   * The entry if every check passes, else what is wrong with it (docs/reliability.md). Changes nothing.
   * Checked: the folder and every file in it (no symlink, one link, owner this user or root, not
   * writable by others); meta.json's shape; the key recomputed from its parts; the source's sha256
   * against the parts; the artifact's size and sha256, on the bytes read through one descriptor, and
   * that the path still names those bytes afterwards; with `expect`, symbol, spec and artifact checks.
   */
  async inspect(key: string, expect?: EntryExpectation): Promise<Inspection> {
    return this.inspectDir(this.entryDir(key), key, expect);
  }

  private async inspectDir(dir: string, key: string, expect?: EntryExpectation): Promise<Inspection> {
    const dirStat = await lstat(dir).catch(() => undefined);
    if (!dirStat) return { problem: 'missing' };
    const folder = folderProblem(dirStat, 'the entry');
    if (folder) return { problem: folder };
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const st = await lstat(join(dir, name)).catch(() => undefined);
      const problem = st && fileProblem(st, name);
      if (problem) return { problem };
    }
    const metaRead = await readTrusted(join(dir, META_NAME), META_NAME, MAX_META_BYTES);
    if (typeof metaRead === 'string') return { problem: metaRead === `${META_NAME} is missing` ? 'no meta.json (an interrupted write)' : metaRead };
    const meta = parseMeta(metaRead.bytes.toString('utf8'), key);
    if (typeof meta === 'string') return { problem: meta };
    if (expect?.symbol !== undefined && meta.symbol !== expect.symbol) return { problem: `the entry holds ${meta.symbol}, not ${expect.symbol}` };
    if (expect?.specJson !== undefined && JSON.stringify(meta.spec) !== expect.specJson) return { problem: "meta.json's spec is not the spec of this key" };
    const source = await readTrusted(join(dir, meta.files.source), 'the source', MAX_SOURCE_BYTES);
    if (typeof source === 'string') return { problem: source };
    if (sha256(source.bytes) !== meta.parts.sourceSha256) return { problem: 'the source does not match the sha256 in the key parts' };
    const artifactPath = join(dir, meta.files.artifact);
    const artifact = await readTrusted(artifactPath, 'the artifact', MAX_ARTIFACT_BYTES);
    if (typeof artifact === 'string') return { problem: artifact };
    if (artifact.bytes.length !== meta.artifactBytes) return { problem: `the artifact has ${artifact.bytes.length} bytes, meta.json says ${meta.artifactBytes}` };
    if (sha256(artifact.bytes) !== meta.artifactSha256) return { problem: 'the artifact does not match its sha256' };
    const further = expect?.artifact?.(artifact.bytes, meta);
    if (further) return { problem: further };
    if (!(await sameFile(artifactPath, artifact.stat))) return { problem: 'the artifact changed while it was checked' };
    return { entry: { dir, artifactPath, meta, artifactStat: artifact.stat } };
  }

  /** The keys of every entry folder, whole or not. */
  async keys(): Promise<string[]> {
    return (await readdir(this.root)).filter((name) => KEY_PATTERN.test(name)).sort();
  }

  /** Removes an entry (moved aside first, so no reader sees it half deleted). */
  async remove(key: string): Promise<void> {
    await this.discard(this.entryDir(key));
  }

  /** Moves an entry into .quarantine/ (kept for inspection, never loaded); returns where it went. */
  async quarantine(key: string): Promise<string> {
    const dir = await this.subfolder('.quarantine');
    const to = join(dir, `${key}-${Date.now()}`);
    await rename(this.entryDir(key), to);
    return to;
  }

  /**
   * Leftovers of interrupted writes and removals (.tmp, .trash). Work folders of compiles that still
   * run (their name carries the pid and start time of the process) are not leftovers.
   */
  async leftovers(): Promise<string[]> {
    const out: string[] = [];
    for (const sub of ['.tmp', '.trash']) {
      const names = await readdir(join(this.root, sub)).catch(() => [] as string[]);
      for (const name of names) if (!(sub === '.tmp' && workFolderAlive(name) === true)) out.push(join(this.root, sub, name));
    }
    return out;
  }

  /** A private folder of the cache (.tmp, .trash, .quarantine, .locks), created 0700; a file or symlink there is a CacheError. */
  async subfolder(name: string): Promise<string> {
    const dir = join(this.root, name);
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code !== 'EEXIST') throw storageError(`cannot create ${name}`, dir, cause);
    }
    const st = await lstat(dir).catch(() => undefined);
    if (!st?.isDirectory() || st.isSymbolicLink()) throw new CacheError(`${name} in the cache is not a directory; remove it`, dir);
    if (!trustedOwner(st.uid)) throw new CacheError(`${name} in the cache is owned by uid ${st.uid}; remove it`, dir);
    return dir;
  }

  /**
   * Builds an entry in a private folder and renames it into place. When another process commits the
   * same key first, its entry is used (after validation) and ours is dropped: one entry, every caller
   * served. The draft must fit the key (parts hash to it, the source matches the parts), so nothing
   * is ever committed under a key it does not belong to. Every tier's entries (compiled here, a
   * bundle's, a remote's) are committed through this one function.
   */
  async put(key: string, build: (workDir: string) => Promise<EntryDraft>, expect?: EntryExpectation): Promise<CacheEntry> {
    const dir = this.entryDir(key);
    let work: string;
    const tmpRoot = await this.subfolder('.tmp');
    try {
      // The name says who is writing it: maintenance commands leave the folders of live processes alone.
      work = await mkdtemp(join(tmpRoot, `${key.slice(0, 16)}-${workMarker()}-`));
    } catch (cause) {
      throw storageError('cannot start a cache entry', tmpRoot, cause);
    }
    try {
      const draft = await build(work);
      if (cacheKey(draft.parts) !== key) throw new CacheError('internal: an entry was built for other key parts than its key', dir);
      if (!(SOURCE_FILE_NAMES as readonly string[]).includes(draft.files.source) || !(ARTIFACT_FILE_NAMES as readonly string[]).includes(draft.files.artifact)) {
        throw new CacheError(`internal: entry files ${JSON.stringify(draft.files)} are not of the allowed names`, dir);
      }
      const source = await readTrusted(join(work, draft.files.source), 'the source', MAX_SOURCE_BYTES);
      if (typeof source === 'string' || sha256(source.bytes) !== draft.parts.sourceSha256) throw new CacheError('internal: the entry\'s source does not match its key parts', dir);
      const artifact = await readTrusted(join(work, draft.files.artifact), 'the artifact', MAX_ARTIFACT_BYTES);
      if (typeof artifact === 'string') throw new CacheError(`cannot commit the entry: ${artifact}`, dir);
      // What would fail the load checks later is refused now: else every later load would rebuild it.
      const refused = expect?.artifact?.(artifact.bytes, { ...draft, format: CACHE_FORMAT_VERSION, key, artifactBytes: artifact.bytes.length, artifactSha256: '', createdAt: '' });
      if (refused) throw new CacheError(`the built artifact would be refused when loaded: ${refused}`, dir);
      const meta: EntryMeta = {
        ...draft,
        format: CACHE_FORMAT_VERSION,
        key,
        artifactBytes: artifact.bytes.length,
        artifactSha256: sha256(artifact.bytes),
        createdAt: new Date().toISOString(),
      };
      await writeFile(join(work, META_NAME), `${JSON.stringify(meta, null, 2)}\n`, { mode: 0o600 }).catch((cause: unknown) => {
        throw storageError('cannot write the entry', dir, cause);
      });
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          await rename(work, dir);
          return { dir, artifactPath: join(dir, meta.files.artifact), meta, artifactStat: artifact.stat };
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw storageError('cannot commit cache entry', dir, err);
          const winner = await this.get(key, expect); // removes the existing entry if it is broken
          if (winner) return winner;
        }
      }
      throw new CacheError('cannot commit cache entry: it keeps being replaced', dir);
    } catch (err) {
      // A build that failed for lack of space says so, whatever step hit it.
      throw err instanceof CacheError || !isStorageFault(err) ? err : storageError('cannot write the entry', dir, err);
    } finally {
      await rm(work, { recursive: true, force: true }); // nothing partial stays behind
    }
  }

  /**
   * Moves an entry aside first, so no reader ever sees it half deleted. With `brokenKey`, what was
   * moved is checked again: if another process replaced the broken entry with a sound one meanwhile,
   * that one is put back rather than deleted under the process that just built it.
   */
  private async discard(dir: string, brokenKey?: string, expect?: EntryExpectation): Promise<void> {
    const trash = await this.subfolder('.trash');
    const aside = join(trash, `${randomBytes(8).toString('hex')}`);
    try {
      await rename(dir, aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // someone else removed it
      throw new CacheError('cannot remove a broken cache entry', dir, { cause: err });
    }
    if (brokenKey !== undefined && (await this.inspectDir(aside, brokenKey, expect)).entry) {
      const restored = await rename(aside, dir).then(() => true, () => false);
      if (restored) return;
    }
    await rm(aside, { recursive: true, force: true });
  }
}

