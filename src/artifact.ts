import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GeneratedSource, SourceRef } from './codegen/common.js';
import type { Environment } from './env.js';
import { debug, shortKey } from './debug.js';
import { PACKAGE_VERSION } from './version.js';
import { abortedElsewhere, throwIfAborted, untilAborted } from './abort.js';
import { ARTIFACT_NAME, CUBIN_NAME, SOURCE_NAME, type CompileRequest, type CompilerPeer } from './compiler/compilers.js';
import type { EarlyCubins } from './compiler/cubin-set.js';
import { DiskCache, type CacheEntry, type EntryExpectation, type EntryMeta } from './cache/disk-cache.js';
import { initializerCount, libraryProblem } from './cache/library-check.js';
import { baselineOf, NO_BASELINE, type InitializerBaseline } from './compiler/fingerprint-store.js';
import { CACHE_FORMAT_VERSION, type KeyParts } from './cache/key.js';
import { lockTimeoutMs, withKeyLock } from './cache/key-lock.js';
import { identityOf } from './cache/layers.js';
import { parseSize, pruneCache, RECENT_MS } from './cache/prune.js';
import { DiskTier } from './cache/tiers/disk.js';
import { MemoryTier } from './cache/tiers/memory.js';
import { PrecompiledTier } from './cache/tiers/precompiled.js';
import type { RemoteSource } from './cache/remote/config.js';
import type { RemoteCacheTier } from './cache/tiers/remote.js';
import type { Tier, TierRequest } from './cache/tiers/tier.js';

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
  /**
   * Called when an NVRTC build whose source has programs that compile later (CompileUnit.later) has
   * compiled the others: a kernel can load those now (compile() does). The build goes on and
   * resolves to the whole artifact, committed as usual; the signal no longer stops it.
   */
  readonly onEarly?: (early: EarlyArtifact) => void;
}

