import {
  initializerCount,
  libraryProblem,
  putPortable
} from "./chunk-M7LZU4D6.js";
import {
  NO_BASELINE,
  baselineOf
} from "./chunk-CPKG6YAQ.js";
import {
  cacheRootOf,
  plan,
  sourceShaOf,
  targetBuild
} from "./chunk-OMQMVV7G.js";
import {
  RECENT_MS,
  pruneCache,
  withKeyLock
} from "./chunk-IISSFHLL.js";
import {
  DiskCache
} from "./chunk-56WR2VLD.js";
import {
  MAX_META_BYTES,
  META_NAME,
  parseMeta
} from "./chunk-ERIKVZX6.js";
import {
  chainProblem,
  folderProblem,
  readTrusted,
  sameFile
} from "./chunk-A22IQ6JN.js";
import {
  CACHE_FORMAT_VERSION,
  sha256
} from "./chunk-C5DDTWDA.js";
import {
  targetTraits
} from "./chunk-HLZTAT3W.js";
import {
  ARTIFACT_NAME,
  CUBIN_NAME,
  SOURCE_NAME
} from "./chunk-R3WEWIUB.js";
import {
  PACKAGE_VERSION
} from "./chunk-X43GYYD5.js";
import {
  lockTimeoutMs,
  parseSize
} from "./chunk-2QCMHHMR.js";
import {
  debug,
  shortKey
} from "./chunk-SMP3MV7C.js";
import {
  abortedElsewhere,
  throwIfAborted,
  untilAborted
} from "./chunk-UGFPPU7J.js";

// dist/artifact.js
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join as join2 } from "node:path";

// dist/cache/layers.js
import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";
function identityOf(parts) {
  return sha256(JSON.stringify([parts.format, parts.package, parts.target, parts.sourceSha256]));
}
var PrecompiledLayer = class _PrecompiledLayer {
  dir;
  byIdentity;
  cache;
  constructor(dir, byIdentity, cache) {
    this.dir = dir;
    this.byIdentity = byIdentity;
    this.cache = cache;
  }
  /**
   * undefined when the directory does not exist, holds no entries, or may not be trusted: it holds
   * code that gets loaded, so it and every folder above it up to / must be writable only by this user
   * or root (see chainProblem); `onRefused` hears why a layer that exists was not searched.
   */
  static async open(dir, onRefused) {
    const st = await lstat(dir).catch(() => void 0);
    if (!st)
      return void 0;
    const problem = folderProblem(st, "the layer") ?? await chainProblem(dir);
    if (problem) {
      onRefused?.(`precompiled layer ${dir} not searched: ${problem}`);
      return void 0;
    }
    const names = await readdir(dir).catch(() => []);
    const byIdentity = /* @__PURE__ */ new Map();
    for (const key of names.filter((n) => /^[0-9a-f]{64}$/.test(n))) {
      const read = await readTrusted(join(dir, key, META_NAME), META_NAME, MAX_META_BYTES).catch(() => "unreadable");
      if (typeof read === "string")
        continue;
      const meta = parseMeta(read.bytes.toString("utf8"), key);
      if (typeof meta === "string")
        continue;
      const id = identityOf(meta.parts);
      byIdentity.set(id, [...byIdentity.get(id) ?? [], { key, meta }]);
    }
    return byIdentity.size === 0 ? void 0 : new _PrecompiledLayer(dir, byIdentity, DiskCache.readOnly(dir));
  }
  /** The keys it holds. */
  keys() {
    return [...this.byIdentity.values()].flat().map((e) => e.key).sort();
  }
  /**
   * A whole entry with this identity that runs on `arch` ('sm_90', or the CPU identity) and passes
   * every check of DiskCache.inspect (with `expect`). A broken entry is skipped, never removed: the
   * layer is read-only, and the caller compiles instead.
   */
  async find(identity, target, arch, expect) {
    if (await chainProblem(this.dir))
      return void 0;
    const traits = targetTraits(target);
    for (const { key, meta } of this.byIdentity.get(identity) ?? []) {
      if (!traits.fitsArch(meta.parts.arch, arch))
        continue;
      const fatbinCheck = (bytes, m) => traits.artifactMisfit(bytes, arch) ?? expect?.artifact?.(bytes, m);
      const { entry } = await this.cache.inspect(key, expect ? { ...expect, artifact: fatbinCheck } : { symbol: meta.symbol, specJson: JSON.stringify(meta.spec), artifact: fatbinCheck });
      if (entry)
        return entry;
    }
    return void 0;
  }
};
var opened = /* @__PURE__ */ new Map();
function openLayer(dir, onRefused) {
  let layer = opened.get(dir);
  if (!layer) {
    layer = PrecompiledLayer.open(dir, onRefused);
    opened.set(dir, layer);
  }
  return layer;
}

