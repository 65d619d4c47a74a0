import {
  debug,
  shortKey
} from "./chunk-SMP3MV7C.js";
import {
  sleepUnlessAborted
} from "./chunk-UGFPPU7J.js";
import {
  CacheError,
  SpecError
} from "./chunk-3MZWLH6H.js";

// dist/cache/remote/config.js
import { hkdfSync } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { inspect } from "node:util";
var Hidden = class {
  #value;
  constructor(value) {
    this.#value = value;
  }
  reveal() {
    return this.#value;
  }
  toJSON() {
    return "[redacted]";
  }
  toString() {
    return "[redacted]";
  }
  [inspect.custom]() {
    return "[redacted]";
  }
};
var REMOTE_DEFAULTS = {
  port: 6379,
  prefix: "dwconv-jit:",
  connectTimeoutMs: 300,
  requestTimeoutMs: 500,
  ttlMs: 30 * 864e5,
  maxEntryBytes: 32 * 2 ** 20,
  lockTtlMs: 3e4,
  lockWaitMs: 12e4,
  backoffMs: 3e4
};
var MIN_SECRET_BYTES = 16;
var QUERY_FIELDS = {
  prefix: "prefix",
  db: "db",
  connectTimeout: "duration",
  timeout: "duration",
  ttl: "duration",
  maxEntry: "size",
  lockTtl: "duration",
  lockWait: "duration",
  backoff: "duration"
};
var PREFIX_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;
var URL_ALLOWED = `redis://[user:password@]host[:port][/db[/prefix]][?prefix=&connectTimeout=&timeout=&ttl=&maxEntry=&lockTtl=&lockWait=&backoff=]`;
function parseMilliseconds(field, text2) {
  const m = /^(\d{1,12})(ms|s|m|h|d)?$/.exec(text2.trim());
  if (!m)
    throw new SpecError(field, text2, "a duration such as 250ms, 2s, 5m, 12h, 30d, or milliseconds");
  return Number(m[1]) * { ms: 1, s: 1e3, m: 6e4, h: 36e5, d: 864e5 }[m[2] ?? "ms"];
}
function parseBytes(field, text2) {
  const m = /^(\d{1,12})([KMG])?i?B?$/i.exec(text2.trim());
  if (!m)
    throw new SpecError(field, text2, "a size such as 512K, 64M, 1G, or bytes");
  return Number(m[1]) * { "": 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30 }[(m[2] ?? "").toLowerCase()];
}
function normalizePrefix(field, text2) {
  if (!PREFIX_PATTERN.test(text2))
    throw new SpecError(field, text2, "letters, digits and . _ : - (at most 64)");
  return text2.endsWith(":") ? text2 : `${text2}:`;
}
function parseDb(field, text2) {
  if (!/^\d{1,2}$/.test(text2))
    throw new SpecError(field, text2, "a database number from 0 to 99");
  return Number(text2);
}
function parseRemoteUrl(text2) {
  let url;
  try {
    url = new URL(text2);
  } catch {
    throw new SpecError("DWCONV_JIT_REMOTE_CACHE", "(not a URL)", URL_ALLOWED);
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:")
    throw new SpecError("DWCONV_JIT_REMOTE_CACHE", url.protocol, "redis: or rediss: (TLS)");
  if (!url.hostname)
    throw new SpecError("DWCONV_JIT_REMOTE_CACHE", "(no host)", URL_ALLOWED);
  const port = url.port === "" ? REMOTE_DEFAULTS.port : Number(url.port);
  const [dbText, prefixText, ...rest] = url.pathname.split("/").filter(Boolean);
  if (rest.length)
    throw new SpecError("DWCONV_JIT_REMOTE_CACHE path", url.pathname, "/db or /db/prefix");
  let db = dbText === void 0 ? 0 : parseDb("DWCONV_JIT_REMOTE_CACHE db", dbText);
  let prefix = prefixText === void 0 ? REMOTE_DEFAULTS.prefix : normalizePrefix("DWCONV_JIT_REMOTE_CACHE prefix", decodeURIComponent(prefixText));
  const values = {};
  for (const [name, value] of url.searchParams) {
    const kind = QUERY_FIELDS[name];
    const field = `DWCONV_JIT_REMOTE_CACHE ?${name}`;
    if (!kind)
      throw new SpecError(field, value, `one of ${Object.keys(QUERY_FIELDS).join(", ")}`);
    if (kind === "prefix")
      prefix = normalizePrefix(field, value);
    else if (kind === "db")
      db = parseDb(field, value);
    else
      values[name] = kind === "size" ? parseBytes(field, value) : parseMilliseconds(field, value);
  }
  const ms = (name, fallback, min) => {
    const v = values[name] ?? fallback;
    if (v < min)
      throw new SpecError(`DWCONV_JIT_REMOTE_CACHE ?${name}`, v, `at least ${min} ms`);
    return v;
  };
  const lockTtlMs = ms("lockTtl", REMOTE_DEFAULTS.lockTtlMs, 300);
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  return {
    display: `${url.protocol}//${url.host}/${db}?prefix=${prefix}`,
    tls: url.protocol === "rediss:",
    host,
    port,
    db,
    username: url.username ? decodeURIComponent(url.username) : void 0,
    password: url.password ? new Hidden(decodeURIComponent(url.password)) : void 0,
    prefix,
    connectTimeoutMs: ms("connectTimeout", REMOTE_DEFAULTS.connectTimeoutMs, 1),
    requestTimeoutMs: ms("timeout", REMOTE_DEFAULTS.requestTimeoutMs, 1),
    ttlMs: ms("ttl", REMOTE_DEFAULTS.ttlMs, 1e3),
    maxEntryBytes: values.maxEntry ?? REMOTE_DEFAULTS.maxEntryBytes,
    lockTtlMs,
    lockWaitMs: ms("lockWait", REMOTE_DEFAULTS.lockWaitMs, 0),
    backoffMs: ms("backoff", REMOTE_DEFAULTS.backoffMs, 0)
  };
}
function deriveTagKey(secret) {
  return new Hidden(Buffer.from(hkdfSync("sha256", secret, "dwconv-jit", "remote cache entry tag v1", 32)));
}
function readSecret(env) {
  if (env.remoteKey !== void 0 && env.remoteKeyFile !== void 0) {
    throw new SpecError("DWCONV_JIT_REMOTE_KEY", "(set, and so is DWCONV_JIT_REMOTE_KEY_FILE)", "one of the two");
  }
  let secret;
  if (env.remoteKeyFile !== void 0) {
    const file = env.remoteKeyFile;
    let mode;
    try {
      const st = statSync(file);
      if (!st.isFile())
        throw new Error("not a regular file");
      mode = st.mode;
      secret = Buffer.from(readFileSync(file, "utf8").trim(), "utf8");
    } catch (cause) {
      throw new SpecError("DWCONV_JIT_REMOTE_KEY_FILE", file, `a readable file holding the secret (${cause.message})`);
    }
    if ((mode & 7) !== 0)
      throw new SpecError("DWCONV_JIT_REMOTE_KEY_FILE", file, `a file others cannot read or write (mode ${(mode & 511).toString(8)}; chmod 600 or 640)`);
  } else if (env.remoteKey !== void 0) {
    secret = Buffer.from(env.remoteKey, "utf8");
  } else {
    return void 0;
  }
  if (secret.length < MIN_SECRET_BYTES) {
    throw new SpecError("DWCONV_JIT_REMOTE_KEY", `(${secret.length} bytes)`, `a secret of at least ${MIN_SECRET_BYTES} bytes, e.g. from \`openssl rand -hex 32\``);
  }
  return secret;
}
function resolveRemote(env) {
  if (env.remoteCache === void 0)
    return { off: "DWCONV_JIT_REMOTE_CACHE is not set" };
  let url;
  try {
    url = parseRemoteUrl(env.remoteCache);
  } catch (err) {
    const why = err.message;
    return { off: why, message: `remote cache off: ${why}` };
  }
  let secret;
  try {
    secret = readSecret(env);
  } catch (err) {
    const why = err.message;
    return { off: why, message: `remote cache ${url.display} off: ${why}` };
  }
  if (!secret) {
    const why = "no shared secret (DWCONV_JIT_REMOTE_KEY or DWCONV_JIT_REMOTE_KEY_FILE): entries cannot be authenticated, and unauthenticated entries are never loaded";
    return { off: why, message: `remote cache ${url.display} off: ${why}` };
  }
  return { config: { ...url, tagKey: deriveTagKey(secret) } };
}

// dist/cache/remote/store.js
import { createHash as createHash2, randomBytes } from "node:crypto";

// dist/cache/remote/client.js
import { isIP } from "node:net";
var loading;
function loadClient() {
  loading ??= import("ioredis").then((m) => m.Redis);
  return loading;
}
function preloadRedisClient() {
  loadClient().catch(() => void 0);
}
async function connectRedis(config) {
  const Redis = await loadClient();
  const client = new Redis({
    host: config.host,
    port: config.port,
    db: config.db,
    ...config.username !== void 0 ? { username: config.username } : {},
    ...config.password !== void 0 ? { password: config.password.reveal() } : {},
    ...config.tls ? { tls: isIP(config.host) ? {} : { servername: config.host } } : {},
    connectTimeout: config.connectTimeoutMs,
    lazyConnect: true,
    enableReadyCheck: false,
    // the ready check is a request that a stalled server never answers
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    retryStrategy: () => null,
    connectionName: "dwconv-jit"
  });
  let socketError;
  client.on("error", (err) => {
    socketError ??= err;
  });
  let timer;
  try {
    await Promise.race([
      client.connect(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no connection within ${config.connectTimeoutMs} ms`)), config.connectTimeoutMs);
      })
    ]);
  } catch (err) {
    client.disconnect();
    throw socketError ?? err;
  } finally {
    clearTimeout(timer);
  }
  client.stream?.unref?.();
  return {
    call: (command, args) => client.callBuffer(command, ...args),
    close: () => client.disconnect()
  };
}

// dist/cache/remote/envelope.js
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
var ENVELOPE_VERSION = 1;
var MAGIC = Buffer.from("dwconv-jit remote\0", "latin1");
var TAG_BYTES = 32;
var HEADER_BYTES = MAGIC.length + 4;
var REFUSAL_REASONS = ["malformed", "format", "tag", "key", "meta", "hash", "spec", "size"];
function u32(n) {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}
function tagOf(tagKey, body) {
  return createHmac("sha256", tagKey.reveal()).update(body).digest();
}
function sealEnvelope(tagKey, key, entry) {
  const parts = [MAGIC, u32(ENVELOPE_VERSION)];
  for (const field of [Buffer.from(key, "utf8"), entry.metaBytes, entry.source, entry.artifact])
    parts.push(u32(field.length), field);
  const body = Buffer.concat(parts);
  return Buffer.concat([body, tagOf(tagKey, body)]);
}
function openEnvelope(tagKey, blob) {
  const refuse = (reason, detail) => ({ ok: false, reason, detail });
  if (blob.length < HEADER_BYTES || !blob.subarray(0, MAGIC.length).equals(MAGIC))
    return refuse("malformed", "not a dwconv-jit remote entry");
  const version = blob.readUInt32BE(MAGIC.length);
  if (version !== ENVELOPE_VERSION)
    return refuse("format", `envelope version ${version}, this version reads ${ENVELOPE_VERSION}`);
  const fields = [];
  let at = HEADER_BYTES;
  for (let i = 0; i < 4; i++) {
    if (at + 4 > blob.length)
      return refuse("malformed", "truncated");
    const length = blob.readUInt32BE(at);
    at += 4;
    if (at + length > blob.length)
      return refuse("malformed", "truncated");
    fields.push(blob.subarray(at, at + length));
    at += length;
  }
  const rest = blob.length - at;
  if (rest === 0)
    return refuse("tag", "the entry carries no tag");
  if (rest !== TAG_BYTES)
    return refuse("malformed", `${rest} bytes after the fields, a tag is ${TAG_BYTES}`);
  if (!timingSafeEqual(blob.subarray(at), tagOf(tagKey, blob.subarray(0, at)))) {
    return refuse("tag", "the tag does not match: the entry was changed, or written under another secret");
  }
  const [key, metaBytes, source, artifact] = fields;
  return { ok: true, entry: { key: key.toString("utf8"), metaBytes, source, artifact } };
}
var SAFE_FILE_NAME = /^[A-Za-z0-9._-]{1,64}$/;
var sha256 = (data) => createHash("sha256").update(data).digest("hex");
function canonicalJson(value) {
  return JSON.stringify(value, (_k, v) => v !== null && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)) : v);
}
function checkEntry(key, entry, expect = {}) {
  const refuse = (reason, detail) => ({ ok: false, reason, detail });
  if (entry.key !== key)
    return refuse("key", `the envelope is for key ${entry.key.slice(0, 16)}`);
  let meta;
  try {
    meta = JSON.parse(entry.metaBytes.toString("utf8"));
  } catch {
    return refuse("meta", "meta.json is not valid JSON");
  }
  if (meta === null || typeof meta !== "object" || Array.isArray(meta))
    return refuse("meta", "meta.json is not an object");
  const m = meta;
  if (m.key !== key)
    return refuse("key", "meta.json names another key");
  if (expect.cacheFormat !== void 0 && m.format !== expect.cacheFormat)
    return refuse("format", `cache format ${String(m.format)}, this version reads ${expect.cacheFormat}`);
  const files = m.files;
  const names = [files?.source, files?.artifact];
  if (names.some((n) => typeof n !== "string" || !SAFE_FILE_NAME.test(n) || n === "meta.json") || names[0] === names[1]) {
    return refuse("meta", "meta.json names no plain, distinct source and artifact files");
  }
  if (m.artifactBytes !== entry.artifact.length)
    return refuse("hash", `the artifact has ${entry.artifact.length} bytes, meta.json says ${String(m.artifactBytes)}`);
  if (m.artifactSha256 !== sha256(entry.artifact))
    return refuse("hash", "the artifact does not match its sha256");
  const parts = m.parts;
  if (parts === null || typeof parts !== "object")
    return refuse("meta", "meta.json has no key parts");
  if (parts.sourceSha256 !== sha256(entry.source))
    return refuse("hash", "the source does not match the sha256 in the key parts");
  if (expect.keyOf) {
    let recomputed;
    try {
      recomputed = expect.keyOf(parts);
    } catch {
      return refuse("meta", "the key parts cannot be hashed");
    }
    if (recomputed !== key)
      return refuse("key", "the key parts give another key");
  }
  if (expect.spec !== void 0 && canonicalJson(m.spec) !== canonicalJson(expect.spec))
    return refuse("spec", "meta.json records another spec");
  return { ok: true, meta: m };
}

// dist/cache/remote/scripts.js
var TOUCH = `
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return redis.call('HINCRBY', KEYS[2], ARGV[2], 1)`;
var RENEW_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;
var RELEASE_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;
var REMOVE_IF_SAME = `
local t = redis.call('TYPE', KEYS[1]).ok
if t == 'none' then return 0 end
if ARGV[1] == '' then
  if t == 'string' and redis.call('STRLEN', KEYS[1]) <= tonumber(ARGV[2]) then return 0 end
  return redis.call('DEL', KEYS[1])
end
if t ~= 'string' or redis.sha1hex(redis.call('GET', KEYS[1])) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])`;

// dist/cache/remote/store.js
var UNAVAILABLE = /* @__PURE__ */ Symbol("unavailable");
var KEY_PATTERN = /^[0-9a-f]{64}$/;
var RequestTimeout = class extends Error {
};
function isReplyError(err) {
  return err instanceof Error && err.name === "ReplyError";
}
function text(reply) {
  return Buffer.isBuffer(reply) ? reply.toString("utf8") : typeof reply === "string" ? reply : void 0;
}
var RemoteStore = class {
  config;
  options;
  counters = {
    hits: 0,
    misses: 0,
    refused: Object.fromEntries(REFUSAL_REASONS.map((r) => [r, 0])),
    published: 0,
    notPublished: 0,
    failures: 0,
    skipped: 0,
    locksTaken: 0,
    locksFound: 0,
    locksGivenUp: 0
  };
  link;
  offUntil = 0;
  reportedDown = false;
  loggedReplyErrors = /* @__PURE__ */ new Set();
  loggedRefusals = /* @__PURE__ */ new Set();
  constructor(config, options = {}) {
    this.config = config;
    this.options = options;
  }
  /** False while the store is off after a failure. */
  get available() {
    return Date.now() >= this.offUntil;
  }
  entryKey(key) {
    if (!KEY_PATTERN.test(key))
      throw new SpecError("remote cache key", key, "64 lowercase hex digits");
    return `${this.config.prefix}entry:${key}`;
  }
  lockKey(key) {
    return `${this.config.prefix}lock:${this.entryKey(key).slice(-64)}`;
  }
  get statsKey() {
    return `${this.config.prefix}stats`;
  }
  /** The verified entry, or undefined (absent, refused, or the remote unavailable). Never throws for the remote's sake. */
  get(key, spec) {
    return this.find(key, spec, true);
  }
  /**
   * `get`, where a miss is counted only when `counted`: a lock waiter's polls, and the lock holder's
   * second look, continue a lookup already counted. So does a refusal of an entry already refused.
   */
  async find(key, spec, counted) {
    const found = await this.lookup(key, spec);
    debug("remote [%s] %s %s%s", this.config.display, found.kind, shortKey(key), found.kind === "refused" ? ` (${found.refusal.reason}: ${found.refusal.detail})` : found.kind === "hit" ? ` (${found.entry.artifact.length} artifact bytes)` : "");
    if (found.kind === "hit") {
      this.counters.hits++;
      void this.request("EVAL", [TOUCH, 2, this.entryKey(key), this.statsKey, this.config.ttlMs, "hits"]);
      return found.entry;
    }
    if (found.kind === "miss" && counted) {
      this.counters.misses++;
      void this.request("HINCRBY", [this.statsKey, "misses", 1]);
    }
    if (found.kind === "refused")
      this.refuse(found.refusal, found.blobSha1, counted);
    return void 0;
  }
  /**
   * Counts and reports a refusal: counted once per lookup (and once per distinct bad entry that a
   * poll sees), one log line per distinct bad entry, however often it is read.
   */
  refuse(refusal, blobSha1, counted) {
    const seen = `${refusal.key}:${refusal.reason}:${blobSha1 ?? ""}`;
    const known = this.loggedRefusals.has(seen);
    if (counted || !known) {
      this.counters.refused[refusal.reason]++;
      void this.request("HINCRBY", [this.statsKey, `refused:${refusal.reason}`, 1]);
      this.options.onRefusal?.(refusal);
    }
    if (!known) {
      this.loggedRefusals.add(seen);
      this.options.log?.(`remote cache: refused entry ${refusal.key.slice(0, 12)} (${refusal.reason}: ${refusal.detail}); compiling locally`);
    }
  }
  async lookup(key, spec, strict = false) {
    const max = this.config.maxEntryBytes;
    const reply = await this.request("GETRANGE", [this.entryKey(key), 0, max], { strict, replyErrors: true });
    if (reply === UNAVAILABLE)
      return { kind: "unavailable" };
    if (reply instanceof Error)
      return { kind: "refused", refusal: { key, reason: "malformed", detail: `the Redis key does not hold a string (${reply.message})` } };
    if (Buffer.isBuffer(reply) && reply.length === 0)
      return { kind: "miss" };
    if (Buffer.isBuffer(reply) && reply.length > max)
      return { kind: "refused", refusal: { key, reason: "size", detail: `over the limit of ${max} bytes` } };
    if (!Buffer.isBuffer(reply))
      return { kind: "refused", refusal: { key, reason: "malformed", detail: "an unexpected reply" } };
    const blobSha1 = () => createHash2("sha1").update(reply).digest("hex");
    const opened = openEnvelope(this.config.tagKey, reply);
    if (!opened.ok)
      return { kind: "refused", refusal: { key, reason: opened.reason, detail: opened.detail }, blobSha1: blobSha1() };
    const checked = checkEntry(key, opened.entry, { ...this.options.expect, ...spec !== void 0 ? { spec } : {} });
    if (!checked.ok)
      return { kind: "refused", refusal: { key, reason: checked.reason, detail: checked.detail }, blobSha1: blobSha1() };
    const { metaBytes, source, artifact } = opened.entry;
    return { kind: "hit", entry: { meta: checked.meta, metaBytes, source, artifact }, ...strict ? { blobSha1: blobSha1() } : {} };
  }
  /**
   * Publishes an entry (expiring after the TTL). Returns false, without sending it, when it is over
   * the size limit or fails the checks a reader would make; false too when the remote is unavailable
   * (with `strict`, a CacheError instead).
   */
  async put(key, entry, o = {}) {
    const own = checkEntry(key, { key, ...entry }, this.options.expect);
    if (!own.ok) {
      this.counters.notPublished++;
      debug("remote [%s] not publishing %s (%s: %s)", this.config.display, shortKey(key), own.reason, own.detail);
      this.options.log?.(`remote cache: not publishing ${key.slice(0, 12)}: it would be refused (${own.reason}: ${own.detail})`);
      return false;
    }
    const blob = sealEnvelope(this.config.tagKey, key, entry);
    if (blob.length > this.config.maxEntryBytes) {
      this.counters.notPublished++;
      debug("remote [%s] not publishing %s (%d bytes, over the limit)", this.config.display, shortKey(key), blob.length);
      this.options.log?.(`remote cache: not publishing ${key.slice(0, 12)}: ${blob.length} bytes, over the limit of ${this.config.maxEntryBytes}`);
      return false;
    }
    const reply = await this.request("SET", [this.entryKey(key), blob, "PX", this.config.ttlMs], o);
    if (text(reply) !== "OK") {
      debug("remote [%s] publishing %s failed", this.config.display, shortKey(key));
      return false;
    }
    debug("remote [%s] published %s (%d bytes)", this.config.display, shortKey(key), blob.length);
    this.counters.published++;
    void this.request("HINCRBY", [this.statsKey, "published", 1]);
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
  async withLock(key, produce, spec, signal) {
    const lock = this.lockKey(key);
    const token = randomBytes(16).toString("hex");
    const deadline = Date.now() + this.config.lockWaitMs;
    for (let wait = 25; ; wait = Math.min(wait * 2, 250)) {
      const taken = await this.request("SET", [lock, token, "NX", "PX", this.config.lockTtlMs]);
      if (taken === UNAVAILABLE)
        return { produced: await produce() };
      if (text(taken) === "OK") {
        debug("remote [%s] took the compile lock of %s", this.config.display, shortKey(key));
        this.counters.locksTaken++;
        return this.holding(key, lock, token, produce, spec);
      }
      if (wait === 25)
        debug("remote [%s] another process holds the compile lock of %s; waiting for its entry", this.config.display, shortKey(key));
      if (Date.now() >= deadline) {
        this.counters.locksGivenUp++;
        this.options.log?.(`remote cache: waited ${Math.round(this.config.lockWaitMs / 1e3)} s for another process's compile of ${key.slice(0, 12)}; compiling here`);
        return { produced: await produce() };
      }
      await sleepUnlessAborted(Math.min(wait, Math.max(0, deadline - Date.now())), signal, "compile");
      const found = await this.find(key, spec, false);
      if (found) {
        this.counters.locksFound++;
        return { found };
      }
    }
  }
  async holding(key, lock, token, produce, spec) {
    let lost = false;
    const renew = setInterval(() => {
      void this.request("EVAL", [RENEW_LOCK, 1, lock, token, this.config.lockTtlMs]).then((r) => {
        if (r === 0 && !lost) {
          lost = true;
          this.options.log?.(`remote cache: the lock of ${key.slice(0, 12)} expired while compiling (raise ?lockTtl=)`);
        }
      });
    }, Math.max(100, Math.floor(this.config.lockTtlMs / 3)));
    renew.unref();
    try {
      const found = await this.find(key, spec, false);
      if (found) {
        this.counters.locksFound++;
        return { found };
      }
      return { produced: await produce() };
    } finally {
      clearInterval(renew);
      await this.request("EVAL", [RELEASE_LOCK, 1, lock, token], { strict: true }).catch(() => void 0);
    }
  }
  /** Closes the connection (the next request opens one again). */
  close() {
    void this.link?.then((l) => l.close(), () => void 0);
    this.link = void 0;
  }
  // ---- maintenance (the `cache remote` commands): these throw a CacheError when Redis cannot be reached
  /** Every entry key under the prefix (SCAN: the server is never blocked). */
  async keys() {
    const out = [];
    const pattern = `${this.config.prefix}entry:*`;
    let cursor = "0";
    do {
      const reply = await this.request("SCAN", [cursor, "MATCH", pattern, "COUNT", 500], { strict: true });
      cursor = text(reply[0]) ?? "0";
      for (const k of reply[1]) {
        const key = k.toString("utf8").slice(pattern.length - 1);
        if (KEY_PATTERN.test(key))
          out.push(key);
      }
    } while (cursor !== "0");
    return [...new Set(out)].sort();
  }
  /** One entry's state without changing it: verified or refused (and why), its size and time left. */
  async inspect(key) {
    const [bytes, ttlMs] = await Promise.all([
      this.request("STRLEN", [this.entryKey(key)], { strict: true }).catch(() => 0),
      this.request("PTTL", [this.entryKey(key)], { strict: true })
    ]);
    const found = await this.lookup(key, void 0, true);
    const base = { key, bytes: typeof bytes === "number" ? bytes : 0, ttlMs: typeof ttlMs === "number" ? ttlMs : -2 };
    if (found.kind === "hit")
      return { ...base, entry: found.entry, ...found.blobSha1 ? { blobSha1: found.blobSha1 } : {} };
    if (found.kind === "refused")
      return { ...base, refusal: found.refusal, ...found.blobSha1 ? { blobSha1: found.blobSha1 } : {} };
    return base;
  }
  /** The stored size of an entry in bytes (undefined when absent or not a string); downloads nothing. */
  async inspectSize(key) {
    const n = await this.request("STRLEN", [this.entryKey(key)], { strict: true }).catch(() => void 0);
    return typeof n === "number" && n > 0 ? n : void 0;
  }
  /** Removes an entry only if it is still the one inspected (see REMOVE_IF_SAME). */
  async removeIfSame(key, blobSha1) {
    const reply = await this.request("EVAL", [REMOVE_IF_SAME, 1, this.entryKey(key), blobSha1 ?? "", this.config.maxEntryBytes], { strict: true });
    return reply === 1;
  }
  /** Locks held now (keys under the prefix). */
  async heldLocks() {
    let cursor = "0";
    let n = 0;
    do {
      const reply = await this.request("SCAN", [cursor, "MATCH", `${this.config.prefix}lock:*`, "COUNT", 500], { strict: true });
      cursor = text(reply[0]) ?? "0";
      n += reply[1].length;
    } while (cursor !== "0");
    return n;
  }
  /** The fleet's counters (every process adds to them) and what the server says of its memory. */
  async fleet() {
    const raw = await this.request("HGETALL", [this.statsKey], { strict: true });
    const counters = {};
    for (let i = 0; i + 1 < raw.length; i += 2)
      counters[raw[i].toString("utf8")] = Number(raw[i + 1].toString("utf8"));
    const info = text(await this.request("INFO", [], { strict: true })) ?? "";
    const server = {};
    for (const line of info.split(/\r?\n/)) {
      const [name, value] = line.split(":");
      if (name && value !== void 0 && ["redis_version", "used_memory_human", "maxmemory_human", "maxmemory_policy"].includes(name))
        server[name] = value.trim();
    }
    return { counters, server };
  }
  // ---- requests
  /**
   * One command within the request timeout. Unavailable (the store is off, or this request failed)
   * gives UNAVAILABLE, or with `strict` a CacheError; with `replyErrors`, an error reply is returned. A connection failure or timeout turns the store
   * off for the back-off period and is logged once; an error reply is logged once per kind.
   */
  async request(command, args, o = {}) {
    if (!o.strict && !this.available) {
      debug("remote [%s] %s skipped (off after a failure)", this.config.display, command);
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
      if (o.replyErrors && isReplyError(err))
        return err;
      this.counters.failures++;
      const why = err instanceof Error ? err.message : String(err);
      debug("remote [%s] %s failed (%s)", this.config.display, command, why);
      if (o.strict)
        throw new CacheError(`remote cache: ${command} failed: ${why}`, this.config.display, { cause: err });
      if (isReplyError(err)) {
        const kind = why.split(" ")[0] ?? why;
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
  turnOff(why) {
    this.offUntil = Date.now() + this.config.backoffMs;
    this.close();
    if (!this.reportedDown) {
      this.reportedDown = true;
      this.options.log?.(`remote cache ${this.config.display} unavailable (${why}); working without it, next try in ${Math.round(this.config.backoffMs / 1e3)} s`);
    }
  }
  connection() {
    if (!this.link) {
      const opening = (this.options.connect ?? connectRedis)(this.config);
      this.link = opening;
      opening.catch(() => {
        if (this.link === opening)
          this.link = void 0;
      });
    }
    return this.link;
  }
  /** Our own bound on a request, whatever the client does: a stalled server costs this and no more. */
  bounded(call, command) {
    let timer;
    const ms = this.config.requestTimeoutMs;
    return Promise.race([
      call,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new RequestTimeout(`${command} got no reply within ${ms} ms`)), ms);
      })
    ]).finally(() => clearTimeout(timer));
  }
};

