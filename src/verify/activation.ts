import type { Activation } from '../spec.js';

/**
 * erf in float64, to about 1e-15: the Maclaurin series below 2.5 (its terms stay under e^6.25,
 * so cancellation costs at most 3 digits), Laplace's continued fraction for erfc above.
 * Written out because JavaScript has no Math.erf and the one maintained package pulls in 146 others.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  if (a >= 6) return Math.sign(x); // erfc(6) < 3e-17
  if (a < 2.5) {
    let term = a;
    let sum = a;
    for (let n = 1; n < 100; n++) {
      term *= (-a * a) / n;
      const t = term / (2 * n + 1);
      sum += t;
      if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(a) = exp(-a²)/√π · 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + ...)))), evaluated from the tail.
  let f = a;
  for (let n = 80; n >= 1; n--) f = a + n / 2 / f;
  return Math.sign(x) * (1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / f);
}

/** An activation in float64, with PyTorch's definitions (NaN passes through). */
export function activate(activation: Activation, z: number, negativeSlope = 0.01): number {
  switch (activation) {
    case 'none': return z;
    case 'relu': return z < 0 ? 0 : z;
    case 'relu6': return z < 0 ? 0 : z > 6 ? 6 : z;
    case 'leaky_relu': return z < 0 ? z * negativeSlope : z;
    case 'silu': return z / (1 + Math.exp(-z));
    case 'gelu': return 0.5 * z * (1 + erf(z / Math.SQRT2));
    case 'gelu_tanh': return 0.5 * z * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (z + 0.044715 * z * z * z)));
    case 'hardswish': return z <= -3 ? z * 0 : z >= 3 ? z : (z * (z + 3)) / 6; // z * 0: -0, and NaN for -Infinity, as z * relu6(z + 3) / 6 gives
    case 'sigmoid': return 1 / (1 + Math.exp(-z));
  }
}

/** A bound on |f'(z)|: an error in the input of f grows by at most this much. */
export function activationSlopeBound(activation: Activation, negativeSlope = 0.01): number {
  switch (activation) {
    case 'none': case 'relu': case 'relu6': return 1;
    case 'leaky_relu': return Math.max(1, Math.abs(negativeSlope));
    case 'silu': return 1.1;
    case 'gelu': case 'gelu_tanh': return 1.13;
    case 'hardswish': return 1.5;
    case 'sigmoid': return 0.25;
  }
}
