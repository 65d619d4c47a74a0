import { DTYPE_BYTES } from '../dtype.js';
import type { KernelSpec } from '../spec.js';
import { add, and, ceilDiv, divides, ge, le, mul, num, sub, v, type Expr } from '../plan/expr.js';
import type { InputFootprint } from '../plan/plan.js';
import { RING_TILE_H } from './cuda-ring.js';
import { RING_SEGMENT } from './ring-segment.js';
import { THREADS, type CudaFamily } from './family.js';
import { tileAxis } from './footprint.js';
import { aligned16, INT_MAX } from './plan-prologue.js';

/** Taps whose weights a lane holds in registers, 4 channels each (36 registers at 3x3). */
const MAX_TAPS = 9;

/**
 * Steps of input rows copied ahead (cp.async into shared memory, no registers): on an H100
 * (docs/perf.md), 3x3 fp16 on the reference shape 1.644 ms with one step in registers (96 registers a thread),
 * 1.482 with two steps copied (80 registers).
 */
const STAGES = 2;

/**
 * Whether the NHWC row ring can run this spec: stride 1, no channel multiplier (a lane's 4 output
 * channels read 4 neighbouring input channels), windows up to 9 taps. Calls it cannot take (C not a
 * multiple of 4, a ring row over two strips) go to the nhwc kernel beside it.
 */
export function ringNhwcFits(spec: KernelSpec): boolean {
  const [kh, kw] = spec.kernelSize;
  return spec.layout === 'NHWC' && spec.stride[0] === 1 && spec.stride[1] === 1 && spec.channelMultiplier === 1 && kh * kw <= MAX_TAPS;
}

/**
 * Whether a spec's default NHWC source holds the ring: whenever it fits. On the H200 the reference
 * problem in NHWC runs 2.802 ms in fp32 with the nhwc kernel's best default and 2.132-2.143 with the
 * ring (1.439 against the nhwc kernel's best 1.772 in fp16), each variant timed in one run
 * (docs/perf.md); on the H100 the fp32 ring had been the slower of the two.
 */
export function ringNhwcApplies(spec: KernelSpec): boolean {
  return ringNhwcFits(spec) && ringNhwcParts(spec, RING_TILE_H, '', THREADS, false).maxSmem <= SHARED_OPTIN_FLOOR;
}

/**
 * The least shared memory a block may opt in to on the GPUs the ring runs on (sm_80 and later: 99
 * KiB on sm_86, sm_89 and sm_120; 163 on sm_80, 227 on sm_90). A default source holds the ring only
 * where its longest row's ring fits that, so that the launcher's allowance at load cannot fail on any
 * of them (tall dilated windows hold more ring rows: in float32, 3x3 at dilation 7 needs 104 KiB,
 * 9x1 at dilation 6 240 KiB); a pinned ring
 * asks for what it needs, and a GPU that cannot give it refuses the load.
 */
const SHARED_OPTIN_FLOOR = 99 * 1024;

/**
 * The NHWC ring's shape for one spec (templates/cuda/ring-nhwc.hbs). Its row length depends on C, so
 * the launch plan sizes the shared memory per call (ringNhwcLaunch). pinned: a variant asked for it, which
 * then takes every call it can load (no width bound).
 */
export function ringNhwcParts(spec: KernelSpec, tileH: number, symbol: string, lanes: number, pinned: boolean) {
  const [kh] = spec.kernelSize;
  const cols = 4 * lanes;
  const rows = tileH + (kh - 1) * spec.dilation[0];
  const vec = 16 / DTYPE_BYTES[spec.dtype];
  const maxVecs = (2 * cols) / vec; // a ring row holds at most two strips' elements
  return {
    name: `${symbol}_ring_nhwc`, tileH, stages: STAGES, segment: RING_SEGMENT, rows, vec, cols,
    /** The shared memory of the longest ring row (maxVecs vectors): the launcher allows it once. */
    maxSmem: maxVecs * ringBytesPerVector({ rows, stages: STAGES, tileH }),
    /** Output elements (Wo * C) a row needs before the default launcher takes the ring: one strip. */
    minElems: pinned ? 1 : cols,
  };
}

