// The plain (non-tensor) arguments of Kernel.forward and Kernel.run, checked before anything is
// allocated or launched: each refusal is a SpecError naming the argument.
import { SpecError } from '../errors.js';
import { pointwiseWeightShape, weightShape, type KernelSpec } from '../spec.js';
import type { Parameters } from '../verify/operands.js';
import type { Address } from '../ffi/cudart.js';
import { hostValues } from './tensor.js';

const FORWARD_OPTIONS = ['out', 'stream', 'scale', 'shift', 'residual', 'pointwiseWeight', 'pointwiseBias'] as const;
const EPILOGUE_ARRAYS = ['scale', 'shift', 'residual', 'pointwiseWeight', 'pointwiseBias'] as const;
const STREAM_ALLOWED = 'a CUDA stream address (a non-negative integer number or bigint), or undefined for the default stream';

type Bag = Readonly<Record<string, unknown>>;

function bag(name: string, value: unknown, known: readonly string[]): Bag {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SpecError(name, value, `an object with some of: ${known.join(', ')}`);
  for (const key of Object.keys(value)) if (!known.includes(key)) throw new SpecError(`${name}.${key}`, (value as Bag)[key], `known fields: ${known.join(', ')}`);
  return value as Bag;
}

/** A stream as koffi passes it (uintptr_t): a safe non-negative integer or a 64-bit bigint. */
function checkStream(stream: unknown): Address | undefined {
  if (stream === undefined) return undefined;
  if (typeof stream === 'number' && Number.isSafeInteger(stream) && stream >= 0) return stream;
  if (typeof stream === 'bigint' && stream >= 0n && stream < 1n << 64n) return stream;
  throw new SpecError('options.stream', stream, STREAM_ALLOWED);
}

/** forward()'s options object: known fields only, a valid stream. The tensors are checked by Kernel.prepare. */
export function forwardOptions(options: unknown): Bag & { readonly stream: Address | undefined } {
  const o = bag('options', options, FORWARD_OPTIONS);
  return { ...o, stream: checkStream(o.stream) };
}

export interface RunInputs {
  readonly input: unknown;
  readonly inputShape: readonly number[];
  readonly weight: unknown;
  readonly bias: unknown;
  readonly epilogue: unknown;
  readonly channels: number;
  readonly outShape: readonly number[];
}

const count = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * run()'s host arrays as float32, each of the length the spec and shape need; an array the spec has
 * no use for (a pointwise weight for a plain depthwise spec) is refused rather than ignored.
 */
export function runArrays(spec: KernelSpec, r: RunInputs): { input: Float32Array; parameters: Parameters; residual: Float32Array | undefined } {
  const cOut = r.channels * spec.channelMultiplier;
  const input = hostValues('input', r.input, count(r.inputShape));
  const w = hostValues('weight', r.weight, count(weightShape(spec, r.channels)));
  /** `value` must be given exactly when the spec uses it; `unused` says why it is not. */
  const optional = (name: string, value: unknown, wanted: boolean, length: number, unused: string): Float32Array | undefined => {
    if (!wanted) {
      if (value !== undefined) throw new SpecError(name, value, `none (${unused})`);
      return undefined;
    }
    if (value === undefined) throw new SpecError(name, undefined, `a Float32Array of ${length} values (this spec needs it)`);
    return hostValues(name, value, length);
  };
  const e = bag('epilogue', r.epilogue, EPILOGUE_ARRAYS);
  const pw = spec.pointwise;
  const bias = optional('bias', r.bias, spec.bias, cOut, 'this spec has bias: false');
  const scale = optional('epilogue.scale', e.scale, spec.batchNorm, cOut, 'this spec has batchNorm: false');
  const shift = optional('epilogue.shift', e.shift, spec.batchNorm, cOut, 'this spec has batchNorm: false');
  const residual = optional('epilogue.residual', e.residual, spec.residual !== 'none', count(r.outShape), "this spec has residual: 'none'");
  const pointwiseWeight = optional('epilogue.pointwiseWeight', e.pointwiseWeight, pw !== undefined, pw ? count(pointwiseWeightShape(pw, spec, r.channels)) : 0, 'this spec has no pointwise part');
  const pointwiseBias = optional('epilogue.pointwiseBias', e.pointwiseBias, pw?.bias === true, pw?.outChannels ?? 0, 'this spec has no pointwise bias');
  return {
    input,
    parameters: { w, ...(bias ? { bias } : {}), ...(scale ? { scale } : {}), ...(shift ? { shift } : {}), ...(pointwiseWeight ? { pointwiseWeight } : {}), ...(pointwiseBias ? { pointwiseBias } : {}) },
    residual,
  };
}
