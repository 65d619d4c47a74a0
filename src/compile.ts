import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from './codegen/generate.js';
import type { GeneratedSource, Target } from './codegen/common.js';
import { normalizeVariant, type CudaVariant } from './codegen/variant.js';
import { readEnvironment, type Environment } from './env.js';
import { SpecError } from './errors.js';
import { normalizeArch } from './jit/arch.js';
import { buildArtifact, type Artifact } from './jit/build.js';
import { lockTimeoutMs } from './jit/key-lock.js';
import { parseSize } from './jit/prune.js';
import { Kernel, type KernelProvenance } from './runtime/kernel.js';
import { loadArtifact, loadCubin } from './runtime/library.js';
import { probeNvrtc } from './runtime/nvrtc.js';
import { CUBIN_NAME } from './jit/compilers.js';
import { cudaRuntime, probeGpu } from './runtime/cudart.js';
import { normalizeSpec, type KernelSpec } from './spec.js';

export interface CompileOptions {
  /** 'auto' (default): 'cuda' when a GPU is usable, else 'cpu'. DWCONV_JIT_TARGET overrides 'auto'. */
  readonly target?: 'auto' | Target;
  /**
   * CUDA compiler. 'auto' (default; DWCONV_JIT_COMPILER overrides it): for compile(), NVRTC when
   * libnvrtc loads (in-process, a cubin for the GPU in use), else nvcc; for build(), nvcc (a library
   * that can hold several archs and PTX). The kernel's provenance says which was used.
   */
  readonly compiler?: CompilerChoice;
  /** CUDA arch such as 'sm_90'; default: the arch of the current GPU. Required to build CUDA code without a GPU. */
  readonly arch?: string | number;
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
  /** Environment to read instead of process.env (for tests and embedding). */
  readonly env?: NodeJS.ProcessEnv;
}

export const COMPILERS = ['auto', 'nvcc', 'nvrtc'] as const;
export type CompilerChoice = (typeof COMPILERS)[number];

const OPTION_FIELDS = ['target', 'compiler', 'arch', 'cacheDir', 'cache', 'log', 'precompiled', 'variant', 'env'];

/** The package's own precompiled layer (`npm run precompile` fills it). */
export const PACKAGE_CACHE_DIR = fileURLToPath(new URL('../cache/', import.meta.url));

interface Resolved {
  readonly spec: KernelSpec;
  readonly target: Target;
  readonly arch: string | undefined;
  readonly env: Environment;
  readonly variant: CudaVariant | undefined;
  /** The CUDA compiler this call uses (nvcc for the CPU target, where it is unused). */
  readonly compiler: 'nvcc' | 'nvrtc';
  readonly options: CompileOptions;
  /** compile() (loads the kernel here) rather than build() (fills a cache). */
  readonly forLoading: boolean;
}

