// dist/cache/key.js
import { createRequire } from "node:module";
var crypto;
var cryptoModule = () => crypto ??= createRequire(import.meta.url)("node:crypto");
var CACHE_FORMAT_VERSION = 1;
function sha256(data) {
  return cryptoModule().createHash("sha256").update(data).digest("hex");
}
var PART_ORDER = ["format", "package", "target", "sourceSha256", "compiler", "kind", "version", "environment", "flags", "arch"];
function partsJson(parts) {
  return JSON.stringify(parts, PART_ORDER);
}
function cacheKey(parts) {
  return sha256(partsJson(parts));
}
function randomHex(bytes) {
  return cryptoModule().randomBytes(bytes).toString("hex");
}

export {
  CACHE_FORMAT_VERSION,
  sha256,
  partsJson,
  cacheKey,
  randomHex
};
