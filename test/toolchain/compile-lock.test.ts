import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { CacheError, SpecError } from '../../src/errors.js';
import { lockTimeoutMs, withKeyLock } from '../../src/cache/key-lock.js';
import { hasCxx } from '../helpers/requirements.js';

const child = fileURLToPath(new URL('../fixtures/compile-and-check.ts', import.meta.url));
const KEY = 'c'.repeat(64);

describe('compile lock', () => {
  it('takes its timeout from DWCONV_JIT_LOCK_TIMEOUT, and a bad value is a SpecError', () => {
    expect(lockTimeoutMs(undefined)).toBe(600_000);
    expect(lockTimeoutMs('250')).toBe(250);
    expect(() => lockTimeoutMs('10s')).toThrow(SpecError);
  });

  it('a live holder is waited for, then the error names its pid and host', async () => {
    const root = mkdtempSync(join(tmpdir(), 'dwconv-lock-'));
    mkdirSync(join(root, '.locks'));
    writeFileSync(join(root, '.locks', `${KEY}.lock`), JSON.stringify({ pid: process.pid, host: hostname(), token: 'other', since: 'now' }));
    const started = Date.now();
    const err = await withKeyLock(root, KEY, 300, async () => 'ran').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CacheError);
    expect((err as Error).message).toContain(`pid ${process.pid} on host ${hostname()}`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  it('a dead holder (its pid is gone) is taken over at once, and the lock is released after', async () => {
    const root = mkdtempSync(join(tmpdir(), 'dwconv-lock-'));
    mkdirSync(join(root, '.locks'));
    const dead = (await execa(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'])).stdout;
    writeFileSync(join(root, '.locks', `${KEY}.lock`), JSON.stringify({ pid: Number(dead), host: hostname(), token: 'dead', since: 'then' }));
    const started = Date.now();
    expect(await withKeyLock(root, KEY, 60_000, async () => 'ran')).toBe('ran');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(existsSync(join(root, '.locks', `${KEY}.lock`))).toBe(false);
  });
});

describe.skipIf(!hasCxx)('compiles killed with SIGKILL (needs a C++ compiler)', () => {
  it('another process proceeds at once after each kill, and nothing partial is ever loaded', async () => {
    const root = join(mkdtempSync(join(tmpdir(), 'dwconv-kill-')), 'cache');
    const spec = JSON.stringify({ kernelSize: [9, 7], padding: 'same', dtype: 'bfloat16', bias: true });
    const delays = [150, 400, 700, 1000]; // into the compile: before, during and around the commit
    for (const [i, delay] of delays.entries()) {
      const victim = execa(process.execPath, ['--import', 'tsx', child, spec, root, String(i)], { reject: false });
      await new Promise((resolve) => setTimeout(resolve, delay));
      victim.kill('SIGKILL');
      await victim;
      const started = Date.now();
      const r = await execa(process.execPath, ['--import', 'tsx', child, spec, root, String(100 + i)]);
      const result = JSON.parse(r.stdout) as { origin: string; failures: number; checked: number };
      expect(result.failures).toBe(0);
      expect(result.checked).toBeGreaterThan(0);
      // No waiting on the dead holder's lock: the time is one compile at most, not the lock timeout.
      expect(Date.now() - started).toBeLessThan(60_000);
      const entries = readdirSync(root).filter((n) => /^[0-9a-f]{64}$/.test(n));
      expect(entries.length).toBeLessThanOrEqual(1);
      // Start the next round from an empty cache, so that every kill lands in a compile.
      for (const e of entries) rmSync(join(root, e), { recursive: true });
    }
  });
});
