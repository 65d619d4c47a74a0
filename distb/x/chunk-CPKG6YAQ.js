import {
  fingerprintStore
} from "./chunk-OMQMVV7G.js";

// dist/cache/initializer-baseline.js
var NO_BASELINE = { get: () => void 0 };
var MAX_LEARNED_INITIALIZERS = 4;
async function baselineOf(root) {
  const store = fingerprintStore(root);
  const prefix = "initializers|";
  const known = /* @__PURE__ */ new Map();
  for (const [id, value] of Object.entries(await store.all())) {
    const v = Number(value);
    if (id.startsWith(prefix) && Number.isInteger(v) && v >= 0 && v <= MAX_LEARNED_INITIALIZERS)
      known.set(id.slice(prefix.length), v);
  }
  return {
    get: (version) => known.get(version),
    async learn(version, count) {
      if (count > MAX_LEARNED_INITIALIZERS || (known.get(version) ?? -1) >= count)
        return;
      known.set(version, count);
      await store.put(`${prefix}${version}`, String(count));
    }
  };
}

export {
  NO_BASELINE,
  baselineOf
};
