// libnvrtc through koffi: compiles CUDA source to a cubin in-process (no nvcc, no host compiler).
import { join } from 'node:path';
import { OVERRIDE_VARIABLES, type Environment } from '../env.js';
import { CompileError, OverridePathError, ToolchainNotFoundError } from '../errors.js';
import { loadLibrary, type FfiFunction, type FfiLibrary } from './koffi.js';

const SONAMES = ['libnvrtc.so.13', 'libnvrtc.so.12', 'libnvrtc.so.11.2', 'libnvrtc.so'];

/** Where libnvrtc is looked for, in order: DWCONV_JIT_NVRTC, the toolkit's lib64, then the sonames on the loader path. */
export function nvrtcCandidates(env: Environment): string[] {
  // An explicit library is the only one tried: falling back would compile with another NVRTC than asked for.
  if (env.nvrtc) return [env.nvrtc];
  const dirs = [env.cudaHome, '/usr/local/cuda'].filter((d): d is string => !!d).flatMap((d) => [join(d, 'lib64'), join(d, 'targets/x86_64-linux/lib')]);
  return [...dirs.flatMap((d) => SONAMES.map((n) => join(d, n))), ...SONAMES];
}

/** A loaded libnvrtc: its path, version, and the calls the compiler path makes. */
export class Nvrtc {
  private readonly f: Record<string, FfiFunction>;
  /** nvrtcGetNumSupportedArchs and nvrtcGetSupportedArchs (NVRTC 11.2+). */
  private readonly archCalls: { num: FfiFunction; list: FfiFunction } | undefined;

  private constructor(readonly path: string, readonly version: string, lib: FfiLibrary) {
    const fn = (proto: string) => lib.func(proto);
    this.f = {
      create: fn('int nvrtcCreateProgram(_Out_ void** prog, const char* src, const char* name, int numHeaders, const char** headers, const char** includeNames)'),
      compile: fn('int nvrtcCompileProgram(void* prog, int numOptions, const char** options)'),
      logSize: fn('int nvrtcGetProgramLogSize(void* prog, _Out_ size_t* size)'),
      log: fn('int nvrtcGetProgramLog(void* prog, _Out_ uint8_t* log)'),
      cubinSize: fn('int nvrtcGetCUBINSize(void* prog, _Out_ size_t* size)'),
      cubin: fn('int nvrtcGetCUBIN(void* prog, _Out_ uint8_t* cubin)'),
      destroy: fn('int nvrtcDestroyProgram(_Inout_ void** prog)'),
      errorString: fn('const char* nvrtcGetErrorString(int result)'),
    };
    try {
      this.archCalls = { num: fn('int nvrtcGetNumSupportedArchs(_Out_ int* n)'), list: fn('int nvrtcGetSupportedArchs(_Out_ int* archs)') };
    } catch {
      this.archCalls = undefined;
    }
  }

  static load(env: Environment): Nvrtc {
    const searched = nvrtcCandidates(env);
    let firstFailure: string | undefined;
    for (const path of searched) {
      try {
        const lib = loadLibrary(path);
        const major: number[] = [0];
        const minor: number[] = [0];
        if ((lib.func('int nvrtcVersion(_Out_ int* major, _Out_ int* minor)')(major, minor) as number) !== 0) {
          firstFailure ??= 'nvrtcVersion failed';
          continue;
        }
        return new Nvrtc(path, `${major[0]}.${minor[0]}`, lib);
      } catch (err) {
        firstFailure ??= (err as Error).message; // not this one
      }
    }
    if (env.nvrtc) throw new OverridePathError(OVERRIDE_VARIABLES.nvrtc, env.nvrtc, `does not load (${firstFailure ?? 'unknown error'})`);
    throw new ToolchainNotFoundError('libnvrtc', searched, 'install the CUDA toolkit (or just its NVRTC library) and set DWCONV_JIT_NVRTC or CUDA_HOME, or use compiler: \'nvcc\'');
  }

  /** The real archs this NVRTC can emit cubins for ('sm_90'), when it can say. */
  supportedArchs(): string[] | undefined {
    const s = this.archCalls;
    if (!s) return undefined;
    const n: number[] = [0];
    if ((s.num(n) as number) !== 0) return undefined;
    const list = new Int32Array(n[0]!);
    if ((s.list(list) as number) !== 0) return undefined;
    return [...list].map((a) => `sm_${a}`);
  }

  /**
   * Compiles `source` to a cubin for `options` (which name the arch) on koffi's worker thread, so the
   * event loop keeps running. A failure is a CompileError with NVRTC's log and the numbered source.
   */
  async compile(source: string, options: readonly string[]): Promise<{ cubin: Buffer; log: string; milliseconds: number }> {
    const prog: unknown[] = [null];
    this.check('nvrtcCreateProgram', this.f.create!(prog, source, 'kernel.cu', 0, null, null) as number);
    try {
      const started = performance.now();
      const status = await new Promise<number>((resolve, reject) =>
        this.f.compile!.async(prog[0], options.length, [...options], (err: unknown, r: number) => (err ? reject(err) : resolve(r))),
      );
      const milliseconds = performance.now() - started;
      const log = this.log(prog[0]);
      if (status !== 0) throw new CompileError(`${this.path} (NVRTC ${this.version})`, [...options], `${this.errorString(status)}\n${log}`, source);
      const size: bigint[] = [0n];
      this.check('nvrtcGetCUBINSize', this.f.cubinSize!(prog[0], size) as number);
      const cubin = Buffer.alloc(Number(size[0]));
      this.check('nvrtcGetCUBIN', this.f.cubin!(prog[0], cubin) as number);
      return { cubin, log, milliseconds };
    } finally {
      this.f.destroy!(prog);
    }
  }

  private log(prog: unknown): string {
    const size: bigint[] = [0n];
    if ((this.f.logSize!(prog, size) as number) !== 0) return '';
    const buf = Buffer.alloc(Number(size[0]));
    this.f.log!(prog, buf);
    return buf.toString('utf8').replace(/\0+$/, '').trim();
  }

  private errorString(status: number): string {
    return `${this.f.errorString!(status) as string} (${status})`;
  }

  private check(call: string, status: number): void {
    if (status !== 0) throw new CompileError(`${this.path} (NVRTC ${this.version})`, [call], this.errorString(status), '');
  }
}

let loaded: Nvrtc | undefined;
/** Searches that found nothing, by their candidate list: compile() probes on every call with compiler 'auto'. */
const notFound = new Map<string, unknown>();

/** The process's libnvrtc, loaded on first use (ToolchainNotFoundError when there is none). */
export function nvrtc(env: Environment): Nvrtc {
  if (loaded) return loaded;
  const search = nvrtcCandidates(env).join('\n');
  if (notFound.has(search)) throw notFound.get(search);
  try {
    loaded = Nvrtc.load(env);
  } catch (err) {
    notFound.set(search, err);
    throw err;
  }
  return loaded;
}

/** The first libnvrtc that loads, with its version, or what was searched (for doctor). */
export function probeNvrtc(env: Environment): { ok: true; path: string; version: string } | { ok: false; searched: string[]; error: unknown } {
  try {
    const n = nvrtc(env);
    return { ok: true, path: n.path, version: n.version };
  } catch (error) {
    return { ok: false, searched: nvrtcCandidates(env), error };
  }
}
