// The remote cache's configuration: a redis:// or rediss:// URL and a shared secret, parsed once.
import { hkdfSync } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { inspect } from 'node:util';
import type { Environment } from '../../env.js';
import { SpecError } from '../../errors.js';

/**
 * A value that must never reach a log, an error message or JSON output (the HMAC key, the Redis
 * password): printing, inspecting or serializing it gives "[redacted]".
 */
export class Hidden<T> {
  readonly #value: T;
  constructor(value: T) {
    this.#value = value;
  }
  reveal(): T {
    return this.#value;
  }
  toJSON(): string {
    return '[redacted]';
  }
  toString(): string {
    return '[redacted]';
  }
  [inspect.custom](): string {
    return '[redacted]';
  }
}

export interface RemoteConfig {
  /** The URL without credentials, for messages. */
  readonly display: string;
  readonly tls: boolean;
  readonly host: string;
  readonly port: number;
  readonly db: number;
  readonly username: string | undefined;
  readonly password: Hidden<string> | undefined;
  /** Every Redis key this package writes starts with it; ends with ':'. */
  readonly prefix: string;
  readonly connectTimeoutMs: number;
  /** Each request's bound: a stalled server costs at most this (plus the connect on a fresh link). */
  readonly requestTimeoutMs: number;
  /** Entries expire this long after they were last published or hit. */
  readonly ttlMs: number;
  /** Entries larger than this (the whole envelope) are neither published nor downloaded. */
  readonly maxEntryBytes: number;
  /** A lock holder that stops renewing (it died) frees the lock after this long. */
  readonly lockTtlMs: number;
  /** How long a process waits for another's compile before compiling itself anyway. */
  readonly lockWaitMs: number;
  /** After a failure the remote is left alone this long, then tried again. */
  readonly backoffMs: number;
  /** The HMAC-SHA256 key, derived from the shared secret. */
  readonly tagKey: Hidden<Buffer>;
}

export const REMOTE_DEFAULTS = {
  port: 6379,
  prefix: 'dwconv-jit:',
  connectTimeoutMs: 300,
  requestTimeoutMs: 500,
  ttlMs: 30 * 86_400_000,
  maxEntryBytes: 32 * 2 ** 20,
  lockTtlMs: 30_000,
  lockWaitMs: 120_000,
  backoffMs: 30_000,
} as const;

/** Shorter secrets are refused: the tag is only as strong as the secret. */
export const MIN_SECRET_BYTES = 16;

const QUERY_FIELDS: Readonly<Record<string, 'duration' | 'size' | 'prefix' | 'db'>> = {
  prefix: 'prefix',
  db: 'db',
  connectTimeout: 'duration',
  timeout: 'duration',
  ttl: 'duration',
  maxEntry: 'size',
  lockTtl: 'duration',
  lockWait: 'duration',
  backoff: 'duration',
};
const PREFIX_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/; // no glob characters: SCAN MATCH uses it as a pattern
const URL_ALLOWED = `redis://[user:password@]host[:port][/db[/prefix]][?prefix=&connectTimeout=&timeout=&ttl=&maxEntry=&lockTtl=&lockWait=&backoff=]`;

/** "250ms", "2s", "5m", "12h", "30d" or bare milliseconds. */
export function parseMilliseconds(field: string, text: string): number {
  const m = /^(\d{1,12})(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) throw new SpecError(field, text, 'a duration such as 250ms, 2s, 5m, 12h, 30d, or milliseconds');
  return Number(m[1]) * { ms: 1, s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7 }[(m[2] ?? 'ms') as 'ms' | 's' | 'm' | 'h' | 'd'];
}

/** "40K", "64M", "1G" or bare bytes (powers of 1024). */
export function parseBytes(field: string, text: string): number {
  const m = /^(\d{1,12})([KMG])?i?B?$/i.exec(text.trim());
  if (!m) throw new SpecError(field, text, 'a size such as 512K, 64M, 1G, or bytes');
  return Number(m[1]) * { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30 }[(m[2] ?? '').toLowerCase() as '' | 'k' | 'm' | 'g'];
}

function normalizePrefix(field: string, text: string): string {
  if (!PREFIX_PATTERN.test(text)) throw new SpecError(field, text, 'letters, digits and . _ : - (at most 64)');
  return text.endsWith(':') ? text : `${text}:`;
}

function parseDb(field: string, text: string): number {
  if (!/^\d{1,2}$/.test(text)) throw new SpecError(field, text, 'a database number from 0 to 99');
  return Number(text);
}

