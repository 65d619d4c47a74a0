// A remote cache on Redis that is never trusted and never in the way: every entry read is verified
// (tag, key, format, hashes, spec) before it is returned, and every request is bounded by a timeout;
// a failure turns the store off for a back-off period, so an unreachable or stalled server costs one
// timeout, then nothing.
import { createHash, randomBytes } from 'node:crypto';
import { sleepUnlessAborted } from '../../abort.js';
import { debug, shortKey } from '../../debug.js';
import { CacheError, SpecError } from '../../errors.js';
import { connectRedis, type RedisArg, type RedisLink } from './client.js';
import type { RemoteConfig } from './config.js';
import { checkEntry, openEnvelope, REFUSAL_REASONS, sealEnvelope, type EntryBytes, type EntryExpectation, type RefusalReason } from './envelope.js';
import { RELEASE_LOCK, REMOVE_IF_SAME, RENEW_LOCK, TOUCH } from './scripts.js';

/** A verified entry: meta.json (parsed and as bytes), the source and the artifact. */
export interface RemoteEntry extends EntryBytes {
  readonly meta: Record<string, unknown>;
}

export interface RemoteRefusal {
  readonly key: string;
  readonly reason: RefusalReason;
  readonly detail: string;
}

/** What this process saw of the remote; `refused` counts every refusal by reason. */
export interface RemoteCounters {
  hits: number;
  misses: number;
  refused: Record<RefusalReason, number>;
  published: number;
  /** Entries not published: over the size limit, or failing this process's own checks. */
  notPublished: number;
  /** Requests that failed or timed out (each turned the store off for the back-off period). */
  failures: number;
  /** Requests not sent because the store was off after a failure. */
  skipped: number;
  locksTaken: number;
  /** Lock waits that ended with another process's entry. */
  locksFound: number;
  /** Lock waits that gave up (lockWait) and produced without the lock. */
  locksGivenUp: number;
}

export interface RemoteStoreOptions {
  /** Where the store reports state changes (unreachable, reachable again, refusals); never the secret. */
  readonly log?: (message: string) => void;
  /** Called for every refused entry (after it is counted). */
  readonly onRefusal?: (refusal: RemoteRefusal) => void;
  /** Checked on every entry read and, before publishing, on every entry written (spec is per call). */
  readonly expect?: Omit<EntryExpectation, 'spec'>;
  /** Opens a connection; default: ioredis, loaded on first use. */
  readonly connect?: (config: RemoteConfig) => Promise<RedisLink>;
}

type Lookup =
  | { readonly kind: 'hit'; readonly entry: RemoteEntry; readonly blobSha1?: string }
  | { readonly kind: 'miss' }
  | { readonly kind: 'refused'; readonly refusal: RemoteRefusal; readonly blobSha1?: string }
  | { readonly kind: 'unavailable' };

const UNAVAILABLE = Symbol('unavailable');
type Reply = unknown;

const KEY_PATTERN = /^[0-9a-f]{64}$/;

class RequestTimeout extends Error {}

/** A reply Redis sent as an error (a script error, OOM, WRONGTYPE): the server is up, the request was refused. */
function isReplyError(err: unknown): boolean {
  return err instanceof Error && err.name === 'ReplyError';
}

function text(reply: Reply): string | undefined {
  return Buffer.isBuffer(reply) ? reply.toString('utf8') : typeof reply === 'string' ? reply : undefined;
}

export class RemoteStore {
  readonly counters: RemoteCounters = {
    hits: 0,
    misses: 0,
    refused: Object.fromEntries(REFUSAL_REASONS.map((r) => [r, 0])) as Record<RefusalReason, number>,
    published: 0,
    notPublished: 0,
    failures: 0,
    skipped: 0,
    locksTaken: 0,
    locksFound: 0,
    locksGivenUp: 0,
  };
  private link: Promise<RedisLink> | undefined;
  private offUntil = 0;
  private reportedDown = false;
  private readonly loggedReplyErrors = new Set<string>();
  private readonly loggedRefusals = new Set<string>();

  constructor(
    readonly config: RemoteConfig,
    private readonly options: RemoteStoreOptions = {},
  ) {}