// dist/cache/tiers/disk.js
var DiskTier = class {
  cache;
  name = "disk";
  constructor(cache) {
    this.cache = cache;
  }
  async get(request) {
    const key = await request.key();
    const entry = await this.cache.get(key, request.expect, (problem) => debug("disk %s: refused %s (%s); removed", this.cache.root, shortKey(key), problem));
    return entry ? { origin: "disk", entry } : void 0;
  }
  /**
   * Commits bytes from elsewhere (a remote tier's answer) through the same atomic put a compile
   * uses, then returns the entry as the disk tier's checks see it. Bytes that fail those checks are
   * not committed: undefined, and `onProblem` hears why (the caller compiles instead).
   */
  async materialize(request, p, onProblem) {
    const key = await request.key();
    if (p.meta.key !== key) {
      onProblem?.("the entry is for another key");
      return void 0;
    }
    try {
      await putPortable(this.cache, p, request.expect);
    } catch (err) {
      onProblem?.(err instanceof Error ? err.message : String(err));
      return void 0;
    }
    return this.cache.get(key, request.expect, onProblem);
  }
  list() {
    return this.cache.keys();
  }
};

// dist/cache/tiers/memory.js
var MemoryTier = class {
  requestKey;
  name = "memory";
  entries = /* @__PURE__ */ new Map();
  constructor(requestKey) {
    this.requestKey = requestKey;
  }
  /** A remembered entry whose artifact is still the file that was checked (same inode, size, times); else a miss, and forgotten. */
  async get(request) {
    const key = this.requestKey(request);
    const entry = this.entries.get(key);
    if (!entry)
      return void 0;
    if (!entry.artifactStat || !await sameFile(entry.artifactPath, entry.artifactStat)) {
      debug("memory: forgot %s (its artifact file changed since it was checked)", shortKey(entry.meta.key));
      this.entries.delete(key);
      return void 0;
    }
    return { origin: "memory", entry };
  }
  put(request, entry) {
    this.entries.set(this.requestKey(request), entry);
    return Promise.resolve();
  }
  list() {
    return Promise.resolve([...new Set([...this.entries.values()].map((e) => e.meta.key))].sort());
  }
};

// dist/cache/tiers/precompiled.js
import { resolve } from "node:path";
var PrecompiledTier = class {
  dirs;
  log;
  name = "precompiled";
  constructor(dirs, log) {
    this.dirs = dirs;
    this.log = log;
  }
  /** Why a layer is not searched, for the caller's log and the debug trace. */
  traced = (message) => {
    debug("precompiled: %s", message);
    this.log?.(message);
  };
  async get(request) {
    if (!request.arch)
      return void 0;
    for (const dir of this.dirs) {
      const layer = await openLayer(resolve(dir), this.traced);
      const entry = await layer?.find(request.identity, request.target, request.arch, request.expect);
      if (entry)
        return { origin: "precompiled", entry };
    }
    return void 0;
  }
  async list() {
    const keys = [];
    for (const dir of this.dirs)
      keys.push(...(await openLayer(resolve(dir), this.log))?.keys() ?? []);
    return [...new Set(keys)].sort();
  }
};