/** The URL part of the configuration (no secret): throws a SpecError naming what is wrong. */
export function parseRemoteUrl(text: string): Omit<RemoteConfig, 'tagKey'> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // The text may hold a password: it is not echoed back.
    throw new SpecError('DWCONV_JIT_REMOTE_CACHE', '(not a URL)', URL_ALLOWED);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new SpecError('DWCONV_JIT_REMOTE_CACHE', url.protocol, 'redis: or rediss: (TLS)');
  if (!url.hostname) throw new SpecError('DWCONV_JIT_REMOTE_CACHE', '(no host)', URL_ALLOWED);
  const port = url.port === '' ? REMOTE_DEFAULTS.port : Number(url.port);
  const [dbText, prefixText, ...rest] = url.pathname.split('/').filter(Boolean);
  if (rest.length) throw new SpecError('DWCONV_JIT_REMOTE_CACHE path', url.pathname, '/db or /db/prefix');
  let db = dbText === undefined ? 0 : parseDb('DWCONV_JIT_REMOTE_CACHE db', dbText);
  let prefix = prefixText === undefined ? REMOTE_DEFAULTS.prefix : normalizePrefix('DWCONV_JIT_REMOTE_CACHE prefix', decodeURIComponent(prefixText));
  const values: Record<string, number> = {};
  for (const [name, value] of url.searchParams) {
    const kind = QUERY_FIELDS[name];
    const field = `DWCONV_JIT_REMOTE_CACHE ?${name}`;
    if (!kind) throw new SpecError(field, value, `one of ${Object.keys(QUERY_FIELDS).join(', ')}`);
    if (kind === 'prefix') prefix = normalizePrefix(field, value);
    else if (kind === 'db') db = parseDb(field, value);
    else values[name] = kind === 'size' ? parseBytes(field, value) : parseMilliseconds(field, value);
  }
  const ms = (name: string, fallback: number, min: number) => {
    const v = values[name] ?? fallback;
    if (v < min) throw new SpecError(`DWCONV_JIT_REMOTE_CACHE ?${name}`, v, `at least ${min} ms`);
    return v;
  };
  const lockTtlMs = ms('lockTtl', REMOTE_DEFAULTS.lockTtlMs, 300);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1'); // IPv6 literals come bracketed
  return {
    display: `${url.protocol}//${url.host}/${db}?prefix=${prefix}`,
    tls: url.protocol === 'rediss:',
    host,
    port,
    db,
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? new Hidden(decodeURIComponent(url.password)) : undefined,
    prefix,
    connectTimeoutMs: ms('connectTimeout', REMOTE_DEFAULTS.connectTimeoutMs, 1),
    requestTimeoutMs: ms('timeout', REMOTE_DEFAULTS.requestTimeoutMs, 1),
    ttlMs: ms('ttl', REMOTE_DEFAULTS.ttlMs, 1000),
    maxEntryBytes: values.maxEntry ?? REMOTE_DEFAULTS.maxEntryBytes,
    lockTtlMs,
    lockWaitMs: ms('lockWait', REMOTE_DEFAULTS.lockWaitMs, 0),
    backoffMs: ms('backoff', REMOTE_DEFAULTS.backoffMs, 0),
  };
}

/** The HMAC key: derived (HKDF), so the same secret used by another tool never yields the same key. */
export function deriveTagKey(secret: Buffer): Hidden<Buffer> {
  return new Hidden(Buffer.from(hkdfSync('sha256', secret, 'dwconv-jit', 'remote cache entry tag v1', 32)));
}

/** The shared secret from DWCONV_JIT_REMOTE_KEY or DWCONV_JIT_REMOTE_KEY_FILE; undefined when neither is set. */
export function readSecret(env: Omit<RemoteSource, 'remoteCache'>): Buffer | undefined {
  if (env.remoteKey !== undefined && env.remoteKeyFile !== undefined) {
    throw new SpecError('DWCONV_JIT_REMOTE_KEY', '(set, and so is DWCONV_JIT_REMOTE_KEY_FILE)', 'one of the two');
  }
  let secret: Buffer;
  if (env.remoteKeyFile !== undefined) {
    const file = env.remoteKeyFile;
    let mode: number;
    try {
      const st = statSync(file);
      if (!st.isFile()) throw new Error('not a regular file');
      mode = st.mode;
      secret = Buffer.from(readFileSync(file, 'utf8').trim(), 'utf8');
    } catch (cause) {
      throw new SpecError('DWCONV_JIT_REMOTE_KEY_FILE', file, `a readable file holding the secret (${(cause as Error).message})`);
    }
    // Whoever can read the secret can make every reader load their code: like an ssh key, it is private.
    if ((mode & 0o007) !== 0) throw new SpecError('DWCONV_JIT_REMOTE_KEY_FILE', file, `a file others cannot read or write (mode ${(mode & 0o777).toString(8)}; chmod 600 or 640)`);
  } else if (env.remoteKey !== undefined) {
    secret = Buffer.from(env.remoteKey, 'utf8');
  } else {
    return undefined;
  }
  if (secret.length < MIN_SECRET_BYTES) {
    throw new SpecError('DWCONV_JIT_REMOTE_KEY', `(${secret.length} bytes)`, `a secret of at least ${MIN_SECRET_BYTES} bytes, e.g. from \`openssl rand -hex 32\``);
  }
  return secret;
}

/** Where a remote's URL and secret come from: the variables, or a compile option standing in for them. */
export type RemoteSource = Pick<Environment, 'remoteCache' | 'remoteKey' | 'remoteKeyFile'>;

/** The remote is on (`config`), or off with the reason; `message` is set when the user should hear why. */
export type RemoteResolution = { readonly config: RemoteConfig } | { readonly off: string; readonly message?: string };

/**
 * Reads the remote configuration from the environment. Never throws: a remote that is misconfigured
 * is off, with a message saying why, so a typo costs the remote tier, not every compile.
 */
export function resolveRemote(env: RemoteSource): RemoteResolution {
  if (env.remoteCache === undefined) return { off: 'DWCONV_JIT_REMOTE_CACHE is not set' };
  let url: Omit<RemoteConfig, 'tagKey'>;
  try {
    url = parseRemoteUrl(env.remoteCache);
  } catch (err) {
    const why = (err as Error).message;
    return { off: why, message: `remote cache off: ${why}` };
  }
  let secret: Buffer | undefined;
  try {
    secret = readSecret(env);
  } catch (err) {
    const why = (err as Error).message;
    return { off: why, message: `remote cache ${url.display} off: ${why}` };
  }
  if (!secret) {
    const why = 'no shared secret (DWCONV_JIT_REMOTE_KEY or DWCONV_JIT_REMOTE_KEY_FILE): entries cannot be authenticated, and unauthenticated entries are never loaded';
    return { off: why, message: `remote cache ${url.display} off: ${why}` };
  }
  return { config: { ...url, tagKey: deriveTagKey(secret) } };
}
