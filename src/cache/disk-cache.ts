import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, appendFile, lstat, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CacheError } from '../errors.js';
import { CACHE_FORMAT_VERSION, sha256, type KeyParts } from './key.js';

export const META_NAME = 'meta.json';
/** One line (a millisecond timestamp) appended per use: last use and hit count without read-modify-write races. */
export const USES_NAME = 'uses.log';

/** meta.json: written last inside the entry, so its presence marks a complete entry. */
export interface EntryMeta {
  readonly format: number;
  readonly key: string;
  readonly parts: KeyParts;
  readonly symbol: string;
  readonly spec: unknown;
  readonly variant: Readonly<Record<string, string | number>>;
  readonly files: { readonly source: string; readonly artifact: string };
  readonly artifactBytes: number;
  readonly artifactSha256: string;
  readonly compilerPath: string;
  readonly compileMilliseconds: number;
  readonly createdAt: string;
}

export interface CacheEntry {
  readonly dir: string;
  readonly artifactPath: string;
  readonly meta: EntryMeta;
}

/** What a build writes into its private folder before the entry is committed. */
export type EntryDraft = Omit<EntryMeta, 'format' | 'key' | 'artifactBytes' | 'artifactSha256' | 'createdAt'>;

const KEY_PATTERN = /^[0-9a-f]{64}$/;

/** A content-addressed directory of compiled kernels: one folder per key, committed by rename. */
export class DiskCache {
  private constructor(readonly root: string) {}

  /** Creates the directory (0700) if needed; refuses one owned by another user or writable by others: it holds code we load. */
  static async open(root: string): Promise<DiskCache> {
    try {
      await mkdir(root, { recursive: true, mode: 0o700 });
    } catch (cause) {
      throw storageError('cannot create the cache directory', root, cause);
    }
    const st = await stat(root);
    if (!st.isDirectory()) throw new CacheError('the cache path is not a directory', root);
    const uid = process.getuid?.();
    if (uid !== undefined && st.uid !== uid) {
      throw new CacheError(`the cache directory is owned by uid ${st.uid}, not by this user (uid ${uid}); choose another with DWCONV_JIT_CACHE_DIR or cacheDir`, root);
    }
    if ((st.mode & 0o022) !== 0) {
      throw new CacheError(`the cache directory is writable by group or others (mode ${(st.mode & 0o777).toString(8)}); run chmod 700 on it`, root);
    }
    // No silent fallback to a temporary cache: it would hide the misconfiguration and recompile every run.
    await access(root, constants.W_OK | constants.X_OK).catch((cause: unknown) => {
      throw storageError('the cache directory is not writable', root, cause);
    });
    return new DiskCache(root);
  }

  /** A cache that is only read (a precompiled layer): no creation, no permission changes, nothing removed. */
  static readOnly(root: string): DiskCache {
    return new DiskCache(root);
  }

  entryDir(key: string): string {
    if (!KEY_PATTERN.test(key)) throw new CacheError(`not a cache key: ${key}`, this.root);
    return join(this.root, key);
  }

  /** A complete entry whose artifact matches its recorded sha256, or undefined. A broken entry is removed. */
  async get(key: string): Promise<CacheEntry | undefined> {
    const found = await this.inspect(key);
    if (found.problem && found.problem !== 'missing') await this.discard(this.entryDir(key), key);
    if (found.entry) await this.recordUse(key);
    return found.entry;
  }

  /** Appends a use (O_APPEND: concurrent writers never lose one). Not file access times: many mounts do not keep them. */
  async recordUse(key: string): Promise<void> {
    await appendFile(join(this.entryDir(key), USES_NAME), `${Date.now()}\n`, { mode: 0o600 }).catch(() => undefined);
  }

  /** Hits and the last use (or the creation time when never used). */
  async usage(key: string, createdAt: string): Promise<{ hits: number; lastUsed: string }> {
    const text = await readFile(join(this.entryDir(key), USES_NAME), 'utf8').catch(() => '');
    const stamps = text.split('\n').filter(Boolean).map(Number).filter(Number.isFinite);
    return { hits: stamps.length, lastUsed: stamps.length ? new Date(Math.max(...stamps)).toISOString() : createdAt };
  }

  /** The entry if it is whole and its artifact matches its hash, else what is wrong with it. Changes nothing. */
  async inspect(key: string): Promise<{ entry?: CacheEntry; problem?: string }> {
    return this.inspectDir(this.entryDir(key), key);
  }

