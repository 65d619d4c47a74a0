import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { newestArch } from '../compiler/arch.js';
import { embeddedCode } from '../compiler/fatbin.js';
import { CACHE_FORMAT_VERSION, sha256, type KeyParts } from './key.js';
import { DiskCache, META_NAME, type CacheEntry, type EntryMeta } from './disk-cache.js';

/**
 * What an artifact implements, whatever built it: the same identity from two compilers or arch
 * policies is the same kernel. Precompiled layers are searched by identity, then by arch.
 */
export function identityOf(parts: Pick<KeyParts, 'format' | 'package' | 'target' | 'sourceSha256'>): string {
  return sha256(JSON.stringify([parts.format, parts.package, parts.target, parts.sourceSha256]));
}

/** The CUDA archs an entry's key parts say it embeds: SASS per 'sm_XY', PTX as '+ptx' for the newest. */
export function embeddedArchs(arch: string): { sass: string[]; ptx: string | null } {
  const list = arch.split('+');
  const sass = list.filter((a) => /^sm_\d+a?$/.test(a));
  const newest = newestArch(sass);
  return { sass, ptx: list.includes('ptx') && newest ? `compute_${newest.slice(3).replace(/a$/, '')}` : null };
}

/** Whether code with these archs runs on a device of `device` ('sm_90'): SASS of the same major and no newer minor, or older PTX. */
export function runsOn(archs: { sass: readonly string[]; ptx: string | null }, device: string): boolean {
  const cc = (a: string) => parseInt(a.replace(/^(sm|compute)_/, ''), 10);
  const d = cc(device);
  const sassOk = archs.sass.some((a) => (a.endsWith('a') ? a === device : Math.floor(cc(a) / 10) === Math.floor(d / 10) && cc(a) <= d));
  return sassOk || (archs.ptx !== null && cc(archs.ptx) <= d);
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

  /** undefined when the directory does not exist or holds no entries. */
  static async open(dir: string): Promise<PrecompiledLayer | undefined> {
    let names: string[];
    try {
      const st = await stat(dir);
      // It holds code that gets loaded: a directory anyone may write to is not searched.
      if (!st.isDirectory() || (st.mode & 0o002) !== 0) return undefined;
      names = await readdir(dir);
    } catch {
      return undefined;
    }
    const byIdentity = new Map<string, Indexed[]>();
    for (const key of names.filter((n) => /^[0-9a-f]{64}$/.test(n))) {
      try {
        const meta = JSON.parse(await readFile(join(dir, key, META_NAME), 'utf8')) as EntryMeta;
        if (meta.format !== CACHE_FORMAT_VERSION || meta.key !== key || !meta.parts) continue;
        const id = identityOf(meta.parts);
        byIdentity.set(id, [...(byIdentity.get(id) ?? []), { key, meta }]);
      } catch {
        // an unreadable entry is skipped here; `cache verify` reports it
      }
    }
    return byIdentity.size === 0 ? undefined : new PrecompiledLayer(dir, byIdentity, DiskCache.readOnly(dir));
  }

  /** A whole, hash-checked entry with this identity that runs on `arch` ('sm_90', or the CPU identity). */
  async find(identity: string, target: 'cuda' | 'cpu', arch: string): Promise<CacheEntry | undefined> {
    for (const { key, meta } of this.byIdentity.get(identity) ?? []) {
      const fits = target === 'cuda' ? runsOn(embeddedArchs(meta.parts.arch), arch) : meta.parts.arch === arch;
      if (!fits) continue;
      const { entry } = await this.cache.inspect(key);
      if (!entry) continue;
      // The metadata said it fits; the artifact's own fatbins must agree before it is loaded.
      if (target === 'cuda' && !runsOn(embeddedCode(await readFile(entry.artifactPath)), arch)) continue;
      return entry;
    }
    return undefined;
  }
}

const opened = new Map<string, Promise<PrecompiledLayer | undefined>>();

/** Layers are indexed once per process. */
export function openLayer(dir: string): Promise<PrecompiledLayer | undefined> {
  let layer = opened.get(dir);
  if (!layer) {
    layer = PrecompiledLayer.open(dir);
    opened.set(dir, layer);
  }
  return layer;
}
