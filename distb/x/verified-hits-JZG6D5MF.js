import {
  baselineOf
} from "./chunk-CPKG6YAQ.js";
import {
  cacheRootOf,
  keyPartsFor
} from "./chunk-OMQMVV7G.js";
import "./chunk-C5KQE6PT.js";
import {
  readHintFile,
  writeHintFile
} from "./chunk-2ZOB4GNT.js";
import {
  MAX_META_BYTES,
  META_NAME,
  USES_NAME,
  appendUse,
  checkCacheRoot
} from "./chunk-ERIKVZX6.js";
import {
  fileProblem,
  folderProblem,
  trustedOwner
} from "./chunk-A22IQ6JN.js";
import {
  partsJson
} from "./chunk-C5DDTWDA.js";
import "./chunk-R3WEWIUB.js";
import "./chunk-X43GYYD5.js";
import "./chunk-CIU4BLIU.js";
import "./chunk-TM5KGFNG.js";
import "./chunk-UGFPPU7J.js";
import "./chunk-3MZWLH6H.js";

// dist/cache/verified-hits.js
import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
var FILE = ".hits.json";
var MAX_RECORDS = 256;
var MAX_FILE_BYTES = 1 << 20;
var RACY_MARGIN_MS = 100;
var KEY_PATTERN = /^[0-9a-f]{64}$/;
var contentIdentity = (st) => `${st.dev}|${st.ino}|${st.size}|${st.mtimeMs}|${st.ctimeMs}`;
var folderIdentity = (st) => `${st.dev}|${st.ino}`;
function lookupOf(q) {
  return JSON.stringify([partsJson(q.parts), q.symbol, q.specJson, q.learnedInitializers ?? null, q.precompiled.map((d) => resolve(d))]);
}
function layerIdentity(dir) {
  const root = resolve(dir);
  const st = lstatSync(root, { throwIfNoEntry: false });
  if (!st)
    return ["missing"];
  const out = [`${st.mode}|${st.uid}|${contentIdentity(st)}`];
  for (let at = dirname(root); ; at = dirname(at)) {
    const up = lstatSync(at, { throwIfNoEntry: false });
    out.push(up ? `${up.dev}|${up.ino}|${up.mode}|${up.uid}` : "missing");
    if (dirname(at) === at)
      return out;
  }
}
function readRecords(path) {
  try {
    const text = readHintFile(path, MAX_FILE_BYTES);
    if (text === void 0)
      return {};
    const parsed = JSON.parse(text);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? parsed : {};
  } catch {
    return {};
  }
}
function isRecord(r) {
  if (typeof r !== "object" || r === null)
    return false;
  const x = r;
  return typeof x.key === "string" && KEY_PATTERN.test(x.key) && typeof x.folder === "string" && typeof x.files === "object" && x.files !== null && Object.values(x.files).every((v) => typeof v === "string") && Array.isArray(x.layers) && x.layers.every((l) => Array.isArray(l) && l.every((v) => typeof v === "string"));
}
var sameList = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
function metaIfUnchanged(path, identity) {
  let fd;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    const st = fstatSync(fd);
    if (fileProblem(st, META_NAME) || contentIdentity(st) !== identity || st.size > MAX_META_BYTES)
      return void 0;
    return JSON.parse(readFileSync(fd, "utf8"));
  } catch {
    return void 0;
  } finally {
    if (fd !== void 0)
      closeSync(fd);
  }
}
function rememberedHit(root, q) {
  try {
    return Promise.resolve(remembered(root, q));
  } catch {
    return Promise.resolve(void 0);
  }
}
function remembered(root, q) {
  checkCacheRoot(root);
  const record = readRecords(join(root, FILE))[lookupOf(q)];
  if (!isRecord(record))
    return void 0;
  if (q.precompiled.length !== record.layers.length || q.precompiled.some((d, i) => !sameList(layerIdentity(d), record.layers[i])))
    return void 0;
  const dir = join(root, record.key);
  const dirStat = lstatSync(dir, { throwIfNoEntry: false });
  if (!dirStat || folderProblem(dirStat, "the entry") || folderIdentity(dirStat) !== record.folder)
    return void 0;
  const names = readdirSync(dir).sort();
  if (!sameList(names, Object.keys(record.files).sort()))
    return void 0;
  for (const name of names) {
    const st = lstatSync(join(dir, name), { throwIfNoEntry: false });
    if (!st || fileProblem(st, name))
      return void 0;
    if (name !== USES_NAME && contentIdentity(st) !== record.files[name])
      return void 0;
  }
  const meta = metaIfUnchanged(join(dir, META_NAME), record.files[META_NAME] ?? "");
  if (!meta || meta.key !== record.key || partsJson(meta.parts) !== partsJson(q.parts) || meta.symbol !== q.symbol || JSON.stringify(meta.spec) !== q.specJson)
    return void 0;
  if (typeof meta.files?.artifact !== "string" || !Object.hasOwn(record.files, meta.files.artifact) || meta.files.artifact === META_NAME || meta.files.artifact === USES_NAME)
    return void 0;
  const artifactPath = join(dir, meta.files.artifact);
  const artifactStat = lstatSync(artifactPath, { throwIfNoEntry: false });
  if (!artifactStat || contentIdentity(artifactStat) !== record.files[meta.files.artifact])
    return void 0;
  appendUse(dir);
  return { dir, artifactPath, meta, artifactStat };
}
async function rememberHit(root, q, entry) {
  try {
    if (!entry.artifactStat || entry.dir !== join(root, entry.meta.key))
      return;
    const settled = Date.now() - RACY_MARGIN_MS;
    const dirStat = lstatSync(entry.dir);
    const files = {};
    for (const name of readdirSync(entry.dir).sort()) {
      const st = lstatSync(join(entry.dir, name));
      if (name === USES_NAME) {
        files[name] = "";
        continue;
      }
      if (Math.max(st.mtimeMs, st.ctimeMs) > settled || !trustedOwner(st.uid))
        return;
      files[name] = contentIdentity(st);
    }
    if (files[entry.meta.files.artifact] !== contentIdentity(entry.artifactStat))
      return;
    const record = { key: entry.meta.key, folder: folderIdentity(dirStat), files, layers: q.precompiled.map(layerIdentity) };
    const path = join(root, FILE);
    const records = readRecords(path);
    const lookup = lookupOf(q);
    delete records[lookup];
    records[lookup] = record;
    const kept = Object.fromEntries(Object.entries(records).slice(-MAX_RECORDS));
    await writeHintFile(path, JSON.stringify(kept));
  } catch {
  }
}
async function hitQueryFor(generated, opts, parts) {
  const keyParts = parts ?? (await keyPartsFor(generated, opts)).parts;
  const learned = (await baselineOf(cacheRootOf(opts))).get(keyParts.compiler.version);
  return { parts: keyParts, symbol: generated.symbol, specJson: generated.specJson, learnedInitializers: learned, precompiled: opts.precompiled ?? [] };
}
async function rememberedArtifact(generated, opts) {
  if (opts.cache === false)
    return void 0;
  let q;
  try {
    q = await hitQueryFor(generated, opts);
  } catch {
    return void 0;
  }
  const entry = await rememberedHit(cacheRootOf(opts), q);
  return entry && { key: entry.meta.key, path: entry.artifactPath, parts: entry.meta.parts, origin: "disk", compileMilliseconds: 0, meta: entry.meta };
}
export {
  hitQueryFor,
  rememberHit,
  rememberedArtifact,
  rememberedHit
};
