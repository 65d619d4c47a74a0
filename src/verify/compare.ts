import { outputDtypeOf, type DType, type KernelSpec } from '../spec.js';

/**
 * Allowed |out - ref| relative to the sum of absolute terms: float32 accumulation error stays far
 * below 1e-5 of it; fp16/bf16 outputs are rounded once (2^-11, 2^-8 relative) on top.
 */
export const TOLERANCE: Readonly<Record<DType, number>> = { float32: 1e-5, float16: 2e-3, bfloat16: 1e-2 };

/**
 * A float32 block with `pointwise.tf32` rounds both 1x1 operands to TF32 (2^-11 relative each), so a
 * term is off by up to about 2^-10 of itself: the float16 allowance.
 */
export const TF32_TOLERANCE = 2e-3;

/**
 * The tolerance a kernel of this spec is held to: its dtype's, or its output's where that is coarser
 * (the result is rounded to it once), or TF32_TOLERANCE with pointwise.tf32.
 */
export function toleranceOf(spec: KernelSpec): number {
  const stored = Math.max(TOLERANCE[spec.dtype], TOLERANCE[outputDtypeOf(spec)]);
  return spec.pointwise?.tf32 ? Math.max(TF32_TOLERANCE, stored) : stored;
}

/**
 * An absolute floor on top: an output stored in the subnormal range is rounded to a fixed spacing, not
 * a relative one (half the smallest subnormal: 2^-25 for fp16). Seen in a test: a float16 gelu_tanh
 * output of 1.45e-6 stored as the nearest subnormal, 1.43e-6.
 */
const SUBNORMAL_HALF_SPACING: Readonly<Record<DType, number>> = { float32: 2 ** -150, float16: 2 ** -25, bfloat16: 2 ** -134 };

export interface Mismatch {
  readonly index: number;
  readonly got: number;
  readonly expected: number;
}

export interface Comparison {
  readonly checked: number;
  readonly failures: number;
  /** max |out - ref| / max(magnitude, tiny) over the checked outputs. */
  readonly maxRelativeError: number;
  readonly firstFailures: readonly Mismatch[];
}

/** Compares outputs with the float64 reference; NaN (e.g. an unwritten, poisoned output) always fails. */
export class Comparer {
  private checked = 0;
  private failures = 0;
  private maxRel = 0;
  private readonly first: Mismatch[] = [];

  /** tolerance: relative to the magnitude, TOLERANCE of the dtype unless given (see toleranceOf). */
  constructor(private readonly dtype: DType, private readonly tolerance = TOLERANCE[dtype]) {}

  add(index: number, got: number, expected: number, magnitude: number): void {
    this.checked++;
    const scale = Math.max(magnitude, 1e-30);
    const err = Math.abs(got - expected);
    const rel = err / scale;
    if (!(err <= this.tolerance * scale + SUBNORMAL_HALF_SPACING[this.dtype])) {
      this.failures++;
      if (this.first.length < 5) this.first.push({ index, got, expected });
    }
    if (!(rel <= this.maxRel)) this.maxRel = Number.isNaN(rel) ? Number.NaN : Math.max(this.maxRel, rel);
  }

  result(): Comparison {
    return { checked: this.checked, failures: this.failures, maxRelativeError: this.maxRel, firstFailures: this.first };
  }
}
