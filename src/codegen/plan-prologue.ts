// The argument checks every CUDA module makes before choosing an entry, as plan data: the pointers
// the spec needs, sizes of at least 1, a window no larger than the padded input, and extents the
// kernels' int arithmetic holds.
import { add, and, div, divides, ge, le, mul, sub, v, type Expr, type PlanVariable } from '../plan/expr.js';
import type { LaunchPlan, PointerArg } from '../plan/plan.js';
import type { KernelSpec } from '../spec.js';

export const INT_MAX = 2 ** 31 - 1;

/** The address whose low bits `low` names is a multiple of 16 bytes (one vector access). */
export const aligned16 = (low: PlanVariable & `${string}Low`): Expr => divides(16, v(low));

/** The output extent along one axis: (in + pad - dilation * (k - 1) - 1) / stride + 1. */
function extent(input: Expr, k: number, stride: number, pad: number, dilation: number): Expr {
  return add(div(sub(add(input, pad), dilation * (k - 1) + 1), stride), 1);
}

export function planPrologue(spec: KernelSpec): Pick<LaunchPlan, 'requiredPointers' | 'Ho' | 'Wo' | 'checks'> {
  const [kh, kw] = spec.kernelSize;
  const [sh, sw] = spec.stride;
  const [dh, dw] = spec.dilation;
  const padH = spec.padding[0] + spec.padding[1];
  const padW = spec.padding[2] + spec.padding[3];
  const requiredPointers: PointerArg[] = ['x', 'w', 'y'];
  if (spec.bias) requiredPointers.push('b');
  if (spec.batchNorm) requiredPointers.push('scale', 'shift');
  if (spec.residual !== 'none') requiredPointers.push('r');
  if (spec.pointwise) requiredPointers.push('pw', ...(spec.pointwise.bias ? (['pb'] as const) : []));
  return {
    requiredPointers,
    Ho: extent(v('H'), kh, sh, padH, dh),
    Wo: extent(v('W'), kw, sw, padW, dw),
    checks: [
      and(ge(v('N'), 1), ge(v('C'), 1), ge(v('H'), 1), ge(v('W'), 1)),
      and(ge(add(v('H'), padH), dh * (kh - 1) + 1), ge(add(v('W'), padW), dw * (kw - 1) + 1)),
      // Tile indices and the kernels' (int) arguments; 64 spare for a tile past the last output.
      and(le(v('H'), INT_MAX), le(v('W'), INT_MAX), le(v('Ho'), INT_MAX - 64), le(v('Wo'), INT_MAX - 64), le(mul(v('C'), spec.channelMultiplier), INT_MAX)),
    ],
  };
}