  /** False while the store is off after a failure. */
  get available(): boolean {
    return Date.now() >= this.offUntil;
  }

  entryKey(key: string): string {
    if (!KEY_PATTERN.test(key)) throw new SpecError('remote cache key', key, '64 lowercase hex digits');
    return `${this.config.prefix}entry:${key}`;
  }

  lockKey(key: string): string {
    return `${this.config.prefix}lock:${this.entryKey(key).slice(-64)}`;
  }

  private get statsKey(): string {
    return `${this.config.prefix}stats`;
  }

  /** The verified entry, or undefined (absent, refused, or the remote unavailable). Never throws for the remote's sake. */
  get(key: string, spec?: unknown): Promise<RemoteEntry | undefined> {
    return this.find(key, spec, true);
  }

  /**
   * `get`, where a miss is counted only when `counted`: a lock waiter's polls, and the lock holder's
   * second look, continue a lookup already counted. So does a refusal of an entry already refused.
   */
  private async find(key: string, spec: unknown, counted: boolean): Promise<RemoteEntry | undefined> {
    const found = await this.lookup(key, spec);
    debug('remote [%s] %s %s%s', this.config.display, found.kind, shortKey(key), found.kind === 'refused' ? ` (${found.refusal.reason}: ${found.refusal.detail})` : found.kind === 'hit' ? ` (${found.entry.artifact.length} artifact bytes)` : '');
    if (found.kind === 'hit') {
      this.counters.hits++;
      void this.request('EVAL', [TOUCH, 2, this.entryKey(key), this.statsKey, this.config.ttlMs, 'hits']);
      return found.entry;
    }
    if (found.kind === 'miss' && counted) {
      this.counters.misses++;
      void this.request('HINCRBY', [this.statsKey, 'misses', 1]);
    }
    if (found.kind === 'refused') this.refuse(found.refusal, found.blobSha1, counted);
    return undefined;
  }

  /**
   * Counts and reports a refusal: counted once per lookup (and once per distinct bad entry that a
   * poll sees), one log line per distinct bad entry, however often it is read.
   */
  private refuse(refusal: RemoteRefusal, blobSha1: string | undefined, counted: boolean): void {
    const seen = `${refusal.key}:${refusal.reason}:${blobSha1 ?? ''}`;
    const known = this.loggedRefusals.has(seen);
    if (counted || !known) {
      this.counters.refused[refusal.reason]++;
      void this.request('HINCRBY', [this.statsKey, `refused:${refusal.reason}`, 1]);
      this.options.onRefusal?.(refusal);
    }
    if (!known) {
      this.loggedRefusals.add(seen);
      this.options.log?.(`remote cache: refused entry ${refusal.key.slice(0, 12)} (${refusal.reason}: ${refusal.detail}); compiling locally`);
    }
  }

  private async lookup(key: string, spec?: unknown, strict = false): Promise<Lookup> {
    // GETRANGE, not GET: at most one byte past the limit is ever downloaded. (Measured on loopback for
    // 500 KB: GETRANGE 0.5 ms, GET 0.7 ms, a Lua script that checks STRLEN first 1.5 ms.)
    const max = this.config.maxEntryBytes;
    const reply = await this.request('GETRANGE', [this.entryKey(key), 0, max], { strict, replyErrors: true });
    if (reply === UNAVAILABLE) return { kind: 'unavailable' };
    if (reply instanceof Error) return { kind: 'refused', refusal: { key, reason: 'malformed', detail: `the Redis key does not hold a string (${reply.message})` } };
    if (Buffer.isBuffer(reply) && reply.length === 0) return { kind: 'miss' }; // an absent key reads as empty
    if (Buffer.isBuffer(reply) && reply.length > max) return { kind: 'refused', refusal: { key, reason: 'size', detail: `over the limit of ${max} bytes` } };
    if (!Buffer.isBuffer(reply)) return { kind: 'refused', refusal: { key, reason: 'malformed', detail: 'an unexpected reply' } };
    const blobSha1 = () => createHash('sha1').update(reply).digest('hex');
    const opened = openEnvelope(this.config.tagKey, reply);
    if (!opened.ok) return { kind: 'refused', refusal: { key, reason: opened.reason, detail: opened.detail }, blobSha1: blobSha1() };
    const checked = checkEntry(key, opened.entry, { ...this.options.expect, ...(spec !== undefined ? { spec } : {}) });
    if (!checked.ok) return { kind: 'refused', refusal: { key, reason: checked.reason, detail: checked.detail }, blobSha1: blobSha1() };
    const { metaBytes, source, artifact } = opened.entry;
    // The SHA-1 names the stored value for a later compare-and-delete (maintenance only: not on the hot path).
    return { kind: 'hit', entry: { meta: checked.meta, metaBytes, source, artifact }, ...(strict ? { blobSha1: blobSha1() } : {}) };
  }

