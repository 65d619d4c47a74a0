import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { countingCompiler, noRedisReason, rawClient, testConfig, testRedisUrl, testUrl } from '../helpers/remote.js';
import { makeEntry, SECRET } from '../helpers/remote-entry.js';
import { hasCxx } from '../helpers/requirements.js';
import { sha256 } from '../../src/cache/key.js';

const child = fileURLToPath(new URL('../fixtures/remote-lock-child.mjs', import.meta.url));
const worker = fileURLToPath(new URL('../fixtures/remote-compile-child.mjs', import.meta.url));

interface Racer { ready: Promise<void>; done: Promise<{ stdout: string; stderr: string; code: number | null }> }

function racer(args: string[], script = [child, 'race'], env: NodeJS.ProcessEnv = { ...process.env, DWCONV_JIT_REMOTE_KEY: SECRET }): Racer {
  const p = spawn(process.execPath, [...script, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  p.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (stdout.includes('ready\n')) markReady();
  });
  p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ stdout: string; stderr: string; code: number | null }>((resolve) => p.on('exit', (code) => {
    markReady();
    resolve({ stdout: stdout.replace('ready\n', ''), stderr, code });
  }));
  return { ready, done };
}

describe.skipIf(!testRedisUrl)(`remote cache across processes${testRedisUrl ? '' : ` (skipped: ${noRedisReason})`}`, () => {
  it('16 processes racing on one key against a cold remote: exactly one produces, all get the entry', async () => {
    const config = testConfig();
    // Generous timeouts: 16 Node processes starting at once on a small machine are slow to connect,
    // and this test is about the lock (the timeouts have their own tests).
    const url = `${testRedisUrl}?prefix=${config.prefix}&connectTimeout=10s&timeout=10s`;
    const e = makeEntry(3, 40_000);
    const dir = mkdtempSync(join(tmpdir(), 'dwconv-race-'));
    const counter = join(dir, 'producers');
    const payload = join(dir, 'entry.json');
    writeFileSync(payload, JSON.stringify({ key: e.key, metaBytes: e.metaBytes.toString('base64'), source: e.source.toString('base64'), artifact: e.artifact.toString('base64') }));
    const go = join(dir, 'go');
    const racers = Array.from({ length: 16 }, () => racer([url, payload, counter, go]));
    await Promise.all(racers.map((r) => r.ready)); // all connected, none started
    writeFileSync(go, '');
    const runs = await Promise.all(racers.map((r) => r.done));
    for (const r of runs) expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' }); // no refusal, no failure, no lock given up
    const results = runs.map((r) => JSON.parse(r.stdout) as { outcome: string; artifactSha256: string });
    expect(readFileSync(counter, 'utf8').trim().split('\n')).toHaveLength(1);
    expect(results.filter((r) => r.outcome === 'produced')).toHaveLength(1);
    expect(results.filter((r) => r.outcome === 'found')).toHaveLength(15);
    expect(new Set(results.map((r) => r.artifactSha256))).toEqual(new Set([sha256(e.artifact)]));
    const raw = rawClient();
    expect(await raw.exists(`${config.prefix}lock:${e.key}`)).toBe(0);
    raw.disconnect();
  });
});

const needs = !hasCxx ? 'no C++ compiler' : !testRedisUrl ? noRedisReason : undefined;

describe.skipIf(needs)(`compile() across a fleet${needs ? ` (skipped: ${needs})` : ''}`, () => {
  it('16 workers, each with an empty cache directory, compile one spec against a cold remote: one compile fleet-wide, the others load its entry, all correct', async () => {
    const cxx = countingCompiler();
    // Generous timeouts: 16 Node processes starting at once on a small machine are slow to answer,
    // and this test is about the lock (the timeouts have their own tests).
    const url = testUrl('connectTimeout=10s&timeout=10s');
    const dir = mkdtempSync(join(tmpdir(), 'dwconv-fleet-'));
    const go = join(dir, 'go');
    const env = { ...process.env, CXX: cxx.path, DWCONV_JIT_REMOTE_CACHE: url, DWCONV_JIT_REMOTE_KEY: SECRET, DWCONV_JIT_PRECOMPILED: '', NODE_DEBUG: '' };
    const spec = JSON.stringify({ kernelSize: [3, 5], padding: 'same', bias: false });
    const workers = Array.from({ length: 16 }, (_, i) => racer([join(dir, `cache-${i}`), spec, go], [worker], env));
    await Promise.all(workers.map((w) => w.ready));
    writeFileSync(go, '');
    const runs = await Promise.all(workers.map((w) => w.done));
    for (const r of runs) expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' }); // no warning: no refusal, failure or lock given up
    const results = runs.map((r) => JSON.parse(r.stdout) as { origin: string; key: string; checked: number; failures: number });
    expect(cxx.count()).toBe(1);
    expect(results.filter((r) => r.origin === 'compiled')).toHaveLength(1);
    expect(results.filter((r) => r.origin === 'remote')).toHaveLength(15);
    expect(new Set(results.map((r) => r.key)).size).toBe(1);
    for (const r of results) expect(r).toMatchObject({ failures: 0, checked: 2 * 3 * 11 * 13 });
    const raw = rawClient();
    expect(await raw.exists(`${new URL(url).searchParams.get('prefix')}:lock:${results[0]!.key}`)).toBe(0);
    raw.disconnect();
  });
});