// dist/cache/remote/tier.js
import { lstat, readFile } from "node:fs/promises";
import { join } from "node:path";
function offTier(why) {
  return {
    enabled: false,
    description: why,
    counters: void 0,
    get: async () => void 0,
    put: async () => false,
    withLock: async (_key, produce) => ({ produced: await produce() }),
    keys: async () => [],
    close: () => void 0
  };
}
function remoteTier(config, options = {}) {
  if (!config)
    return offTier("no remote cache configured");
  preloadRedisClient();
  const store = new RemoteStore(config, options);
  return {
    enabled: true,
    description: config.display,
    counters: store.counters,
    get: (key, spec) => store.get(key, spec),
    put: (key, entry) => store.put(key, entry),
    withLock: (key, produce, spec, signal) => store.withLock(key, produce, spec, signal),
    keys: () => store.keys().catch(() => []),
    close: () => store.close()
  };
}
var toldOnce = /* @__PURE__ */ new Set();
function remoteTierFromEnvironment(env, options = {}) {
  const resolved = resolveRemote(env);
  if ("config" in resolved)
    return remoteTier(resolved.config, options);
  if (resolved.message !== void 0 && !toldOnce.has(resolved.message)) {
    toldOnce.add(resolved.message);
    options.log?.(resolved.message);
  }
  return offTier(resolved.off);
}
async function entryFromFolder(dir) {
  const plain = async (name) => {
    if (typeof name !== "string" || name.includes("/") || !(await lstat(join(dir, name))).isFile())
      throw new Error(`${name} is not a plain file of the entry`);
    return readFile(join(dir, name));
  };
  const metaBytes = await plain("meta.json");
  const meta = JSON.parse(metaBytes.toString("utf8"));
  const [source, artifact] = await Promise.all([plain(meta.files?.source ?? ""), plain(meta.files?.artifact ?? "")]);
  return { meta, metaBytes, source, artifact };
}

export {
  parseRemoteUrl,
  deriveTagKey,
  readSecret,
  RemoteStore,
  remoteTierFromEnvironment,
  entryFromFolder
};
