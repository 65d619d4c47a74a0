// What the remote-cache tests share: the test Redis (from scripts/with-redis.sh), a private server
// for the tests that stop one, a raw connection to poke at stored values.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { parseRemoteUrl, deriveTagKey, type RemoteConfig } from '../../src/cache/remote/config.js';
import { cxxPath } from './executables.js';
import { SECRET } from './remote-entry.js';

export const testRedisUrl = process.env.DWCONV_JIT_TEST_REDIS;
export const noRedisReason = 'DWCONV_JIT_TEST_REDIS is not set: run under scripts/with-redis.sh (scripts/ci-redis.sh installs redis-server)';
if (!testRedisUrl) console.warn(`remote cache tests skipped: ${noRedisReason}`);


/** A configuration on the test Redis under a prefix of its own (files run in parallel on one server). */
export function testConfig(query = '', secret = SECRET, url = testRedisUrl!): RemoteConfig {
  const prefix = `t${randomBytes(6).toString('hex')}`;
  const sep = url.includes('?') ? '&' : '?';
  return { ...parseRemoteUrl(`${url}${sep}prefix=${prefix}${query ? `&${query}` : ''}`), tagKey: deriveTagKey(Buffer.from(secret)) };
}

export function rawClient(url = testRedisUrl!): Redis {
  const r = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 });
  r.on('error', () => undefined);
  return r;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** A redis-server of the test's own (to stop or stall without disturbing other files). */
export async function startPrivateRedis(): Promise<{ url: string; process: ChildProcess; stop: () => void }> {
  const bin = process.env.DWCONV_JIT_TEST_REDIS_SERVER ?? 'redis-server';
  const dir = mkdtempSync(join(tmpdir(), 'dwconv-redis-'));
  const port = await freePort();
  const child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  const probe = rawClient(url);
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await probe.ping();
      break;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  probe.disconnect();
  return {
    url,
    process: child,
    stop: () => {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A C++ compiler that counts its compiles: a script in front of the real one that appends a line to
 * a file for every call but `--version` (which computes the key and compiles nothing). Every
 * process given it as CXX shares the count, and the key (the wrapper's path is part of it).
 */
export function countingCompiler(): { readonly path: string; count(): number } {
  const real = cxxPath;
  if (!real) throw new Error('no C++ compiler to wrap');
  const dir = mkdtempSync(join(tmpdir(), 'dwconv-cxx-'));
  const counter = join(dir, 'compiles');
  const path = join(dir, 'c++');
  writeFileSync(path, [
    '#!/bin/sh',
    `for a in "$@"; do [ "$a" = --version ] && exec '${real}' "$@"; done`,
    `echo compile >> '${counter}'`,
    `exec '${real}' "$@"`,
    '',
  ].join('\n'), { mode: 0o755 });
  return { path, count: () => (existsSync(counter) ? readFileSync(counter, 'utf8').split('\n').filter(Boolean).length : 0) };
}

/** A URL on the test Redis (or `url`) under a prefix of its own, with extra URL options. */
export function testUrl(query = '', url = testRedisUrl!): string {
  return `${url}${url.includes('?') ? '&' : '?'}prefix=t${randomBytes(6).toString('hex')}${query ? `&${query}` : ''}`;
}
