import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { GeneratedSource } from './codegen/common.js';
import type { Environment } from './env.js';
import { defaultCacheDir } from './cache/default-dir.js';
import { debug, shortKey } from './debug.js';
import { PACKAGE_VERSION } from './version.js';
import { abortedElsewhere, throwIfAborted, untilAborted } from './abort.js';
import { SpecError } from './errors.js';
import { nvrtc } from './ffi/nvrtc.js';
import { ARTIFACT_NAME, CUBIN_NAME, cxxFlags, nvccFlags, nvrtcOptions, nvrtcPeer, processPeer, SOURCE_NAME, type CompilerPeer } from './compiler/compilers.js';
import { DiskCache, type CacheEntry, type EntryExpectation, type EntryMeta } from './cache/disk-cache.js';
import { initializerCount, libraryProblem } from './cache/library-check.js';
import { fingerprintStore } from './compiler/fingerprint-store.js';
import { CACHE_FORMAT_VERSION, cacheKey, sha256, type KeyParts } from './cache/key.js';
import { lockTimeoutMs, withKeyLock } from './cache/key-lock.js';
import { identityOf } from './cache/layers.js';
import { parseSize, pruneCache, RECENT_MS } from './cache/prune.js';
import { DiskTier } from './cache/tiers/disk.js';
import { MemoryTier } from './cache/tiers/memory.js';
import { PrecompiledTier } from './cache/tiers/precompiled.js';
import type { RemoteSource } from './cache/remote/config.js';
import type { RemoteCacheTier } from './cache/tiers/remote.js';
import type { Tier, TierRequest } from './cache/tiers/tier.js';
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
  /** The remote cache asked after the local tiers (docs/remote-cache.md); default: env's DWCONV_JIT_REMOTE_CACHE and DWCONV_JIT_REMOTE_KEY(_FILE). */
  readonly remote?: RemoteSource;
  /**
   * Stops the build: a lock wait or a running compiler ends with an AbortError; nothing partial is
   * kept (the work folder is removed, the lock released). An entry already whole stays.
   */
  readonly signal?: AbortSignal;
}

export interface Artifact {
  readonly key: string;
  readonly path: string;
  readonly parts: KeyParts;
  /** Where it came from: this process's memory, a precompiled layer, the disk cache, the remote cache (now in the disk cache too), or a compile just now. */
  readonly origin: 'memory' | 'precompiled' | 'disk' | 'remote' | 'compiled';
  /** Compile time when origin is 'compiled', else 0. */
  readonly compileMilliseconds: number;
  readonly meta?: EntryMeta;
}

export { defaultCacheDir } from './cache/default-dir.js';

/**
 * What an entry must be to serve this generated source, checked before anything is loaded: its
 * symbol and spec, and for a shared library what its dynamic section says (library-check.ts).
 */
