// The environment a compiler child process gets: an allow-list, never the caller's whole environment.
// Variables such as CPATH, CPLUS_INCLUDE_PATH, GCC_EXEC_PREFIX, COMPILER_PATH, LIBRARY_PATH,
// NVCC_PREPEND_FLAGS, NVCC_APPEND_FLAGS, NVCC_CCBIN or LD_PRELOAD change what gets built without
// changing the cache key, so none of them reaches the compiler. What is left that can change the
// output (the search PATH, which picks the assembler, linker and nvcc's host compiler) is fixed,
// derived from the compiler's own location, and recorded in the key as `compiler.environment`.
import { dirname } from 'node:path';

/** Searched after the compiler's own folder: where the system's binutils and host compilers live. */
const SYSTEM_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** PATH for a compiler at `compilerPath`: its own folder first, then the system folders. */
export function compilerSearchPath(compilerPath: string): string {
  return [...new Set([dirname(compilerPath), ...SYSTEM_PATH])].join(':');
}

/** The variables passed through unchanged: none of them changes what a compiler builds. */
const PASSED = ['HOME', 'USER', 'LOGNAME'] as const;

/**
 * The whole environment of a compiler run. TMPDIR is the private work folder (the compiler's
 * temporary files go where the entry is built and are removed with it); messages in the C locale.
 */
export function compilerEnvironment(compilerPath: string, workDir: string, from: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = { PATH: compilerSearchPath(compilerPath), TMPDIR: workDir, LC_ALL: 'C', LANG: 'C' };
  for (const name of PASSED) {
    const value = from[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/** What of the compiler's environment can change its output: part of the cache key. */
export function environmentPart(compilerPath: string): string {
  return `PATH=${compilerSearchPath(compilerPath)}`;
}
