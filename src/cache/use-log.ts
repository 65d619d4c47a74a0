import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { USES_NAME } from './entry-meta.js';
import { fileProblem } from './trust.js';

/**
 * Appends a use to the entry in `dir` (O_APPEND: concurrent writers never lose one). Not file access
 * times: many mounts do not keep them. Never through a symlink, and never into a file with a second
 * name elsewhere. A use not counted is not worth failing a load: errors are swallowed.
 */
export async function appendUse(dir: string): Promise<void> {
  const handle = await open(join(dir, USES_NAME), constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o600).catch(() => undefined);
  if (!handle) return;
  try {
    const st = await handle.stat();
    if (fileProblem(st, USES_NAME) === undefined) await handle.write(`${Date.now()}\n`);
  } catch {
    // not counted
  } finally {
    await handle.close();
  }
}
