// What is remembered across processes about this user's compilers, in the cache directory's
// .toolchains.json: their fingerprints by binary identity (path, device, inode, size, times), since
// `c++ --version` costs a process start (several ms), more than the rest of a cache hit (a compiler
// that is upgraded or replaced has a new identity and is asked again); and, for the library check
// (library-check.ts), how many initializers (constructors) each compiler version puts into a library.
// One module for both: a cache hit reads both, and each module loaded costs it a few tenths of a ms.
import { join } from 'node:path';
import { readHintFile, writeHintFile } from '../cache/hint-file.js';

const FILE = '.toolchains.json'; // a dot name, as the cache's other private files
const MAX_RECORDS = 64;
const MAX_FILE_BYTES = 1 << 20;

interface Store {
  get(identity: string): Promise<string | undefined>;
  /** Every record, for readers that look up many. */
  all(): Promise<Record<string, string>>;
  put(identity: string, version: string): Promise<void>;
}

// Read synchronously: a small file read on every cache hit, where a thread-pool round trip per step
// costs more than the read. Only as this user's regular file (hint-file.ts): a FIFO must not hang it.
function readRecords(path: string): Record<string, string> {
  const text = readHintFile(path, MAX_FILE_BYTES);
  if (text === undefined) return {}; // missing or unreadable: fingerprint again
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
    return Object.fromEntries(Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    return {};
  }
}

/** The store in `dir` (the user's cache directory, which only this user can write). Failures to write are ignored: it only saves time. */
export function fingerprintStore(dir: string): Store {
  const path = join(dir, FILE);
  return {
    get: (identity) => Promise.resolve(readRecords(path)[identity]),
    all: () => Promise.resolve(readRecords(path)),
    put: async (identity, version) => {
      const records = { ...readRecords(path), [identity]: version };
      const kept = Object.fromEntries(Object.entries(records).slice(-MAX_RECORDS));
      await writeHintFile(path, JSON.stringify(kept)); // not written: the next process asks the compiler again
    },
  };
}

/**
 * Initializers per compiler version, as libraries this user's compiler built here carried them: a
 * library's count depends on the toolchain (crt files, compiler version), not only on our source, so
 * the fixed table cannot know every machine's. Learned only from our own fresh compiles, kept in the
 * user's cache directory (which only this user can write) beside the toolchain fingerprints.
 */
export interface InitializerBaseline {
  get(compilerVersion: string): number | undefined;
}
export const NO_BASELINE: InitializerBaseline = { get: () => undefined };
/** A fresh compile may carry at most this many before it is refused outright (nvcc emits 2). */
const MAX_LEARNED_INITIALIZERS = 4;

export async function baselineOf(root: string): Promise<InitializerBaseline & { learn(version: string, count: number): Promise<void> }> {
  const store = fingerprintStore(root);
  const prefix = 'initializers|';
  const known = new Map<string, number>();
  for (const [id, value] of Object.entries(await store.all())) {
    const v = Number(value);
    if (id.startsWith(prefix) && Number.isInteger(v) && v >= 0 && v <= MAX_LEARNED_INITIALIZERS) known.set(id.slice(prefix.length), v);
  }
  return {
    get: (version) => known.get(version),
    async learn(version, count) {
      if (count > MAX_LEARNED_INITIALIZERS || (known.get(version) ?? -1) >= count) return;
      known.set(version, count);
      await store.put(`${prefix}${version}`, String(count));
    },
  };
}
