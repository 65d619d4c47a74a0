import { mkdtemp } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import envPaths from 'env-paths';
import type { GeneratedSource } from './codegen/common.js';
import type { Environment } from './env.js';
import { PACKAGE_VERSION } from './version.js';
import { SpecError } from './errors.js';
import { nvrtc } from './ffi/nvrtc.js';
import { ARTIFACT_NAME, compileNvrtc, compileSource, CUBIN_NAME, cxxFlags, nvccFlags, nvrtcOptions, SOURCE_NAME, type CompileOutput } from './compiler/compilers.js';
import { DiskCache, type EntryMeta } from './cache/disk-cache.js';
import { CACHE_FORMAT_VERSION, cacheKey, sha256, type KeyParts } from './cache/key.js';
import { lockTimeoutMs, withKeyLock } from './cache/key-lock.js';
import { identityOf, openLayer } from './cache/layers.js';
import { parseSize, pruneCache } from './cache/prune.js';
import { findCxx, findNvcc, type Tool } from './compiler/toolchain.js';

export interface BuildOptions {
  readonly env: Environment;
  /** Normalized CUDA archs to embed machine code for ('sm_90'); at least one for the CUDA target. */
  readonly archs?: readonly string[];
  /** CUDA: also embed PTX of the newest arch, for GPUs newer than all of them. */
  readonly ptx?: boolean;
  /** Read-only precompiled cache directories, searched (for `deviceArch`) before the writable cache. */
  readonly precompiled?: readonly string[];
  /** The arch of the GPU in use, for the precompiled layers; default: the single entry of archs. */
  readonly deviceArch?: string;
  /** The writable cache directory; default DWCONV_JIT_CACHE_DIR, else the per-user cache dir. */
  readonly cacheDir?: string;
  /** false: compile into a private temporary folder, neither reading nor writing the cache. */
  readonly cache?: boolean;
  readonly log?: (message: string) => void;
  /** CUDA: nvcc (a shared library with its host launcher, any number of archs) or NVRTC (a cubin for archs[0]). Default nvcc. */
  readonly compiler?: 'nvcc' | 'nvrtc';
}

export interface Artifact {
  readonly key: string;
  readonly path: string;
  readonly parts: KeyParts;
  /** Where it came from: this process's memory, a precompiled layer, the disk cache, or a compile just now. */
  readonly origin: 'memory' | 'precompiled' | 'disk' | 'compiled';
  /** Compile time when origin is 'compiled', else 0. */
  readonly compileMilliseconds: number;
  readonly meta?: EntryMeta;
}

export function defaultCacheDir(env: Environment): string {
  return env.cacheDir ?? envPaths('dwconv-jit', { suffix: '' }).cache;
}

export function cpuIdentity(): string {
  return `${process.arch} ${cpus()[0]?.model ?? 'unknown cpu'}`;
}

export interface Plan {
  readonly tool: Tool;
  readonly parts: KeyParts;
  readonly key: string;
}

/** The key this source would get here, and its named parts (finds the compiler, compiles nothing). */
export async function plan(generated: GeneratedSource, opts: BuildOptions): Promise<Plan> {
  const archs = opts.archs ?? [];
  if (generated.target === 'cuda' && archs.length === 0) throw new Error('internal: the CUDA target needs an arch');
  const useNvrtc = generated.target === 'cuda' && opts.compiler === 'nvrtc';
  if (useNvrtc && (archs.length !== 1 || opts.ptx)) throw new SpecError('options.compiler', 'nvrtc', "'nvcc' for several archs or PTX (an NVRTC build is a cubin for one arch)");
  const tool: Tool = useNvrtc
    ? (({ path, version }) => ({ kind: 'nvrtc' as const, path, version: `NVRTC ${version}` }))(nvrtc(opts.env))
    : generated.target === 'cuda' ? await findNvcc(opts.env) : await findCxx(opts.env);
  const parts: KeyParts = {
    format: CACHE_FORMAT_VERSION,
    package: PACKAGE_VERSION,
    target: generated.target,
    sourceSha256: sha256(generated.source),
    compiler: { kind: tool.kind, version: tool.version },
    flags: useNvrtc ? nvrtcOptions(archs[0]!) : generated.target === 'cuda' ? nvccFlags(archs, opts.ptx) : cxxFlags(),
    arch: generated.target === 'cuda' ? [...archs, ...(opts.ptx ? ['ptx'] : [])].join('+') : cpuIdentity(),
  };
  return { tool, parts, key: cacheKey(parts) };
}

