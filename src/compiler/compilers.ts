import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { throwIfAborted } from '../abort.js';
import { AbortError, CacheError, CompileError } from '../errors.js';
import { newestArch } from './arch.js';
import type { Nvrtc } from '../ffi/nvrtc.js';
import type { CompileUnit } from '../codegen/common.js';
import { packCubins, type EarlyCubins } from './cubin-set.js';
import type { Tool } from './toolchain.js';
import { compilerEnvironment } from './child-env.js';
import { killTree } from './process-tree.js';

export const SOURCE_NAME = { cuda: 'kernel.cu', 'c++': 'kernel.cpp' } as const;
export const ARTIFACT_NAME = 'kernel.so';
/** An NVRTC build: device code only, loaded through the driver API. */
export const CUBIN_NAME = 'kernel.cubin';

/**
 * NVRTC options: a cubin for one real arch (no PTX: NVRTC builds are made for the GPU in use), the
 * same language level as nvcc. 177: the spec's unused constants (DH in a 1-row window) are not news.
 * From NVRTC 12.8, --split-compile=0 optimizes a program's entry points on as many threads as the
 * machine has CPUs: the same machine code (checked with nvcc 13 and NVRTC 13.0), less waiting
 * (docs/perf.md, "NVRTC cold compile"). An NVRTC that does not know an option refuses the compile
 * (11.8 does), so each one is passed only from a version that takes it.
 */
export function nvrtcOptions(arch: string, nvrtcVersion: string): string[] {
  const [major = 0] = nvrtcVersion.split('.').map(Number);
  return [
    `--gpu-architecture=${arch}`, '-std=c++17', '--diag-suppress=177',
    ...(splitCompiles(nvrtcVersion) ? ['--split-compile=0'] : []),
    // NVRTC 13 keeps its own cache of compiled programs on disk (~/.nv/ComputeCache): a miss there
    // cost 130-230 ms more than a compile without it, and our cache already holds every cubin.
    ...(major >= 13 ? ['--no-cache'] : []),
  ];
}

/** Whether NVRTC `major.minor` takes --split-compile. */
export function splitCompiles(nvrtcVersion: string): boolean {
  const [major = 0, minor = 0] = nvrtcVersion.split('.').map(Number);
  return major > 12 || (major === 12 && minor >= 8);
}

/** What compileNvrtc may be given beside the source: the source's units, a signal, where early cubins go. */
export interface NvrtcCompileExtras {
  readonly units?: () => readonly CompileUnit[];
  readonly signal?: AbortSignal;
  /** Called once the units that are not `later` are compiled, where some are (see EarlyCubins). */
  readonly onEarly?: (early: EarlyCubins) => void;
}

/**
 * Compiles in-process with libnvrtc into `workDir`: the source and the cubin, as nvcc's path writes
 * the source and the library. Given the source's units, an NVRTC that runs compiles side by side
 * (compilesApart) compiles them all at once, one program each on koffi's worker threads, and the
 * artifact is the set of their cubins (cubin-set.ts): the compile takes as long as its slowest
 * kernel instead of the sum of them (docs/perf.md, "NVRTC cold compile"). With `onEarly`, units that
 * may compile later (CompileUnit.later) start after the others, and `onEarly` hears of the others'
 * cubins as soon as they are ready: a kernel can load then, while the later ones compile on.
 * A compile in progress cannot be interrupted: an abort is seen before it starts and when the
 * first cubins are ready (they are then dropped, so the caller's work folder holds nothing to
 * commit); once `onEarly` has run, the rest completes whatever the signal says (the caller holds a
 * kernel that uses it).
 */
