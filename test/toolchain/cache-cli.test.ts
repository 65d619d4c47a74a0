import { mkdirSync, mkdtempSync, readdirSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { hasCxx } from '../helpers/requirements.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'dist/cli/main.js');
const cacheDir = join(mkdtempSync(join(tmpdir(), 'dwconv-cache-cli-')), 'cache');
const run = (args: string[]) => execa(process.execPath, [cli, ...args, '--cache-dir', cacheDir], { reject: false, env: { DWCONV_JIT_TARGET: 'cpu' } });
const json = async (args: string[]) => {
  const r = await run([...args, '--json']);
  return { code: r.exitCode, out: JSON.parse(r.stdout) as Record<string, unknown> & unknown[] };
};

describe.skipIf(!hasCxx)('cache and doctor commands (needs a C++ compiler)', () => {
  it('on an empty cache: path, ls, stats, verify all answer', async () => {
    expect((await json(['cache', 'path'])).out).toEqual({ path: cacheDir });
    expect((await json(['cache', 'ls'])).out).toEqual([]);
    expect((await json(['cache', 'stats'])).out).toMatchObject({ entries: 0, broken: 0, bytes: 0, compileMs: null, hits: 0, misses: 0, leftovers: 0 });
    expect(await json(['cache', 'verify'])).toMatchObject({ code: 0, out: { checked: 0, broken: [] } });
  });

  it('lists, shows, verifies, repairs and clears real entries', async () => {
    for (const k of ['3', '5']) expect((await run(['compile', '--kernel-size', k, '--target', 'cpu'])).exitCode).toBe(0);
    const ls = (await json(['cache', 'ls'])).out as unknown as { key: string; spec: string; target: string; problem: string | null; bytes: number }[];
    expect(ls).toHaveLength(2);
    for (const row of ls) expect(row).toMatchObject({ target: 'cpu', problem: null });
    expect(ls.map((r) => r.spec).sort()).toEqual(['3x3 stride 1x1 pad 0 dilation 1x1 float32 NCHW', '5x5 stride 1x1 pad 0 dilation 1x1 float32 NCHW']);

    const key = ls[0]!.key;
    const show = await json(['cache', 'show', key.slice(0, 8)]);
    expect(show.out).toMatchObject({ key, problem: null, meta: { key } });
    expect((await run(['cache', 'show', key.slice(0, 8), '--source'])).stdout).toContain('extern "C" int dwconv_cpu_');
    expect((await json(['cache', 'show', 'ffffffffffff'])).code).toBe(2);
    expect((await json(['cache', 'show', 'not-hex'])).code).toBe(2);

    appendFileSync(join(cacheDir, key, 'kernel.so'), 'x'); // a corrupted artifact
    mkdirSync(join(cacheDir, '.tmp', 'interrupted-write'), { recursive: true }); // an interrupted write's leftovers
    writeFileSync(join(cacheDir, '.tmp', 'interrupted-write', 'kernel.cpp'), '//');
    expect((await json(['cache', 'stats'])).out).toMatchObject({ entries: 2, broken: 1, leftovers: 1 });
    const verify = await json(['cache', 'verify']);
    expect(verify.code).toBe(1);
    expect(verify.out).toMatchObject({ checked: 2, broken: [{ key }] });
    expect(await json(['cache', 'verify', '--fix'])).toMatchObject({ code: 0, out: { removed: 2 } });
    expect(readdirSync(join(cacheDir, '.quarantine'))[0]).toMatch(new RegExp(`^${key}-\\d+$`));
    expect(readdirSync(join(cacheDir, '.tmp'))).toEqual([]);
    expect(await json(['cache', 'verify'])).toMatchObject({ code: 0, out: { checked: 1, broken: [] } });

    expect((await json(['cache', 'clear'])).out).toEqual({ removed: 1, kept: 0 });
    expect((await json(['cache', 'ls'])).out).toEqual([]);
  });

  it('doctor reports every check and that the CPU target is usable', async () => {
    const r = await json(['doctor']);
    expect(r.code).toBe(0);
    const checks = (r.out as unknown as { checks: { name: string; ok: boolean }[]; usable: boolean }).checks;
    expect(checks.map((c) => c.name)).toEqual(['node', 'C++ compiler (CPU target)', 'nvcc (CUDA target)', 'NVRTC', 'CUDA runtime', 'GPU', 'cache directory']);
    expect(checks.find((c) => c.name === 'C++ compiler (CPU target)')?.ok).toBe(true);
    expect((r.out as unknown as { usable: boolean }).usable).toBe(true);
  });
});
