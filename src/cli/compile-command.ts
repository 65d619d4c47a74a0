import { compile } from '../compile.js';
import { SpecError } from '../errors.js';
import { describeSpec, type SpecInput } from '../spec.js';

export interface CompileCommandOptions {
  readonly spec: SpecInput;
  readonly target: 'auto' | 'cuda' | 'cpu';
  readonly arch?: string;
  readonly cacheDir?: string;
  readonly cache: boolean;
}

export interface CompileCommandResult {
  readonly key: string;
  readonly target: string;
  readonly spec: string;
  readonly symbol: string;
  readonly artifact: string;
  readonly origin: string;
  readonly compileMs: number;
  readonly loadMs: number;
  readonly totalMs: number;
}

/** `dwconv-jit compile`: one spec through the whole pipeline, loaded to prove the artifact works. */
export async function compileCommand(o: CompileCommandOptions, log: (line: string) => void): Promise<CompileCommandResult> {
  const started = performance.now();
  const k = await compile(o.spec, { target: o.target, ...(o.arch ? { arch: o.arch } : {}), ...(o.cacheDir ? { cacheDir: o.cacheDir } : {}), cache: o.cache, log });
  const p = k.provenance;
  return { key: p.key, target: k.target, spec: describeSpec(k.spec), symbol: p.symbol, artifact: p.artifactPath, origin: p.origin, compileMs: p.compileMilliseconds, loadMs: p.loadMilliseconds, totalMs: performance.now() - started };
}

export function parseSpecJson(text: string): SpecInput {
  try {
    return JSON.parse(text) as SpecInput;
  } catch {
    throw new SpecError('--spec-json', text, 'a JSON object such as {"kernelSize":3}');
  }
}
