import {
  RemoteStore,
  deriveTagKey,
  entryFromFolder,
  parseRemoteUrl,
  readSecret
} from "./chunk-MCKOTDJN.js";
import {
  CACHE_FORMAT_VERSION,
  cacheKey
} from "./chunk-C5DDTWDA.js";
import {
  describeSpec,
  normalizeSpec
} from "./chunk-J66XVRM2.js";
import {
  readEnvironment
} from "./chunk-CIU4BLIU.js";
import "./chunk-SMP3MV7C.js";
import "./chunk-UGFPPU7J.js";
import {
  SpecError
} from "./chunk-3MZWLH6H.js";

// dist/tools/remote-cache.js
import { randomBytes } from "node:crypto";
import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";
var EXPECT = { cacheFormat: CACHE_FORMAT_VERSION, keyOf: (parts) => cacheKey(parts) };
function configOf(o, needSecret) {
  const env = o.env ?? readEnvironment();
  const url = o.url ?? env.remoteCache;
  if (url === void 0)
    throw new SpecError("DWCONV_JIT_REMOTE_CACHE", void 0, "a redis:// or rediss:// URL (or --url)");
  const parsed = parseRemoteUrl(url);
  const secret = readSecret(env);
  if (!secret && needSecret) {
    throw new SpecError("DWCONV_JIT_REMOTE_KEY", void 0, "the shared secret (or DWCONV_JIT_REMOTE_KEY_FILE): entries can only be verified with it");
  }
  return { ...parsed, tagKey: deriveTagKey(secret ?? randomBytes(32)) };
}
function requireRemote(o = {}) {
  return configOf(o, true).display;
}
async function withStore(o, needSecret, fn) {
  const store = new RemoteStore(configOf(o, needSecret), { expect: EXPECT });
  try {
    return await fn(store);
  } finally {
    store.close();
  }
}
async function remoteCacheStats(o = {}) {
  return withStore(o, false, async (store) => {
    const keys = await store.keys();
    let bytes = 0;
    for (const key of keys)
      bytes += await store.inspectSize(key) ?? 0;
    const { counters, server } = await store.fleet();
    return { remote: store.config.display, entries: keys.length, bytes, locks: await store.heldLocks(), fleet: counters, server, ttlMs: store.config.ttlMs, maxEntryBytes: store.config.maxEntryBytes };
  });
}
function describeMeta(meta) {
  const parts = meta.parts;
  let spec = "(unreadable spec)";
  try {
    spec = describeSpec(normalizeSpec(meta.spec));
  } catch {
  }
  return {
    spec,
    target: String(parts?.target ?? "?"),
    compiler: parts?.compiler ? `${parts.compiler.kind} ${String(parts.compiler.version).replace(/^.*release /, "").slice(0, 40)}` : "?",
    createdAt: typeof meta.createdAt === "string" ? meta.createdAt : "?"
  };
}
async function remoteCacheList(o = {}) {
  return withStore(o, true, async (store) => {
    const rows = [];
    for (const key of await store.keys()) {
      const seen = await store.inspect(key);
      if (!seen.entry && !seen.refusal)
        continue;
      rows.push({
        key,
        ...seen.entry ? describeMeta(seen.entry.meta) : { spec: "?", target: "?", compiler: "?", createdAt: "?" },
        bytes: seen.bytes,
        ttlMs: seen.ttlMs,
        refused: seen.refusal ? { reason: seen.refusal.reason, detail: seen.refusal.detail } : null
      });
    }
    return rows;
  });
}
async function remoteCacheVerify(o = {}) {
  return withStore(o, true, async (store) => {
    const refused = [];
    let checked = 0;
    for (const key of await store.keys()) {
      const seen = await store.inspect(key);
      if (!seen.entry && !seen.refusal)
        continue;
      checked++;
      if (seen.refusal)
        refused.push({ key, reason: seen.refusal.reason, detail: seen.refusal.detail });
    }
    return { remote: store.config.display, checked, ok: checked - refused.length, refused };
  });
}
async function remoteCachePrune(o = {}) {
  if (o.olderThanMs === void 0 && !o.refused)
    throw new SpecError("prune", "(nothing to prune by)", "--older-than <age> and/or --refused");
  return withStore(o, true, async (store) => {
    const cutoff = o.olderThanMs === void 0 ? void 0 : Date.now() - o.olderThanMs;
    const removed = [];
    let checked = 0;
    for (const key of await store.keys()) {
      const seen = await store.inspect(key);
      if (!seen.entry && !seen.refusal)
        continue;
      checked++;
      let why;
      if (seen.refusal) {
        if (o.refused)
          why = `refused (${seen.refusal.reason}: ${seen.refusal.detail})`;
      } else if (cutoff !== void 0) {
        const created = Date.parse(String(seen.entry.meta.createdAt));
        if (Number.isFinite(created) && created < cutoff)
          why = `created ${new Date(created).toISOString()}`;
      }
      if (why === void 0)
        continue;
      if (o.dryRun || await store.removeIfSame(key, seen.blobSha1))
        removed.push({ key, why });
    }
    return { remote: store.config.display, checked, removed, dryRun: !!o.dryRun };
  });
}
var KEY_PATTERN = /^[0-9a-f]{64}$/;
async function remoteCachePublish(cacheDir, o = {}) {
  return withStore(o, true, async (store) => {
    const skipped = [];
    let published = 0;
    const present = (await readdir(cacheDir)).filter((n) => KEY_PATTERN.test(n));
    for (const key of [...new Set(o.keys ?? present)].sort()) {
      const dir = join(cacheDir, key);
      if (!KEY_PATTERN.test(key) || !present.includes(key)) {
        skipped.push({ key, why: "not in the cache directory" });
        continue;
      }
      if (!(await lstat(dir)).isDirectory()) {
        skipped.push({ key, why: "not a directory" });
        continue;
      }
      const entry = await entryFromFolder(dir).catch((err) => err.message);
      if (typeof entry === "string") {
        skipped.push({ key, why: `unreadable: ${entry}` });
        continue;
      }
      if (await store.put(key, entry, { strict: true }))
        published++;
      else
        skipped.push({ key, why: "fails its checks or is over the size limit" });
    }
    return { remote: store.config.display, published, skipped };
  });
}
export {
  remoteCacheList,
  remoteCachePrune,
  remoteCachePublish,
  remoteCacheStats,
  remoteCacheVerify,
  requireRemote
};
