import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { symbolOf, type GeneratedSource, type SourceRef } from './codegen/common.js';
import { debug } from './debug.js';
import { PACKAGE_VERSION } from './version.js';
import { abortedElsewhere, throwIfAborted, untilAborted } from './abort.js';
import type { Artifact, BuildOptions, EarlyArtifact } from './artifact.js';
import { Kernel, type KernelProvenance } from './runtime/kernel.js';
import { canonicalJson, type SpecInput } from './spec.js';
import { resolveOptions, type CompileOptions, type ResolvedOptions } from './options.js';

export { COMPILERS, PACKAGE_CACHE_DIR, type CompileOptions, type CompilerChoice, type RemoteCacheOptions } from './options.js';

/** Where the artifact is looked up, compiled and kept. */
function buildOptionsOf(r: ResolvedOptions): BuildOptions {
  return {
    env: r.env, ...(r.arch ? { archs: [r.arch], deviceArch: r.arch } : {}), precompiled: r.precompiled,
    cacheDir: r.cacheDir, cache: r.cache, log: r.log, compiler: r.compiler, remote: r.remote, ...(r.signal ? { signal: r.signal } : {}),
  };
}

let hitModulesLoading: ReturnType<typeof loadHitModules> | undefined;
/** What a remembered hit needs, and no more: loaded side by side (one graph's file reads overlap the other's), once. */
const loadHitModules = () => Promise.all([import('./cache/source-index.js'), import('./cache/key-plan.js'), import('./cache/verified-hits.js')]);
const hitModules = () => (hitModulesLoading ??= loadHitModules());

/** The first part of a compile whose later programs still compile, and the source it is of. */
interface Early {
  readonly generated: GeneratedSource;
  readonly early: EarlyArtifact;
}

async function buildFor(r: ResolvedOptions, onEarly?: (e: Early) => void): Promise<{ generated: SourceRef; artifact: Artifact }> {
  const opts = buildOptionsOf(r);
  const optsFor = (generated: GeneratedSource): BuildOptions => (onEarly ? { ...opts, onEarly: (early) => onEarly({ generated, early }) } : opts);
  if (!r.cache) {
    const generated = generateFor(r);
    return { generated, artifact: await (await import('./artifact.js')).buildArtifact(generated, optsFor(generated)) };
  }
  // A source generated before (by this version of the generator) is known by its sha256: a local hit needs no rendering.
  const [{ sourceIndex }, { cacheRootOf }, { rememberedArtifact }] = await hitModules();
  const index = sourceIndex(cacheRootOf(opts), PACKAGE_VERSION);
  const query = { target: r.target, specJson: canonicalJson(r.spec), symbol: symbolOf(r.spec, r.target), variant: r.variant };
  const summary = await index.get(query);
  if (summary) {
    // An entry checked in full by an earlier process, its files unchanged since: the cache code is not even loaded.
    const remembered = await rememberedArtifact(summary, opts);
    debug('%s: source index hit, %s', summary.symbol, remembered ? 'remembered disk hit' : 'no remembered hit');
    if (remembered) return { generated: summary, artifact: remembered };
  }
  // The cache and compiler code loads with the first full lookup, not with the package.
  const { buildArtifact, findCached } = await import('./artifact.js');
  if (summary) {
    const found = await findCached(summary, opts);
    debug('%s: summary lookup: %s', summary.symbol, found ? `served from ${found.origin}` : 'no local entry: generating');
    if (found) return { generated: summary, artifact: found };
  }
  const generated = generateFor(r);
  const artifact = await buildArtifact(generated, optsFor(generated));
  await index.put(query, generated);
  return { generated, artifact };
}

function generateFor(r: ResolvedOptions): GeneratedSource {
  debug('%s: generating source', symbolOf(r.spec, r.target));
  return r.backend.generate(r.spec, r.variant);
}

/**
 * Kernels loaded in this process, by everything that decides which kernel compile() returns: the
 * tier in front of codegen, so a second compile() of a known spec neither generates nor hashes.
 */
const loaded = new Map<string, Promise<Kernel>>();

function memoKey(r: ResolvedOptions): string {
  // The whole environment: it names the toolchain and the cache (CXX, DWCONV_JIT_NVCC, CUDA_HOME, PATH, ...).
  return JSON.stringify([canonicalJson(r.spec), r.target, r.arch ?? '', r.device ?? null, r.compiler, r.variant ?? null, r.cacheDir ?? '', r.precompiled, r.env]);
}

