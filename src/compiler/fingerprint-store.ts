// Compiler fingerprints remembered across processes, by binary identity (path, device, inode, size,
// times): `c++ --version` costs a process start (several ms), more than the rest of a cache hit.
// A compiler that is upgraded or replaced has a new identity and is asked again.
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
