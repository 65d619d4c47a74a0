// dist/cache/default-dir.js
import { resolve } from "node:path";
import envPaths from "env-paths";
function defaultCacheDir(env) {
  return resolve(env.cacheDir ?? envPaths("dwconv-jit", { suffix: "" }).cache);
}

export {
  defaultCacheDir
};
