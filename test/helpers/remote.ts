// What the remote-cache tests share: the test Redis (from scripts/with-redis.sh), a private server
// for the tests that stop one, a raw connection to poke at stored values.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { parseRemoteUrl, deriveTagKey, type RemoteConfig } from '../../src/cache/remote/config.js';
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