/** The first part of an artifact still compiling (BuildOptions.onEarly). */
export interface EarlyArtifact extends EarlyCubins {
  readonly key: string;
  readonly parts: KeyParts;
  /** Where the whole artifact will lie once its later programs are compiled. */
  readonly path: string;
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
export function expectationFor(generated: SourceRef, baseline: InitializerBaseline = NO_BASELINE): EntryExpectation {
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

export { baselineOf, type InitializerBaseline } from './compiler/fingerprint-store.js';
import { cacheRootOf, cpuIdentity, plan, sourceShaOf, type Plan } from './cache/key-plan.js';
import { targetBuild } from './compiler/target-builds.js';

export { cacheRootOf, cpuIdentity, plan, type Plan };

function identityFor(generated: SourceRef): string {
  return identityOf({ format: CACHE_FORMAT_VERSION, package: PACKAGE_VERSION, target: generated.target, sourceSha256: sourceShaOf(generated) });
}

function deviceArchOf(generated: SourceRef, opts: BuildOptions): string | undefined {
  return targetBuild(generated.target).runsOn(opts.archs, opts.deviceArch);
}

function artifactOf(entry: CacheEntry, origin: Artifact['origin'], compileMilliseconds = 0): Artifact {
  return { key: entry.meta.key, path: entry.artifactPath, parts: entry.meta.parts, origin, compileMilliseconds, meta: entry.meta };
}

/** A precompiled entry for this source that runs here: found without any compiler installed. */
export async function fromLayers(generated: SourceRef, opts: BuildOptions): Promise<Artifact | undefined> {
  const hit = await new PrecompiledTier(opts.precompiled ?? [], opts.log).get(requestFor(generated, opts, () => Promise.reject(new Error('internal: layers need no key'))));
  return hit && 'entry' in hit ? artifactOf(hit.entry, 'precompiled') : undefined;
}

function requestFor(generated: SourceRef, opts: BuildOptions, key: () => Promise<string>, baseline?: InitializerBaseline): TierRequest {
  return { identity: identityFor(generated), target: generated.target, arch: deviceArchOf(generated, opts), key, expect: expectationFor(generated, baseline) };
}

/** What the memory tier remembers a lookup by: everything the caller asked that decides the entry, without finding the compiler. */
function memoryKeyOf(generated: SourceRef, opts: BuildOptions): string {
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

/** A disk hit that passed every check, remembered by its files' identities for the next process (verified-hits.ts). */
async function rememberDiskHit(generated: SourceRef, opts: BuildOptions, entry: CacheEntry, baseline: InitializerBaseline): Promise<void> {
  const { rememberHit } = await import('./cache/verified-hits.js');
  const q = { parts: entry.meta.parts, symbol: generated.symbol, specJson: generated.specJson, learnedInitializers: baseline.get(entry.meta.parts.compiler.version), precompiled: opts.precompiled ?? [] };
  await rememberHit(cacheRootOf(opts), q, entry);
}

/**
 * The artifact for this source from the local tiers (memory ▸ precompiled layers ▸ the user's disk
 * cache), checked as every hit is, or undefined: nothing is compiled, no remote is asked. A source
 * known only by its sha256 (a summary) is looked up here; a miss generates it and calls buildArtifact.
 */
export async function findCached(generated: SourceRef, opts: BuildOptions): Promise<Artifact | undefined> {
  throwIfAborted(opts.signal, 'compile');
  if (opts.cache === false) return undefined;
  const root = cacheRootOf(opts);
  const baseline = await baselineOf(root);
  let planned: Promise<Plan> | undefined;
  const request = Object.assign(requestFor(generated, opts, async () => (planned ??= plan(generated, opts)).then((p) => p.key), baseline), { memo: memoryKeyOf(generated, opts) });
  for (const tier of [memory, new PrecompiledTier(opts.precompiled ?? [], opts.log)]) {
    const hit = await tier.get(request);
    debug('%s: %s %s', generated.symbol, tier.name, hit && 'entry' in hit ? 'hit' : 'miss');
    if (!hit || !('entry' in hit)) continue;
    if (tier !== memory) await memory.put(request, hit.entry);
    return artifactOf(hit.entry, hit.origin);
  }
  // The disk tier's checks, without its repair: an entry refused here is left to the full lookup,
  // which decides with the sha256 of source it generated (a wrong summary never removes a sound entry).
  const cache = await DiskCache.open(root);
  const key = await request.key();
  const found = await cache.inspect(key, request.expect);
  debug('%s: disk %s%s', generated.symbol, found.entry ? 'hit' : 'miss', found.problem && found.problem !== 'missing' ? ` (${found.problem}; left to the full lookup)` : '');
  if (!found.entry) return undefined;
  await cache.recordUse(key);
  await memory.put(request, found.entry);
  await rememberDiskHit(generated, opts, found.entry, baseline);
  return artifactOf(found.entry, 'disk');
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
    if (tier === disk) await rememberDiskHit(generated, opts, entry, baseline);
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

/** The compile request's early hook for a build whose whole artifact will lie at `path`. */
function earlyOf(opts: BuildOptions, key: string, parts: KeyParts, path: string): Pick<CompileRequest, 'onEarly'> {
  const onEarly = opts.onEarly;
  return onEarly ? { onEarly: (early) => onEarly({ ...early, key, parts, path }) } : {};
}

/** cache: false: a private temporary folder the caller owns; removed here if the compile fails. */
async function compileUncached(generated: GeneratedSource, opts: BuildOptions): Promise<Artifact> {
  const { peer, parts, key } = await plan(generated, opts);
  const work = await mkdtemp(join(tmpdir(), 'dwconv-jit-'));
  try {
    const out = await peer.compile(generated.source, { language: generated.language, flags: parts.flags, workDir: work, units: generated.units, ...signalOf(opts), ...earlyOf(opts, key, parts, join(work, CUBIN_NAME)) });
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
    const early = earlyOf(opts, key, parts, join(cache.entryDir(key), CUBIN_NAME));
    const out = await peer.compile(generated.source, { language: generated.language, flags: parts.flags, workDir: work, units: generated.units, ...signalOf(opts), ...early });
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
