import type { LaunchPlan } from '../plan/plan.js';
import type { Target } from '../target.js';
import { canonicalJson, outputDtypeOf, specTag, type KernelSpec } from '../spec.js';
import { ABI_VERSION, PACKAGE_VERSION } from '../version.js';
import { epilogueFunction, epilogueHelpers, pointwiseEpilogueFunction } from './epilogue.js';

/** Named in src/target.ts; exported here too for the modules that import it with codegen's other types. */
export type { Target };

/**
 * Windows with more taps than this (beyond 7x7) get a run-time loop over tap rows, each row's taps
 * unrolled. Fully unrolled, 31x31 kernels took g++ over a minute and nvcc 300 s (a 1.2 MB NHWC tile);
 * such windows are compute-bound, so what unrolling the rows saves is small.
 */
export const MAX_UNROLLED_TAPS = 49;

/** What codegen hands to the compiler and the runtime. */
export interface GeneratedSource {
  readonly target: Target;
  /** The C ABI entry point; `${symbol}_info` returns the self-description. */
  readonly symbol: string;
  readonly language: 'cuda' | 'c++';
  readonly source: string;
  /** The canonical spec this source implements. */
  readonly specJson: string;
  /** Which kernel family and tile sizes the source holds (CUDA); empty for the CPU. */
  readonly variant: Readonly<Record<string, string | number>>;
  /** CUDA: the module's launch plan, from which the nvcc host launcher is emitted and NVRTC cubins are launched. */
  readonly plan?: LaunchPlan;
  /** CUDA: the same device code as programs that compile apart (made on demand; see cuda.ts). */
  readonly units?: () => readonly CompileUnit[];
}

/** One program of a source's device code and the plan entries it holds. */
export interface CompileUnit {
  readonly entries: readonly string[];
  readonly source: string;
  /** Its expected compile time relative to other units' (CudaFamily.compileWeight): heavier ones start first. */
  readonly weight: number;
  /**
   * A program a first load may go without (CudaFamily.compiledLater): every call its entries take,
   * an entry of the other programs takes too, so a kernel can launch while it still compiles.
   */
  readonly later?: boolean;
}

/**
 * Generated source known by its sha256 rather than its text (cache/source-index.ts): enough to find
 * and load a cached artifact, not to compile one.
 */
export type SourceSummary = Omit<GeneratedSource, 'source' | 'plan' | 'units'> & { readonly sourceSha256: string };

/** What the cache and the loaders need of a source: its text, or only its sha256. */
export type SourceRef = GeneratedSource | SourceSummary;

/** The values every template shares: spec fields as literals, the symbol and the self-description. */
/** The C symbol of a spec's kernel on a target. */
export function symbolOf(spec: KernelSpec, target: Target): string {
  return `dwconv_${target}_${specTag(spec)}`;
}

export function templateContext(spec: KernelSpec, target: Target) {
  const symbol = symbolOf(spec, target);
  const [kh, kw] = spec.kernelSize;
  const [sh, sw] = spec.stride;
  const [pt, pb, pl, pr] = spec.padding;
  const [dh, dw] = spec.dilation;
  const info = JSON.stringify({ abi: ABI_VERSION, version: PACKAGE_VERSION, target, symbol, spec: JSON.parse(canonicalJson(spec)) as unknown });
  return {
    symbol,
    version: PACKAGE_VERSION,
    specJson: canonicalJson(spec),
    // The spec holds only validated numbers and enums, so its JSON is plain ASCII: JSON string escaping is valid C.
    infoLiteral: JSON.stringify(info),
    kh, kw, sh, sw, pt, pl, dh, dw,
    padH: pt + pb,
    padW: pl + pr,
    multiplier: spec.channelMultiplier,
    dtype: spec.dtype,
    outputDtype: outputDtypeOf(spec),
    // The output's storage type differs from the input's: out_t apart from storage_t, scalar stores.
    outputCast: outputDtypeOf(spec) !== spec.dtype,
    layout: spec.layout,
    bias: spec.bias,
    batchNorm: spec.batchNorm,
    residual: spec.residual !== 'none',
    epilogue: [epilogueHelpers(spec, target), epilogueFunction(spec, target)].filter(Boolean).join('\n'),
    pointwise: spec.pointwise ? { ...spec.pointwise, epilogue: pointwiseEpilogueFunction(spec, target) } : false,
  };
}
