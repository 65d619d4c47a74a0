import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { hasCxx, hasGpu } from '../helpers/requirements.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'dist/cli/main.js');
const cacheDir = mkdtempSync(join(tmpdir(), 'dwconv-cli-'));
const run = (args: string[], env: Record<string, string> = {}) => execa(process.execPath, [cli, ...args], { reject: false, env: { DWCONV_JIT_CACHE_DIR: cacheDir, DWCONV_JIT_TARGET: 'cpu', ...env } });
const errorOf = (stdout: string) => (JSON.parse(stdout) as { error: Record<string, unknown> }).error;

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
    expect(JSON.parse(second.stdout)).toMatchObject({ origin: 'disk', device: 'cpu', key: (JSON.parse(first.stdout) as { key: string }).key });
  });

  it.each([
    [['compile', '--kernel-size', '40', '--json'], 'kernelSize'],
    [['compile', '--spec-json', '{"kernelSize":3,"evil":"$(reboot)"}', '--json'], 'spec.evil'],
    [['compile', '--kernel-size', '3', '--arch', 'sm_90;ls', '--target', 'cuda', '--json'], 'arch'],
    [['demo', '--shape', '1,2,3', '--json'], 'shape'],
    [['demo', '--target', 'cpu', '--shape', '1,1,99999999999,8', '--json'], 'inputShape[2]'],
    [['demo', '--target', 'cpu', '--shape', '1,1,70000,70000', '--json'], 'shape'],
    [['compile', '--tune-for', '1,2,8,8', '--target', 'cpu', '--json'], '--tune-for'],
    [['compile', '--tune-for', '1,2,8', '--json'], 'shape'],
    [['compile', '--pointwise-tf32', '--json'], 'pointwise'],
    [['compile', '--pointwise', '8', '--pointwise-tf32', '--dtype', 'float16', '--json'], 'pointwise.tf32'],
    [['compile', '--kernel-size', '3', '--device', 'gpu1', '--json'], '--device'],
    [['demo', '--device', 'cuda:-1', '--json'], '--device'],
    [['compile', '--kernel-size', '3', '--target', 'cpu', '--device', '1', '--json'], 'options.device'],
  ])('%j exits 2 with a JSON error naming the field', async (args, field) => {
    const r = await run(args);
    expect(r.exitCode).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { name: 'SpecError', code: 'ERR_DWCONV_SPEC', field } });
  });

  it('an unknown command exits 2', async () => {
    expect((await run(['frobnicate'])).exitCode).toBe(2);
  });

  it.each([
    [['frobnicate', '--json'], 'commander.unknownCommand'],
    [['compile', '--bogus', '--json'], 'commander.unknownOption'],
    [['compile', '--dtype', 'float64', '--json'], 'commander.invalidArgument'],
    [['cache', 'show', '--json'], 'commander.missingArgument'],
    [['precompile', 'm.json', '--out', 'a', '--cache-dir', 'b', '--json'], 'commander.conflictingOption'],
  ])('a parse error with --json (%j) prints one JSON error and exits 2', async (args, parserCode) => {
    const r = await run(args);
    expect(r.exitCode).toBe(2);
    expect(errorOf(r.stdout)).toMatchObject({ code: 'ERR_DWCONV_USAGE', parserCode });
    expect(r.stderr).toBe('');
  });

  it('--spec-json together with spec flags is an error, not a silent override', async () => {
    const r = await run(['compile', '--spec-json', '{"kernelSize":3}', '-k', '5', '--json']);
    expect(r.exitCode).toBe(2);
    expect(errorOf(r.stdout)).toMatchObject({ code: 'ERR_DWCONV_SPEC', field: '--spec-json' });
    expect(String(errorOf(r.stdout).message)).toContain('--kernel-size');
  });

  it.each([
    ['DWCONV_JIT_NVCC', ['compile', '--json']],
    ['CXX', ['compile', '--json']],
    ['DWCONV_JIT_CUDART', ['compile', '--json']],
    ['DWCONV_JIT_NVRTC', ['compile', '--json']],
  ])('%s=/nope is an error naming the variable', async (variable, args) => {
    const r = await run(args, { [variable]: '/nope/tool' });
    expect(r.exitCode).toBe(1);
    expect(errorOf(r.stdout)).toMatchObject({ name: 'OverridePathError', code: 'ERR_DWCONV_TOOLCHAIN', variable, value: '/nope/tool', problem: 'does not exist' });
  });

  it('doctor fails the check of a broken override and is not usable', async () => {
    const r = await run(['doctor', '--json'], { CXX: '/nope/c++' });
    expect(r.exitCode).toBe(1);
    const report = JSON.parse(r.stdout) as { usable: boolean; checks: { name: string; ok: boolean }[] };
    expect(report.usable).toBe(false);
    expect(report.checks.find((c) => c.name === 'CXX')?.ok).toBe(false);
    expect(report.checks.find((c) => c.name === 'C++ compiler (CPU target)')?.ok).toBe(false);
  });

  it('demo takes --cache-dir and keeps what it compiled there', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'dwconv-cli-demo-')), 'cache');
    const r = await run(['demo', '--target', 'cpu', '--shape', '1,2,8,8', '--reps', '1', '--cache-dir', dir, '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(existsSync(dir)).toBe(true);
    const ls = await run(['cache', 'ls', '--cache-dir', dir, '--json']);
    expect(JSON.parse(ls.stdout)).toHaveLength(1);
  });

  it('cache export: a missing folder and a prefix matching nothing are errors (exit 2)', async () => {
    expect((await run(['compile', '--json'])).exitCode).toBe(0);
    const missing = await run(['cache', 'export', join(cacheDir, 'no', 'such', 'folder', 'b.bundle'), '--json']);
    expect(missing.exitCode).toBe(2);
    expect(errorOf(missing.stdout)).toMatchObject({ code: 'ERR_DWCONV_SPEC', field: '<file>' });
    const none = await run(['cache', 'export', join(cacheDir, 'b.bundle'), '--key', 'ffffffffffffffff', '--json']);
    expect(none.exitCode).toBe(2);
    expect(errorOf(none.stdout)).toMatchObject({ code: 'ERR_DWCONV_SPEC', field: '--key' });
  });
});