  /**
   * Publishes an entry (expiring after the TTL). Returns false, without sending it, when it is over
   * the size limit or fails the checks a reader would make; false too when the remote is unavailable
   * (with `strict`, a CacheError instead).
   */
  async put(key: string, entry: EntryBytes, o: { strict?: boolean } = {}): Promise<boolean> {
    const own = checkEntry(key, { key, ...entry }, this.options.expect);
    if (!own.ok) {
      this.counters.notPublished++;
      debug('remote [%s] not publishing %s (%s: %s)', this.config.display, shortKey(key), own.reason, own.detail);
      this.options.log?.(`remote cache: not publishing ${key.slice(0, 12)}: it would be refused (${own.reason}: ${own.detail})`);
      return false;
    }
    const blob = sealEnvelope(this.config.tagKey, key, entry);
    if (blob.length > this.config.maxEntryBytes) {
      this.counters.notPublished++;
      debug('remote [%s] not publishing %s (%d bytes, over the limit)', this.config.display, shortKey(key), blob.length);
      this.options.log?.(`remote cache: not publishing ${key.slice(0, 12)}: ${blob.length} bytes, over the limit of ${this.config.maxEntryBytes}`);
      return false;
    }
    const reply = await this.request('SET', [this.entryKey(key), blob, 'PX', this.config.ttlMs], o);
    if (text(reply) !== 'OK') {
      debug('remote [%s] publishing %s failed', this.config.display, shortKey(key));
      return false;
    }
    debug('remote [%s] published %s (%d bytes)', this.config.display, shortKey(key), blob.length);
    this.counters.published++;
    void this.request('HINCRBY', [this.statsKey, 'published', 1]);
    return true;
  }

  /**
   * Single flight across the fleet: runs `produce` while holding the key's lock in Redis, unless
   * another process holds it and publishes the entry meanwhile (then `found`). The lock is SET NX PX
   * with a random token, renewed while `produce` runs, released by compare-and-delete; a holder that
   * dies stops renewing, so the lock expires after lockTtl. `produce` should publish (put) the entry
   * before it returns, so waiters find it. The lock only saves work: when the remote is unavailable,
   * or the wait passes lockWait, `produce` runs anyway. `signal` ends the wait at once (an AbortError).
   */
  async withLock<T>(key: string, produce: () => Promise<T>, spec?: unknown, signal?: AbortSignal): Promise<{ produced: T } | { found: RemoteEntry }> {
    const lock = this.lockKey(key);
    const token = randomBytes(16).toString('hex');
    const deadline = Date.now() + this.config.lockWaitMs;
    for (let wait = 25; ; wait = Math.min(wait * 2, 250)) {
      const taken = await this.request('SET', [lock, token, 'NX', 'PX', this.config.lockTtlMs]);
      if (taken === UNAVAILABLE) return { produced: await produce() };
      if (text(taken) === 'OK') {
        debug('remote [%s] took the compile lock of %s', this.config.display, shortKey(key));
        this.counters.locksTaken++;
        return this.holding(key, lock, token, produce, spec);
      }
      if (wait === 25) debug('remote [%s] another process holds the compile lock of %s; waiting for its entry', this.config.display, shortKey(key));
      if (Date.now() >= deadline) {
        this.counters.locksGivenUp++;
        this.options.log?.(`remote cache: waited ${Math.round(this.config.lockWaitMs / 1000)} s for another process's compile of ${key.slice(0, 12)}; compiling here`);
        return { produced: await produce() };
      }
      await sleepUnlessAborted(Math.min(wait, Math.max(0, deadline - Date.now())), signal, 'compile');
      const found = await this.find(key, spec, false);
      if (found) {
        this.counters.locksFound++;
        return { found };
      }
    }
  }

