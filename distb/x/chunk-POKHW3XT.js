import {
  fromLayers
} from "./chunk-TUE6V4JX.js";
import {
  plan
} from "./chunk-OMQMVV7G.js";
import {
  defaultCacheDir
} from "./chunk-C5KQE6PT.js";
import {
  DiskCache
} from "./chunk-56WR2VLD.js";
import {
  resolveOptions
} from "./chunk-Z4MKRN3J.js";
import {
  describeSpec,
  normalizeSpec
} from "./chunk-J66XVRM2.js";

// dist/tools/explain.js
var PART_NAMES = ["format", "package", "target", "sourceSha256", "compiler", "flags", "arch"];
function differingParts(a, b) {
  return PART_NAMES.filter((name) => JSON.stringify(a[name]) !== JSON.stringify(b[name]));
}
async function explain(specInput, options = {}) {
  const r = resolveOptions(specInput, options, "explain");
  const { spec, target, env } = r;
  const generated = r.backend.generate(spec, void 0);
  const opts = { env, ...r.arch ? { archs: [r.arch], deviceArch: r.arch } : {}, precompiled: r.precompiled, compiler: r.compiler };
  const { parts, key } = await plan(generated, opts);
  const base = { spec: describeSpec(spec), target, key, parts };
  if (await fromLayers(generated, opts))
    return { ...base, cached: "precompiled" };
  const cache = await DiskCache.open(r.cacheDir ?? defaultCacheDir(env));
  if ((await cache.inspect(key)).entry)
    return { ...base, cached: "disk" };
  let nearest;
  for (const other of await cache.keys()) {
    const { entry } = await cache.inspect(other);
    if (!entry)
      continue;
    const differs = differingParts(parts, entry.meta.parts);
    if (!nearest || differs.length < nearest.differs.length) {
      let otherSpec = "?";
      try {
        otherSpec = describeSpec(normalizeSpec(entry.meta.spec));
      } catch {
      }
      nearest = { key: other, spec: otherSpec, differs };
    }
  }
  return { ...base, cached: false, ...nearest ? { nearest } : {} };
}

export {
  differingParts,
  explain
};
