// The cache's small hint files (.sources.json, .hits.json, .toolchains.json) read on every hit: only
// what they hint is used, after its own checks, so a file that may not be read as one is no hint at
// all. Opened without blocking or following a link: a FIFO or a device at the path must not hang the
// process, and a symlink must not lead elsewhere. Written whole or not at all.
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomHex } from './key.js';
import { fileProblem } from './trust.js';

/** The file's text when it is a regular, trusted file of at most `maxBytes`; undefined otherwise (missing, special, too big, unreadable). */
export function readHintFile(path: string, maxBytes: number): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    const st = fstatSync(fd);
    if (fileProblem(st, path) || st.size > maxBytes) return undefined;
    const bytes = readFileSync(fd);
    return bytes.length > maxBytes ? undefined : bytes.toString('utf8');
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Replaces the hint file at `path` with `text`: written to a private temporary file beside it (0600)
 * and renamed over it, so readers see the old file or the new one. A failure leaves the old file
 * and no temporary one: a hint not written only costs the next process the work it saves.
 */
export async function writeHintFile(path: string, text: string): Promise<void> {
  const tmp = join(dirname(path), `${basename(path)}.${process.pid}.${randomHex(4)}`);
  try {
    await writeFile(tmp, text, { mode: 0o600, flag: 'wx' });
    await rename(tmp, path);
  } catch {
    await unlink(tmp).catch(() => undefined);
  }
}
