import { roundTo } from '../dtype.js';
import { channelsOf, outputDtypeOf, outputShape, type KernelSpec } from '../spec.js';
import { fillUniform } from './random.js';

/** The per-channel inputs of one call: weights and what the epilogue needs, rounded to the spec's dtype. */
export interface Parameters {
  readonly w: Float32Array;
  readonly bias?: Float32Array;
  /** float32, not rounded: the kernel reads scale and shift as float32. */
  readonly scale?: Float32Array;
  readonly shift?: Float32Array;
  /** pointwise: [outChannels, C*m] and [outChannels], rounded to the spec's dtype. */
  readonly pointwiseWeight?: Float32Array;
  readonly pointwiseBias?: Float32Array;
}

/** Host inputs for one call of a kernel: what the spec needs and nothing else. */
export interface Operands extends Parameters {
  readonly x: Float32Array;
  readonly residual?: Float32Array;
}

const uniform = (n: number, seed: number) => fillUniform(new Float32Array(n), seed);

/**
 * Fresh uniform [-1, 1) weights, bias, scale and shift for `inputChannels` channels. The scale is kept
 * in [0.5, 1.5): near-zero scales would hide errors in what they multiply.
 */
export function randomParameters(spec: KernelSpec, inputChannels: number, seed: number): Parameters {
  const cOut = inputChannels * spec.channelMultiplier;
  const stored = (a: Float32Array) => roundTo(a, spec.dtype);
  return {
    w: stored(uniform(cOut * spec.kernelSize[0] * spec.kernelSize[1], seed + 1)),
    ...(spec.bias ? { bias: stored(uniform(cOut, seed + 2)) } : {}),
    ...(spec.batchNorm ? { scale: uniform(cOut, seed + 3).map((v) => 1 + v / 2), shift: uniform(cOut, seed + 4) } : {}),
    ...(spec.pointwise ? { pointwiseWeight: stored(uniform(spec.pointwise.outChannels * cOut, seed + 6)) } : {}),
    ...(spec.pointwise?.bias ? { pointwiseBias: stored(uniform(spec.pointwise.outChannels, seed + 7)) } : {}),
  };
}

/** The parameters as ReferenceInputs names them. */
export function referenceParameters(p: Parameters): { weight: Float32Array; bias?: Float32Array; scale?: Float32Array; shift?: Float32Array; pointwiseWeight?: Float32Array; pointwiseBias?: Float32Array } {
  return {
    weight: p.w, ...(p.bias ? { bias: p.bias } : {}), ...(p.scale && p.shift ? { scale: p.scale, shift: p.shift } : {}),
    ...(p.pointwiseWeight ? { pointwiseWeight: p.pointwiseWeight } : {}), ...(p.pointwiseBias ? { pointwiseBias: p.pointwiseBias } : {}),
  };
}

/** Everything for one call on a small problem, input and residual included. */
export function randomOperands(spec: KernelSpec, inputShape: readonly [number, number, number, number], seed: number): Operands {
  const count = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
  const stored = (a: Float32Array) => roundTo(a, spec.dtype);
  return {
    ...randomParameters(spec, channelsOf(spec, inputShape), seed),
    x: stored(uniform(count(inputShape), seed)),
    ...(spec.residual !== 'none' ? { residual: roundTo(uniform(count(outputShape(spec, inputShape)), seed + 5), outputDtypeOf(spec)) } : {}),
  };
}
