import {
  DiskCache,
  isAlive,
  selfIdentity
} from "./chunk-56WR2VLD.js";
import {
  storageError
} from "./chunk-ERIKVZX6.js";
import {
  sleepUnlessAborted,
  throwIfAborted
} from "./chunk-UGFPPU7J.js";
import {
  CacheError
} from "./chunk-3MZWLH6H.js";

// dist/cache/prune.js
import { readdir, rm, stat as stat2 } from "node:fs/promises";
import { join as join2 } from "node:path";

// dist/cache/key-lock.js
import { randomBytes } from "node:crypto";
import { mkdir, readFile, stat, unlink, utimes, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
var HEARTBEAT_MS = 1e4;
var STALE_MS = 5 * 6e4;
async function readHolder(path) {
  try {
    const h = JSON.parse(await readFile(path, "utf8"));
    return typeof h === "object" && h !== null && typeof h.token === "string" ? h : void 0;
  } catch {
    return void 0;
  }
}
function lockPath(root, key) {
  return join(root, ".locks", `${key}.lock`);
}
async function lockHeld(root, key) {
  const path = lockPath(root, key);
  const holder = await readHolder(path);
  const age = await stat(path).then((s) => Date.now() - s.mtimeMs, () => Infinity);
  if (age === Infinity)
    return false;
  return !abandoned(holder, age);
}
function abandoned(holder, ageMs) {
  if (ageMs > STALE_MS)
    return true;
  if (!holder)
    return ageMs > 2e3;
  if (holder.host !== hostname())
    return false;
  return !isAlive(holder);
}
async function withKeyLock(root, key, timeoutMs, fn, signal) {
  throwIfAborted(signal, "compile");
  const dir = join(root, ".locks");
  await mkdir(dir, { recursive: true, mode: 448 }).catch((cause) => {
    throw storageError("cannot create the lock directory", dir, cause);
  });
  const path = lockPath(root, key);
  const me = { ...selfIdentity(), host: hostname(), token: randomBytes(8).toString("hex"), since: (/* @__PURE__ */ new Date()).toISOString() };
  const deadline = Date.now() + timeoutMs;
  for (let wait = 20; ; wait = Math.min(wait * 2, 250)) {
    try {
      await writeFile(path, JSON.stringify(me), { flag: "wx", mode: 384 });
      break;
    } catch (err) {
      const code = err.code;
      if (code !== "EEXIST") {
        if (code === "ENOSPC" || code === "EDQUOT")
          await unlink(path).catch(() => void 0);
        throw storageError("cannot create a compile lock", path, err);
      }
    }
    const holder = await readHolder(path);
    const age = await stat(path).then((s) => Date.now() - s.mtimeMs, () => 0);
    if (abandoned(holder, age)) {
      const again = await readHolder(path);
      if (again?.token === holder?.token)
        await unlink(path).catch(() => void 0);
      continue;
    }
    if (Date.now() > deadline) {
      throw new CacheError(`waited ${Math.round(timeoutMs / 1e3)} s for the compile of this kernel held by pid ${holder?.pid ?? "?"} on host ${holder?.host ?? "?"}; remove the lock if that process is gone`, path);
    }
    await sleepUnlessAborted(wait, signal, "compile");
  }
  const heartbeat = setInterval(() => {
    const now = /* @__PURE__ */ new Date();
    void utimes(path, now, now).catch(() => void 0);
  }, HEARTBEAT_MS);
  heartbeat.unref();
  try {
    return await fn();
  } finally {
    clearInterval(heartbeat);
    if ((await readHolder(path))?.token === me.token)
      await unlink(path).catch(() => void 0);
  }
}

// dist/cache/prune.js
var RECENT_MS = 10 * 6e4;
async function entryBytes(dir) {
  let total = 0;
  for (const name of await readdir(dir).catch(() => []))
    total += await stat2(join2(dir, name)).then((s) => s.size, () => 0);
  return total;
}
async function pruneCache(root, o) {
  const cache = await DiskCache.open(root);
  const now = Date.now();
  const removed = [];
  const live = [];
  const recent = o.recentMs ?? 0;
  const protectedKeys = new Set(o.keep === void 0 ? [] : [o.keep]);
  for (const key of await cache.keys()) {
    const bytes = await entryBytes(cache.entryDir(key));
    if (await lockHeld(root, key))
      protectedKeys.add(key);
    const { entry, problem } = await cache.inspect(key);
    if (!entry) {
      if (problem === "missing" || protectedKeys.has(key))
        continue;
      await cache.remove(key);
      removed.push({ key, reason: `broken: ${problem}`, bytes });
      continue;
    }
    if (now - (Date.parse(entry.meta.createdAt) || 0) < recent)
      protectedKeys.add(key);
    const { lastUsed } = await cache.usage(key, entry.meta.createdAt);
    live.push({ key, bytes, lastUsed: Date.parse(lastUsed) || 0 });
  }
  const bytesBefore = [...live, ...removed].reduce((a, e) => a + e.bytes, 0);
  let leftoversRemoved = 0;
  for (const path of await cache.leftovers()) {
    const age = now - await stat2(path).then((s) => s.mtimeMs, () => now);
    if (age >= (o.leftoverAgeMs ?? 36e5)) {
      await rm(path, { recursive: true, force: true });
      leftoversRemoved++;
    }
  }
  live.sort((a, b) => a.lastUsed - b.lastUsed);
  const drop = async (e, reason) => {
    await cache.remove(e.key);
    removed.push({ key: e.key, reason, bytes: e.bytes });
  };
  let kept = live;
  if (o.olderThanMs !== void 0) {
    const cutoff = now - o.olderThanMs;
    for (const e of live)
      if (e.lastUsed < cutoff && !protectedKeys.has(e.key))
        await drop(e, `last used ${new Date(e.lastUsed).toISOString()}`);
    kept = live.filter((e) => !removed.some((r) => r.key === e.key));
  }
  if (o.maxBytes !== void 0) {
    let total = kept.reduce((a, e) => a + e.bytes, 0);
    for (const e of [...kept]) {
      if (total <= o.maxBytes)
        break;
      if (protectedKeys.has(e.key))
        continue;
      await drop(e, `over the size limit of ${o.maxBytes} bytes (least recently used)`);
      total -= e.bytes;
      kept = kept.filter((k) => k !== e);
    }
  }
  return { removed, leftoversRemoved, bytesBefore, bytesAfter: kept.reduce((a, e) => a + e.bytes, 0) };
}

export {
  lockHeld,
  withKeyLock,
  RECENT_MS,
  entryBytes,
  pruneCache
};