function resolve(specInput: unknown, options: CompileOptions, needDevice: boolean): Resolved {
  const spec = normalizeSpec(specInput);
  if (typeof options !== 'object' || options === null) throw new SpecError('options', options, 'an object');
  for (const key of Object.keys(options)) if (!OPTION_FIELDS.includes(key)) throw new SpecError(`options.${key}`, (options as Record<string, unknown>)[key], `known options: ${OPTION_FIELDS.join(', ')}`);
  const env = readEnvironment(options.env);
  // Environment settings fail here, before anything is compiled.
  if (env.cacheMaxSize !== undefined) parseSize('DWCONV_JIT_CACHE_MAX_SIZE', env.cacheMaxSize);
  lockTimeoutMs(env.lockTimeout);
  const requested = options.target ?? 'auto';
  if (!['auto', 'cuda', 'cpu'].includes(requested)) throw new SpecError('options.target', requested, "'auto' | 'cuda' | 'cpu'");
  const choice = options.compiler ?? env.compiler ?? 'auto';
  if (!(COMPILERS as readonly string[]).includes(choice)) {
    throw new SpecError(options.compiler === undefined ? 'DWCONV_JIT_COMPILER' : 'options.compiler', choice, COMPILERS.map((c) => `'${c}'`).join(' | '));
  }
  if (options.cache !== undefined && typeof options.cache !== 'boolean') throw new SpecError('options.cache', options.cache, 'true | false');
  if (options.cacheDir !== undefined && (typeof options.cacheDir !== 'string' || options.cacheDir === '')) throw new SpecError('options.cacheDir', options.cacheDir, 'a directory path');
  if (options.precompiled !== undefined && (!Array.isArray(options.precompiled) || options.precompiled.some((d) => typeof d !== 'string' || d === ''))) {
    throw new SpecError('options.precompiled', options.precompiled, 'an array of directory paths');
  }
  // Probed at most once: it loads the CUDA runtime and asks the driver.
  let gpu: ReturnType<typeof probeGpu> | undefined;
  const probe = () => (gpu ??= probeGpu(env));
  let target: Target;
  if (requested !== 'auto') target = requested;
  else if (env.target === 'cuda' || env.target === 'cpu') target = env.target;
  else if (env.target !== undefined) throw new SpecError('DWCONV_JIT_TARGET', env.target, "'cuda' | 'cpu'");
  else target = probe().ok ? 'cuda' : 'cpu';
  let arch = options.arch === undefined ? undefined : normalizeArch(options.arch);
  if (target === 'cuda' && (needDevice || arch === undefined)) {
    const found = probe();
    if (!found.ok) {
      if (needDevice) throw new SpecError('options.target', 'cuda', `a usable GPU (${found.reason}); use target 'cpu', or build() with an arch to compile without one`);
      throw new SpecError('options.arch', undefined, `an arch such as 'sm_90' (no GPU to read it from: ${found.reason})`);
    }
    arch ??= found.device.arch;
  }
  if (options.variant !== undefined && target !== 'cuda') throw new SpecError('options.variant', options.variant, "nothing: variants exist for target 'cuda' only");
  const variant = options.variant === undefined ? undefined : normalizeVariant(spec, options.variant);
  const compiler = choice === 'auto' ? (needDevice && target === 'cuda' && probeNvrtc(env).ok ? 'nvrtc' : 'nvcc') : (choice as 'nvcc' | 'nvrtc');
  return { spec, target, arch, env, variant, compiler, options, forLoading: needDevice };
}

async function buildFor(r: Resolved): Promise<{ generated: GeneratedSource; artifact: Artifact }> {
  const generated = generate(r.spec, r.target, r.variant);
  // compile() loads, so any precompiled layer that fits will do; build() is asked to fill the cache, so by default it does not look there.
  const precompiled = r.options.precompiled ?? (r.forLoading ? [...r.env.precompiled, PACKAGE_CACHE_DIR] : []);
  const artifact = await buildArtifact(generated, {
    env: r.env, ...(r.arch ? { archs: [r.arch], deviceArch: r.arch } : {}), precompiled,
    cacheDir: r.options.cacheDir, cache: r.options.cache, log: r.options.log, compiler: r.compiler,
  });
  return { generated, artifact };
}

/**
 * Generates, compiles (or finds in the cache) and loads the kernel for one spec.
 *
 *     const k = await compile({ kernelSize: 3 });
 *     const y = await k.run(x, [N, C, H, W], w);
 */
export async function compile(specInput: unknown, options: CompileOptions = {}): Promise<Kernel> {
  const r = resolve(specInput, options, true);
  const { generated, artifact } = await buildFor(r);
  // The runtime first (the artifact must bind to the instance we call) and its context, which a cubin
  // load needs and a library's first launch would create: outside the load time, so both report the same thing.
  if (r.target === 'cuda') cudaRuntime(r.env).ensureContext();
  const started = performance.now();
  const cubin = artifact.path.endsWith(CUBIN_NAME);
  const loaded = cubin
    ? loadCubin(artifact.path, r.env, generated.plan!, r.spec, generated.symbol, artifact.parts.compiler.version)
    : loadArtifact(artifact.path, generated.symbol, r.target, generated.specJson);
  const loadMilliseconds = performance.now() - started;
  // Uncached: the library stays mapped after its private folder is gone.
  if (r.options.cache === false) await rm(dirname(artifact.path), { recursive: true, force: true });
  return new Kernel(r.spec, r.target, {
    key: artifact.key,
    symbol: generated.symbol,
    artifactPath: artifact.path,
    origin: artifact.origin,
    compileMilliseconds: artifact.compileMilliseconds,
    loadMilliseconds,
    variant: generated.variant,
    compiler: artifact.parts.compiler.kind as KernelProvenance['compiler'],
  }, loaded, r.env);
}

/**
 * Compiles into the cache without loading: works for CUDA without a GPU when `arch` is given.
 * With `cache: false` the artifact lies in a fresh temporary folder that the caller owns.
 */
export async function build(specInput: unknown, options: CompileOptions = {}): Promise<Artifact> {
  return (await buildFor(resolve(specInput, options, false))).artifact;
}
