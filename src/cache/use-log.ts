import { closeSync, constants, fstatSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { USES_NAME } from './entry-meta.js';
import { fileProblem } from './trust.js';

/**
 * Appends a use to the entry in `dir` (O_APPEND: concurrent writers never lose one). Not file access
 * times: many mounts do not keep them. Never through a symlink, and never into a file with a second
 * name elsewhere. A use not counted is not worth failing a load: errors are swallowed. Synchronous:
 * a few bytes on every hit, where each thread-pool round trip would cost more than the write.
 */
export function appendUse(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(join(dir, USES_NAME), constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o600);
    if (fileProblem(fstatSync(fd), USES_NAME) === undefined) writeSync(fd, `${Date.now()}\n`);
  } catch {
    // not counted
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
