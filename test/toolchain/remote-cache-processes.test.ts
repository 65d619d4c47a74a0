import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { noRedisReason, rawClient, testConfig, testRedisUrl } from '../helpers/remote.js';
import { makeEntry, SECRET } from '../helpers/remote-entry.js';
import { sha256 } from '../../src/cache/key.js';

const child = fileURLToPath(new URL('../fixtures/remote-lock-child.mjs', import.meta.url));

interface Racer { ready: Promise<void>; done: Promise<{ stdout: string; stderr: string; code: number | null }> }

function racer(args: string[]): Racer {
  const p = spawn(process.execPath, [child, 'race', ...args], { env: { ...process.env, DWCONV_JIT_REMOTE_KEY: SECRET }, stdio: ['ignore', 'pipe', 'pipe'] });
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
