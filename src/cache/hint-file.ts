// The cache's small hint files (.sources.json, .hits.json) read on every hit: only what they hint is
// used, after its own checks, so a file that may not be read as one is no hint at all. Opened without
// blocking or following a link: a FIFO or a device at the path must not hang the process, and a
// symlink must not lead elsewhere.
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
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