/**
 * ring_nhwc::geometry and the calls the ring takes: pixels of whole quads of channels, rows of whole
 * 16-byte vectors, x aligned, at least minElems output elements a row, the kernel's int arithmetic,
 * and a ring row of at most two strips' vectors. The shared memory is that row's ring. The footprint:
 * a block reads, from ih_begin = oh_begin - PT, the R - TH rows put in first and TH a step for its
 * steps (its segment's rows rounded up to whole steps), and of each row of W * C elements the `vecs`
 * whole vectors from c0 = e0 - a; rows outside the image and vectors outside the row are not loaded.
 */
function ringNhwcLaunch(spec: KernelSpec, ring: { readonly rows: number; readonly tileH: number; readonly stages: number; readonly vec: number; readonly cols: number; readonly segment: number; readonly minElems: number }): { when: Expr; sharedBytes: Expr; footprint: InputFootprint } {
  const pl = spec.padding[2];
  const [, kw] = spec.kernelSize;
  const dw = spec.dilation[1];
  const C = v('C');
  const a = mul(ceilDiv(mul(pl, C), ring.vec), ring.vec);
  const o = sub(a, mul(pl, C));
  const vecs = ceilDiv(add(add(o, ring.cols), mul((kw - 1) * dw, C)), ring.vec);
  const when = and(
    divides(4, C), divides(ring.vec, mul(v('W'), C)), ge(mul(v('Wo'), C), ring.minElems), aligned16('xLow'),
    le(C, 65536), le(mul(v('W'), C), INT_MAX - ring.cols),
    le(vecs, (2 * ring.cols) / ring.vec),
  );
  const footprint: InputFootprint = {
    by: 'tile',
    rows: tileAxis(1, ring.segment, -spec.padding[0], ring.rows - ring.tileH + Math.ceil(ring.segment / ring.tileH) * ring.tileH, v('H')),
    cols: tileAxis(0, ring.cols, sub(0, a), mul(vecs, ring.vec), mul(v('W'), C), { align: ring.vec, unit: 'elements' }),
  };
  return { when, sharedBytes: mul(vecs, ringBytesPerVector(ring)), footprint };
}

/**
 * ring_nhwc::Geometry::smem per 16-byte vector of a ring row: `rows` ring rows (in the input's own
 * type, so a vector's 16 bytes each), and the cp.async stages' raw vectors.
 */
function ringBytesPerVector(ring: { readonly rows: number; readonly stages: number; readonly tileH: number }): number {
  return 16 * (ring.rows + ring.stages * ring.tileH);
}

/**
 * NHWC, stride 1: the NCHW ring's scheme on rows of W * C elements, a block per (strip, segment of
 * rows, image). Beside the nhwc kernel, which takes the calls it cannot.
 */
export const ringNhwcFamily: CudaFamily = {
  id: 'ringNhwc', label: 'ring (NHWC)', template: 'ring-nhwc', launchRank: 0, threads: THREADS,
  build(spec, variant, symbol) {
    if (spec.layout !== 'NHWC' || spec.pointwise || !(variant ? variant.kernel === 'ring' : ringNhwcApplies(spec))) return false;
    const parts = ringNhwcParts(spec, variant?.tileH ?? RING_TILE_H, symbol, THREADS, variant !== undefined);
    const { when, sharedBytes, footprint } = ringNhwcLaunch(spec, parts);
    return {
      parts,
      variant: { ringTileH: parts.tileH },
      entries: () => [{
        name: parts.name, scope: 'ring_nhwc', when, threads: THREADS, tilesPerBlock: 1,
        grid: { axes: [{ size: parts.cols, extent: mul(v('Wo'), v('C')) }, { size: parts.segment, extent: v('Ho') }, { size: 1, extent: num(1) }], images: v('N') },
        sharedBytes, maxSharedBytes: parts.maxSmem, takesPixels: false, footprint,
      }],
    };
  },
};
