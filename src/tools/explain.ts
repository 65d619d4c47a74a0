import { defaultCacheDir, fromLayers, plan } from '../artifact.js';
import { DiskCache } from '../cache/disk-cache.js';
import type { KeyParts } from '../cache/key.js';
import { resolveOptions } from '../options.js';
import { describeSpec, normalizeSpec, type SpecInput } from '../spec.js';

export interface Explanation {
  readonly spec: string;
  readonly target: 'cuda' | 'cpu';
  readonly key: string;
  readonly parts: KeyParts;
  /** Where compile() would find it, or false when it would compile. */
  readonly cached: 'precompiled' | 'disk' | false;
  /** On a miss: the entry whose key parts differ least, and which parts differ. */
  readonly nearest?: { readonly key: string; readonly spec: string; readonly differs: readonly string[] };
}

const PART_NAMES = ['format', 'package', 'target', 'sourceSha256', 'compiler', 'flags', 'arch'] as const;

export function differingParts(a: KeyParts, b: KeyParts): string[] {
  return PART_NAMES.filter((name) => JSON.stringify(a[name]) !== JSON.stringify(b[name]));
}

export interface ExplainOptions {
  /** As compile()'s: 'auto' (default) is 'cuda' when a GPU is usable, else 'cpu'; DWCONV_JIT_TARGET overrides 'auto'. */
  readonly target?: 'auto' | 'cuda' | 'cpu';
  /** CUDA arch such as 'sm_90'; default: the current GPU's. */
  readonly arch?: string;
  /** The writable cache directory to look in; default DWCONV_JIT_CACHE_DIR, else the per-user cache directory. */
  readonly cacheDir?: string;
  /** Environment to read instead of process.env. */
  readonly env?: NodeJS.ProcessEnv;
}

/** Whether compile() would find this spec in a cache, and if not, why not: the nearest entry and the key parts that differ. */
export async function explain(specInput: SpecInput, options: ExplainOptions = {}): Promise<Explanation> {
  // Resolved as compile() resolves them (target, arch, compiler), so the key is the one compile() would use.
  const r = resolveOptions(specInput, options, 'explain');
  const { spec, target, env } = r;
  const generated = r.backend.generate(spec, undefined);
  const opts = { env, ...(r.arch ? { archs: [r.arch], deviceArch: r.arch } : {}), precompiled: r.precompiled, compiler: r.compiler };
  const { parts, key } = await plan(generated, opts);
  const base = { spec: describeSpec(spec), target, key, parts };
  if (await fromLayers(generated, opts)) return { ...base, cached: 'precompiled' };
  const cache = await DiskCache.open(r.cacheDir ?? defaultCacheDir(env));
  if ((await cache.inspect(key)).entry) return { ...base, cached: 'disk' };
  let nearest: Explanation['nearest'];
  for (const other of await cache.keys()) {
    const { entry } = await cache.inspect(other);
    if (!entry) continue;
    const differs = differingParts(parts, entry.meta.parts);
    if (!nearest || differs.length < nearest.differs.length) {
      let otherSpec = '?';
      try {
        otherSpec = describeSpec(normalizeSpec(entry.meta.spec));
      } catch {
        // described as '?'
      }
      nearest = { key: other, spec: otherSpec, differs };
    }
  }
  return { ...base, cached: false, ...(nearest ? { nearest } : {}) };
}
