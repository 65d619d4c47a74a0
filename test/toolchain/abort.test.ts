// AbortSignal on compile, build, compileTuned and precompile: an aborted call rejects promptly with an
// AbortError, leaves no entry, work folder or lock behind, and a later call compiles normally.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { build, compile } from '../../src/compile.js';
import { AbortError, ERROR_CODES, SpecError } from '../../src/errors.js';
import { explain } from '../../src/tools/explain.js';
import { precompile } from '../../src/tools/precompile.js';
import { compileTuned } from '../../src/tools/tune.js';
import { cxxPath, hasCxx } from '../helpers/requirements.js';

const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const SPEC = { kernelSize: 3, padding: 1 } as const;

const entriesOf = (root: string) => (existsSync(root) ? readdirSync(root).filter((n) => /^[0-9a-f]{64}$/.test(n)) : []);
const leftovers = (root: string, sub: '.tmp' | '.locks') => (existsSync(join(root, sub)) ? readdirSync(join(root, sub)) : []);

/** A fresh cache directory, not yet created (so a call that does no work leaves no folder either). */
const freshCache = () => join(mkdtempSync(join(tmpdir(), 'dwconv-abort-')), 'cache');

/**
 * A C++ compiler in front of the real one that answers --version as it does and, while the file
 * `slowFile` exists, first starts `sleep 30` as a child process (not exec'd), writes its process group
 * id, its pid and the sleeper's pid to `pidsFile`, and waits: the abort must kill the whole tree, or
 * the sleeping child would keep the output pipes open and the call would not end. Without `slowFile`
 * it compiles at once.
 */
function sleepingCompiler(): { path: string; pidsFile: string; slowFile: string } {
  const real = cxxPath!;
  const dir = mkdtempSync(join(tmpdir(), 'dwconv-slow-cxx-'));
  const path = join(dir, 'c++');
  const pidsFile = join(dir, 'pids');
  const slowFile = join(dir, 'slow');
  writeFileSync(slowFile, '');
  writeFileSync(path, [
    '#!/bin/sh',
    `for a in "$@"; do [ "$a" = --version ] && exec '${real}' "$@"; done`,
    `if [ -e '${slowFile}' ]; then`,
    '  sleep 30 &',
    `  echo "$(ps -o pgid= -p $$ | tr -d ' ') $$ $!" > '${pidsFile}.part' && mv '${pidsFile}.part' '${pidsFile}'`,
    '  wait',
    'fi',
    `exec '${real}' "$@"`,
    '',
  ].join('\n'), { mode: 0o755 });
  return { path, pidsFile, slowFile };
}

/** Waits until `file` exists (the fake compiler has started), at most 20 s. */
async function untilExists(file: string): Promise<void> {
  for (let i = 0; i < 400 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 50));
  expect(existsSync(file), `${file} never appeared`).toBe(true);
}

/** What the fake compiler wrote once it started: its process group, and its pid and its child's. */
function started(pidsFile: string): { pgid: number; pids: number[] } {
  const [pgid, ...pids] = readFileSync(pidsFile, 'utf8').trim().split(' ').map(Number);
  return { pgid: pgid!, pids };
}

/** A process group id from /proc (field 5 of stat, counted after the command name). */
const pgidOf = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[2]);

/** Whether the process runs: it exists and is not a zombie (a killed child is one until its new parent reaps it). */
const running = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]![0] !== 'Z';
  } catch {
    return false;
  }
};

/** Whether every process is gone within 2 s. */
async function allGone(pids: readonly number[]): Promise<boolean> {
  for (let i = 0; i < 40 && pids.some(running); i++) await new Promise((r) => setTimeout(r, 50));
  return !pids.some(running);
}

function expectAbort(err: unknown, reason: unknown): void {
  expect(err).toBeInstanceOf(AbortError);
  expect((err as AbortError).code).toBe(ERROR_CODES.aborted);
  expect((err as AbortError).code).toBe('ERR_DWCONV_ABORTED');
  expect((err as AbortError).name).toBe('AbortError');
  expect((err as AbortError).cause).toBe(reason);
}

