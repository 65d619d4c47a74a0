import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import type { Environment } from '../env.js';
import { ToolchainNotFoundError } from '../errors.js';

/** A compiler found on this machine: where it is and what it says its version is. */
export interface Tool {
  readonly kind: 'nvcc' | 'cxx' | 'nvrtc';
  readonly path: string;
  /** The first line that identifies the version; part of the cache key. */
  readonly version: string;
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
  return env.path.split(delimiter).filter(Boolean).map((dir) => join(dir, name));
}

/** A program given by name or path: a bare name is looked up on PATH. */
function resolveProgram(program: string, env: Environment): string[] {
  return isAbsolute(program) || program.includes('/') ? [program] : onPath(program, env);
}

/** The places nvcc is looked for, in order: DWCONV_JIT_NVCC, CUDA_HOME/CUDA_PATH, PATH, /usr/local/cuda/bin. */
export function nvccCandidates(env: Environment): string[] {
  return [
    ...(env.nvcc ? resolveProgram(env.nvcc, env) : []),
    ...(env.cudaHome ? [join(env.cudaHome, 'bin', 'nvcc')] : []),
    ...onPath('nvcc', env),
    '/usr/local/cuda/bin/nvcc',
  ];
}

/** The places the C++ compiler is looked for, in order: CXX, then c++, g++, clang++ on PATH. */
export function cxxCandidates(env: Environment): string[] {
  return [...(env.cxx ? resolveProgram(env.cxx, env) : []), ...['c++', 'g++', 'clang++'].flatMap((n) => onPath(n, env))];
}

const found = new Map<string, Promise<Tool>>();

async function identify(kind: Tool['kind'], path: string): Promise<Tool> {
  const { execa } = await import('execa'); // loaded when a tool is first run, not at import
  const { stdout } = await execa(path, ['--version'], { timeout: 30_000 });
  const lines = stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  // nvcc prints its release on the last lines; a C++ compiler on the first.
  const version = kind === 'nvcc' ? lines.filter((l) => /release|Build/.test(l)).join(' ') || lines.join(' ') : lines[0] ?? '';
  return { kind, path, version };
}

function find(kind: Tool['kind'], candidates: string[], fix: string): Promise<Tool> {
  const path = candidates.find(isExecutable);
  if (!path) {
    return Promise.reject(new ToolchainNotFoundError(kind === 'nvcc' ? 'nvcc' : 'a C++ compiler', candidates, fix));
  }
  let tool = found.get(path);
  if (!tool) {
    tool = identify(kind, path).catch((cause: unknown) => {
      found.delete(path);
      throw new ToolchainNotFoundError(`a working ${kind}`, [path], `${path} --version failed; ${fix}`, { cause });
    });
    found.set(path, tool);
  }
  return tool;
}

export function findNvcc(env: Environment): Promise<Tool> {
  return find('nvcc', nvccCandidates(env), 'Install the CUDA toolkit, or set DWCONV_JIT_NVCC to nvcc or CUDA_HOME to the toolkit root.');
}

export function findCxx(env: Environment): Promise<Tool> {
  return find('cxx', cxxCandidates(env), 'Install g++ or clang++ (e.g. apt-get install g++), or set CXX.');
}
