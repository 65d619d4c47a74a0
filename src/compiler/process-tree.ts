// Ends a compiler with everything it started. The C++ and CUDA drivers leave their compiler proper
// (cc1plus, cicc, ptxas) running when they are killed alone, and those then run to the end. The
// compiler stays in the caller's process group (a terminal's Ctrl-C reaches it with the app), so the
// tree is found by parent ids instead (Linux: /proc). Each process is stopped before its children are
// looked up: a stopped process cannot start another one or exit (and lose its children to init)
// while the tree is collected; then all of them are killed at once.
import { readdirSync, readFileSync } from 'node:fs';

/** Every live process's children, by parent id, from /proc/<pid>/stat. */
function childrenByParent(): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // gone since the listing
    }
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so fields count from its last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!Number.isSafeInteger(ppid)) continue;
    const list = out.get(ppid) ?? [];
    list.push(Number(name));
    out.set(ppid, list);
  }
  return out;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone already
  }
}

/** SIGKILLs `root` and every process below it. Never signals a process outside that tree. */
export function killTree(root: number): void {
  const stopped = new Set<number>([root]);
  signal(root, 'SIGSTOP');
  // Until a pass finds no process not yet stopped (bounded: a tree that keeps growing is killed as found).
  for (let pass = 0; pass < 50; pass++) {
    const children = childrenByParent();
    const fresh: number[] = [];
    const walk = (pid: number) => {
      for (const child of children.get(pid) ?? []) {
        if (!stopped.has(child)) fresh.push(child);
        stopped.add(child);
        walk(child);
      }
    };
    walk(root);
    if (fresh.length === 0) break;
    for (const pid of fresh) signal(pid, 'SIGSTOP');
  }
  for (const pid of stopped) signal(pid, 'SIGKILL');
}