describe('AbortSignal, checked before any work', () => {
  it('an already-aborted signal rejects compile, build, compileTuned and precompile before they do anything', async () => {
    const reason = new Error('not needed any more');
    const signal = AbortSignal.abort(reason);
    const root = freshCache();
    const calls = [
      compile(SPEC, { target: 'cpu', cacheDir: root, signal }),
      build(SPEC, { target: 'cpu', cacheDir: root, signal }),
      // Without a GPU compileTuned would be a NoGpuError: the abort is seen first.
      compileTuned(SPEC, [1, 1, 8, 8], { cacheDir: root, signal }),
      precompile({ targets: ['cpu'], specs: [SPEC] }, { out: root, signal }),
    ];
    for (const call of calls) expectAbort(await call.catch((e: unknown) => e), reason);
    // Nothing was created: no cache folder, no lock, no work folder.
    expect(existsSync(root)).toBe(false);
  });

  it('a signal that is not an AbortSignal is a SpecError naming options.signal', async () => {
    const err = await compile(SPEC, { target: 'cpu', signal: { aborted: false } as unknown as AbortSignal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpecError);
    expect((err as SpecError).field).toBe('options.signal');
  });
});

describe.skipIf(!hasCxx)('AbortSignal during a compile (needs a C++ compiler)', () => {
  it('stops a wait on another holder\'s compile lock promptly, leaves that lock alone, and a later compile succeeds', async () => {
    const root = freshCache();
    const { key } = await explain(SPEC, { target: 'cpu', cacheDir: root });
    mkdirSync(join(root, '.locks'), { recursive: true });
    const lock = join(root, '.locks', `${key}.lock`);
    // A live holder on this host (this test process): it is waited for, never taken over.
    writeFileSync(lock, JSON.stringify({ pid: process.pid, host: hostname(), token: 'someone-else', since: new Date().toISOString() }));
    const controller = new AbortController();
    const pending = compile(SPEC, { target: 'cpu', cacheDir: root, precompiled: [], signal: controller.signal }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 400));
    const abortedAt = Date.now();
    controller.abort('caller gave up');
    expectAbort(await pending, 'caller gave up');
    expect(Date.now() - abortedAt).toBeLessThan(1_000);
    expect(JSON.parse(readFileSync(lock, 'utf8'))).toMatchObject({ token: 'someone-else' });
    expect(entriesOf(root)).toEqual([]);
    expect(leftovers(root, '.tmp')).toEqual([]);
    rmSync(lock);
    const k = await compile(SPEC, { target: 'cpu', cacheDir: root, precompiled: [] });
    expect(k.provenance.origin).toBe('compiled');
    expect(leftovers(root, '.locks')).toEqual([]);
  });

  it('kills a running compiler with its children, keeps no entry, work folder or lock, and the next compile succeeds', async () => {
    const root = freshCache();
    const slow = sleepingCompiler();
    const env = { ...process.env, CXX: slow.path };
    const controller = new AbortController();
    const pending = compile(SPEC, { target: 'cpu', cacheDir: root, precompiled: [], env, signal: controller.signal }).catch((e: unknown) => e);
    await untilExists(slow.pidsFile);
    const { pids } = started(slow.pidsFile);
    expect(pids.every(running)).toBe(true);
    const reason = new Error('shutting down');
    const abortedAt = Date.now();
    controller.abort(reason);
    expectAbort(await pending, reason);
    expect(Date.now() - abortedAt).toBeLessThan(2_000);
    expect(await allGone(pids)).toBe(true); // the sleeping child too, not only the script
    expect(entriesOf(root)).toEqual([]);
    expect(leftovers(root, '.tmp')).toEqual([]);
    expect(leftovers(root, '.locks')).toEqual([]);
    // Nothing of the aborted call is remembered: the same options compile again.
    rmSync(slow.slowFile);
    const k = await compile(SPEC, { target: 'cpu', cacheDir: root, precompiled: [], env });
    expect(k.provenance.origin).toBe('compiled');
    const y = await k.run(new Float32Array(16).fill(1), [1, 1, 4, 4], new Float32Array(9).fill(1));
    expect(y[5]).toBe(9);
  });

  it('a compile given a signal runs its compiler in the caller\'s process group: a terminal\'s Ctrl-C reaches it with the app', async () => {
    const slow = sleepingCompiler();
    const controller = new AbortController();
    const pending = compile(SPEC, { target: 'cpu', cacheDir: freshCache(), precompiled: [], env: { ...process.env, CXX: slow.path }, signal: controller.signal }).catch((e: unknown) => e);
    await untilExists(slow.pidsFile);
    const { pgid, pids } = started(slow.pidsFile);
    expect(pgid).toBe(pgidOf(process.pid));
    controller.abort();
    expect(await pending).toBeInstanceOf(AbortError);
    expect(await allGone(pids)).toBe(true);
  });

  it('an uncached compile (cache: false) that is aborted leaves no temporary folder', async () => {
    const before = readdirSync(tmpdir()).filter((n) => n.startsWith('dwconv-jit-')).length;
    const slow = sleepingCompiler();
    const controller = new AbortController();
    const pending = compile(SPEC, { target: 'cpu', cache: false, env: { ...process.env, CXX: slow.path }, signal: controller.signal }).catch((e: unknown) => e);
    await untilExists(slow.pidsFile);
    controller.abort();
    expect(await pending).toBeInstanceOf(AbortError);
    expect(readdirSync(tmpdir()).filter((n) => n.startsWith('dwconv-jit-')).length).toBeLessThanOrEqual(before);
  });

  it('one caller\'s abort does not fail another caller waiting on the same compile: that one compiles', async () => {
    const root = freshCache();
    const slow = sleepingCompiler();
    const env = { ...process.env, CXX: slow.path };
    const controller = new AbortController();
    const first = compile(SPEC, { target: 'cpu', cacheDir: root, precompiled: [], env, signal: controller.signal }).catch((e: unknown) => e);
    await untilExists(slow.pidsFile);
    // Same options, no signal: it joins the first call's load.
    const second = compile(SPEC, { target: 'cpu', cacheDir: root, precompiled: [], env });
    rmSync(slow.slowFile);
    controller.abort();
    expect(await first).toBeInstanceOf(AbortError);
    // The second call compiles itself.
    expect((await second).provenance.origin).toBe('compiled');
    expect(entriesOf(root)).toHaveLength(1);
  }, 60_000);

  it('CLI: Ctrl-C (SIGINT) on precompile stops the compilers, exits 130 with the error as JSON, and leaves nothing partial', async () => {
    const out = freshCache();
    const slow = sleepingCompiler();
    const dir = mkdtempSync(join(tmpdir(), 'dwconv-abort-cli-'));
    const manifest = join(dir, 'm.json');
    writeFileSync(manifest, JSON.stringify({ targets: ['cpu'], specs: [{ kernelSize: 3 }, { kernelSize: 5 }, { kernelSize: 7 }] }));
    const child = execa(process.execPath, [cli, 'precompile', manifest, '--out', out, '--jobs', '1', '--json'], { reject: false, env: { CXX: slow.path, DWCONV_JIT_REMOTE_CACHE: '' } });
    await untilExists(slow.pidsFile);
    const { pids } = started(slow.pidsFile);
    const interruptedAt = Date.now();
    child.kill('SIGINT');
    const r = await child;
    expect(Date.now() - interruptedAt).toBeLessThan(3_000);
    expect(r.exitCode, `${r.signal} ${r.stderr}`).toBe(130);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { name: 'AbortError', code: 'ERR_DWCONV_ABORTED', operation: 'precompile' } });
    expect((JSON.parse(r.stdout) as { error: { message: string } }).error.message).toMatch(/precompile aborted: interrupted \(SIGINT\)/);
    expect(await allGone(pids)).toBe(true);
    expect(entriesOf(out)).toEqual([]);
    expect(leftovers(out, '.tmp')).toEqual([]);
    expect(leftovers(out, '.locks')).toEqual([]);
    // Afterwards the same precompile builds every config.
    rmSync(slow.slowFile);
    const again = await execa(process.execPath, [cli, 'precompile', manifest, '--out', out, '--json'], { reject: false, env: { CXX: slow.path, DWCONV_JIT_REMOTE_CACHE: '' } });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ built: 3, failed: 0 });
  }, 120_000);

  it('precompile stops between configs: with an abort after the first, it rejects and the rest are not built', async () => {
    const out = freshCache();
    const controller = new AbortController();
    const err = await precompile({ targets: ['cpu'], specs: [{ kernelSize: 3 }, { kernelSize: 5 }, { kernelSize: 7 }] }, {
      out, jobs: 1, signal: controller.signal,
      onResult: () => controller.abort('enough'),
    }).catch((e: unknown) => e);
    expectAbort(err, 'enough');
    expect(entriesOf(out)).toHaveLength(1);
    expect(leftovers(out, '.tmp')).toEqual([]);
  }, 60_000);
});
