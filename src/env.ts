import { delimiter } from 'node:path';

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
  /** DWCONV_JIT_COMPILER: the default CUDA compiler when options.compiler is not given ('auto' | 'nvcc' | 'nvrtc'). */
  readonly compiler: string | undefined;
  /** DWCONV_JIT_REMOTE_CACHE: a redis:// or rediss:// URL of a shared remote cache (off when unset). */
  readonly remoteCache: string | undefined;
  /** DWCONV_JIT_REMOTE_KEY: the remote cache's shared secret (never logged); without one the remote stays off. */
  readonly remoteKey: string | undefined;
  /** DWCONV_JIT_REMOTE_KEY_FILE: a file holding that secret (not readable by others), instead of the variable. */
  readonly remoteKeyFile: string | undefined;
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
    remoteCache: nonEmpty(env.DWCONV_JIT_REMOTE_CACHE),
    remoteKey: nonEmpty(env.DWCONV_JIT_REMOTE_KEY),
    remoteKeyFile: nonEmpty(env.DWCONV_JIT_REMOTE_KEY_FILE),
  };
}
