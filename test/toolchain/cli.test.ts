import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { hasCxx } from '../helpers/requirements.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'dist/cli/main.js');
const cacheDir = mkdtempSync(join(tmpdir(), 'dwconv-cli-'));
const run = (args: string[]) => execa(process.execPath, [cli, ...args], { reject: false, env: { DWCONV_JIT_CACHE_DIR: cacheDir, DWCONV_JIT_TARGET: 'cpu' } });

describe.skipIf(!hasCxx)('CLI (needs a C++ compiler)', () => {
  it('demo --json compiles, checks every output, times, and exits 0', async () => {
    const r = await run(['demo', '--target', 'cpu', '--shape', '2,3,19,33', '--kernel-size', '3x5', '--padding', 'same', '--bias', '--reps', '3', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { check: { mode: string; failures: number; checked: number }; kernelMs: number; cacheHit: { origin: string } };
    expect(out.check).toMatchObject({ mode: 'all', failures: 0, checked: 2 * 3 * 19 * 33 });
    expect(out.cacheHit.origin).toBe('disk');
    expect(out.kernelMs).toBeGreaterThan(0);
  });

  it('compile --json reports a cache hit the second time', async () => {
    const first = await run(['compile', '--kernel-size', '5', '--dtype', 'bfloat16', '--json']);
    expect(first.exitCode, first.stderr).toBe(0);
    const second = await run(['compile', '--kernel-size', '5', '--dtype', 'bfloat16', '--json']);
    expect(JSON.parse(second.stdout)).toMatchObject({ origin: 'disk', key: (JSON.parse(first.stdout) as { key: string }).key });
  });

  it.each([
    [['compile', '--kernel-size', '40', '--json'], 'kernelSize'],
    [['compile', '--spec-json', '{"kernelSize":3,"evil":"$(reboot)"}', '--json'], 'spec.evil'],
    [['compile', '--kernel-size', '3', '--arch', 'sm_90;ls', '--target', 'cuda', '--json'], 'arch'],
    [['demo', '--shape', '1,2,3', '--json'], 'shape'],
    [['compile', '--tune-for', '1,2,8,8', '--target', 'cpu', '--json'], '--tune-for'],
    [['compile', '--tune-for', '1,2,8', '--json'], 'shape'],
    [['compile', '--pointwise-tf32', '--json'], 'pointwise'],
    [['compile', '--pointwise', '8', '--pointwise-tf32', '--dtype', 'float16', '--json'], 'pointwise.tf32'],
  ])('%j exits 2 with a JSON error naming the field', async (args, field) => {
    const r = await run(args);
    expect(r.exitCode).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { name: 'SpecError', field } });
  });

  it('an unknown command exits 2', async () => {
    expect((await run(['frobnicate'])).exitCode).toBe(2);
  });
});
