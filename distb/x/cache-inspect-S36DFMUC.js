import {
  checkPortable
} from "./chunk-NRNJJDDT.js";
import {
  cacheRoot
} from "./chunk-STUN6SGT.js";
import "./chunk-BET2UYVM.js";
import "./chunk-TUE6V4JX.js";
import "./chunk-M7LZU4D6.js";
import {
  baselineOf
} from "./chunk-CPKG6YAQ.js";
import "./chunk-OMQMVV7G.js";
import "./chunk-C5KQE6PT.js";
import "./chunk-2ZOB4GNT.js";
import {
  entryBytes,
  lockHeld
} from "./chunk-IISSFHLL.js";
import {
  DiskCache
} from "./chunk-56WR2VLD.js";
import {
  MAX_META_BYTES,
  MAX_SOURCE_BYTES,
  META_NAME,
  parseMeta
} from "./chunk-ERIKVZX6.js";
import {
  readTrusted
} from "./chunk-A22IQ6JN.js";
import "./chunk-C5DDTWDA.js";
import {
  median
} from "./chunk-EDZLWXK5.js";
import "./chunk-6BRGTZ7M.js";
import {
  describeSpec,
  normalizeSpec
} from "./chunk-J66XVRM2.js";
import "./chunk-HLZTAT3W.js";
import "./chunk-R3WEWIUB.js";
import {
  PACKAGE_VERSION
} from "./chunk-X43GYYD5.js";
import "./chunk-CIU4BLIU.js";
import "./chunk-2QCMHHMR.js";
import "./chunk-TM5KGFNG.js";
import "./chunk-SMP3MV7C.js";
import "./chunk-UGFPPU7J.js";
import {
  SpecError
} from "./chunk-3MZWLH6H.js";

// dist/tools/cache-inspect.js
import { rm } from "node:fs/promises";
import { join } from "node:path";
async function fullCheck(root) {
  const learned = await baselineOf(root);
  return { artifact: (bytes, meta) => meta.parts.package === PACKAGE_VERSION ? checkPortable(meta, bytes, learned) : void 0 };
}
async function readMetaLoosely(dir, key) {
  const read = await readTrusted(join(dir, META_NAME), META_NAME, MAX_META_BYTES).catch(() => void 0);
  if (!read || typeof read === "string")
    return void 0;
  const meta = parseMeta(read.bytes.toString("utf8"), key);
  return typeof meta === "string" ? void 0 : meta;
}
function describeMetaSpec(meta) {
  try {
    return describeSpec(normalizeSpec(meta.spec));
  } catch {
    return "(unreadable spec)";
  }
}
async function listEntries(root) {
  const cache = await DiskCache.open(root);
  const rows = [];
  const check = await fullCheck(root);
  for (const key of await cache.keys()) {
    const { entry, problem } = await cache.inspect(key, check);
    const meta = entry?.meta ?? await readMetaLoosely(join(root, key), key);
    const usage = await cache.usage(key, meta?.createdAt ?? "?");
    rows.push({
      key,
      spec: meta ? describeMetaSpec(meta) : "?",
      target: meta?.parts?.target ?? "?",
      compiler: meta?.parts?.compiler ? `${meta.parts.compiler.kind} ${meta.parts.compiler.version.replace(/^.*release /, "").slice(0, 40)}` : "?",
      arch: meta?.parts?.arch ?? "?",
      variant: meta?.variant ? Object.entries(meta.variant).map(([k, v]) => `${k}=${v}`).join(",") : "",
      bytes: await entryBytes(join(root, key)),
      createdAt: meta?.createdAt ?? "?",
      lastUsed: usage.lastUsed,
      hits: usage.hits,
      compileMs: meta?.compileMilliseconds ?? 0,
      problem: problem ?? null
    });
  }
  return rows;
}
async function findEntry(root, prefix) {
  if (!/^[0-9a-f]{1,64}$/.test(prefix))
    throw new SpecError("key", prefix, "a hex prefix of a cache key");
  const cache = await DiskCache.open(root);
  const keys = (await cache.keys()).filter((k) => k.startsWith(prefix));
  if (keys.length !== 1)
    throw new SpecError("key", prefix, keys.length === 0 ? "a prefix of an existing key (none matches)" : `a longer prefix (${keys.length} keys match)`);
  const key = keys[0];
  const { problem } = await cache.inspect(key, await fullCheck(root));
  const dir = join(root, key);
  const meta = await readMetaLoosely(dir, key);
  if (!meta)
    throw new SpecError("key", prefix, `an entry with a readable meta.json (${problem ?? "unreadable"})`);
  return { key, meta, dir, problem: problem ?? null };
}
async function entrySource(root, prefix) {
  const e = await findEntry(root, prefix);
  if (e.problem)
    throw new SpecError("key", prefix, `a sound entry (this one is broken: ${e.problem})`);
  const read = await readTrusted(join(e.dir, e.meta.files.source), "the source", MAX_SOURCE_BYTES);
  if (typeof read === "string")
    throw new SpecError("key", prefix, `an entry whose source can be read (${read})`);
  return read.bytes.toString("utf8");
}
async function cacheStats(root) {
  const rows = await listEntries(root);
  const times = rows.filter((r) => r.compileMs > 0).map((r) => r.compileMs);
  const byTarget = {};
  for (const r of rows)
    byTarget[r.target] = (byTarget[r.target] ?? 0) + 1;
  const cache = await DiskCache.open(root);
  return {
    root,
    entries: rows.length,
    broken: rows.filter((r) => r.problem).length,
    bytes: rows.reduce((a, r) => a + r.bytes, 0),
    byTarget,
    compileMs: times.length ? { min: Math.min(...times), median: median(times), max: Math.max(...times) } : null,
    hits: rows.reduce((a, r) => a + r.hits, 0),
    misses: rows.length,
    leftovers: (await cache.leftovers()).length
  };
}
async function verifyCache(root, fix) {
  const cache = await DiskCache.open(root);
  const broken = [];
  const keys = await cache.keys();
  const check = await fullCheck(root);
  for (const key of keys) {
    const { problem } = await cache.inspect(key, check);
    if (problem)
      broken.push({ key, problem });
  }
  let removed = 0;
  if (fix) {
    for (const b of broken) {
      if (await lockHeld(root, b.key))
        continue;
      b.quarantinedTo = await cache.quarantine(b.key);
      removed++;
    }
    for (const path of await cache.leftovers()) {
      await rm(path, { recursive: true, force: true });
      removed++;
    }
  }
  return { checked: keys.length, broken, removed };
}
async function clearCache(root) {
  const cache = await DiskCache.open(root);
  let removed = 0;
  let kept = 0;
  for (const key of await cache.keys()) {
    if (await lockHeld(root, key))
      kept++;
    else {
      await cache.remove(key);
      removed++;
    }
  }
  for (const path of await cache.leftovers())
    await rm(path, { recursive: true, force: true });
  return { removed, kept };
}
export {
  cacheRoot,
  cacheStats,
  clearCache,
  entrySource,
  findEntry,
  listEntries,
  verifyCache
};
