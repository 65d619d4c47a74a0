import { compile, type CompilerChoice } from '../compile.js';
import type { Kernel } from '../runtime/kernel.js';
import { compileTuned } from '../tools/tune.js';
import { SpecError } from '../errors.js';
import { describeSpec, type SpecInput } from '../spec.js';

export interface CompileCommandOptions {
  readonly spec: SpecInput;
  readonly target: 'auto' | 'cuda' | 'cpu';
  readonly arch?: string;
  readonly compiler?: CompilerChoice;
  readonly cacheDir?: string;
  readonly cache: boolean;
  /** CUDA: time every variant on this input shape and keep the fastest (recorded in the cache). */
  readonly tuneFor?: readonly [number, number, number, number];
}

export interface CompileCommandResult {
  readonly key: string;
  readonly target: string;
  readonly spec: string;
  readonly symbol: string;
  readonly artifact: string;
  readonly origin: string;
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
  const common = { ...(o.arch ? { arch: o.arch } : {}), ...(o.compiler ? { compiler: o.compiler } : {}), ...(o.cacheDir ? { cacheDir: o.cacheDir } : {}), cache: o.cache, log };
  let tuning: CompileCommandResult['tuning'];
  let k: Kernel;
  if (o.tuneFor) {
    if (o.target === 'cpu') throw new SpecError('--tune-for', o.tuneFor.join(','), "target 'cuda' or 'auto' (tuning picks among CUDA variants)");
    const t = await compileTuned(o.spec, o.tuneFor, common);
    k = t.kernel;
    tuning = { tuned: t.tuned, timings: t.record.timings };
  } else {
    k = await compile(o.spec, { target: o.target, ...common });
  }
  const p = k.provenance;
  return {
    key: p.key, target: k.target, spec: describeSpec(k.spec), symbol: p.symbol, artifact: p.artifactPath, origin: p.origin, compiler: p.compiler,
    compileMs: p.compileMilliseconds, loadMs: p.loadMilliseconds, totalMs: performance.now() - started, variant: p.variant,
    ...(tuning ? { tuning } : {}),
  };
}

export function parseSpecJson(text: string): SpecInput {
  try {
    return JSON.parse(text) as SpecInput;
  } catch {
    throw new SpecError('--spec-json', text, 'a JSON object such as {"kernelSize":3}');
  }
}
