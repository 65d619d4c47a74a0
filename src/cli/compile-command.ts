import { compile, compileTuned, describeSpec, NoGpuError, SpecError, type CompilerChoice, type Kernel, type KernelProvenance, type SpecInput } from '../index.js';

export interface CompileCommandOptions {
  readonly spec: SpecInput;
  readonly target: 'auto' | 'cuda' | 'cpu';
  readonly arch?: string;
  /** CUDA: the device to load on (an index, or 'cuda' for the current one). */
  readonly device?: number | 'cuda';
  readonly compiler?: CompilerChoice;
  readonly cacheDir?: string;
  readonly cache: boolean;
  /** CUDA: time every variant on this input shape and keep the fastest (recorded in the cache). */
  readonly tuneFor?: readonly [number, number, number, number];
}

export interface CompileCommandResult {
  readonly key: string;
  readonly target: string;
  /** Where the kernel was loaded: 'cpu' or 'cuda:N'. */
  readonly device: string;
  readonly spec: string;
  readonly symbol: string;
  readonly artifact: string;
  /** memory, precompiled, disk, remote (fetched from the remote cache, now in the disk cache too) or compiled. */
  readonly origin: KernelProvenance['origin'];
  /** What built the artifact: nvcc, nvrtc, or cxx (the CPU target). */
  readonly compiler: string;
  readonly compileMs: number;
  readonly loadMs: number;
  readonly totalMs: number;
  readonly variant: Readonly<Record<string, string | number>>;
  /** With tuneFor: whether this call timed the candidates, and their median milliseconds. */
  readonly tuning?: { readonly tuned: boolean; readonly timings: Readonly<Record<string, number>> };
}

/** `dwconv-jit compile`: one spec through the whole pipeline, loaded to prove the artifact works. */
export async function compileCommand(o: CompileCommandOptions, log: (line: string) => void): Promise<CompileCommandResult> {
  const started = performance.now();
  const common = { ...(o.arch ? { arch: o.arch } : {}), ...(o.device !== undefined ? { device: o.device } : {}), ...(o.compiler ? { compiler: o.compiler } : {}), ...(o.cacheDir ? { cacheDir: o.cacheDir } : {}), cache: o.cache, log };
  let tuning: CompileCommandResult['tuning'];
  let k: Kernel;
  if (o.tuneFor) {
    if (o.target === 'cpu') throw new SpecError('--tune-for', o.tuneFor.join(','), "target 'cuda' or 'auto' (tuning picks among CUDA variants)");
    const t = await compileTuned(o.spec, o.tuneFor, common);
    k = t.kernel;
    tuning = { tuned: t.tuned, timings: t.record.timings };
  } else {
    try {
      k = await compile(o.spec, { target: o.target, ...common });
    } catch (err) {
      // The API's advice (build() with an arch) in the CLI's words: precompile builds without a GPU.
      if (err instanceof NoGpuError && o.arch) {
        throw new NoGpuError(err.needed, err.reason, `compile loads the kernel, which needs the GPU; to build for ${o.arch} without one use \`dwconv-jit precompile\` with a manifest naming it (or --target cpu)`, { cause: err });
      }
      throw err;
    }
  }
  // The command reports a whole artifact: the programs an NVRTC compile left for later are loaded and committed too.
  await k.whenComplete();
  const p = k.provenance;
  return {
    key: p.key, target: k.target, device: k.deviceIndex === undefined ? 'cpu' : `cuda:${k.deviceIndex}`, spec: describeSpec(k.spec), symbol: p.symbol, artifact: p.artifactPath, origin: p.origin, compiler: p.compiler,
    compileMs: p.compileMilliseconds, loadMs: p.loadMilliseconds, totalMs: performance.now() - started, variant: p.variant,
    ...(tuning ? { tuning } : {}),
  };
}

/** --spec-json's text as a spec (validated by compile); the spec flags may not be given beside it. */
export function parseSpecJson(text: string, flagsGiven: readonly string[]): SpecInput {
  if (flagsGiven.length > 0) throw new SpecError('--spec-json', text, `the whole spec, without spec flags beside it (also given: ${flagsGiven.join(', ')})`);
  try {
    return JSON.parse(text) as SpecInput;
  } catch {
    throw new SpecError('--spec-json', text, 'a JSON object such as {"kernelSize":3}');
  }
}
