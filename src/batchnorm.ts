import { SpecError } from './errors.js';

export interface BatchNormStats {
  /** Running mean and variance, one value per output channel. */
  readonly mean: ArrayLike<number>;
  readonly variance: ArrayLike<number>;
  /** The affine weight (gamma) and bias (beta); default 1 and 0, as with affine=false. */
  readonly gamma?: ArrayLike<number>;
  readonly beta?: ArrayLike<number>;
  /** Default 1e-5, PyTorch's. */
  readonly eps?: number;
}

/**
 * An inference-mode BatchNorm as the per-channel scale and shift of a `batchNorm: true` spec:
 * scale = gamma / sqrt(variance + eps), shift = beta - mean * scale, computed in float64 and
 * stored as float32. The conv bias, if any, stays separate: the kernel adds it before scaling.
 */
export function foldBatchNorm(stats: BatchNormStats): { scale: Float32Array; shift: Float32Array } {
  const channels = stats.mean?.length;
  if (typeof channels !== 'number' || channels < 1) throw new SpecError('mean', stats.mean, 'one value per channel');
  const eps = stats.eps ?? 1e-5;
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps < 0) throw new SpecError('eps', eps, 'a finite number >= 0');
  for (const name of ['variance', 'gamma', 'beta'] as const) {
    const a = stats[name];
    if (a !== undefined && a?.length !== channels) throw new SpecError(name, a, `${channels} values (as many as mean)`);
  }
  const scale = new Float32Array(channels);
  const shift = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const [m, v, g, b] = [stats.mean[c], stats.variance[c], stats.gamma?.[c] ?? 1, stats.beta?.[c] ?? 0];
    for (const [name, x] of [['mean', m], ['gamma', g], ['beta', b]] as const) {
      if (typeof x !== 'number' || !Number.isFinite(x)) throw new SpecError(`${name}[${c}]`, x, 'a finite number');
    }
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v + eps <= 0) throw new SpecError(`variance[${c}]`, v, 'a finite number >= 0 (with variance + eps > 0)');
    scale[c] = g / Math.sqrt(v + eps);
    shift[c] = b - (m as number) * (g / Math.sqrt(v + eps));
  }
  return { scale, shift };
}
