// Compile options resolved once: compile(), build(), explain(), compileTuned(), the demo and the bench
// all go through resolveOptions, so a target, arch or compiler means the same thing everywhere.
import { fileURLToPath } from 'node:url';
import { backendFor, type Backend } from './backends/registry.js';
import { normalizeVariant, type CudaVariant } from './codegen/variant.js';
import { normalizeArch } from './compiler/arch.js';
import { lockTimeoutMs } from './cache/lock-timeout.js';
import { parseSize } from './cache/sizes.js';
import type { RemoteSource } from './cache/remote/config.js';
import { checkOverrides, readEnvironment, type Environment } from './env.js';
import { parseCudaDevice, type CudaDeviceChoice } from './device.js';
import { checkSignal, throwIfAborted } from './abort.js';
import { SpecError } from './errors.js';
import { normalizeSpec, type KernelSpec } from './spec.js';
import { isTarget, type Target, type TargetChoice } from './target.js';

export const COMPILERS = ['auto', 'nvcc', 'nvrtc'] as const;
export type CompilerChoice = (typeof COMPILERS)[number];

/** A remote cache named in code instead of (or beside) the variables; each field left out is read from its variable. */
export interface RemoteCacheOptions {
  /** `redis://` or `rediss://` URL with its options (docs/remote-cache.md); default DWCONV_JIT_REMOTE_CACHE. */
  readonly url?: string;
  /** The fleet's shared secret, at least 16 bytes; default DWCONV_JIT_REMOTE_KEY. Never logged. */
  readonly key?: string;
  /** A file holding the secret (not readable by others), instead of `key`; default DWCONV_JIT_REMOTE_KEY_FILE. */
  readonly keyFile?: string;
}

export interface CompileOptions {
  /** 'auto' (default): 'cuda' when a GPU is usable, else 'cpu'. DWCONV_JIT_TARGET overrides 'auto'. */
  readonly target?: TargetChoice;
  /**
   * CUDA compiler. 'auto' (default; DWCONV_JIT_COMPILER overrides it): for compile(), NVRTC when
   * libnvrtc loads (in-process, a cubin for the GPU in use), else nvcc; for build(), nvcc (a library
   * that can hold several archs and PTX). The kernel's provenance says which was used.
   */
  readonly compiler?: CompilerChoice;
  /** CUDA arch such as 'sm_90'; default: the arch of the GPU in use (`device`). Required to build CUDA code without a GPU. */
  readonly arch?: string | number;
  /**
   * CUDA: the GPU to load the kernel on and to read the arch from, by index (1) or as 'cuda:1'; default
   * (or 'cuda'): the calling thread's current device, 0 unless cudaSetDevice chose another. The kernel
   * takes only tensors of its device (Kernel.deviceIndex); compile once per device to use several.
   * An index this machine has no device for is refused.
   */
  readonly device?: CudaDeviceChoice;
  /** Writable cache directory; default DWCONV_JIT_CACHE_DIR, else the per-user cache directory. */
  readonly cacheDir?: string;
  /** false: neither read nor write the cache (compile into a private temporary folder). Default true. */
  readonly cache?: boolean;
  /** Progress messages (compiler invocations and the like). */
  readonly log?: (message: string) => void;
  /**
   * Read-only precompiled cache directories searched before the writable cache; an entry is used
   * only if it embeds code for the GPU in use. Default for compile(): DWCONV_JIT_PRECOMPILED, then the
   * package's cache/; for build(), none (it is asked to fill the cache).
   */
  readonly precompiled?: readonly string[];
  /** CUDA only: force a kernel family and tile (see allVariants); default: chosen by heuristic. */
  readonly variant?: CudaVariant;
  /**
   * The shared remote cache (Redis), asked after the local tiers: a verified entry from it is used
   * instead of compiling, and a compile here is published to it (docs/remote-cache.md). Default: the
   * variables DWCONV_JIT_REMOTE_CACHE and DWCONV_JIT_REMOTE_KEY (or _FILE). false: none for this call.
   * Without a secret, or with a URL that does not parse, it is off and one warning says why; an
   * unreachable remote costs at most its timeout, once per back-off period.
   */
  readonly remoteCache?: false | RemoteCacheOptions;
  /** Environment to read instead of process.env (for tests and embedding). */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Stops the call: it rejects with an AbortError (code ERR_DWCONV_ABORTED, `cause` the signal's
   * reason) at once when the signal is already aborted, and promptly when it fires while waiting for
   * another process's compile lock or while a compiler runs (nvcc and the C++ compiler are killed; an
   * NVRTC compile, in-process, is let finish and its result dropped). Nothing partial is kept: no
   * cache entry, no temporary folder, no lock; a later call compiles afresh.
   */
  readonly signal?: AbortSignal;
}

