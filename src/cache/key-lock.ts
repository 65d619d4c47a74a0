import { randomBytes } from 'node:crypto';
import { mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CacheError, SpecError } from '../errors.js';
import { storageError } from './disk-cache.js';

interface Holder {
  readonly pid: number;
  readonly host: string;
  readonly token: string;
  readonly since: string;
}

/** DWCONV_JIT_LOCK_TIMEOUT in milliseconds (default 10 minutes); anything but a whole number is a SpecError. */
export function lockTimeoutMs(value: string | undefined): number {
  if (value === undefined) return 600_000;
  if (!/^\d{1,9}$/.test(value)) throw new SpecError('DWCONV_JIT_LOCK_TIMEOUT', value, 'milliseconds, an integer from 0 to 999999999');
  return Number(value);
}

/** A lock file of another host is taken as abandoned after this long (its pid cannot be checked from here). */
const FOREIGN_STALE_MS = 30 * 60_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

async function readHolder(path: string): Promise<Holder | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Holder;
  } catch {
    return undefined;
  }
}

/**
 * Runs `fn` while holding the compile lock of one key, so concurrent processes compile a key once
 * and the others find the entry. A lock whose holder died (same host, pid gone; SIGKILL included) is
 * taken over at once; a live holder is waited for up to `timeoutMs`, then a CacheError names its pid
 * and host. The lock only saves work: the entry commit is safe without it.
 */
export async function withKeyLock<T>(root: string, key: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const dir = join(root, '.locks');
  await mkdir(dir, { recursive: true, mode: 0o700 }).catch((cause: unknown) => {
    throw storageError('cannot create the lock directory', dir, cause);
  });
  const path = join(dir, `${key}.lock`);
  const me: Holder = { pid: process.pid, host: hostname(), token: randomBytes(8).toString('hex'), since: new Date().toISOString() };
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
    const abandoned = holder
      ? holder.host === me.host ? !alive(holder.pid) : age > FOREIGN_STALE_MS
      : age > 2_000; // unreadable for 2 s: its writer died between create and write
    if (abandoned) {
      const again = await readHolder(path);
      if (again?.token === holder?.token) await unlink(path).catch(() => undefined);
      continue;
    }
    if (Date.now() > deadline) {
      throw new CacheError(`waited ${Math.round(timeoutMs / 1000)} s for the compile of this kernel held by pid ${holder?.pid ?? '?'} on host ${holder?.host ?? '?'}; remove the lock if that process is gone`, path);
    }
    await sleep(wait);
  }
  try {
    return await fn();
  } finally {
    if ((await readHolder(path))?.token === me.token) await unlink(path).catch(() => undefined);
  }
}
