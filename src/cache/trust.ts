// The file-system half of the trust model (docs/reliability.md): cache entries are executable code,
// so before anything is loaded the folders and files that hold it must be writable by nobody but
// this user or root, and the bytes that are hashed must be the bytes that get loaded.
import { constants, type Stats } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** The owners whose files may be loaded: this user and root (who can replace anything anyway). */
export function trustedOwner(uid: number): boolean {
  const me = process.getuid?.();
  return me === undefined || uid === me || uid === 0;
}

/** Why this folder may not hold code we load, or undefined. `st` from lstat. */
export function folderProblem(st: Stats, what: string): string | undefined {
  if (st.isSymbolicLink()) return `${what} is a symlink`;
  if (!st.isDirectory()) return `${what} is not a directory`;
  if (!trustedOwner(st.uid)) return `${what} is owned by uid ${st.uid}, neither this user nor root`;
  if ((st.mode & 0o022) !== 0) return `${what} is writable by group or others (mode ${(st.mode & 0o777).toString(8)})`;
  return undefined;
}

/** Why this file may not be loaded (or hashed as part of an entry), or undefined. `st` from lstat or fstat. */
export function fileProblem(st: Stats, what: string): string | undefined {
  if (st.isSymbolicLink()) return `${what} is a symlink`;
  if (!st.isFile()) return `${what} is not a regular file`;
  // A second name elsewhere would let whoever holds it change the bytes behind the entry's back.
  if (st.nlink > 1) return `${what} has ${st.nlink} hard links`;
  if (!trustedOwner(st.uid)) return `${what} is owned by uid ${st.uid}, neither this user nor root`;
  if ((st.mode & 0o022) !== 0) return `${what} is writable by group or others (mode ${(st.mode & 0o777).toString(8)})`;
  return undefined;
}

/**
 * Every folder from `dir` up to `/` (for a precompiled layer: anyone who can rename a parent can put
 * another layer in its place). A world-writable folder is accepted only when it is root's and sticky
 * (/tmp): there nobody but a folder's owner can rename or remove it.
 */
export async function chainProblem(dir: string): Promise<string | undefined> {
  let at = resolve(dir);
  for (;;) {
    const st = await lstat(at).catch(() => undefined);
    if (!st) return `${at} does not exist`;
    if (st.isSymbolicLink()) return `${at} is a symlink`;
    if (!st.isDirectory()) return `${at} is not a directory`;
    if (!trustedOwner(st.uid)) return `${at} is owned by uid ${st.uid}, neither this user nor root`;
    const stickyRoot = (st.mode & 0o1000) !== 0 && st.uid === 0 && at !== resolve(dir);
    if ((st.mode & 0o022) !== 0 && !stickyRoot) return `${at} is writable by group or others (mode ${(st.mode & 0o7777).toString(8)})`;
    const parent = dirname(at);
    if (parent === at) return undefined;
    at = parent;
  }
}

export interface TrustedBytes {
  readonly bytes: Buffer;
  readonly stat: Stats;
}

/**
 * Reads a file of an entry through one descriptor opened with O_NOFOLLOW: the checks (owner, mode,
 * one link, size bound) are made on what was opened, and the bytes returned are that file's.
 * Returns a problem string instead when the file may not be used; throws only for unexpected I/O errors.
 */
export async function readTrusted(path: string, what: string, maxBytes: number): Promise<TrustedBytes | string> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return `${what} is missing`;
    if (code === 'ELOOP' || code === 'EMLINK') return `${what} is a symlink`;
    if (code === 'EISDIR') return `${what} is not a regular file`;
    return `${what} cannot be opened (${code ?? String(err)})`;
  }
  try {
    const st = await handle.stat();
    const problem = fileProblem(st, what);
    if (problem) return problem;
    if (st.size > maxBytes) return `${what} has ${st.size} bytes, more than the ${maxBytes} allowed`;
    const bytes = await handle.readFile();
    if (bytes.length !== st.size) return `${what} changed while it was read`;
    return { bytes, stat: st };
  } finally {
    await handle.close();
  }
}

/**
 * Whether `path` still names the file that `before` describes (same inode, size and times): checked
 * after hashing, so the path handed to the loader is the file whose bytes were hashed. Together with
 * folders only this user or root can write, nobody else can swap it between this check and the load.
 */
export async function sameFile(path: string, before: Stats): Promise<boolean> {
  const now = await lstat(path).catch(() => undefined);
  return (
    now !== undefined && now.isFile() && now.dev === before.dev && now.ino === before.ino && now.size === before.size &&
    now.mtimeMs === before.mtimeMs && now.ctimeMs === before.ctimeMs
  );
}
