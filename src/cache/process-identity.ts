// Which process holds a lock or a work folder, told apart from a later process that got the same pid
// (pids are reused, and a container restart hands out pid 1 again): the pid with its start time from
// /proc/<pid>/stat, and the boot id. Where /proc is missing the pid alone is used.
import { readFileSync } from 'node:fs';

export interface ProcessIdentity {
  readonly pid: number;
  /** Field 22 of /proc/<pid>/stat (clock ticks after boot), or null where unreadable. */
  readonly start: string | null;
  /** /proc/sys/kernel/random/boot_id, or null where unreadable. */
  readonly boot: string | null;
}

export function startTimeOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name (field 2) may hold spaces and parentheses: fields are counted after its last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

let boot: string | null | undefined;
export function bootId(): string | null {
  if (boot === undefined) {
    try {
      boot = readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim() || null;
    } catch {
      boot = null;
    }
  }
  return boot;
}

let self: ProcessIdentity | undefined;
export function selfIdentity(): ProcessIdentity {
  return (self ??= { pid: process.pid, start: startTimeOf(process.pid), boot: bootId() });
}

/** Whether the process that recorded `id` (on this host) still runs. pid 0 or below is never a process. */
export function isAlive(id: { pid: unknown; start?: unknown; boot?: unknown }): boolean {
  const pid = id.pid;
  if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0) return false;
  if (typeof id.boot === 'string' && bootId() !== null && id.boot !== bootId()) return false; // recorded before a reboot
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false; // EPERM: exists, another user's
  }
  if (typeof id.start === 'string') {
    const now = startTimeOf(pid);
    if (now !== null && now !== id.start) return false; // the pid now names another process
  }
  return true;
}

/** A name fragment for private work folders: `<pid>.<start>` (start '0' where unknown). */
export function workMarker(): string {
  const me = selfIdentity();
  return `${me.pid}.${me.start ?? '0'}`;
}

/** Whether a work folder named with workMarker() belongs to a live process; undefined when the name has no marker. */
export function workFolderAlive(name: string): boolean | undefined {
  const m = /-(\d+)\.(\d+)-[^-]*$/.exec(name);
  if (!m) return undefined;
  return isAlive({ pid: Number(m[1]), ...(m[2] === '0' ? {} : { start: m[2] }) });
}
