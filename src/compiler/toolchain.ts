import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import type { Environment } from '../env.js';
import { SpecError, ToolchainNotFoundError } from '../errors.js';
import { compilerEnvironment, compilerSearchPath, environmentPart } from './child-env.js';
import { fingerprintStore } from './fingerprint-store.js';

/** A compiler found on this machine: where it is and what it says its version is. */
export interface Tool {
  readonly kind: 'nvcc' | 'cxx' | 'nvrtc';
  /** Absolute. */
  readonly path: string;
  /** The first line that identifies the version (nvcc: with its host compiler's); part of the cache key. */
  readonly version: string;
  /** What of the compiler's environment can change its output (child-env.ts); part of the cache key. */
  readonly environment: string;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function onPath(name: string, env: Environment): string[] {
  // Relative PATH entries would name another folder in the compiler's work folder: only absolute ones count.
  return env.path.split(delimiter).filter((dir) => dir !== '' && isAbsolute(dir)).map((dir) => join(dir, name));
}

/**
 * A program named by a variable: a path (made absolute) or a bare name looked up on PATH. One
 * executable, no arguments: there is no shell to split 'ccache g++', and running something else
 * than what was named would be worse than an error.
 */
function named(variable: string, program: string, env: Environment): string[] {
  if (/\s/.test(program)) {
    throw new SpecError(variable, program, 'one compiler executable (a path, or a name on PATH) without arguments; wrappers such as ccache are not run: set it to the compiler itself');
  }
  return isAbsolute(program) || program.includes('/') ? [resolve(program)] : onPath(program, env);
}

/** The places nvcc is looked for, in order: DWCONV_JIT_NVCC (alone, when set), CUDA_HOME/CUDA_PATH, PATH, /usr/local/cuda/bin. */
export function nvccCandidates(env: Environment): string[] {
  if (env.nvcc) return named('DWCONV_JIT_NVCC', env.nvcc, env);
  return [...(env.cudaHome ? [join(resolve(env.cudaHome), 'bin', 'nvcc')] : []), ...onPath('nvcc', env), '/usr/local/cuda/bin/nvcc'];
}

/** The places the C++ compiler is looked for, in order: CXX (alone, when set), then c++, g++, clang++ on PATH. */
export function cxxCandidates(env: Environment): string[] {
  if (env.cxx) return named('CXX', env.cxx, env);
  return ['c++', 'g++', 'clang++'].flatMap((n) => onPath(n, env));
}

/** What identifies a compiler binary without running it: a changed file (an upgrade) is a new identity. */
function binaryIdentity(path: string): string {
  const real = realpathSync(path);
  const st = statSync(real);
  return `${real}|${st.dev}|${st.ino}|${st.size}|${st.mtimeMs}|${st.ctimeMs}`;
}

const found = new Map<string, Promise<Tool>>();

async function versionOf(path: string, last: boolean): Promise<string> {
  const { execa } = await import('execa'); // loaded when a tool is first run, not at import
  const { stdout } = await execa(path, ['--version'], { timeout: 30_000, env: compilerEnvironment(path, '/'), extendEnv: false, cwd: '/' });
  const lines = stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  // nvcc prints its release on the last lines; a C++ compiler on the first.
  return last ? lines.filter((l) => /release|Build/.test(l)).join(' ') || lines.join(' ') : lines[0] ?? '';
}

/** nvcc's host compiler: the gcc it finds on its search path (child-env.ts), by identity. */
function hostCompilerOf(nvccPath: string): string | undefined {
  return compilerSearchPath(nvccPath).split(':').map((d) => join(d, 'gcc')).find(isExecutable);
}

async function identify(kind: 'nvcc' | 'cxx', path: string): Promise<Tool> {
  let version = await versionOf(path, kind === 'nvcc');
  if (kind === 'nvcc') {
    const host = hostCompilerOf(path);
    version = `${version}; host ${host ? await versionOf(host, false) : 'none'}`;
  }
  return { kind, path, version, environment: environmentPart(path) };
}

/**
 * The tool for the first executable candidate. Its fingerprint (version lines) is computed once per
 * binary identity and remembered in `storeDir` (the cache directory), so a cache hit in a new
 * process runs no compiler at all.
 */
function find(kind: 'nvcc' | 'cxx', candidates: string[], what: string, fix: string, storeDir: string | undefined): Promise<Tool> {
  const path = candidates.find(isExecutable);
  if (!path) return Promise.reject(new ToolchainNotFoundError(what, candidates, fix));
  let identity: string;
  try {
    identity = `${kind}|${binaryIdentity(path)}`;
  } catch (cause) {
    return Promise.reject(new ToolchainNotFoundError(what, [path], fix, { cause }));
  }
  let tool = found.get(identity);
  if (!tool) {
    tool = (async () => {
      const store = storeDir === undefined ? undefined : fingerprintStore(storeDir);
      const remembered = await store?.get(identity);
      if (remembered !== undefined) return { kind, path, version: remembered, environment: environmentPart(path) };
      const fresh = await identify(kind, path);
      await store?.put(identity, fresh.version);
      return fresh;
    })().catch((cause: unknown) => {
      found.delete(identity);
      throw new ToolchainNotFoundError(`a working ${kind}`, [path], `${path} --version failed; ${fix}`, { cause });
    });
    found.set(identity, tool);
  }
  return tool;
}

export function findNvcc(env: Environment, storeDir?: string): Promise<Tool> {
  const fix = env.nvcc
    ? 'Unset DWCONV_JIT_NVCC to search CUDA_HOME, PATH and /usr/local/cuda, or set it to an executable nvcc.'
    : 'Install the CUDA toolkit, or set DWCONV_JIT_NVCC to nvcc or CUDA_HOME to the toolkit root.';
  return Promise.resolve().then(() => find('nvcc', nvccCandidates(env), env.nvcc ? `the nvcc named by DWCONV_JIT_NVCC (${env.nvcc})` : 'nvcc', fix, storeDir));
}

export function findCxx(env: Environment, storeDir?: string): Promise<Tool> {
  const fix = env.cxx
    ? 'Unset CXX to search c++, g++ and clang++ on PATH, or set CXX to an executable C++ compiler.'
    : 'Install g++ or clang++ (e.g. apt-get install g++), or set CXX.';
  return Promise.resolve().then(() => find('cxx', cxxCandidates(env), env.cxx ? `the C++ compiler named by CXX (${env.cxx})` : 'a C++ compiler', fix, storeDir));
}
