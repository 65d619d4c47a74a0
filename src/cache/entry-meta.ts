// An entry's own records: meta.json, read as untrusted input (whatever it holds: null, an array, a
// number where a name should be, becomes a problem string, never a TypeError; the key is recomputed
// from the parts it records), and uses.log, appended on every use. One module for both: every cache
// hit needs both, and each module loaded costs a hit in a new process a few tenths of a ms.
import { closeSync, constants, fstatSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { cacheKey, CACHE_FORMAT_VERSION, type KeyParts } from './key.js';
import { isTarget } from '../target.js';
import { fileProblem } from './trust.js';

export const META_NAME = 'meta.json';
/** One line (a millisecond timestamp) appended per use: last use and hit count without read-modify-write races. */
export const USES_NAME = 'uses.log';
/** The only names an entry's source and artifact may have: no path, nothing that could be meta.json. */
export const SOURCE_FILE_NAMES = ['kernel.cpp', 'kernel.cu'] as const;
export const ARTIFACT_FILE_NAMES = ['kernel.so', 'kernel.cubin'] as const;
export const MAX_META_BYTES = 1 << 20;
export const MAX_SOURCE_BYTES = 16 << 20;
export const MAX_ARTIFACT_BYTES = 512 << 20;

/** meta.json: written last inside the entry, so its presence marks a complete entry. */
export interface EntryMeta {
  readonly format: number;
  readonly key: string;
  readonly parts: KeyParts;
  readonly symbol: string;
  readonly spec: unknown;
  readonly variant: Readonly<Record<string, string | number>>;
  readonly files: { readonly source: string; readonly artifact: string };
  readonly artifactBytes: number;
  readonly artifactSha256: string;
  readonly compilerPath: string;
  readonly compileMilliseconds: number;
  readonly createdAt: string;
}

const HEX64 = /^[0-9a-f]{64}$/;
const SYMBOL = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string';

/** What is wrong with these key parts, or undefined. */
export function partsProblem(p: unknown): string | undefined {
  if (!isObject(p)) return 'the key parts are not an object';
  if (p.format !== CACHE_FORMAT_VERSION) return `cache format ${String(p.format)}, this version reads ${CACHE_FORMAT_VERSION}`;
  if (!isString(p.package) || !isTarget(p.target) || !isString(p.sourceSha256) || !HEX64.test(p.sourceSha256)) return 'the key parts are malformed';
  if (!isObject(p.compiler) || !isString(p.compiler.kind) || !isString(p.compiler.version) || (p.compiler.environment !== undefined && !isString(p.compiler.environment))) return 'the key parts name no compiler';
  if (!Array.isArray(p.flags) || !p.flags.every(isString) || !isString(p.arch)) return 'the key parts are malformed';
  return undefined;
}

/** The parsed meta.json of the entry `key`, or what is wrong with it. */
export function parseMeta(text: string, key: string): EntryMeta | string {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    return 'meta.json is not valid JSON';
  }
  if (!isObject(m)) return 'meta.json is not an object';
  if (m.format !== CACHE_FORMAT_VERSION) return `cache format ${String(m.format)}, this version reads ${CACHE_FORMAT_VERSION}`;
  if (m.key !== key) return 'meta.json names another key';
  const parts = partsProblem(m.parts);
  if (parts) return `meta.json: ${parts}`;
  // The key is a hash of the parts: parts edited to fit another artifact or source give another key.
  if (cacheKey(m.parts as unknown as KeyParts) !== key) return 'the key recomputed from meta.json\'s parts is not the entry\'s key';
  if (!isString(m.symbol) || !SYMBOL.test(m.symbol)) return 'meta.json names no valid symbol';
  const files = m.files;
  if (!isObject(files) || !(SOURCE_FILE_NAMES as readonly unknown[]).includes(files.source) || !(ARTIFACT_FILE_NAMES as readonly unknown[]).includes(files.artifact)) {
    return `meta.json's files are not a source (${SOURCE_FILE_NAMES.join(' | ')}) and an artifact (${ARTIFACT_FILE_NAMES.join(' | ')})`;
  }
  if (!Number.isSafeInteger(m.artifactBytes) || (m.artifactBytes as number) < 0 || !isString(m.artifactSha256) || !HEX64.test(m.artifactSha256)) return 'meta.json has no valid artifact size and sha256';
  if (!isObject(m.variant) || !Object.values(m.variant).every((v) => isString(v) || typeof v === 'number')) return 'meta.json has no valid variant';
  if (!isString(m.createdAt) || !isString(m.compilerPath) || typeof m.compileMilliseconds !== 'number') return 'meta.json is missing fields';
  return m as unknown as EntryMeta;
}

/**
 * Appends a use to the entry in `dir` (O_APPEND: concurrent writers never lose one). Not file access
 * times: many mounts do not keep them. Never through a symlink, and never into a file with a second
 * name elsewhere. A use not counted is not worth failing a load: errors are swallowed. Synchronous:
 * a few bytes on every hit, where each thread-pool round trip would cost more than the write.
 */
export function appendUse(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(join(dir, USES_NAME), constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o600);
    if (fileProblem(fstatSync(fd), USES_NAME) === undefined) writeSync(fd, `${Date.now()}\n`);
  } catch {
    // not counted
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
