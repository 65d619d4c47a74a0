import {
  defaultCacheDir
} from "./chunk-C5KQE6PT.js";
import {
  readEnvironment
} from "./chunk-CIU4BLIU.js";

// dist/tools/cache-root.js
import { resolve } from "node:path";
function cacheRoot(cacheDir) {
  return cacheDir === void 0 ? defaultCacheDir(readEnvironment()) : resolve(cacheDir);
}

export {
  cacheRoot
};