async function load(r: ResolvedOptions): Promise<Kernel> {
  let offer: (e: Early) => void = () => undefined;
  const offered = new Promise<Early>((resolve) => (offer = resolve));
  const building = buildFor(r, r.backend.loadEarly ? offer : undefined);
  // A build whose later programs still compile offers its first cubins: the kernel loads those now.
  const first = await Promise.race([building.then((built) => ({ built })), offered.then((early) => ({ early }))]);
  if ('early' in first) return loadEarly(r, first.early, building);
  const { generated, artifact } = first.built;
  // Aborted once the artifact was whole: nothing is loaded (a cached entry stays, it is complete; a private one goes).
  if (r.signal?.aborted) {
    if (!r.cache) await rm(dirname(artifact.path), { recursive: true, force: true });
    throwIfAborted(r.signal, 'compile');
  }
  // The target first (the artifact must bind to the CUDA runtime instance we call, in its context):
  // outside the load time, so cubins and libraries report the same thing.
  r.backend.prepare(r.env, r.device);
  const started = performance.now();
  const artifactLoaded = r.backend.load(artifact.path, generated, r.spec, r.env, artifact.parts.compiler.version, r.device);
  const loadMilliseconds = performance.now() - started;
  // Uncached: the library stays mapped after its private folder is gone.
  if (!r.cache) await rm(dirname(artifact.path), { recursive: true, force: true });
  return new Kernel(r.spec, r.target, {
    key: artifact.key,
    symbol: generated.symbol,
    artifactPath: artifact.path,
    origin: artifact.origin,
    compileMilliseconds: artifact.compileMilliseconds,
    loadMilliseconds,
    variant: generated.variant,
    compiler: artifact.parts.compiler.kind as KernelProvenance['compiler'],
  }, artifactLoaded, r.env, r.device);
}

/**
 * A kernel from the first part of a build (Early) while `building` compiles the rest and commits the
 * whole artifact. Its completion (Kernel.whenComplete) is the later entries loaded and the build
 * done; a failure there is logged, and the kernel goes on without those entries.
 */
function loadEarly(r: ResolvedOptions, { generated, early }: Early, building: Promise<{ artifact: Artifact }>): Kernel {
  const settled = building.then(async ({ artifact }) => {
    // Uncached: the private folder goes once the whole artifact is written (nothing loads it: the kernel holds its modules).
    if (!r.cache) await rm(dirname(artifact.path), { recursive: true, force: true });
  });
  // Heard below once a kernel holds it; if none is made (an abort, a failed load), nobody waits for the rest.
  settled.catch(() => undefined);
  // An abort seen once the first part was whole: the rest completes (and is committed) in the background.
  throwIfAborted(r.signal, 'compile');
  r.backend.prepare(r.env, r.device);
  const started = performance.now();
  const loaded = r.backend.loadEarly!(early, generated, r.spec, r.env, r.device);
  const loadMilliseconds = performance.now() - started;
  const compiledLater = [...early.laterEntries];
  debug('%s: loaded %d programs after %d ms; %s compile on', generated.symbol, early.cubins.length, Math.round(early.milliseconds), compiledLater.join(', '));
  const complete = Promise.all([loaded.complete, settled]).then(() => debug('%s: its later programs are loaded and the artifact is whole', generated.symbol));
  complete.catch((err: unknown) => {
    const why = `${generated.symbol}: its later programs did not load (${(err as Error).message.split('\n')[0]}); the plan's other entries take their calls`;
    debug('%s', why);
    r.log?.(why);
  });
  return new Kernel(r.spec, r.target, {
    key: early.key,
    symbol: generated.symbol,
    artifactPath: early.path,
    origin: 'compiled',
    compileMilliseconds: early.milliseconds,
    loadMilliseconds,
    variant: generated.variant,
    compiler: 'nvrtc',
    compiledLater,
  }, { ...loaded, complete }, r.env, r.device);
}

/**
 * Generates, compiles (or finds in the cache) and loads the kernel for one spec.
 *
 *     const k = await compile({ kernelSize: 3 });
 *     const y = await k.run(x, [N, C, H, W], w);
 */
export async function compile(specInput: SpecInput, options: CompileOptions = {}): Promise<Kernel> {
  // Started before the options are checked, so that the loader's file reads overlap that work (a failure surfaces where they are awaited).
  if (options.cache !== false) hitModules().catch(() => undefined);
  const r = resolveOptions(specInput, options, 'load');
  if (!r.cache) return load(r);
  const key = memoKey(r);
  for (;;) {
    const known = loaded.get(key);
    if (!known) break;
    try {
      // Another call's load: this call's signal gives up only its own wait.
      return (await untilAborted(known, r.signal, 'compile')).fromMemory();
    } catch (err) {
      // That call was aborted, not this one: look again (and load here if no one else does).
      if (!abortedElsewhere(err, r.signal)) throw err;
    }
  }
  const pending = load(r);
  loaded.set(key, pending);
  pending.catch(() => loaded.delete(key)); // a failure is not remembered: the next call tries again
  return pending;
}

/**
 * Compiles into the cache without loading: works for CUDA without a GPU when `arch` is given.
 * With `cache: false` the artifact lies in a fresh temporary folder that the caller owns.
 */
export async function build(specInput: SpecInput, options: CompileOptions = {}): Promise<Artifact> {
  return (await buildFor(resolveOptions(specInput, options, 'build'))).artifact;
}