describe('bench without a GPU: --list and --svg-from', () => {
  it('--list prints the cases a filter takes, a group name taking that group only', async () => {
    const r = await run(['bench', '--list', '--filter', 'widths,convnext,reference', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const cases = JSON.parse(r.stdout) as { name: string; group: string; torch: boolean }[];
    expect(cases.filter((c) => c.group === 'widths')).toHaveLength(96);
    expect(cases.filter((c) => c.group === 'convnext')).toHaveLength(12);
    expect(cases.filter((c) => c.group === 'reference')).toHaveLength(6);
    expect(cases).toHaveLength(114);
    const text = await run(['bench', '--list', '--filter', 'convnext C96']);
    expect(text.stdout.trim().split('\n')).toHaveLength(3);
    const none = await run(['bench', '--list', '--filter', 'no such case', '--json']);
    expect(none.exitCode).toBe(2);
    expect(errorOf(none.stdout)).toMatchObject({ code: 'ERR_DWCONV_SPEC', field: '--filter' });
  });

  it('--svg-from writes one chart per group of a saved result', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dwconv-cli-svg-'));
    const r = await run(['bench', '--svg-from', join(root, 'test/fixtures/bench/result.json'), '--svg-dir', dir]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['reference', 'widths', 'convnext', 'separable', 'mobilenet'].map((g) => join(dir, `result-${g}.svg`)));
    const bad = await run(['bench', '--svg-from', join(root, 'package.json'), '--svg-dir', dir, '--json']);
    expect(bad.exitCode).toBe(2);
    expect(errorOf(bad.stdout)).toMatchObject({ code: 'ERR_DWCONV_SPEC', field: '--svg-from' });
  });

  it('--also-variant that is not JSON is a spec error before anything runs', async () => {
    const r = await run(['bench', '--also-variant', '{kernel: ringAny', '--json']);
    expect(r.exitCode).toBe(2);
    expect(errorOf(r.stdout)).toMatchObject({ code: 'ERR_DWCONV_SPEC', field: '--also-variant' });
  });
});

describe.skipIf(hasGpu)('CLI without a GPU: one error, one exit code (3) everywhere', () => {
  it.each([
    [['compile', '--target', 'cuda', '--json']],
    [['compile', '--target', 'cuda', '--arch', 'sm_90', '--json']],
    [['demo', '--target', 'cuda', '--json']],
    [['bench', '--json', '--cache-dir', cacheDir]],
    [['bench', '--filter', 'widths,convnext', '--no-torch', '--json', join(cacheDir, 'bench.json')]],
    [['compile', '--target', 'cuda', '--tune-for', '1,2,8,8', '--json']],
  ])('%j', async (args) => {
    const r = await run(args);
    expect(r.exitCode, r.stdout + r.stderr).toBe(3);
    expect(errorOf(r.stdout)).toMatchObject({ name: 'NoGpuError', code: 'ERR_DWCONV_NO_GPU' });
  });

  it('compile --arch without a GPU points at precompile', async () => {
    const r = await run(['compile', '--target', 'cuda', '--arch', 'sm_90', '--json']);
    expect(String(errorOf(r.stdout).fix)).toContain('dwconv-jit precompile');
  });
});
