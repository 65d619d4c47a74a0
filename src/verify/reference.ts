import type { KernelSpec } from '../spec.js';
import { logicalDims, outputExtent, outputShape } from '../spec.js';
import { activate, activationSlopeBound } from './activation.js';

/** Inputs as the kernel sees them: values already rounded to the spec's dtype. */
export interface ReferenceInputs {
  readonly spec: KernelSpec;
  readonly inputShape: readonly [number, number, number, number];
  /** Input value at a flat index in the spec's layout (a function, so that huge inputs need not sit in host memory). */
  readonly input: (index: number) => number;
  readonly weight: ArrayLike<number>;
  readonly bias?: ArrayLike<number>;
  /** batchNorm: per-output-channel scale and shift. */
  readonly scale?: ArrayLike<number>;
  readonly shift?: ArrayLike<number>;
  /** residual: the value at a flat output index, already rounded to the spec's dtype. */
  readonly residual?: (index: number) => number;
  /** pointwise: the 1x1 weights [outChannels, C*m] and bias [outChannels]. */
  readonly pointwiseWeight?: ArrayLike<number>;
  readonly pointwiseBias?: ArrayLike<number>;
}

/**
 * One output in float64, and the scale its float32 rounding error grows with: the sum of the absolute
 * terms, carried through the epilogue (times |scale|, plus |shift| and |residual|, times the
 * activation's slope bound, plus the activated value itself for the activation's own rounding).
 */
export function referenceAt(r: ReferenceInputs, n: number, co: number, oh: number, ow: number): { value: number; magnitude: number } {
  return r.spec.pointwise ? separableAt(r, n, co, oh, ow) : depthwiseAt(r, n, co, oh, ow);
}

/**
 * A separable block's output: the 1x1 over every depthwise channel's result (each with its own
 * epilogue), then the 1x1's bias and activation. The magnitude carries each depthwise magnitude
 * through the 1x1's |weights|, plus |bias|, through the activation as in depthwiseAt.
 */
function separableAt(r: ReferenceInputs, n: number, co: number, oh: number, ow: number): { value: number; magnitude: number } {
  const pw = r.spec.pointwise!;
  const cm = logicalDims(r.spec, r.inputShape)[1] * r.spec.channelMultiplier;
  let value = 0;
  let magnitude = 0;
  for (let k = 0; k < cm; k++) {
    const d = depthwiseAt(r, n, k, oh, ow);
    const wk = r.pointwiseWeight![co * cm + k]!;
    value += wk * d.value;
    magnitude += Math.abs(wk) * d.magnitude;
  }
  if (pw.bias) {
    value += r.pointwiseBias![co]!;
    magnitude += Math.abs(r.pointwiseBias![co]!);
  }
  if (pw.activation !== 'none') {
    value = activate(pw.activation, value, pw.negativeSlope);
    magnitude = magnitude * activationSlopeBound(pw.activation, pw.negativeSlope) + Math.abs(value);
  }
  return { value, magnitude };
}

/** One depthwise output channel co (of C*m), its epilogue applied. */
function depthwiseAt(r: ReferenceInputs, n: number, co: number, oh: number, ow: number): { value: number; magnitude: number } {
  const { spec } = r;
  const [, c, h, w] = logicalDims(spec, r.inputShape);
  const [kh, kw] = spec.kernelSize;
  const ci = Math.floor(co / spec.channelMultiplier);
  const nhwc = spec.layout === 'NHWC';
  const inputIndex = (ih: number, iw: number) => (nhwc ? ((n * h + ih) * w + iw) * c + ci : ((n * c + ci) * h + ih) * w + iw);
  let value = 0;
  let magnitude = 0;
  for (let i = 0; i < kh; i++) {
    const ih = oh * spec.stride[0] - spec.padding[0] + i * spec.dilation[0];
    if (ih < 0 || ih >= h) continue;
    for (let j = 0; j < kw; j++) {
      const iw = ow * spec.stride[1] - spec.padding[2] + j * spec.dilation[1];
      if (iw < 0 || iw >= w) continue;
      const term = r.weight[(co * kh + i) * kw + j]! * r.input(inputIndex(ih, iw));
      value += term;
      magnitude += Math.abs(term);
    }
  }
  if (spec.bias && r.bias) {
    value += r.bias[co]!;
    magnitude += Math.abs(r.bias[co]!);
  }
  if (spec.batchNorm && r.scale && r.shift) {
    value = value * r.scale[co]! + r.shift[co]!;
    magnitude = magnitude * Math.abs(r.scale[co]!) + Math.abs(r.shift[co]!);
  }
  let res = 0;
  if (spec.residual !== 'none' && r.residual) {
    const ho = outputExtent(h, kh, spec.stride[0], spec.padding[0] + spec.padding[1], spec.dilation[0]);
    const wo = outputExtent(w, kw, spec.stride[1], spec.padding[2] + spec.padding[3], spec.dilation[1]);
    const cOut = c * spec.channelMultiplier;
    res = r.residual(nhwc ? ((n * ho + oh) * wo + ow) * cOut + co : ((n * cOut + co) * ho + oh) * wo + ow);
  }
  if (spec.residual === 'before-activation') {
    value += res;
    magnitude += Math.abs(res);
  }
  if (spec.activation !== 'none') {
    value = activate(spec.activation, value, spec.negativeSlope);
    magnitude = magnitude * activationSlopeBound(spec.activation, spec.negativeSlope) + Math.abs(value);
  }
  if (spec.residual === 'after-activation') {
    value += res;
    magnitude += Math.abs(res);
  }
  return { value, magnitude };
}

/** The whole output in float64 (for small problems). */
export function reference(r: ReferenceInputs): { values: Float64Array; magnitudes: Float64Array; shape: [number, number, number, number] } {
  const shape = outputShape(r.spec, r.inputShape);
  const count = shape.reduce((a, b) => a * b, 1);
  const values = new Float64Array(count);
  const magnitudes = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    const [n, co, oh, ow] = outputCoords(r.spec, shape, k);
    const { value, magnitude } = referenceAt(r, n, co, oh, ow);
    values[k] = value;
    magnitudes[k] = magnitude;
  }
  return { values, magnitudes, shape };
}

/** [n, co, oh, ow] of a flat output index, for an output shape in the spec's layout. */
export function outputCoords(spec: KernelSpec, outShape: readonly [number, number, number, number], flat: number): [number, number, number, number] {
  const [, co, ho, wo] = logicalDims(spec, outShape);
  if (spec.layout === 'NHWC') {
    const c = flat % co;
    const ow = Math.floor(flat / co) % wo;
    const oh = Math.floor(flat / (co * wo)) % ho;
    return [Math.floor(flat / (co * wo * ho)), c, oh, ow];
  }
  const ow = flat % wo;
  const oh = Math.floor(flat / wo) % ho;
  const c = Math.floor(flat / (wo * ho)) % co;
  return [Math.floor(flat / (wo * ho * co)), c, oh, ow];
}
