import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { OverridePathError } from './errors.js';

/** Every environment variable the library reads, read here and nowhere else. */
export interface Environment {
  /** DWCONV_JIT_CACHE_DIR: the writable cache directory (default: the per-user cache dir). */
  readonly cacheDir: string | undefined;
  /** DWCONV_JIT_NVCC: an explicit nvcc binary, searched first. */
  readonly nvcc: string | undefined;
  /** CUDA_HOME, then CUDA_PATH: the toolkit root. */
  readonly cudaHome: string | undefined;
  /** DWCONV_JIT_CUDART: an explicit libcudart path, tried first. */
  readonly cudart: string | undefined;
  /** CXX: the C++ compiler for the CPU target. */
  readonly cxx: string | undefined;
  /** PATH, for toolchain discovery. */
  readonly path: string;
  /** DWCONV_JIT_TARGET: overrides target 'auto' ('cuda' | 'cpu'). */
  readonly target: string | undefined;
  /** DWCONV_JIT_CACHE_MAX_SIZE: a size ('2G'); after each compile the cache is pruned to it, least recently used first. */
  readonly cacheMaxSize: string | undefined;
  /** DWCONV_JIT_LOCK_TIMEOUT: milliseconds to wait for another live process compiling the same kernel (default 600000). */
  readonly lockTimeout: string | undefined;
  /** DWCONV_JIT_PRECOMPILED: read-only precompiled cache directories (PATH-style list), searched first. */
  readonly precompiled: readonly string[];
  /** DWCONV_JIT_NVRTC: an explicit libnvrtc path, tried first. */
  readonly nvrtc: string | undefined;
  /** DWCONV_JIT_BUNDLE_KEY: the HMAC key that `cache export` signs bundles with and `cache import` requires (unless --key-file). */
  readonly bundleKey: string | undefined;
  /** DWCONV_JIT_COMPILER: the default CUDA compiler when options.compiler is not given ('auto' | 'nvcc' | 'nvrtc'). */
  readonly compiler: string | undefined;
  /** DWCONV_JIT_REMOTE_CACHE: a redis:// or rediss:// URL of a shared remote cache (off when unset). */
  readonly remoteCache: string | undefined;
  /** DWCONV_JIT_REMOTE_KEY: the remote cache's shared secret (never logged); without one the remote stays off. */
  readonly remoteKey: string | undefined;
  /** DWCONV_JIT_REMOTE_KEY_FILE: a file holding that secret (not readable by others), instead of the variable. */
  readonly remoteKeyFile: string | undefined;
  /**
   * CUDA_VISIBLE_DEVICES, read (never set) by the library: device indices are positions in this list, so
   * a child process (the demo's PyTorch comparison) is shown the same GPU as `device: n` names here.
   */
  readonly cudaVisibleDevices: string | undefined;
}

export function readEnvironment(env: NodeJS.ProcessEnv = process.env): Environment {
  const nonEmpty = (v: string | undefined) => (v === undefined || v === '' ? undefined : v);
  return {
    cacheDir: nonEmpty(env.DWCONV_JIT_CACHE_DIR),
    nvcc: nonEmpty(env.DWCONV_JIT_NVCC),
    cudaHome: nonEmpty(env.CUDA_HOME) ?? nonEmpty(env.CUDA_PATH),
    cudart: nonEmpty(env.DWCONV_JIT_CUDART),
    cxx: nonEmpty(env.CXX),
    path: env.PATH ?? '',
    target: nonEmpty(env.DWCONV_JIT_TARGET),
    cacheMaxSize: nonEmpty(env.DWCONV_JIT_CACHE_MAX_SIZE),
    lockTimeout: nonEmpty(env.DWCONV_JIT_LOCK_TIMEOUT),
    precompiled: (env.DWCONV_JIT_PRECOMPILED ?? '').split(delimiter).filter(Boolean),
    nvrtc: nonEmpty(env.DWCONV_JIT_NVRTC),
    compiler: nonEmpty(env.DWCONV_JIT_COMPILER),
    bundleKey: nonEmpty(env.DWCONV_JIT_BUNDLE_KEY),
    remoteCache: nonEmpty(env.DWCONV_JIT_REMOTE_CACHE),
    remoteKey: nonEmpty(env.DWCONV_JIT_REMOTE_KEY),
    remoteKeyFile: nonEmpty(env.DWCONV_JIT_REMOTE_KEY_FILE),
    cudaVisibleDevices: env.CUDA_VISIBLE_DEVICES,
  };
}

/**
 * The variables that name one tool or library explicitly. When one is set, that tool is used or the
 * call fails with an OverridePathError naming the variable: an explicit choice is never silently
 * replaced by another tool found elsewhere.
 */
export const OVERRIDE_VARIABLES = { nvcc: 'DWCONV_JIT_NVCC', cxx: 'CXX', cudart: 'DWCONV_JIT_CUDART', nvrtc: 'DWCONV_JIT_NVRTC' } as const;

const PROGRAMS = ['nvcc', 'cxx'] as const;
const LIBRARIES = ['cudart', 'nvrtc'] as const;

function problemWithFile(path: string, executable: boolean): string | undefined {
  try {
    if (!statSync(path).isFile()) return 'is not a file';
    if (executable) accessSync(path, constants.X_OK);
    return undefined;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : executable ? 'is not an executable file' : 'cannot be read';
  }
}

/**
 * The overrides that point at nothing: a path (anything with a slash) that is not a file, or for the
 * two programs a bare name found nowhere on PATH. A bare library name (a soname such as
 * libcudart.so.12) is left to the dynamic loader, which reports its own failure when it is loaded.
 */
export function brokenOverrides(env: Environment): OverridePathError[] {
  const broken: OverridePathError[] = [];
  for (const tool of [...PROGRAMS, ...LIBRARIES]) {
    const value = env[tool];
    if (value === undefined) continue;
    const program = (PROGRAMS as readonly string[]).includes(tool);
    if (isAbsolute(value) || value.includes('/')) {
      const problem = problemWithFile(value, program);
      if (problem) broken.push(new OverridePathError(OVERRIDE_VARIABLES[tool], value, problem));
    } else if (program && !env.path.split(delimiter).filter(Boolean).some((dir) => problemWithFile(join(dir, value), true) === undefined)) {
      broken.push(new OverridePathError(OVERRIDE_VARIABLES[tool], value, 'is not a program on PATH'));
    }
  }
  return broken;
}

/** Throws the first broken override (see brokenOverrides): called before anything is searched or compiled. */
export function checkOverrides(env: Environment): void {
  const [first] = brokenOverrides(env);
  if (first) throw first;
}
