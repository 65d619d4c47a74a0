import { resolve } from 'node:path';
import { defaultCacheDir } from '../cache/default-dir.js';
import { readEnvironment } from '../env.js';

/** Absolute: a relative --cache-dir names the same folder for every step, and never reads as an option. */
export function cacheRoot(cacheDir?: string): string {
  return cacheDir === undefined ? defaultCacheDir(readEnvironment()) : resolve(cacheDir);
}