// dist/artifact.js
function expectationFor(generated, baseline = NO_BASELINE) {
  const { symbol, specJson } = generated;
  return {
    symbol,
    specJson,
    artifact: (bytes, meta) => {
      if (meta.files.artifact !== ARTIFACT_NAME)
        return void 0;
      const learned = baseline.get(meta.parts.compiler.version);
      return libraryProblem(bytes, { symbol, specJson, target: generated.target, ...learned !== void 0 ? { maxInitializers: learned } : {} });
    }
  };
}
function identityFor(generated) {
  return identityOf({ format: CACHE_FORMAT_VERSION, package: PACKAGE_VERSION, target: generated.target, sourceSha256: sourceShaOf(generated) });
}
function deviceArchOf(generated, opts) {
  return targetBuild(generated.target).runsOn(opts.archs, opts.deviceArch);
}
function artifactOf(entry, origin, compileMilliseconds = 0) {
  return { key: entry.meta.key, path: entry.artifactPath, parts: entry.meta.parts, origin, compileMilliseconds, meta: entry.meta };
}
async function fromLayers(generated, opts) {
  const hit = await new PrecompiledTier(opts.precompiled ?? [], opts.log).get(requestFor(generated, opts, () => Promise.reject(new Error("internal: layers need no key"))));
  return hit && "entry" in hit ? artifactOf(hit.entry, "precompiled") : void 0;
}
function requestFor(generated, opts, key, baseline) {
  return { identity: identityFor(generated), target: generated.target, arch: deviceArchOf(generated, opts), key, expect: expectationFor(generated, baseline) };
}
function memoryKeyOf(generated, opts) {
  return JSON.stringify([cacheRootOf(opts), identityFor(generated), generated.symbol, opts.archs ?? [], opts.ptx ?? false, opts.compiler ?? "nvcc", opts.deviceArch ?? null, opts.precompiled ?? [], opts.env]);
}
var memory = new MemoryTier((r) => r.memo);
var inFlight = /* @__PURE__ */ new Map();
async function remoteTierOf(opts) {
  const source = opts.remote ?? opts.env;
  if (source.remoteCache === void 0)
    return void 0;
  return (await import("./remote-BGDIXFYV.js")).remoteCacheTier(source);
}
async function buildArtifact(generated, opts) {
  throwIfAborted(opts.signal, "compile");
  if (opts.cache === false)
    return compileUncached(generated, opts);
  const memo = memoryKeyOf(generated, opts);
  for (; ; ) {
    const pending = inFlight.get(memo);
    if (!pending)
      break;
    try {
      return { ...await untilAborted(pending, opts.signal, "compile"), origin: "memory", compileMilliseconds: 0 };
    } catch (err) {
      if (!abortedElsewhere(err, opts.signal))
        throw err;
    }
  }
  const promise = lookupOrCompile(generated, opts, memo);
  inFlight.set(memo, promise);
  void promise.then(() => inFlight.delete(memo), () => inFlight.delete(memo));
  return promise;
}
async function rememberDiskHit(generated, opts, entry, baseline) {
  const { rememberHit } = await import("./verified-hits-JZG6D5MF.js");
  const q = { parts: entry.meta.parts, symbol: generated.symbol, specJson: generated.specJson, learnedInitializers: baseline.get(entry.meta.parts.compiler.version), precompiled: opts.precompiled ?? [] };
  await rememberHit(cacheRootOf(opts), q, entry);
}
async function findCached(generated, opts) {
  throwIfAborted(opts.signal, "compile");
  if (opts.cache === false)
    return void 0;
  const root = cacheRootOf(opts);
  const baseline = await baselineOf(root);
  let planned;
  const request = Object.assign(requestFor(generated, opts, async () => (planned ??= plan(generated, opts)).then((p) => p.key), baseline), { memo: memoryKeyOf(generated, opts) });
  for (const tier of [memory, new PrecompiledTier(opts.precompiled ?? [], opts.log)]) {
    const hit = await tier.get(request);
    debug("%s: %s %s", generated.symbol, tier.name, hit && "entry" in hit ? "hit" : "miss");
    if (!hit || !("entry" in hit))
      continue;
    if (tier !== memory)
      await memory.put(request, hit.entry);
    return artifactOf(hit.entry, hit.origin);
  }
  const cache = await DiskCache.open(root);
  const key = await request.key();
  const found = await cache.inspect(key, request.expect);
  debug("%s: disk %s%s", generated.symbol, found.entry ? "hit" : "miss", found.problem && found.problem !== "missing" ? ` (${found.problem}; left to the full lookup)` : "");
  if (!found.entry)
    return void 0;
  await cache.recordUse(key);
  await memory.put(request, found.entry);
  await rememberDiskHit(generated, opts, found.entry, baseline);
  return artifactOf(found.entry, "disk");
}
async function lookupOrCompile(generated, opts, memo) {
  let planned;
  const planOnce = () => planned ??= plan(generated, opts);
  const root = cacheRootOf(opts);
  const baseline = await baselineOf(root);
  const request = Object.assign(requestFor(generated, opts, async () => (await planOnce()).key, baseline), { memo });
  const disk = new DiskTier(await DiskCache.open(root));
  const tiers = [memory, new PrecompiledTier(opts.precompiled ?? [], opts.log), disk];
  let remote;
  const ask = async (tier) => {
    const hit = await tier.get(request);
    debug("%s: %s %s", generated.symbol, tier.name, hit ? "hit" : "miss");
    if (!hit)
      return void 0;
    const entry2 = "entry" in hit ? hit.entry : await remote?.materialize(disk, request, hit.portable);
    if (!entry2)
      return void 0;
    if (tier !== memory)
      await memory.put(request, entry2);
    if (tier === disk)
      await rememberDiskHit(generated, opts, entry2, baseline);
    return artifactOf(entry2, hit.origin);
  };
  for (const tier of tiers) {
    const found = await ask(tier);
    if (found)
      return found;
  }
  remote = await remoteTierOf(opts);
  if (remote) {
    tiers.push(remote);
    const found = await ask(remote);
    if (found)
      return found;
  }
  const { peer, parts, key } = await planOnce();
  const compileHere = () => withKeyLock(root, key, lockTimeoutMs(opts.env.lockTimeout), async () => {
    throwIfAborted(opts.signal, "compile");
    const built = await disk.get(request);
    if (built && "entry" in built) {
      await memory.put(request, built.entry);
      return artifactOf(built.entry, "disk");
    }
    const compiled = await compileInto(disk.cache, root, generated, peer, parts, key, opts, request.expect, baseline);
    for (const tier of tiers)
      await tier.put?.(request, compiled.entry);
    return artifactOf(compiled.entry, "compiled", compiled.milliseconds);
  }, opts.signal);
  if (!remote)
    return compileHere();
  const shared = await remote.singleFlight(request, compileHere, opts.signal);
  if ("produced" in shared)
    return shared.produced;
  const entry = await remote.materialize(disk, request, shared.found.portable);
  if (!entry)
    return compileHere();
  await memory.put(request, entry);
  return artifactOf(entry, "remote");
}
var signalOf = (opts) => opts.signal ? { signal: opts.signal } : {};
async function compileUncached(generated, opts) {
  const { peer, parts, key } = await plan(generated, opts);
  const work = await mkdtemp(join2(tmpdir(), "dwconv-jit-"));
  try {
    const out = await peer.compile(generated.source, { language: generated.language, flags: parts.flags, workDir: work, units: generated.units, ...signalOf(opts) });
    return { key, path: out.artifactPath, parts, origin: "compiled", compileMilliseconds: out.milliseconds };
  } catch (err) {
    await rm(work, { recursive: true, force: true });
    throw err;
  }
}
async function compileInto(cache, root, generated, peer, parts, key, opts, expect, baseline) {
  opts.log?.(`compiling ${generated.symbol} with ${peer.fingerprint.path}`);
  debug("%s: compile %s started (%s)", generated.symbol, shortKey(key), peer.fingerprint.path);
  let milliseconds = 0;
  const entry = await cache.put(key, async (work) => {
    const out = await peer.compile(generated.source, { language: generated.language, flags: parts.flags, workDir: work, units: generated.units, ...signalOf(opts) });
    milliseconds = out.milliseconds;
    if (out.artifactPath.endsWith(ARTIFACT_NAME)) {
      const count = initializerCount(await readFile(out.artifactPath));
      if (count !== void 0)
        await baseline.learn(parts.compiler.version, count);
    }
    return {
      parts,
      symbol: generated.symbol,
      spec: JSON.parse(generated.specJson),
      variant: generated.variant,
      files: { source: SOURCE_NAME[generated.language], artifact: peer.fingerprint.kind === "nvrtc" ? CUBIN_NAME : ARTIFACT_NAME },
      compilerPath: peer.fingerprint.path,
      compileMilliseconds: out.milliseconds
    };
  }, expect);
  debug("%s: compile %s done in %d ms, committed to %s", generated.symbol, shortKey(key), Math.round(milliseconds), root);
  if (opts.env.cacheMaxSize !== void 0) {
    const pruned = await pruneCache(root, { maxBytes: parseSize("DWCONV_JIT_CACHE_MAX_SIZE", opts.env.cacheMaxSize), keep: key, recentMs: RECENT_MS });
    if (pruned.removed.length)
      opts.log?.(`pruned ${pruned.removed.length} cache entries to stay under ${opts.env.cacheMaxSize}`);
  }
  return { entry, milliseconds };
}

export {
  expectationFor,
  fromLayers,
  buildArtifact,
  findCached
};
