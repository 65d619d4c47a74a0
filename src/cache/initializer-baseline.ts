// How many initializers (constructors) this user's compiler puts into a library, learned from our
// own fresh compiles: the library check (library-check.ts) allows that many.
import { fingerprintStore } from '../compiler/fingerprint-store.js';

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