  private async holding<T>(key: string, lock: string, token: string, produce: () => Promise<T>, spec: unknown): Promise<{ produced: T } | { found: RemoteEntry }> {
    let lost = false;
    const renew = setInterval(() => {
      void this.request('EVAL', [RENEW_LOCK, 1, lock, token, this.config.lockTtlMs]).then((r) => {
        if (r === 0 && !lost) {
          lost = true; // another process may now compile too: wasted work, never a wrong entry
          this.options.log?.(`remote cache: the lock of ${key.slice(0, 12)} expired while compiling (raise ?lockTtl=)`);
        }
      });
    }, Math.max(100, Math.floor(this.config.lockTtlMs / 3)));
    renew.unref();
    try {
      // The holder before us may have published and released between our miss and our lock.
      const found = await this.find(key, spec, false);
      if (found) {
        this.counters.locksFound++;
        return { found };
      }
      return { produced: await produce() };
    } finally {
      clearInterval(renew);
      // Tried even while the store is off after a failure: a lock left behind would make the other
      // processes wait for its expiry (lockTtl) before compiling themselves.
      await this.request('EVAL', [RELEASE_LOCK, 1, lock, token], { strict: true }).catch(() => undefined);
    }
  }

  /** Closes the connection (the next request opens one again). */
  close(): void {
    void this.link?.then((l) => l.close(), () => undefined);
    this.link = undefined;
  }

  // ---- maintenance (the `cache remote` commands): these throw a CacheError when Redis cannot be reached

  /** Every entry key under the prefix (SCAN: the server is never blocked). */
  async keys(): Promise<string[]> {
    const out: string[] = [];
    const pattern = `${this.config.prefix}entry:*`;
    let cursor = '0';
    do {
      const reply = (await this.request('SCAN', [cursor, 'MATCH', pattern, 'COUNT', 500], { strict: true })) as [Buffer, Buffer[]];
      cursor = text(reply[0]) ?? '0';
      for (const k of reply[1]) {
        const key = k.toString('utf8').slice(pattern.length - 1);
        if (KEY_PATTERN.test(key)) out.push(key);
      }
    } while (cursor !== '0');
    return [...new Set(out)].sort();
  }

  /** One entry's state without changing it: verified or refused (and why), its size and time left. */
  async inspect(key: string): Promise<{ key: string; bytes: number; ttlMs: number; entry?: RemoteEntry; refusal?: RemoteRefusal; blobSha1?: string }> {
    const [bytes, ttlMs] = await Promise.all([
      this.request('STRLEN', [this.entryKey(key)], { strict: true }).catch(() => 0),
      this.request('PTTL', [this.entryKey(key)], { strict: true }),
    ]);
    const found = await this.lookup(key, undefined, true);
    const base = { key, bytes: typeof bytes === 'number' ? bytes : 0, ttlMs: typeof ttlMs === 'number' ? ttlMs : -2 };
    if (found.kind === 'hit') return { ...base, entry: found.entry, ...(found.blobSha1 ? { blobSha1: found.blobSha1 } : {}) };
    if (found.kind === 'refused') return { ...base, refusal: found.refusal, ...(found.blobSha1 ? { blobSha1: found.blobSha1 } : {}) };
    return base; // gone meanwhile
  }

  /** The stored size of an entry in bytes (undefined when absent or not a string); downloads nothing. */
  async inspectSize(key: string): Promise<number | undefined> {
    const n = await this.request('STRLEN', [this.entryKey(key)], { strict: true }).catch(() => undefined);
    return typeof n === 'number' && n > 0 ? n : undefined;
  }

  /** Removes an entry only if it is still the one inspected (see REMOVE_IF_SAME). */
  async removeIfSame(key: string, blobSha1: string | undefined): Promise<boolean> {
    const reply = await this.request('EVAL', [REMOVE_IF_SAME, 1, this.entryKey(key), blobSha1 ?? '', this.config.maxEntryBytes], { strict: true });
    return reply === 1;
  }

