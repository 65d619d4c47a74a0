import { pointwiseWeightShape, weightShape, type KernelSpec } from '../spec.js';
import type { Parameters } from '../verify/operands.js';
import type { Environment } from '../env.js';
import { Tensor, type DeviceChoice } from './tensor.js';

/** The tensors made from host parameters, as Kernel.forward takes them: w, b, and the epilogue's scale and shift. */
export interface ParameterTensors {
  readonly w: Tensor;
  readonly b: Tensor | undefined;
  readonly epilogue: { readonly scale?: Tensor; readonly shift?: Tensor; readonly pointwiseWeight?: Tensor; readonly pointwiseBias?: Tensor };
}

/**
 * Weights [C*m, 1, kh, kw] and bias in the spec's dtype, scale and shift in float32, on `place.device`
 * (through `place.env`'s CUDA runtime); every tensor made is passed to `track` so the caller can
 * dispose of them.
 */
export function parameterTensors(
  spec: KernelSpec, inputChannels: number, p: Parameters, place: { readonly device: DeviceChoice; readonly env?: Environment },
  track: (t: Tensor) => Tensor = (t) => t,
): ParameterTensors {
  const cOut = inputChannels * spec.channelMultiplier;
  const opts = { ...place, dtype: spec.dtype };
  const f32 = { ...place, dtype: 'float32' } as const;
  return {
    w: track(Tensor.fromArray(p.w, weightShape(spec, inputChannels), opts)),
    b: p.bias ? track(Tensor.fromArray(p.bias, [cOut], opts)) : undefined,
    epilogue: {
      ...(p.scale ? { scale: track(Tensor.fromArray(p.scale, [cOut], f32)) } : {}),
      ...(p.shift ? { shift: track(Tensor.fromArray(p.shift, [cOut], f32)) } : {}),
      ...(p.pointwiseWeight && spec.pointwise ? { pointwiseWeight: track(Tensor.fromArray(p.pointwiseWeight, pointwiseWeightShape(spec.pointwise, spec, inputChannels), opts)) } : {}),
      ...(p.pointwiseBias && spec.pointwise ? { pointwiseBias: track(Tensor.fromArray(p.pointwiseBias, [spec.pointwise.outChannels], opts)) } : {}),
    },
  };
}
