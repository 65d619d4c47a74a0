// The checks the user's cache directory must pass before anything in it is trusted: it holds code
// we load. Shared by the full lookup (DiskCache.open) and the remembered-hit path, which serves an
// entry without opening the cache and must refuse the same roots. Synchronous: an lstat and an
// access, on every hit.
import { accessSync, constants, lstatSync } from 'node:fs';
import { CacheError } from '../errors.js';

const STORAGE_FAULTS: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on the device: free some, or point DWCONV_JIT_CACHE_DIR at another disk',
  EDQUOT: 'the disk quota is exhausted: free some, or point DWCONV_JIT_CACHE_DIR at another disk',
  EROFS: 'the file system is read-only: point DWCONV_JIT_CACHE_DIR at a writable directory',
  EACCES: 'permission denied: point DWCONV_JIT_CACHE_DIR at a directory this user can write',
  EPERM: 'operation not permitted: point DWCONV_JIT_CACHE_DIR at a directory this user can write',
  EFBIG: 'a file grew past the size limit (ulimit -f)',
};

export function isStorageFault(err: unknown): boolean {
  return typeof (err as NodeJS.ErrnoException | undefined)?.code === 'string' && (err as NodeJS.ErrnoException).code! in STORAGE_FAULTS;
}

/** A CacheError that says what the file system refused and what to do about it. */
export function storageError(what: string, path: string, cause: unknown): CacheError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const why = code !== undefined && code in STORAGE_FAULTS ? `: ${STORAGE_FAULTS[code]}` : '';
  return new CacheError(`${what}${why}`, path, { cause });
}

/**
 * Throws the CacheError that says why `root` (which exists) may not be used as the cache directory:
 * a symlink, not a directory, another user's, writable by group or others, or not writable by us.
 */
export function checkCacheRoot(root: string): void {
  const st = lstatSync(root);
  if (st.isSymbolicLink()) throw new CacheError('the cache path is a symlink; point DWCONV_JIT_CACHE_DIR or cacheDir at the real directory', root);
  if (!st.isDirectory()) throw new CacheError('the cache path is not a directory', root);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    throw new CacheError(`the cache directory is owned by uid ${st.uid}, not by this user (uid ${uid}); choose another with DWCONV_JIT_CACHE_DIR or cacheDir`, root);
  }
  if ((st.mode & 0o022) !== 0) {
    throw new CacheError(`the cache directory is writable by group or others (mode ${(st.mode & 0o777).toString(8)}); run chmod 700 on it`, root);
  }
  // No silent fallback to a temporary cache: it would hide the misconfiguration and recompile every run.
  try {
    accessSync(root, constants.W_OK | constants.X_OK);
  } catch (cause) {
    throw storageError('the cache directory is not writable', root, cause);
  }
}
