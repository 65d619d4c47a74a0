import { DTYPE_BYTES } from '../dtype.js';
import type { KernelSpec } from '../spec.js';
import { RING_SEGMENT } from './cuda-ring.js';

/** Taps whose weights a lane holds in registers, 4 channels each (36 registers at 3x3). */
const MAX_TAPS = 9;

/**
 * Steps of input rows copied ahead (cp.async into shared memory, no registers): lab run 4 of session
 * 7, 3x3 fp16 on the reference shape 1.644 ms with one step in registers (96 registers a thread),
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

/** Whether a spec's default NHWC source holds the ring: 16-bit inputs, where the nhwc kernel is issue-bound (docs/perf.md). */
export function ringNhwcApplies(spec: KernelSpec): boolean {
  return ringNhwcFits(spec) && spec.dtype !== 'float32';
}

/**
 * The NHWC ring's shape for one spec (templates/cuda/ring-nhwc.hbs). Its row length depends on C, so
 * the launchers size the shared memory per call (ringNhwcSmem). pinned: a variant asked for it, which
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
    maxSmem: ringBytes({ rows, stages: STAGES, tileH, vec }, maxVecs),
    /** Output elements (Wo * C) a row needs before the default launcher takes the ring: one strip. */
    minElems: pinned ? 1 : cols,
  };
}

/** ring_nhwc::geometry and suits: the ring's bytes of shared memory for C channels, or undefined where the ring cannot take the call. */
export function ringNhwcSmem(spec: KernelSpec, ring: { readonly rows: number; readonly tileH: number; readonly stages: number; readonly vec: number; readonly cols: number; readonly maxSmem: number; readonly minElems: number }, C: number, W: number, Wo: number, xAligned: boolean): number | undefined {
  const pl = spec.padding[2];
  const [, kw] = spec.kernelSize;
  const dw = spec.dilation[1];
  if (C % 4 !== 0 || (W * C) % ring.vec !== 0 || Wo * C < ring.minElems || !xAligned) return undefined;
  if (C > 65536 || W * C > 2147483647 - ring.cols) return undefined; // the kernel's int arithmetic
  const a = Math.ceil((pl * C) / ring.vec) * ring.vec;
  const o = a - pl * C;
  const vecs = Math.ceil((o + ring.cols + (kw - 1) * dw * C) / ring.vec);
  return vecs <= (2 * ring.cols) / ring.vec ? ringBytes(ring, vecs) : undefined;
}

/** ring_nhwc::Geometry::smem: `rows` ring rows of `vecs` 16-byte vectors (float32 elements), and the cp.async stages. */
function ringBytes(ring: { readonly rows: number; readonly stages: number; readonly tileH: number; readonly vec: number }, vecs: number): number {
  return ring.rows * vecs * ring.vec * 4 + ring.stages * ring.tileH * vecs * 16;
}