export async function compileNvrtc(compiler: Nvrtc, source: string, options: readonly string[], workDir: string, extras: NvrtcCompileExtras = {}): Promise<CompileOutput> {
  const { units, signal, onEarly } = extras;
  throwIfAborted(signal, 'compile');
  await writeFile(join(workDir, SOURCE_NAME.cuda), source, { mode: 0o600 });
  const artifactPath = join(workDir, CUBIN_NAME);
  const apart = units && compilesApart(compiler.version) ? units() : [];
  if (apart.length > 1) {
    const started = performance.now();
    const early = onEarly && apart.some((u) => u.later) && apart.some((u) => !u.later);
    // koffi runs each compile on one of libuv's worker threads (4 by default), first come first
    // served: the heaviest programs start first, so that the slowest does not wait behind the others;
    // where the later ones may come after a first load, they start after every other.
    const order = [...apart].sort((a, b) => (early ? Number(a.later === true) - Number(b.later === true) : 0) || b.weight - a.weight);
    const compiling = new Map(order.map((u) => [u, compiler.compile(u.source, options)]));
    const cubinsOf = async (list: readonly CompileUnit[]) => {
      const outs = await Promise.all(list.map((u) => compiling.get(u)!));
      return outs.map((o, i) => ({ entries: list[i]!.entries, cubin: o.cubin, log: o.log }));
    };
    if (early) {
      const laterUnits = apart.filter((u) => u.later);
      const first = cubinsOf(apart.filter((u) => !u.later));
      const later = cubinsOf(laterUnits);
      // Settled here if the first part throws or is aborted: the later part's failure is then not news.
      later.catch(() => undefined);
      const ready = await first;
      throwIfAborted(signal, 'compile');
      onEarly({ cubins: ready, laterEntries: laterUnits.flatMap((u) => u.entries), later, milliseconds: performance.now() - started });
    }
    const outs = await cubinsOf(apart);
    if (!early) throwIfAborted(signal, 'compile');
    await writeFile(artifactPath, packCubins(outs.map((o) => ({ entries: o.entries, cubin: o.cubin }))), { mode: 0o600 });
    return { artifactPath, log: outs.map((o) => o.log).filter(Boolean).join('\n'), milliseconds: performance.now() - started };
  }
  const out = await compiler.compile(source, options);
  throwIfAborted(signal, 'compile');
  await writeFile(artifactPath, out.cubin, { mode: 0o600 });
  return { artifactPath, log: out.log, milliseconds: out.milliseconds };
}

/**
 * Whether NVRTC `major.minor` compiles programs side by side: from 12.3 concurrent compiles also run
 * their NVVM phase concurrently (before, a global lock took turns, and separate programs only added
 * each one's fixed cost: measured with NVRTC 11.8, docs/perf.md).
 */
export function compilesApart(nvrtcVersion: string): boolean {
  const [major = 0, minor = 0] = nvrtcVersion.split('.').map(Number);
  return major > 12 || (major === 12 && minor >= 3);
}

/**
 * nvcc flags (no paths): a shared library that links the one shared CUDA runtime the process loads,
 * never unloaded (-z nodelete: its kernels stay registered with the runtime until the process ends).
 * One fatbin: machine code (SASS) for each arch, plus PTX of the newest one when `ptx` is set so
 * that newer GPUs can JIT it.
 */
export function nvccFlags(archs: readonly string[], ptx = false): string[] {
  const gencode = archs.map((arch) => {
    const cc = arch.slice(3);
    return `-gencode=arch=compute_${cc},code=sm_${cc}`;
  });
  const newest = newestArch(archs);
  if (ptx && newest) gencode.push(`-gencode=arch=compute_${newest.slice(3)},code=compute_${newest.slice(3)}`);
  return ['-shared', '-Xcompiler', '-fPIC', '-O3', '-std=c++17', '-cudart', 'shared', '-Xlinker', '-z,nodelete', ...gencode];
}

/**
 * C++ flags (no paths) for the CPU target: tuned for this machine's CPU, threads through OpenMP.
 * -z nodelete: the library (and so libgomp) stays mapped once loaded; unloading it under OpenMP's idle
 * worker threads crashed the process at exit.
 */
export function cxxFlags(): string[] {
  return ['-shared', '-fPIC', '-O3', '-march=native', '-std=c++17', '-fopenmp', '-Wl,-z,nodelete'];
}

export interface CompileOutput {
  readonly artifactPath: string;
  readonly log: string;
  readonly milliseconds: number;
}

/** What a compiler peer returns: the artifact file it wrote, and the fingerprint of what wrote it (part of the key). */
export interface CompileResult extends CompileOutput {
  readonly fingerprint: Tool;
}