  private async inspectDir(dir: string, key: string): Promise<{ entry?: CacheEntry; problem?: string }> {
    // An entry (or a file in it) that is a symlink could point anywhere: refused, never followed to a load.
    const dirStat = await lstat(dir).catch(() => undefined);
    if (!dirStat) return { problem: 'missing' };
    if (!dirStat.isDirectory()) return { problem: dirStat.isSymbolicLink() ? 'the entry is a symlink' : 'the entry is not a directory' };
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      if ((await lstat(join(dir, name)).catch(() => undefined))?.isSymbolicLink()) return { problem: `${name} is a symlink` };
    }
    let metaText: string;
    try {
      metaText = await readFile(join(dir, META_NAME), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new CacheError('cannot read cache entry', dir, { cause: err });
      return { problem: 'no meta.json (an interrupted write)' };
    }
    let meta: EntryMeta;
    try {
      meta = JSON.parse(metaText) as EntryMeta;
    } catch {
      return { problem: 'meta.json is not valid JSON' };
    }
    if (meta.format !== CACHE_FORMAT_VERSION) return { problem: `cache format ${String(meta.format)}, this version reads ${CACHE_FORMAT_VERSION}` };
    if (meta.key !== key) return { problem: 'meta.json names another key' };
    if (typeof meta.files?.artifact !== 'string' || meta.files.artifact.includes('/')) return { problem: 'meta.json names no artifact inside the entry' };
    const artifactPath = join(dir, meta.files.artifact);
    let bytes: Buffer;
    try {
      bytes = await readFile(artifactPath);
    } catch {
      return { problem: 'the artifact is missing' };
    }
    if (bytes.length !== meta.artifactBytes) return { problem: `the artifact has ${bytes.length} bytes, meta.json says ${meta.artifactBytes}` };
    if (sha256(bytes) !== meta.artifactSha256) return { problem: 'the artifact does not match its sha256' };
    return { entry: { dir, artifactPath, meta } };
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
    const dir = join(this.root, '.quarantine');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const to = join(dir, `${key}-${Date.now()}`);
    await rename(this.entryDir(key), to);
    return to;
  }

  /** Leftovers of interrupted writes and removals (.tmp, .trash). */
  async leftovers(): Promise<string[]> {
    const out: string[] = [];
    for (const sub of ['.tmp', '.trash']) {
      try {
        out.push(...(await readdir(join(this.root, sub))).map((n) => join(this.root, sub, n)));
      } catch {
        // none
      }
    }
    return out;
  }

  /**
   * Builds an entry in a private folder and renames it into place. When another process commits the
   * same key first, its entry is used (after validation) and ours is dropped: one entry, every caller served.
   */
  async put(key: string, build: (workDir: string) => Promise<EntryDraft>): Promise<CacheEntry> {
    const dir = this.entryDir(key);
    const tmpRoot = join(this.root, '.tmp');
    let work: string;
    try {
      await mkdir(tmpRoot, { recursive: true, mode: 0o700 });
      work = await mkdtemp(join(tmpRoot, `${key.slice(0, 16)}-${process.pid}-`));
    } catch (cause) {
      throw storageError('cannot start a cache entry', tmpRoot, cause);
    }
    try {
      const draft = await build(work);
      const bytes = await readFile(join(work, draft.files.artifact));
      const meta: EntryMeta = {
        ...draft,
        format: CACHE_FORMAT_VERSION,
        key,
        artifactBytes: bytes.length,
        artifactSha256: sha256(bytes),
        createdAt: new Date().toISOString(),
      };
      await writeFile(join(work, META_NAME), `${JSON.stringify(meta, null, 2)}\n`, { mode: 0o600 }).catch((cause: unknown) => {
        throw storageError('cannot write the entry', dir, cause);
      });
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          await rename(work, dir);
          return { dir, artifactPath: join(dir, meta.files.artifact), meta };
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw storageError('cannot commit cache entry', dir, err);
          const winner = await this.get(key); // removes the existing entry if it is broken
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
  private async discard(dir: string, brokenKey?: string): Promise<void> {
    const trash = join(this.root, '.trash');
    await mkdir(trash, { recursive: true, mode: 0o700 });
    const aside = join(trash, `${randomBytes(8).toString('hex')}`);
    try {
      await rename(dir, aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // someone else removed it
      throw new CacheError('cannot remove a broken cache entry', dir, { cause: err });
    }
    if (brokenKey !== undefined && (await this.inspectDir(aside, brokenKey)).entry) {
      const restored = await rename(aside, dir).then(() => true, () => false);
      if (restored) return;
    }
    await rm(aside, { recursive: true, force: true });
  }
}

const STORAGE_FAULTS: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on the device: free some, or point DWCONV_JIT_CACHE_DIR at another disk',
  EDQUOT: 'the disk quota is exhausted: free some, or point DWCONV_JIT_CACHE_DIR at another disk',
  EROFS: 'the file system is read-only: point DWCONV_JIT_CACHE_DIR at a writable directory',
  EACCES: 'permission denied: point DWCONV_JIT_CACHE_DIR at a directory this user can write',
  EPERM: 'operation not permitted: point DWCONV_JIT_CACHE_DIR at a directory this user can write',
  EFBIG: 'a file grew past the size limit (ulimit -f)',
};

function isStorageFault(err: unknown): boolean {
  return typeof (err as NodeJS.ErrnoException | undefined)?.code === 'string' && (err as NodeJS.ErrnoException).code! in STORAGE_FAULTS;
}

/** A CacheError that says what the file system refused and what to do about it. */
export function storageError(what: string, path: string, cause: unknown): CacheError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const why = code !== undefined && code in STORAGE_FAULTS ? `: ${STORAGE_FAULTS[code]}` : '';
  return new CacheError(`${what}${why}`, path, { cause });
}