export function expectationFor(generated: GeneratedSource, baseline: InitializerBaseline = NO_BASELINE): EntryExpectation {
  const { symbol, specJson } = generated;
  return {
    symbol,
    specJson,
    artifact: (bytes, meta) => {
      if (meta.files.artifact !== ARTIFACT_NAME) return undefined;
      const learned = baseline.get(meta.parts.compiler.version);
      return libraryProblem(bytes, { symbol, specJson, target: generated.target, ...(learned !== undefined ? { maxInitializers: learned } : {}) });
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
const NO_BASELINE: InitializerBaseline = { get: () => undefined };
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

export function cpuIdentity(): string {
  return `${process.arch} ${cpus()[0]?.model ?? 'unknown cpu'}`;
}

export interface Plan {
  readonly tool: Tool;
  readonly peer: CompilerPeer;
  readonly parts: KeyParts;
  readonly key: string;
}

/** The key this source would get here, and its named parts (finds and fingerprints the compiler, compiles nothing). */
export async function plan(generated: GeneratedSource, opts: BuildOptions): Promise<Plan> {
  const archs = opts.archs ?? [];
  if (generated.target === 'cuda' && archs.length === 0) throw new Error('internal: the CUDA target needs an arch');
  const useNvrtc = generated.target === 'cuda' && opts.compiler === 'nvrtc';
  if (useNvrtc && (archs.length !== 1 || opts.ptx)) throw new SpecError('options.compiler', 'nvrtc', "'nvcc' for several archs or PTX (an NVRTC build is a cubin for one arch)");
  // Fingerprints are remembered in the cache directory, so a hit in a new process runs no compiler.
  const store = opts.cache === false ? undefined : cacheRootOf(opts);
  let peer: CompilerPeer;
  let nvrtcVersion = '';
  if (useNvrtc) {
    const lib = nvrtc(opts.env);
    nvrtcVersion = lib.version;
    peer = nvrtcPeer(lib, { kind: 'nvrtc', path: lib.path, version: `NVRTC ${lib.version}`, environment: '' });
  } else peer = processPeer(generated.target === 'cuda' ? await findNvcc(opts.env, store) : await findCxx(opts.env, store));
  const tool = peer.fingerprint;
  const parts: KeyParts = {
    format: CACHE_FORMAT_VERSION,
    package: PACKAGE_VERSION,
    target: generated.target,
    sourceSha256: sha256(generated.source),
    compiler: { kind: tool.kind, version: tool.version, ...(tool.environment ? { environment: tool.environment } : {}) },
    flags: useNvrtc ? nvrtcOptions(archs[0]!, nvrtcVersion) : generated.target === 'cuda' ? nvccFlags(archs, opts.ptx) : cxxFlags(),
    arch: generated.target === 'cuda' ? [...archs, ...(opts.ptx ? ['ptx'] : [])].join('+') : cpuIdentity(),
  };
  return { tool, peer, parts, key: cacheKey(parts) };
}

function cacheRootOf(opts: BuildOptions): string {
  return opts.cacheDir === undefined ? defaultCacheDir(opts.env) : resolve(opts.cacheDir);
}

function identityFor(generated: GeneratedSource): string {
  return identityOf({ format: CACHE_FORMAT_VERSION, package: PACKAGE_VERSION, target: generated.target, sourceSha256: sha256(generated.source) });
}

function deviceArchOf(generated: GeneratedSource, opts: BuildOptions): string | undefined {
  return generated.target === 'cuda' ? opts.deviceArch ?? opts.archs?.[0] : cpuIdentity();
}

function artifactOf(entry: CacheEntry, origin: Artifact['origin'], compileMilliseconds = 0): Artifact {
  return { key: entry.meta.key, path: entry.artifactPath, parts: entry.meta.parts, origin, compileMilliseconds, meta: entry.meta };
}

/** A precompiled entry for this source that runs here: found without any compiler installed. */
export async function fromLayers(generated: GeneratedSource, opts: BuildOptions): Promise<Artifact | undefined> {
  const hit = await new PrecompiledTier(opts.precompiled ?? [], opts.log).get(requestFor(generated, opts, () => Promise.reject(new Error('internal: layers need no key'))));
  return hit && 'entry' in hit ? artifactOf(hit.entry, 'precompiled') : undefined;
}

function requestFor(generated: GeneratedSource, opts: BuildOptions, key: () => Promise<string>, baseline?: InitializerBaseline): TierRequest {
  return { identity: identityFor(generated), target: generated.target, arch: deviceArchOf(generated, opts), key, expect: expectationFor(generated, baseline) };
}

/** What the memory tier remembers a lookup by: everything the caller asked that decides the entry, without finding the compiler. */
function memoryKeyOf(generated: GeneratedSource, opts: BuildOptions): string {
  // The environment names the toolchain (CXX, DWCONV_JIT_NVCC, CUDA_HOME, PATH): an artifact one compiler
  // made is never served to a call that names another.
  return JSON.stringify([cacheRootOf(opts), identityFor(generated), generated.symbol, opts.archs ?? [], opts.ptx ?? false, opts.compiler ?? 'nvcc', opts.deviceArch ?? null, opts.precompiled ?? [], opts.env]);
}

const memory = new MemoryTier((r) => (r as TierRequest & { memo: string }).memo);
const inFlight = new Map<string, Promise<Artifact>>();

/** The remote tier, when one is configured: its code is imported only then (a process without one never loads it). */
async function remoteTierOf(opts: BuildOptions): Promise<RemoteCacheTier | undefined> {
  const source = opts.remote ?? opts.env;
  if (source.remoteCache === undefined) return undefined;
  return (await import('./cache/tiers/remote.js')).remoteCacheTier(source);
}

/**
 * The artifact for this source: the first tier that has it (memory ▸ precompiled layers ▸ the
 * user's disk cache ▸ the remote cache), else compiled by the planned compiler peer, committed to the
 * disk tier and published to the remote (one compile fleet-wide: under the remote's lock).
 * Every hit has passed the checks of docs/reliability.md (and a remote's, docs/remote-cache.md)
 * before it is returned.
 */
export async function buildArtifact(generated: GeneratedSource, opts: BuildOptions): Promise<Artifact> {
  throwIfAborted(opts.signal, 'compile');
  if (opts.cache === false) return compileUncached(generated, opts);
  const memo = memoryKeyOf(generated, opts);
  for (;;) {
    const pending = inFlight.get(memo);
    if (!pending) break;
    try {
      // Another call's lookup: this call's signal gives up only its own wait.
      return { ...(await untilAborted(pending, opts.signal, 'compile')), origin: 'memory', compileMilliseconds: 0 };
    } catch (err) {
      // That call was aborted, not this one: look again (and compile here if no one else does).
      if (!abortedElsewhere(err, opts.signal)) throw err;
    }
  }
  const promise = lookupOrCompile(generated, opts, memo);
  inFlight.set(memo, promise);
  // A failure is not remembered, and neither is a success: the memory tier holds those.
  void promise.then(() => inFlight.delete(memo), () => inFlight.delete(memo));
  return promise;
}

async function lookupOrCompile(generated: GeneratedSource, opts: BuildOptions, memo: string): Promise<Artifact> {
  let planned: Promise<Plan> | undefined;
  const planOnce = () => (planned ??= plan(generated, opts));
  const root = cacheRootOf(opts);
  const baseline = await baselineOf(root);
  const request = Object.assign(requestFor(generated, opts, async () => (await planOnce()).key, baseline), { memo });
  const disk = new DiskTier(await DiskCache.open(root));
  const tiers: Tier[] = [memory, new PrecompiledTier(opts.precompiled ?? [], opts.log), disk];
  let remote: RemoteCacheTier | undefined;
  const ask = async (tier: Tier): Promise<Artifact | undefined> => {
    const hit = await tier.get(request);
    debug('%s: %s %s', generated.symbol, tier.name, hit ? 'hit' : 'miss');
    if (!hit) return undefined;
    // A remote tier's entry is loaded from the disk tier it is committed to.
    const entry = 'entry' in hit ? hit.entry : await remote?.materialize(disk, request, hit.portable);
    if (!entry) return undefined;
    if (tier !== memory) await memory.put(request, entry);
    return artifactOf(entry, hit.origin);
  };
  for (const tier of tiers) {
    const found = await ask(tier);
    if (found) return found;
  }
  // Only a miss everywhere here loads the remote tier (and starts loading its Redis client): a local hit never pays for it.
  remote = await remoteTierOf(opts);
  if (remote) {
    tiers.push(remote);
    const found = await ask(remote);
    if (found) return found;
  }
  const { peer, parts, key } = await planOnce();
  const compileHere = () => withKeyLock(root, key, lockTimeoutMs(opts.env.lockTimeout), async () => {
    throwIfAborted(opts.signal, 'compile');
    // Another process may have compiled it while we waited for the lock.
    const built = await disk.get(request);
    if (built && 'entry' in built) {
      await memory.put(request, built.entry);
      return artifactOf(built.entry, 'disk');
    }
    const compiled = await compileInto(disk.cache, root, generated, peer, parts, key, opts, request.expect, baseline);
    for (const tier of tiers) await tier.put?.(request, compiled.entry);
    return artifactOf(compiled.entry, 'compiled', compiled.milliseconds);
  }, opts.signal);
  if (!remote) return compileHere();
  const shared = await remote.singleFlight(request, compileHere, opts.signal);
  if ('produced' in shared) return shared.produced;
  // Another process compiled it while we waited for the remote's lock.
  const entry = await remote.materialize(disk, request, shared.found.portable);
  if (!entry) return compileHere();
  await memory.put(request, entry);
  return artifactOf(entry, 'remote');
}

const signalOf = (opts: BuildOptions) => (opts.signal ? { signal: opts.signal } : {});

/** cache: false: a private temporary folder the caller owns; removed here if the compile fails. */
async function compileUncached(generated: GeneratedSource, opts: BuildOptions): Promise<Artifact> {
  const { peer, parts, key } = await plan(generated, opts);
  const work = await mkdtemp(join(tmpdir(), 'dwconv-jit-'));
  try {
    const out = await peer.compile(generated.source, { language: generated.language, flags: parts.flags, workDir: work, units: generated.units, ...signalOf(opts) });
    return { key, path: out.artifactPath, parts, origin: 'compiled', compileMilliseconds: out.milliseconds };
  } catch (err) {
    await rm(work, { recursive: true, force: true });
    throw err;
  }
}

async function compileInto(cache: DiskCache, root: string, generated: GeneratedSource, peer: CompilerPeer, parts: KeyParts, key: string, opts: BuildOptions, expect: EntryExpectation, baseline: Awaited<ReturnType<typeof baselineOf>>): Promise<{ entry: CacheEntry; milliseconds: number }> {
  opts.log?.(`compiling ${generated.symbol} with ${peer.fingerprint.path}`);
  debug('%s: compile %s started (%s)', generated.symbol, shortKey(key), peer.fingerprint.path);
  let milliseconds = 0;
  const entry = await cache.put(key, async (work) => {
    const out = await peer.compile(generated.source, { language: generated.language, flags: parts.flags, workDir: work, units: generated.units, ...signalOf(opts) });
    milliseconds = out.milliseconds;
    // Our own compiler's output, just made: what it carries is what this toolchain emits.
    if (out.artifactPath.endsWith(ARTIFACT_NAME)) {
      const count = initializerCount(await readFile(out.artifactPath));
      if (count !== undefined) await baseline.learn(parts.compiler.version, count);
    }
    return {
      parts,
      symbol: generated.symbol,
      spec: JSON.parse(generated.specJson) as unknown,
      variant: generated.variant,
      files: { source: SOURCE_NAME[generated.language], artifact: peer.fingerprint.kind === 'nvrtc' ? CUBIN_NAME : ARTIFACT_NAME },
      compilerPath: peer.fingerprint.path,
      compileMilliseconds: out.milliseconds,
    };
  }, expect);
  debug('%s: compile %s done in %d ms, committed to %s', generated.symbol, shortKey(key), Math.round(milliseconds), root);
  if (opts.env.cacheMaxSize !== undefined) {
    const pruned = await pruneCache(root, { maxBytes: parseSize('DWCONV_JIT_CACHE_MAX_SIZE', opts.env.cacheMaxSize), keep: key, recentMs: RECENT_MS });
    if (pruned.removed.length) opts.log?.(`pruned ${pruned.removed.length} cache entries to stay under ${opts.env.cacheMaxSize}`);
  }
  return { entry, milliseconds };
}