/** Compiles with the planned tool into `work`: nvcc or the C++ compiler as a child process, NVRTC in-process. */
function compileWith(tool: Tool, generated: GeneratedSource, flags: readonly string[], work: string, env: Environment): Promise<CompileOutput> {
  if (tool.kind === 'nvrtc') return compileNvrtc(nvrtc(env), generated.source, flags, work);
  return compileSource(tool, generated.language, generated.source, flags, work);
}

const inFlight = new Map<string, Promise<Artifact>>();

/** A precompiled entry for this source that runs here: found without any compiler installed. */
export async function fromLayers(generated: GeneratedSource, opts: BuildOptions): Promise<Artifact | undefined> {
  const identity = identityOf({ format: CACHE_FORMAT_VERSION, package: PACKAGE_VERSION, target: generated.target, sourceSha256: sha256(generated.source) });
  const arch = generated.target === 'cuda' ? opts.deviceArch ?? opts.archs?.[0] : cpuIdentity();
  if (!arch) return undefined;
  for (const dir of opts.precompiled ?? []) {
    const entry = await (await openLayer(dir))?.find(identity, generated.target, arch);
    if (entry) return { key: entry.meta.key, path: entry.artifactPath, parts: entry.meta.parts, origin: 'precompiled', compileMilliseconds: 0, meta: entry.meta };
  }
  return undefined;
}

/** The artifact for this source: from memory, a precompiled layer, the disk cache, or compiled and committed. */
export async function buildArtifact(generated: GeneratedSource, opts: BuildOptions): Promise<Artifact> {
  if (opts.cache !== false) {
    const layered = await fromLayers(generated, opts);
    if (layered) return layered;
  }
  const { tool, parts, key } = await plan(generated, opts);
  if (opts.cache === false) {
    const work = await mkdtemp(join(tmpdir(), 'dwconv-jit-'));
    const out = await compileWith(tool, generated, parts.flags, work, opts.env);
    return { key, path: out.artifactPath, parts, origin: 'compiled', compileMilliseconds: out.milliseconds };
  }
  const root = opts.cacheDir ?? defaultCacheDir(opts.env);
  const memoKey = `${root}\0${key}`;
  const pending = inFlight.get(memoKey);
  if (pending) return { ...(await pending), origin: 'memory', compileMilliseconds: 0 };
  const promise = lookupOrCompile(root, generated, tool, parts, key, opts);
  inFlight.set(memoKey, promise);
  promise.catch(() => inFlight.delete(memoKey)); // a failure is not remembered: the next call tries again
  return promise;
}

async function lookupOrCompile(root: string, generated: GeneratedSource, tool: Tool, parts: KeyParts, key: string, opts: BuildOptions): Promise<Artifact> {
  const cache = await DiskCache.open(root);
  const hit = await cache.get(key);
  if (hit) return { key, path: hit.artifactPath, parts, origin: 'disk', compileMilliseconds: 0, meta: hit.meta };
  return withKeyLock(root, key, lockTimeoutMs(opts.env.lockTimeout), async () => {
    // Another process may have compiled it while we waited for the lock.
    const built = await cache.get(key);
    if (built) return { key, path: built.artifactPath, parts, origin: 'disk' as const, compileMilliseconds: 0, meta: built.meta };
    return compileInto(cache, root, generated, tool, parts, key, opts);
  });
}

async function compileInto(cache: DiskCache, root: string, generated: GeneratedSource, tool: Tool, parts: KeyParts, key: string, opts: BuildOptions): Promise<Artifact> {
  opts.log?.(`compiling ${generated.symbol} with ${tool.path}`);
  let compileMilliseconds = 0;
  const entry = await cache.put(key, async (work) => {
    const out = await compileWith(tool, generated, parts.flags, work, opts.env);
    compileMilliseconds = out.milliseconds;
    return {
      parts,
      symbol: generated.symbol,
      spec: JSON.parse(generated.specJson) as unknown,
      variant: generated.variant,
      files: { source: SOURCE_NAME[generated.language], artifact: tool.kind === 'nvrtc' ? CUBIN_NAME : ARTIFACT_NAME },
      compilerPath: tool.path,
      compileMilliseconds: out.milliseconds,
    };
  });
  if (opts.env.cacheMaxSize !== undefined) {
    const pruned = await pruneCache(root, { maxBytes: parseSize('DWCONV_JIT_CACHE_MAX_SIZE', opts.env.cacheMaxSize), keep: key });
    if (pruned.removed.length) opts.log?.(`pruned ${pruned.removed.length} cache entries to stay under ${opts.env.cacheMaxSize}`);
  }
  return { key, path: entry.artifactPath, parts, origin: 'compiled', compileMilliseconds, meta: entry.meta };
}
