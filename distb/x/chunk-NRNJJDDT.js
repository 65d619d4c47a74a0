import {
  generate
} from "./chunk-BET2UYVM.js";
import {
  libraryProblem,
  putPortable
} from "./chunk-M7LZU4D6.js";
import {
  DiskCache
} from "./chunk-56WR2VLD.js";
import {
  MAX_ARTIFACT_BYTES,
  MAX_SOURCE_BYTES,
  parseMeta
} from "./chunk-ERIKVZX6.js";
import {
  readTrusted
} from "./chunk-A22IQ6JN.js";
import {
  sha256
} from "./chunk-C5DDTWDA.js";
import {
  normalizeVariant
} from "./chunk-6BRGTZ7M.js";
import {
  canonicalJson,
  normalizeSpec
} from "./chunk-J66XVRM2.js";
import {
  targetTraits
} from "./chunk-HLZTAT3W.js";
import {
  PACKAGE_VERSION
} from "./chunk-X43GYYD5.js";
import {
  SpecError
} from "./chunk-3MZWLH6H.js";

// dist/cache/bundle.js
import { createHmac, timingSafeEqual } from "node:crypto";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";

// dist/cache/provenance.js
function regenerate(meta) {
  let specJson;
  let spec;
  try {
    spec = normalizeSpec(meta.spec);
    specJson = canonicalJson(spec);
  } catch (err) {
    return `meta.json's spec is invalid (${err.message})`;
  }
  if (JSON.stringify(meta.spec) !== specJson)
    return "meta.json's spec is not in canonical form";
  const target = meta.parts.target;
  const candidates = [() => generate(spec, target)];
  if (targetTraits(target).hasVariants && meta.variant.kernel !== "auto")
    candidates.push(() => generate(spec, target, normalizeVariant(spec, meta.variant)));
  for (const make of candidates) {
    try {
      const generated = make();
      if (sha256(generated.source) === meta.parts.sourceSha256) {
        return generated.symbol === meta.symbol ? generated : `meta.json names symbol ${meta.symbol}, the spec's is ${generated.symbol}`;
      }
    } catch {
    }
  }
  return "the source is not what this version generates for meta.json's spec";
}
function regenerationProblem(meta) {
  const generated = regenerate(meta);
  return typeof generated === "string" ? generated : void 0;
}