const OPTION_FIELDS: readonly (keyof CompileOptions)[] = ['target', 'compiler', 'arch', 'device', 'cacheDir', 'cache', 'log', 'precompiled', 'variant', 'remoteCache', 'env', 'signal'];
const REMOTE_FIELDS: readonly (keyof RemoteCacheOptions)[] = ['url', 'key', 'keyFile'];

/** The package's own precompiled layer (`npm run precompile` fills it). */
export const PACKAGE_CACHE_DIR = fileURLToPath(new URL('../cache/', import.meta.url));

/** What a call does with the kernel: load it here, fill a cache, or only ask where it would come from. */
export type Purpose = 'load' | 'build' | 'explain';

export interface ResolvedOptions {
  readonly spec: KernelSpec;
  readonly target: Target;
  readonly backend: Backend;
  /** CUDA: the arch to build for (the GPU's unless given); undefined for the CPU. */
  readonly arch: string | undefined;
  /** CUDA: the device index a load uses (always set for purpose 'load'); for a build or explain, the one asked for, if any. Undefined for the CPU. */
  readonly device: number | undefined;
  readonly env: Environment;
  readonly variant: CudaVariant | undefined;
  /** The CUDA compiler this call uses (nvcc for the CPU target, where it is unused). */
  readonly compiler: 'nvcc' | 'nvrtc';
  /** Precompiled layers to search, in order. */
  readonly precompiled: readonly string[];
  readonly cacheDir: string | undefined;
  readonly cache: boolean;
  readonly log: ((message: string) => void) | undefined;
  /** The remote cache's URL and secret (all undefined: no remote). */
  readonly remote: RemoteSource;
  readonly purpose: Purpose;
  readonly signal: AbortSignal | undefined;
}

function checkOptionFields(options: CompileOptions): void {
  if (typeof options !== 'object' || options === null) throw new SpecError('options', options, 'an object');
  for (const key of Object.keys(options)) {
    if (!(OPTION_FIELDS as readonly string[]).includes(key)) throw new SpecError(`options.${key}`, (options as Record<string, unknown>)[key], `known options: ${OPTION_FIELDS.join(', ')}`);
  }
  if (options.cache !== undefined && typeof options.cache !== 'boolean') throw new SpecError('options.cache', options.cache, 'true | false');
  if (options.cacheDir !== undefined && (typeof options.cacheDir !== 'string' || options.cacheDir === '')) throw new SpecError('options.cacheDir', options.cacheDir, 'a directory path');
  if (options.precompiled !== undefined && (!Array.isArray(options.precompiled) || options.precompiled.some((d) => typeof d !== 'string' || d === ''))) {
    throw new SpecError('options.precompiled', options.precompiled, 'an array of directory paths');
  }
  if (options.log !== undefined && typeof options.log !== 'function') throw new SpecError('options.log', options.log, 'a function (message: string) => void');
  checkSignal('options.signal', options.signal);
  const remote: unknown = options.remoteCache;
  if (remote !== undefined && remote !== false) {
    if (typeof remote !== 'object' || remote === null || Array.isArray(remote)) throw new SpecError('options.remoteCache', remote, 'false | { url?, key?, keyFile? }');
    for (const [field, value] of Object.entries(remote)) {
      if (!(REMOTE_FIELDS as readonly string[]).includes(field)) throw new SpecError(`options.remoteCache.${field}`, value, `known fields: ${REMOTE_FIELDS.join(', ')}`);
      // The value is not echoed back: it may be the secret.
      if (value !== undefined && (typeof value !== 'string' || value === '')) throw new SpecError(`options.remoteCache.${field}`, typeof value, 'a non-empty string');
    }
    const given = remote as RemoteCacheOptions;
    if (given.key !== undefined && given.keyFile !== undefined) throw new SpecError('options.remoteCache', '(key and keyFile)', 'one of key and keyFile');
  }
}

