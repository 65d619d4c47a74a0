import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { targetTraits } from '../backends/traits.js';
import type { Target } from '../target.js';
import { CACHE_FORMAT_VERSION, sha256, type KeyParts } from './key.js';
import { DiskCache, META_NAME, type CacheEntry, type EntryExpectation, type EntryMeta } from './disk-cache.js';
import { MAX_META_BYTES, parseMeta } from './entry-meta.js';
import { chainProblem, folderProblem, readTrusted } from './trust.js';

/**
 * What an artifact implements, whatever built it: the same identity from two compilers or arch
 * policies is the same kernel. Precompiled layers are searched by identity, then by arch.
 */
export function identityOf(parts: Pick<KeyParts, 'format' | 'package' | 'target' | 'sourceSha256'>): string {
  return sha256(JSON.stringify([parts.format, parts.package, parts.target, parts.sourceSha256]));
}

interface Indexed {
  readonly key: string;
  readonly meta: EntryMeta;
}

/** A read-only directory of precompiled entries (the package's cache/, or ones the user names), indexed by identity. */
export class PrecompiledLayer {
  private constructor(
    readonly dir: string,
    private readonly byIdentity: Map<string, Indexed[]>,
    private readonly cache: DiskCache,
  ) {}

  /**
   * undefined when the directory does not exist, holds no entries, or may not be trusted: it holds
   * code that gets loaded, so it and every folder above it up to / must be writable only by this user
   * or root (see chainProblem); `onRefused` hears why a layer that exists was not searched.
   */
  static async open(dir: string, onRefused?: (why: string) => void): Promise<PrecompiledLayer | undefined> {
    const st = await lstat(dir).catch(() => undefined);
    if (!st) return undefined;
    const problem = folderProblem(st, 'the layer') ?? (await chainProblem(dir));
    if (problem) {
      onRefused?.(`precompiled layer ${dir} not searched: ${problem}`);
      return undefined;
    }
    const names = await readdir(dir).catch(() => [] as string[]);
    const byIdentity = new Map<string, Indexed[]>();
    for (const key of names.filter((n) => /^[0-9a-f]{64}$/.test(n))) {
      const read = await readTrusted(join(dir, key, META_NAME), META_NAME, MAX_META_BYTES).catch(() => 'unreadable');
      if (typeof read === 'string') continue; // `cache verify` reports it; find() checks the whole entry again before use
      const meta = parseMeta(read.bytes.toString('utf8'), key);
      if (typeof meta === 'string') continue;
      const id = identityOf(meta.parts);
      byIdentity.set(id, [...(byIdentity.get(id) ?? []), { key, meta }]);
    }
    return byIdentity.size === 0 ? undefined : new PrecompiledLayer(dir, byIdentity, DiskCache.readOnly(dir));
  }

  /** The keys it holds. */
  keys(): string[] {
    return [...this.byIdentity.values()].flat().map((e) => e.key).sort();
  }

  /**
   * A whole entry with this identity that runs on `arch` ('sm_90', or the CPU identity) and passes
   * every check of DiskCache.inspect (with `expect`). A broken entry is skipped, never removed: the
   * layer is read-only, and the caller compiles instead.
   */
  async find(identity: string, target: Target, arch: string, expect?: EntryExpectation): Promise<CacheEntry | undefined> {
    if (await chainProblem(this.dir)) return undefined; // changed since it was opened
    const traits = targetTraits(target);
    for (const { key, meta } of this.byIdentity.get(identity) ?? []) {
      if (!traits.fitsArch(meta.parts.arch, arch)) continue;
      // The metadata said it fits; the artifact's own bytes (a CUDA library's fatbins) must agree before it is loaded.
      const fatbinCheck = (bytes: Buffer, m: EntryMeta) => traits.artifactMisfit(bytes, arch) ?? expect?.artifact?.(bytes, m);
      const { entry } = await this.cache.inspect(key, expect ? { ...expect, artifact: fatbinCheck } : { symbol: meta.symbol, specJson: JSON.stringify(meta.spec), artifact: fatbinCheck });
      if (entry) return entry;
    }
    return undefined;
  }
}

const opened = new Map<string, Promise<PrecompiledLayer | undefined>>();

/** Layers are indexed once per process. */
export function openLayer(dir: string, onRefused?: (why: string) => void): Promise<PrecompiledLayer | undefined> {
  let layer = opened.get(dir);
  if (!layer) {
    layer = PrecompiledLayer.open(dir, onRefused);
    opened.set(dir, layer);
  }
  return layer;
}