// dist/cache/bundle.js
var BUNDLE_FORMAT = "dwconv-jit-bundle";
var BUNDLE_VERSION = 2;
var DEFAULT_MAX_BUNDLE_BYTES = 256 << 20;
var MIN_KEY_BYTES = 16;
var BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
async function bundleKey(from) {
  let key;
  if (from.file !== void 0) {
    key = await readFile(from.file).catch((cause) => {
      throw new SpecError("--key-file", from.file, `a readable file (${cause.message})`);
    });
  } else if (from.value !== void 0)
    key = Buffer.from(from.value, "utf8");
  else
    return void 0;
  if (key.length < MIN_KEY_BYTES)
    throw new SpecError(from.file !== void 0 ? "--key-file" : "DWCONV_JIT_BUNDLE_KEY", `${key.length} bytes`, `a key of at least ${MIN_KEY_BYTES} bytes`);
  return key;
}
function macOf(part, key) {
  return createHmac("sha256", key).update(JSON.stringify({ format: part.format, version: part.version, entries: part.entries })).digest("hex");
}
async function exportBundle(root, keys, file, key) {
  const cache = await DiskCache.open(root);
  const entries = [];
  const skipped = [];
  for (const k of keys) {
    const { entry } = await cache.inspect(k);
    const files = {};
    let sound = entry !== void 0 && checkPortable(entry.meta) === void 0;
    for (const name of entry && sound ? [entry.meta.files.source, entry.meta.files.artifact] : []) {
      const read = await readTrusted(join(entry.dir, name), name, MAX_ARTIFACT_BYTES);
      if (typeof read === "string")
        sound = false;
      else
        files[name] = read.bytes.toString("base64");
    }
    if (!entry || !sound) {
      skipped.push(k);
      continue;
    }
    entries.push({ key: k, meta: entry.meta, files });
  }
  const part = { format: BUNDLE_FORMAT, version: BUNDLE_VERSION, entries };
  const bundle = key ? { ...part, signature: { algorithm: "hmac-sha256", mac: macOf(part, key) } } : part;
  await writeFile(file, gzipSync(JSON.stringify(bundle)), { mode: 384 });
  return { exported: entries.length, skipped, signed: key !== void 0 };
}
function checkPortable(meta, artifact, learned) {
  if (meta.parts.package !== PACKAGE_VERSION)
    return `built by dwconv-jit ${meta.parts.package}, this is ${PACKAGE_VERSION}`;
  const regenerated = regenerationProblem(meta);
  if (regenerated)
    return regenerated;
  if (artifact && meta.files.artifact === "kernel.so") {
    const maxInitializers = learned?.get(meta.parts.compiler.version);
    return libraryProblem(artifact, { symbol: meta.symbol, specJson: JSON.stringify(meta.spec), target: meta.parts.target, ...maxInitializers !== void 0 ? { maxInitializers } : {} });
  }
  return void 0;
}
async function readBundle(file, o = {}) {
  const maxBytes = o.maxBytes ?? DEFAULT_MAX_BUNDLE_BYTES;
  const size = await stat(file).then((s) => s.size, (cause) => {
    throw new SpecError("bundle", file, `a readable bundle file (${cause.message})`);
  });
  if (size > maxBytes)
    throw new SpecError("bundle", file, `a bundle of at most ${maxBytes} bytes (it has ${size})`);
  let bundle;
  try {
    const text = gunzipSync(await readFile(file), { maxOutputLength: maxBytes }).toString("utf8");
    bundle = JSON.parse(text);
  } catch (cause) {
    const tooBig = cause.code === "ERR_BUFFER_TOO_LARGE" || cause instanceof RangeError;
    throw new SpecError("bundle", file, tooBig ? `a bundle of at most ${maxBytes} bytes decompressed` : `a bundle written by \`dwconv-jit cache export\` (${cause.message})`);
  }
  if (typeof bundle !== "object" || bundle === null || bundle.format !== BUNDLE_FORMAT || bundle.version !== BUNDLE_VERSION || !Array.isArray(bundle.entries)) {
    throw new SpecError("bundle", file, `a ${BUNDLE_FORMAT} version ${BUNDLE_VERSION} file`);
  }
  let signature = bundle.signature === void 0 ? "unsigned" : "unchecked";
  if (o.key) {
    const mac = bundle.signature?.algorithm === "hmac-sha256" && typeof bundle.signature.mac === "string" ? Buffer.from(bundle.signature.mac, "hex") : Buffer.alloc(0);
    const expected = Buffer.from(macOf(bundle, o.key), "hex");
    if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) {
      throw new SpecError("bundle.signature", bundle.signature === void 0 ? "none" : "a signature", "an HMAC-SHA256 under the given key (the bundle was changed, or signed with another key)");
    }
    signature = "verified";
  }
  const seen = /* @__PURE__ */ new Set();
  bundle.entries.forEach((e, i) => {
    const key = typeof e === "object" && e !== null ? e.key : void 0;
    if (typeof key === "string" && seen.has(key))
      throw new SpecError(`bundle.entries[${i}].key`, key, "each key once (a bundle with two entries of one key is refused)");
    if (typeof key === "string")
      seen.add(key);
  });
  const entries = bundle.entries.map((e, i) => {
    const where = `bundle.entries[${i}]`;
    if (typeof e !== "object" || e === null)
      throw new SpecError(where, e, "an entry object");
    const { key, meta: rawMeta, files } = e;
    if (typeof key !== "string" || !/^[0-9a-f]{64}$/.test(key))
      throw new SpecError(`${where}.key`, key, "a cache key");
    const meta = parseMeta(JSON.stringify(rawMeta ?? null), key);
    if (typeof meta === "string")
      throw new SpecError(`${where}.meta`, key, `a valid meta.json (${meta})`);
    if (typeof files !== "object" || files === null || Array.isArray(files))
      throw new SpecError(`${where}.files`, files, "an object of file name: base64");
    const names = Object.keys(files).sort();
    const wanted = [meta.files.source, meta.files.artifact].sort();
    if (names.join("\0") !== wanted.join("\0"))
      throw new SpecError(`${where}.files`, names, `exactly ${wanted.join(" and ")}`);
    const decode = (name, cap) => {
      const text = files[name];
      if (typeof text !== "string" || !BASE64.test(text))
        throw new SpecError(`${where}.files.${name}`, typeof text, "a base64 string");
      if (text.length / 4 * 3 > cap)
        throw new SpecError(`${where}.files.${name}`, `${text.length} base64 characters`, `at most ${cap} bytes`);
      return Buffer.from(text, "base64");
    };
    const source = decode(meta.files.source, MAX_SOURCE_BYTES);
    const artifact = decode(meta.files.artifact, MAX_ARTIFACT_BYTES);
    if (sha256(source) !== meta.parts.sourceSha256)
      throw new SpecError(`${where}.source`, key, "a source matching the sha256 in its key parts");
    if (artifact.length !== meta.artifactBytes || sha256(artifact) !== meta.artifactSha256)
      throw new SpecError(`${where}.artifact`, key, "an artifact matching its recorded size and sha256");
    const problem = checkPortable(meta, o.artifacts === "hash" ? void 0 : artifact, o.learned);
    if (problem)
      throw new SpecError(`${where}`, key, `an entry that passes the load checks (${problem})`);
    return { meta, source, artifact };
  });
  return { entries, signature };
}
function expectationOf(meta, learned) {
  return { symbol: meta.symbol, specJson: JSON.stringify(meta.spec), artifact: (bytes, m) => checkPortable(m, bytes, learned) };
}
async function commitArtifacts(root, entries, learned) {
  const cache = await DiskCache.open(root);
  const committed = [];
  let present = 0;
  try {
    for (const p of entries) {
      const existing = await cache.inspect(p.meta.key, expectationOf(p.meta, learned));
      if (existing.entry) {
        present++;
        continue;
      }
      if (existing.problem !== "missing")
        await cache.remove(p.meta.key);
      await putPortable(cache, p, expectationOf(p.meta, learned));
      committed.push(p.meta.key);
    }
  } catch (err) {
    for (const k of committed)
      await cache.remove(k).catch(() => void 0);
    throw err;
  }
  return { imported: committed.length, present };
}

export {
  regenerate,
  DEFAULT_MAX_BUNDLE_BYTES,
  bundleKey,
  exportBundle,
  checkPortable,
  readBundle,
  commitArtifacts
};
