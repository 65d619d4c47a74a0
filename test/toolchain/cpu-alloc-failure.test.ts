// A CPU kernel whose working buffers cannot be allocated returns status -2, and the caller gets a
// typed error; the process lives on and the next call (with memory back) computes the right thing.
// Before the templates caught std::bad_alloc inside the OpenMP region, this aborted node. The
// failure is real, not injected: the child's address space is capped (prlimit --as) just above what
// it maps once its tensors exist, so only the kernel's own per-thread buffers (hundreds of MiB) fail.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/compile.js';
import { CASES } from '../fixtures/alloc-failure-cases.js';
import { executable, hasCxx } from '../helpers/requirements.js';

const child = fileURLToPath(new URL('../fixtures/alloc-failure.ts', import.meta.url));
const PRLIMIT = ['/usr/bin/prlimit', '/bin/prlimit'].find(executable);
/** Room left above the child's mapped size: enough for node's own small allocations, far less than one thread's buffers. */
const HEADROOM_BYTES = 128 << 20;

type Step = { step: string; outcome?: string; error?: string; code?: string; message?: string; pid?: number; sound?: boolean };

/** Runs the child through its steps, capping and lifting its address space when it says it is ready. */
async function runCase(name: string, cacheDir: string): Promise<{ steps: Step[]; exit: number | null; signal: string | null; stderr: string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', child, name, cacheDir], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const steps: Step[] = [];
  const exited = new Promise<{ exit: number | null; signal: string | null }>((resolve) => proc.on('exit', (exit, signal) => resolve({ exit, signal })));
  for await (const line of createInterface({ input: proc.stdout })) {
    const step = JSON.parse(line) as Step;
    steps.push(step);
    if (step.step === 'ready') {
      const vmSizeKb = Number(/VmSize:\s+(\d+) kB/.exec(readFileSync(`/proc/${step.pid}/status`, 'utf8'))![1]);
      await execa(PRLIMIT!, ['--pid', String(step.pid), `--as=${vmSizeKb * 1024 + HEADROOM_BYTES}:`]);
      proc.stdin.write('go\n');
    } else if (step.step === 'capped') {
      await execa(PRLIMIT!, ['--pid', String(proc.pid), '--as=unlimited:']);
      proc.stdin.write('again\n');
    }
  }
  return { steps, ...(await exited), stderr };
}

describe.skipIf(!hasCxx || !PRLIMIT || process.platform !== 'linux')('CPU kernels out of memory (needs a C++ compiler and prlimit)', () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'dwconv-oom-'));
  beforeAll(async () => {
    // Compiled here, so the children only load (a compiler under the cap is not what is tested).
    for (const c of Object.values(CASES)) await compile(c.spec, { target: 'cpu', cacheDir });
  });

  it.each(Object.keys(CASES))('%s: status -2 is a typed error, the process lives, the next call is right', async (name) => {
    const r = await runCase(name, cacheDir);
    expect(r.signal, r.stderr.slice(-800)).toBeNull();
    expect(r.exit, r.stderr.slice(-800)).toBe(0);
    expect(r.steps.map((s) => s.step)).toEqual(['warm', 'ready', 'capped', 'lifted']);
    expect(r.steps[0]).toMatchObject({ outcome: 'ran' });
    expect(r.steps[2]).toMatchObject({ outcome: 'refused', error: 'DwconvError', code: 'ERR_DWCONV' });
    expect(r.steps[2]!.message).toMatch(/status -2/);
    expect(r.steps[3]).toMatchObject({ outcome: 'ran', sound: true });
  });
});