export interface CompileRequest {
  readonly language: 'cuda' | 'c++';
  readonly flags: readonly string[];
  /** An absolute, private folder: the source and the artifact are written there. */
  readonly workDir: string;
  /** Stops the compile: a compiler process is killed (with its children), an in-process one dropped when it returns. */
  readonly signal?: AbortSignal;
  /** CUDA: the source's device code as programs that compile apart (NVRTC may compile them at once). */
  readonly units?: () => readonly CompileUnit[];
  /** NVRTC: where the first cubins go when some units compile later (compileNvrtc). Other compilers ignore it. */
  readonly onEarly?: (early: EarlyCubins) => void;
}

/**
 * nvcc, NVRTC and the C++ compiler behind one signature: source and options in, the artifact and
 * the fingerprint out. A new compiler is one more peer; the cache and the key see only this.
 */
export interface CompilerPeer {
  readonly fingerprint: Tool;
  compile(source: string, request: CompileRequest): Promise<CompileResult>;
}

/** A compiler run as a child process (nvcc, the C++ compiler). */
export function processPeer(tool: Tool): CompilerPeer {
  return { fingerprint: tool, compile: async (source, r) => ({ ...(await compileSource(tool, r.language, source, r.flags, r.workDir, r.signal)), fingerprint: tool }) };
}

/** libnvrtc, in-process. */
export function nvrtcPeer(compiler: Nvrtc, tool: Tool): CompilerPeer {
  return { fingerprint: tool, compile: async (source, r) => ({ ...(await compileNvrtc(compiler, source, r.flags, r.workDir, { units: r.units, signal: r.signal, onEarly: r.onEarly })), fingerprint: tool }) };
}

/**
 * Writes the source into `workDir` and compiles it there into a shared library. Arguments go as an
 * array (no shell), every path is absolute (a name starting with '-' cannot read as an option), and
 * the compiler gets the cleaned environment of child-env.ts, not ours.
 * The compiler stays in the caller's process group, so a terminal's Ctrl-C (sent to the foreground
 * group) ends it with the app. With a `signal`, an abort kills the compiler and every process below it
 * (process-tree.ts): the C++ and CUDA drivers leave their compiler proper (cc1plus, cicc) running
 * when they are killed alone.
 */
export async function compileSource(
  tool: Tool,
  language: 'cuda' | 'c++',
  source: string,
  flags: readonly string[],
  workDir: string,
  signal?: AbortSignal,
): Promise<CompileOutput> {
  throwIfAborted(signal, 'compile');
  const dir = resolve(workDir);
  const sourcePath = join(dir, SOURCE_NAME[language]);
  const artifactPath = join(dir, ARTIFACT_NAME);
  await writeFile(sourcePath, source, { mode: 0o600 });
  const args = [...flags, '-o', artifactPath, sourcePath];
  const started = performance.now();
  const { execa } = await import('execa'); // loaded on the first compile, not at import
  throwIfAborted(signal, 'compile'); // aborted while the source was written: nothing is started
  const child = execa(tool.path, args, {
    reject: false, all: true, timeout: 600_000, cwd: dir, env: compilerEnvironment(tool.path, dir), extendEnv: false,
    // With a signal, the abort kills the tree (below). No cancelSignal: execa would kill the driver alone
    // first, and its children would go to init before the tree is found. No cleanup: its SIGINT handler
    // re-raises the signal when it sees no other listener, which ends the process before a caller's own
    // handler (the CLI's, which removes itself so that a second Ctrl-C ends at once) can abort.
    ...(signal ? { cleanup: false } : {}),
  });
  const killCompiler = () => {
    if (child.pid !== undefined) killTree(child.pid);
  };
  signal?.addEventListener('abort', killCompiler, { once: true });
  const result = await child.finally(() => signal?.removeEventListener('abort', killCompiler));
  const milliseconds = performance.now() - started;
  if (result.isCanceled || signal?.aborted) throw new AbortError('compile', signal?.reason);
  if (result.exitCode !== 0 || result.failed) {
    const log = result.all || result.message || `exit code ${result.exitCode}`;
    // Out of space is the disk's fault, not the source's: a CacheError, without the numbered source.
    const storage = /No space left on device|Disk quota exceeded|File too large/i.exec(log);
    if (storage) throw new CacheError(`the compiler could not write its output: ${storage[0]}; free some space, or point DWCONV_JIT_CACHE_DIR at another disk`, dir);
    throw new CompileError(tool.path, args, log, source);
  }
  return { artifactPath, log: result.all ?? '', milliseconds };
}
