import {
  fileProblem
} from "./chunk-A22IQ6JN.js";
import {
  CACHE_FORMAT_VERSION,
  cacheKey
} from "./chunk-C5DDTWDA.js";
import {
  isTarget
} from "./chunk-TM5KGFNG.js";
import {
  CacheError
} from "./chunk-3MZWLH6H.js";

// dist/cache/cache-root.js
import { accessSync, constants, lstatSync } from "node:fs";
var STORAGE_FAULTS = {
  ENOSPC: "no space left on the device: free some, or point DWCONV_JIT_CACHE_DIR at another disk",
  EDQUOT: "the disk quota is exhausted: free some, or point DWCONV_JIT_CACHE_DIR at another disk",
  EROFS: "the file system is read-only: point DWCONV_JIT_CACHE_DIR at a writable directory",
  EACCES: "permission denied: point DWCONV_JIT_CACHE_DIR at a directory this user can write",
  EPERM: "operation not permitted: point DWCONV_JIT_CACHE_DIR at a directory this user can write",
  EFBIG: "a file grew past the size limit (ulimit -f)"
};
function isStorageFault(err) {
  return typeof err?.code === "string" && err.code in STORAGE_FAULTS;
}
function storageError(what, path, cause) {
  const code = cause?.code;
  const why = code !== void 0 && code in STORAGE_FAULTS ? `: ${STORAGE_FAULTS[code]}` : "";
  return new CacheError(`${what}${why}`, path, { cause });
}
function checkCacheRoot(root) {
  const st = lstatSync(root);
  if (st.isSymbolicLink())
    throw new CacheError("the cache path is a symlink; point DWCONV_JIT_CACHE_DIR or cacheDir at the real directory", root);
  if (!st.isDirectory())
    throw new CacheError("the cache path is not a directory", root);
  const uid = process.getuid?.();
  if (uid !== void 0 && st.uid !== uid) {
    throw new CacheError(`the cache directory is owned by uid ${st.uid}, not by this user (uid ${uid}); choose another with DWCONV_JIT_CACHE_DIR or cacheDir`, root);
  }
  if ((st.mode & 18) !== 0) {
    throw new CacheError(`the cache directory is writable by group or others (mode ${(st.mode & 511).toString(8)}); run chmod 700 on it`, root);
  }
  try {
    accessSync(root, constants.W_OK | constants.X_OK);
  } catch (cause) {
    throw storageError("the cache directory is not writable", root, cause);
  }
}

// dist/cache/entry-meta.js
var META_NAME = "meta.json";
var USES_NAME = "uses.log";
var SOURCE_FILE_NAMES = ["kernel.cpp", "kernel.cu"];
var ARTIFACT_FILE_NAMES = ["kernel.so", "kernel.cubin"];
var MAX_META_BYTES = 1 << 20;
var MAX_SOURCE_BYTES = 16 << 20;
var MAX_ARTIFACT_BYTES = 512 << 20;
var HEX64 = /^[0-9a-f]{64}$/;
var SYMBOL = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/;
var isObject = (v) => typeof v === "object" && v !== null && !Array.isArray(v);
var isString = (v) => typeof v === "string";
function partsProblem(p) {
  if (!isObject(p))
    return "the key parts are not an object";
  if (p.format !== CACHE_FORMAT_VERSION)
    return `cache format ${String(p.format)}, this version reads ${CACHE_FORMAT_VERSION}`;
  if (!isString(p.package) || !isTarget(p.target) || !isString(p.sourceSha256) || !HEX64.test(p.sourceSha256))
    return "the key parts are malformed";
  if (!isObject(p.compiler) || !isString(p.compiler.kind) || !isString(p.compiler.version) || p.compiler.environment !== void 0 && !isString(p.compiler.environment))
    return "the key parts name no compiler";
  if (!Array.isArray(p.flags) || !p.flags.every(isString) || !isString(p.arch))
    return "the key parts are malformed";
  return void 0;
}
function parseMeta(text, key) {
  let m;
  try {
    m = JSON.parse(text);
  } catch {
    return "meta.json is not valid JSON";
  }
  if (!isObject(m))
    return "meta.json is not an object";
  if (m.format !== CACHE_FORMAT_VERSION)
    return `cache format ${String(m.format)}, this version reads ${CACHE_FORMAT_VERSION}`;
  if (m.key !== key)
    return "meta.json names another key";
  const parts = partsProblem(m.parts);
  if (parts)
    return `meta.json: ${parts}`;
  if (cacheKey(m.parts) !== key)
    return "the key recomputed from meta.json's parts is not the entry's key";
  if (!isString(m.symbol) || !SYMBOL.test(m.symbol))
    return "meta.json names no valid symbol";
  const files = m.files;
  if (!isObject(files) || !SOURCE_FILE_NAMES.includes(files.source) || !ARTIFACT_FILE_NAMES.includes(files.artifact)) {
    return `meta.json's files are not a source (${SOURCE_FILE_NAMES.join(" | ")}) and an artifact (${ARTIFACT_FILE_NAMES.join(" | ")})`;
  }
  if (!Number.isSafeInteger(m.artifactBytes) || m.artifactBytes < 0 || !isString(m.artifactSha256) || !HEX64.test(m.artifactSha256))
    return "meta.json has no valid artifact size and sha256";
  if (!isObject(m.variant) || !Object.values(m.variant).every((v) => isString(v) || typeof v === "number"))
    return "meta.json has no valid variant";
  if (!isString(m.createdAt) || !isString(m.compilerPath) || typeof m.compileMilliseconds !== "number")
    return "meta.json is missing fields";
  return m;
}

// dist/cache/use-log.js
import { closeSync, constants as constants2, fstatSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
function appendUse(dir) {
  let fd;
  try {
    fd = openSync(join(dir, USES_NAME), constants2.O_WRONLY | constants2.O_APPEND | constants2.O_CREAT | constants2.O_NOFOLLOW | constants2.O_NONBLOCK, 384);
    if (fileProblem(fstatSync(fd), USES_NAME) === void 0)
      writeSync(fd, `${Date.now()}
`);
  } catch {
  } finally {
    if (fd !== void 0)
      closeSync(fd);
  }
}

export {
  isStorageFault,
  storageError,
  checkCacheRoot,
  META_NAME,
  USES_NAME,
  SOURCE_FILE_NAMES,
  ARTIFACT_FILE_NAMES,
  MAX_META_BYTES,
  MAX_SOURCE_BYTES,
  MAX_ARTIFACT_BYTES,
  parseMeta,
  appendUse
};