/** The remote this call uses: the option's fields where given, else the variables'; none with `false`. */
function remoteSourceOf(option: CompileOptions['remoteCache'], env: Environment): RemoteSource {
  if (option === false) return { remoteCache: undefined, remoteKey: undefined, remoteKeyFile: undefined };
  const secret = option?.key !== undefined || option?.keyFile !== undefined ? { remoteKey: option.key, remoteKeyFile: option.keyFile } : { remoteKey: env.remoteKey, remoteKeyFile: env.remoteKeyFile };
  return { remoteCache: option?.url ?? env.remoteCache, ...secret };
}

/** The target 'auto' means here: DWCONV_JIT_TARGET when set, else CUDA when a GPU is usable. */
export function resolveTarget(requested: unknown, env: Environment): Target {
  const choice = requested ?? 'auto';
  if (choice !== 'auto' && !isTarget(choice)) throw new SpecError('options.target', choice, "'auto' | 'cuda' | 'cpu'");
  if (choice !== 'auto') return choice;
  if (env.target !== undefined) {
    if (!isTarget(env.target)) throw new SpecError('DWCONV_JIT_TARGET', env.target, "'cuda' | 'cpu'");
    return env.target;
  }
  return backendFor('cuda').probe(env).ok ? 'cuda' : 'cpu';
}

/** Every option of a compile-like call checked and given its default, once. */
export function resolveOptions(specInput: unknown, options: CompileOptions, purpose: Purpose): ResolvedOptions {
  const spec = normalizeSpec(specInput);
  checkOptionFields(options);
  // An aborted call does no work at all: no GPU probe, no compiler search.
  throwIfAborted(options.signal, purpose === 'build' ? 'build' : 'compile');
  const env = readEnvironment(options.env);
  // Environment settings fail here, before anything is compiled.
  checkOverrides(env);
  if (env.cacheMaxSize !== undefined) parseSize('DWCONV_JIT_CACHE_MAX_SIZE', env.cacheMaxSize);
  lockTimeoutMs(env.lockTimeout);
  const choice = options.compiler ?? env.compiler ?? 'auto';
  if (!(COMPILERS as readonly string[]).includes(choice)) {
    throw new SpecError(options.compiler === undefined ? 'DWCONV_JIT_COMPILER' : 'options.compiler', choice, COMPILERS.map((c) => `'${c}'`).join(' | '));
  }
  const target = resolveTarget(options.target, env);
  const backend = backendFor(target);
  // Both inputs checked before any GPU is asked about them.
  const givenArch = options.arch === undefined ? undefined : normalizeArch(options.arch);
  const requested = options.device === undefined ? undefined : parseCudaDevice('options.device', options.device);
  const device = backend.deviceFor(requested, env, purpose === 'load');
  const arch = backend.archFor(givenArch, env, purpose === 'load', device);
  if (options.variant !== undefined && target !== 'cuda') throw new SpecError('options.variant', options.variant, "nothing: variants exist for target 'cuda' only");
  const variant = options.variant === undefined ? undefined : normalizeVariant(spec, options.variant);
  const compiler = backend.cudaCompiler(choice as CompilerChoice, env, purpose);
  // Loading (and asking where a load would come from) may use any precompiled layer that fits; build()
  // is asked to fill the cache, so by default it does not look there.
  const precompiled = options.precompiled ?? (purpose === 'build' ? [] : [...env.precompiled, PACKAGE_CACHE_DIR]);
  const remote = remoteSourceOf(options.remoteCache, env);
  return { spec, target, backend, arch, device, env, variant, compiler, precompiled, cacheDir: options.cacheDir, cache: options.cache !== false, log: options.log, remote, purpose, signal: options.signal };
}
