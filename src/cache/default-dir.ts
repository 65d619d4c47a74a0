import { resolve } from 'node:path';
import envPaths from 'env-paths';
import type { Environment } from '../env.js';

/**
 * Absolute, always: the compiler runs in a private work folder, so a relative path would name
 * another place there, and one starting with '-' could read as an option.
 */
export function defaultCacheDir(env: Environment): string {
  return resolve(env.cacheDir ?? envPaths('dwconv-jit', { suffix: '' }).cache);
}
