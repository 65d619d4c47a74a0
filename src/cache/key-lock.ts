import { randomBytes } from 'node:crypto';
import { mkdir, readFile, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { sleepUnlessAborted, throwIfAborted } from '../abort.js';
import { CacheError } from '../errors.js';
import { storageError } from './disk-cache.js';
import { isAlive, selfIdentity } from './process-identity.js';

interface Holder {
  readonly pid: number;
  /** The holder's start time (/proc/<pid>/stat) and boot id: a reused pid is not the holder. */
  readonly start: string | null;
  readonly boot: string | null;
  readonly host: string;
  readonly token: string;
  readonly since: string;
}

export { lockTimeoutMs } from './lock-timeout.js';

/**
 * The holder touches its lock this often; a lock untouched for STALE_MS is abandoned whoever wrote
 * it (a frozen or foreign holder, a pid namespace we cannot see into). A live compile keeps it fresh.
 */
const HEARTBEAT_MS = 10_000;
const STALE_MS = 5 * 60_000;

async function readHolder(path: string): Promise<Holder | undefined> {
  try {
    const h = JSON.parse(await readFile(path, 'utf8')) as unknown;
    return typeof h === 'object' && h !== null && typeof (h as Holder).token === 'string' ? (h as Holder) : undefined;
  } catch {
    return undefined;
  }
}

export function lockPath(root: string, key: string): string {
  return join(root, '.locks', `${key}.lock`);
}

/** Whether a live process holds the compile lock of `key` (maintenance leaves such entries alone). */
export async function lockHeld(root: string, key: string): Promise<boolean> {
  const path = lockPath(root, key);
  const holder = await readHolder(path);
  const age = await stat(path).then((s) => Date.now() - s.mtimeMs, () => Infinity);
  if (age === Infinity) return false;
  return !abandoned(holder, age);
}

function abandoned(holder: Holder | undefined, ageMs: number): boolean {
  if (ageMs > STALE_MS) return true;
  if (!holder) return ageMs > 2_000; // unreadable for 2 s: its writer died between create and write
  if (holder.host !== hostname()) return false; // its pid cannot be checked from here: the heartbeat decides
  return !isAlive(holder);
}

/**
 * Runs `fn` while holding the compile lock of one key, so concurrent processes compile a key once
 * and the others find the entry. A lock whose holder died (same host, pid gone; SIGKILL included) is
 * taken over at once; a live holder is waited for up to `timeoutMs`, then a CacheError names its pid
 * and host. The lock only saves work: the entry commit is safe without it.
 * `signal` stops the wait at once (an AbortError); the lock is released however `fn` ends.
 */
export async function withKeyLock<T>(root: string, key: string, timeoutMs: number, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  throwIfAborted(signal, 'compile');
  const dir = join(root, '.locks');
  await mkdir(dir, { recursive: true, mode: 0o700 }).catch((cause: unknown) => {
    throw storageError('cannot create the lock directory', dir, cause);
  });
  const path = lockPath(root, key);
  const me: Holder = { ...selfIdentity(), host: hostname(), token: randomBytes(8).toString('hex'), since: new Date().toISOString() };
  const deadline = Date.now() + timeoutMs;
  for (let wait = 20; ; wait = Math.min(wait * 2, 250)) {
    try {
      await writeFile(path, JSON.stringify(me), { flag: 'wx', mode: 0o600 });
      break;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') {
        // 'wx' created the file before the write ran out of space: it is ours, and empty.
        if (code === 'ENOSPC' || code === 'EDQUOT') await unlink(path).catch(() => undefined);
        throw storageError('cannot create a compile lock', path, err);
      }
    }
    const holder = await readHolder(path);
    const age = await stat(path).then((s) => Date.now() - s.mtimeMs, () => 0);
    if (abandoned(holder, age)) {
      const again = await readHolder(path);
      if (again?.token === holder?.token) await unlink(path).catch(() => undefined);
      continue;
    }
    if (Date.now() > deadline) {
      throw new CacheError(`waited ${Math.round(timeoutMs / 1000)} s for the compile of this kernel held by pid ${holder?.pid ?? '?'} on host ${holder?.host ?? '?'}; remove the lock if that process is gone`, path);
    }
    await sleepUnlessAborted(wait, signal, 'compile');
  }
  const heartbeat = setInterval(() => {
    const now = new Date();
    void utimes(path, now, now).catch(() => undefined);
  }, HEARTBEAT_MS);
  heartbeat.unref();
  try {
    return await fn();
  } finally {
    clearInterval(heartbeat);
    if ((await readHolder(path))?.token === me.token) await unlink(path).catch(() => undefined);
  }
}