  /** Locks held now (keys under the prefix). */
  async heldLocks(): Promise<number> {
    let cursor = '0';
    let n = 0;
    do {
      const reply = (await this.request('SCAN', [cursor, 'MATCH', `${this.config.prefix}lock:*`, 'COUNT', 500], { strict: true })) as [Buffer, Buffer[]];
      cursor = text(reply[0]) ?? '0';
      n += reply[1].length;
    } while (cursor !== '0');
    return n;
  }

  /** The fleet's counters (every process adds to them) and what the server says of its memory. */
  async fleet(): Promise<{ counters: Record<string, number>; server: Record<string, string> }> {
    const raw = (await this.request('HGETALL', [this.statsKey], { strict: true })) as Buffer[];
    const counters: Record<string, number> = {};
    for (let i = 0; i + 1 < raw.length; i += 2) counters[raw[i]!.toString('utf8')] = Number(raw[i + 1]!.toString('utf8'));
    const info = text(await this.request('INFO', [], { strict: true })) ?? '';
    const server: Record<string, string> = {};
    for (const line of info.split(/\r?\n/)) {
      const [name, value] = line.split(':');
      if (name && value !== undefined && ['redis_version', 'used_memory_human', 'maxmemory_human', 'maxmemory_policy'].includes(name)) server[name] = value.trim();
    }
    return { counters, server };
  }

  // ---- requests

  /**
   * One command within the request timeout. Unavailable (the store is off, or this request failed)
   * gives UNAVAILABLE, or with `strict` a CacheError; with `replyErrors`, an error reply is returned. A connection failure or timeout turns the store
   * off for the back-off period and is logged once; an error reply is logged once per kind.
   */
  private async request(command: string, args: readonly RedisArg[], o: { strict?: boolean; replyErrors?: boolean } = {}): Promise<Reply | typeof UNAVAILABLE> {
    if (!o.strict && !this.available) {
      debug('remote [%s] %s skipped (off after a failure)', this.config.display, command);
      this.counters.skipped++;
      return UNAVAILABLE;
    }
    try {
      const link = await this.connection();
      const reply = await this.bounded(link.call(command, args), command);
      if (this.reportedDown) {
        this.reportedDown = false;
        this.options.log?.(`remote cache ${this.config.display} reachable again`);
      }
      return reply;
    } catch (err) {
      if (o.replyErrors && isReplyError(err)) return err; // the caller judges it (a key of another type)
      this.counters.failures++;
      const why = err instanceof Error ? err.message : String(err);
      debug('remote [%s] %s failed (%s)', this.config.display, command, why);
      if (o.strict) throw new CacheError(`remote cache: ${command} failed: ${why}`, this.config.display, { cause: err });
      if (isReplyError(err)) {
        const kind = why.split(' ')[0] ?? why;
        if (!this.loggedReplyErrors.has(kind)) {
          this.loggedReplyErrors.add(kind);
          this.options.log?.(`remote cache ${this.config.display}: ${command} refused by the server (${why})`);
        }
        return UNAVAILABLE;
      }
      this.turnOff(why);
      return UNAVAILABLE;
    }
  }

  private turnOff(why: string): void {
    this.offUntil = Date.now() + this.config.backoffMs;
    this.close();
    if (!this.reportedDown) {
      this.reportedDown = true;
      this.options.log?.(`remote cache ${this.config.display} unavailable (${why}); working without it, next try in ${Math.round(this.config.backoffMs / 1000)} s`);
    }
  }

  private connection(): Promise<RedisLink> {
    if (!this.link) {
      const opening = (this.options.connect ?? connectRedis)(this.config);
      this.link = opening;
      opening.catch(() => {
        if (this.link === opening) this.link = undefined;
      });
    }
    return this.link;
  }

  /** Our own bound on a request, whatever the client does: a stalled server costs this and no more. */
  private bounded<T>(call: Promise<T>, command: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const ms = this.config.requestTimeoutMs;
    return Promise.race([
      call,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new RequestTimeout(`${command} got no reply within ${ms} ms`)), ms);
      }),
    ]).finally(() => clearTimeout(timer));
  }
}
