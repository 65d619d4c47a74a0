import { canonicalJson, outputDtypeOf, specTag, type KernelSpec } from '../spec.js';
import { ABI_VERSION, PACKAGE_VERSION } from '../version.js';
import { epilogueFunction, pointwiseEpilogueFunction } from './epilogue.js';

export type Target = 'cuda' | 'cpu';

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
  /** CUDA: the extern "C" entry points and tile sizes, for launching a cubin without the nvcc host launcher. */
  readonly launch?: CudaLaunchInfo;
}

/** What a launcher needs beside the spec: threads per block, and per kernel family its tile and entry points. */
export interface CudaLaunchInfo {
  readonly threads: number;
  readonly direct?: { readonly tileW: number; readonly tileH: number; readonly entry: string };
  /** entries in the order they are tried: see tiledEntries. */
  readonly tiled?: { readonly tileW: number; readonly tileH: number; readonly entries: readonly { readonly name: string; readonly inVec: number; readonly outVec: number }[] };
  /**
   * Depthwise-separable block: one block of `threads` per tile of `pixels` outputs (of all images) x
   * `coutTile` channels. Two entries, wide then narrow: the narrow one when the wide one would launch
   * fewer than `narrowBelow` blocks, unless the split entry (its own tiles and `threads`, `slices`
   * blocks a tile, thread block clusters; only where the wide tiles are small) can take the call: code
   * built for sm_90 or newer, a split grid of at most `maxBlocks` blocks, at least `minChunks` chunks
   * of depthwise channels.
   */
  readonly separable?: {
    readonly entries: readonly { readonly name: string; readonly pixels: number; readonly coutTile: number }[];
    readonly narrowBelow: number;
    /** The wide tiles with the quads depthwise part: for wide calls with Wo and W multiples of 4 and x aligned to 4 elements. */
    readonly quads?: { readonly name: string };
    readonly split?: { readonly name: string; readonly pixels: number; readonly coutTile: number; readonly threads: number; readonly slices: number; readonly minChunks: number; readonly maxBlocks: number };
  };
  /**
   * Row ring (NCHW, stride 1): one block of `threads` per (strip of `cols` output columns, segment
   * of `segment` rows, channel, image), `smem` bytes of dynamic shared memory; taken for rows of whole
   * 16-byte vectors (`vec` elements) with x 16-byte aligned, Wo >= minWo, and Wo filling at least
   * minFill quarters of its strips.
   */
  readonly ring?: { readonly name: string; readonly vec: number; readonly cols: number; readonly segment: number; readonly smem: number; readonly minWo: number; readonly minFill: number };
  /**
   * NHWC row ring: one block of `threads` per (strip of `cols` output elements of a row, segment of
   * `segment` rows, image); `rows` ring rows whose length, and so the shared memory, depends on C
   * (ringNhwcSmem). Beside the nhwc kernel, which takes the calls it cannot.
   */
  readonly ringNhwc?: { readonly name: string; readonly rows: number; readonly tileH: number; readonly stages: number; readonly vec: number; readonly cols: number; readonly segment: number; readonly maxSmem: number; readonly minElems: number };
  /** NHWC: entries by channels per thread (the vector one first, when there is one). */
  readonly nhwc?: { readonly tileW: number; readonly tileH: number; readonly entries: readonly { readonly name: string; readonly vec: number }[] };
}

/** The values every template shares: spec fields as literals, the symbol and the self-description. */
export function templateContext(spec: KernelSpec, target: Target) {
  const symbol = `dwconv_${target}_${specTag(spec)}`;
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
    epilogue: epilogueFunction(spec, target),
    pointwise: spec.pointwise ? { ...spec.pointwise, epilogue: pointwiseEpilogueFunction(spec, target) } : false,
  };
}
