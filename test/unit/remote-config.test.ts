import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SpecError } from '../../src/errors.js';
import { parseBytes, parseMilliseconds, parseRemoteUrl, readSecret, REMOTE_DEFAULTS, resolveRemote } from '../../src/cache/remote/config.js';

const SECRET = 'correct horse battery staple 42';

describe('remote cache configuration', () => {
  it('reads host, port, db, prefix and timeouts from the URL; defaults the rest', () => {
    const c = parseRemoteUrl('redis://cache.internal:6380/3?prefix=team-a&connectTimeout=150ms&timeout=2s&ttl=7d&maxEntry=8M&lockTtl=10s&lockWait=1m&backoff=5s');
    expect(c).toMatchObject({ tls: false, host: 'cache.internal', port: 6380, db: 3, prefix: 'team-a:', connectTimeoutMs: 150, requestTimeoutMs: 2000, ttlMs: 7 * 86_400_000, maxEntryBytes: 8 * 2 ** 20, lockTtlMs: 10_000, lockWaitMs: 60_000, backoffMs: 5000 });
    const d = parseRemoteUrl('rediss://10.0.0.5');
    expect(d).toMatchObject({ tls: true, port: 6379, db: 0, prefix: REMOTE_DEFAULTS.prefix, requestTimeoutMs: REMOTE_DEFAULTS.requestTimeoutMs, connectTimeoutMs: REMOTE_DEFAULTS.connectTimeoutMs });
    expect(parseRemoteUrl('redis://h/2/fleet').prefix).toBe('fleet:');
    expect(parseRemoteUrl('redis://[::1]:7000').host).toBe('::1');
  });

  it('refuses what it does not understand, with a SpecError naming the field', () => {
    for (const bad of ['http://h', 'redis://h?prefx=a', 'redis://h?prefix=a*b', 'redis://h/x', 'redis://h/1/2/3', 'redis://h?timeout=soon', 'redis://h?lockTtl=10', 'not a url']) {
      expect(() => parseRemoteUrl(bad), bad).toThrow(SpecError);
    }
  });

  it('never puts the password in a message or in JSON', () => {
    const c = parseRemoteUrl('redis://admin:hunter2-password@h:6379/0');
    expect(c.password?.reveal()).toBe('hunter2-password');
    expect(c.display).not.toContain('hunter2');
    expect(JSON.stringify(c)).not.toContain('hunter2');
    expect(inspect(c, { depth: 5 })).not.toContain('hunter2');
    let message = '';
    try {
      parseRemoteUrl('redis://admin:hunter2-password@h:6379/0?bogus=1');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('bogus');
    expect(message).not.toContain('hunter2');
  });

  it('durations and sizes', () => {
    expect(parseMilliseconds('f', '250')).toBe(250);
    expect(parseMilliseconds('f', '3h')).toBe(3 * 3.6e6);
    expect(parseBytes('f', '40K')).toBe(40 * 1024);
    expect(parseBytes('f', '1GiB')).toBe(2 ** 30);
    expect(() => parseBytes('f', '-1')).toThrow(SpecError);
  });

  it('the secret: from the variable or a private file; too short, both, or a file others can read is refused', () => {
    expect(readSecret({ remoteKey: undefined, remoteKeyFile: undefined })).toBeUndefined();
    expect(readSecret({ remoteKey: SECRET, remoteKeyFile: undefined })?.toString()).toBe(SECRET);
    expect(() => readSecret({ remoteKey: 'short', remoteKeyFile: undefined })).toThrow(/at least 16 bytes/);
    const dir = mkdtempSync(join(tmpdir(), 'dwconv-secret-'));
    const file = join(dir, 'key');
    writeFileSync(file, `${SECRET}\n`, { mode: 0o600 });
    expect(readSecret({ remoteKey: undefined, remoteKeyFile: file })?.toString()).toBe(SECRET);
    expect(() => readSecret({ remoteKey: SECRET, remoteKeyFile: file })).toThrow(SpecError);
    chmodSync(file, 0o644);
    expect(() => readSecret({ remoteKey: undefined, remoteKeyFile: file })).toThrow(/others cannot read/);
    expect(() => readSecret({ remoteKey: undefined, remoteKeyFile: join(dir, 'missing') })).toThrow(SpecError);
  });

  it('resolveRemote: off without a URL (silently), off without a secret or with a bad URL (with a message), never throwing', () => {
    expect(resolveRemote({ remoteCache: undefined, remoteKey: SECRET, remoteKeyFile: undefined })).toEqual({ off: 'DWCONV_JIT_REMOTE_CACHE is not set' });
    const noSecret = resolveRemote({ remoteCache: 'redis://h', remoteKey: undefined, remoteKeyFile: undefined });
    expect('off' in noSecret && noSecret.message).toMatch(/off: no shared secret/);
    const badUrl = resolveRemote({ remoteCache: 'redis://u:pw-in-url@h?x=1', remoteKey: SECRET, remoteKeyFile: undefined });
    expect('off' in badUrl && badUrl.message).toMatch(/remote cache off/);
    expect(JSON.stringify(badUrl)).not.toContain('pw-in-url');
    const weak = resolveRemote({ remoteCache: 'redis://h', remoteKey: 'tiny', remoteKeyFile: undefined });
    expect(JSON.stringify(weak)).not.toContain('tiny');
    const on = resolveRemote({ remoteCache: 'redis://h', remoteKey: SECRET, remoteKeyFile: undefined });
    expect('config' in on).toBe(true);
    expect(JSON.stringify(on)).not.toContain(SECRET);
    expect(inspect(on, { depth: 5 })).not.toMatch(/correct horse/);
  });
});
