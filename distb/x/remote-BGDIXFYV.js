import {
  entryFromFolder,
  remoteTierFromEnvironment
} from "./chunk-MCKOTDJN.js";
import {
  CACHE_FORMAT_VERSION,
  cacheKey
} from "./chunk-C5DDTWDA.js";
import {
  debug,
  shortKey
} from "./chunk-SMP3MV7C.js";
import "./chunk-UGFPPU7J.js";
import "./chunk-3MZWLH6H.js";

// dist/cache/tiers/remote.js
import { createHash } from "node:crypto";
var REMOTE_WARNING_CODE = "DWCONV_JIT_REMOTE_CACHE";
function warn(message) {
  debug("%s", message);
  process.emitWarning(message, { code: REMOTE_WARNING_CODE });
}
function specOf(request) {
  return request.expect.specJson === void 0 ? void 0 : JSON.parse(request.expect.specJson);
}
function hitOf(found) {
  return { origin: "remote", portable: { meta: found.meta, source: found.source, artifact: found.artifact } };
}
var RemoteCacheTier = class {
  remote;
  name = "remote";
  localRefusals = /* @__PURE__ */ new Set();
  constructor(remote) {
    this.remote = remote;
  }
  /** The remote's URL without credentials. */
  get description() {
    return this.remote.description;
  }
  /** This process's counts of hits, misses, refusals by reason, publishes and failures. */
  get counters() {
    return this.remote.counters;
  }
  async get(request) {
    const found = await this.remote.get(await request.key(), specOf(request));
    return found && hitOf(found);
  }
  /** Publishes an entry just committed here; a failure to read or send it costs the publish, never the compile. */
  async put(_request, entry) {
    const key = entry.meta.key;
    let bytes;
    try {
      bytes = await entryFromFolder(entry.dir);
    } catch (err) {
      debug("remote [%s] not publishing %s (%s)", this.remote.description, shortKey(key), err.message);
      return;
    }
    await this.remote.put(key, bytes);
  }
  /**
   * Runs `produce` (the local compile, which publishes through `put`) under the key's fleet-wide
   * lock, unless another process publishes the entry meanwhile: then that entry, to be committed
   * with `materialize`. Without a reachable remote, `produce` simply runs.
   */
  async singleFlight(request, produce, signal) {
    const r = await this.remote.withLock(await request.key(), produce, specOf(request), signal);
    return "produced" in r ? r : { found: hitOf(r.found) };
  }
  /**
   * Commits a remote hit into the disk tier and returns it as the disk tier reads it back; undefined
   * when the disk tier's own checks refuse it (then the caller compiles, and its publish replaces the
   * entry). Such a refusal is reported once per entry, like the store's.
   */
  async materialize(disk, request, portable) {
    const entry = await disk.materialize(request, portable, (problem) => {
      const seen = `${portable.meta.key}:${portable.meta.artifactSha256}`;
      if (this.localRefusals.has(seen))
        return;
      this.localRefusals.add(seen);
      warn(`remote cache: refused entry ${shortKey(portable.meta.key)} (local checks: ${problem}); compiling locally`);
    });
    if (entry)
      debug("remote [%s] %s committed to the disk cache %s", this.remote.description, shortKey(entry.meta.key), disk.cache.root);
    return entry;
  }
  list() {
    return this.remote.keys();
  }
};
var EXPECT = { cacheFormat: CACHE_FORMAT_VERSION, keyOf: (parts) => cacheKey(parts) };
var tiers = /* @__PURE__ */ new Map();
function remoteCacheTier(source) {
  if (source.remoteCache === void 0)
    return void 0;
  const id = createHash("sha256").update(JSON.stringify([source.remoteCache, source.remoteKey ?? null, source.remoteKeyFile ?? null])).digest("hex");
  if (tiers.has(id))
    return tiers.get(id);
  const remote = remoteTierFromEnvironment(source, { log: warn, expect: EXPECT });
  const tier = remote.enabled ? new RemoteCacheTier(remote) : void 0;
  debug("remote [%s] %s", remote.description, tier ? "on" : "off");
  tiers.set(id, tier);
  return tier;
}
function remoteCounters() {
  const out = {};
  for (const tier of tiers.values())
    if (tier?.counters)
      out[tier.description] = tier.counters;
  return out;
}
export {
  REMOTE_WARNING_CODE,
  RemoteCacheTier,
  remoteCacheTier,
  remoteCounters
};
