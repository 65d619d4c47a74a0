import { describe, expect, it } from 'vitest';
import { foldBatchNorm } from '../../src/batchnorm.js';
import { floatLiteral } from '../../src/codegen/epilogue.js';
import { SpecError } from '../../src/errors.js';
import { activate, activationSlopeBound, erf } from '../../src/verify/activation.js';
import { ACTIVATIONS } from '../../src/spec.js';

describe('reference activations', () => {
  it('erf matches published values to 1e-15 across both branches', () => {
    // Values from a maintained implementation (@stdlib/math-base-special-erf 0.2.6).
    const table: [number, number][] = [
      [0.5, 0.5204998778130465], [1, 0.8427007929497149], [2.5, 0.999593047982555], [2.999, 0.9999777698314002],
      [3, 0.9999779095030014], [3.5, 0.9999992569016276], [4, 0.9999999845827421], [5.5, 0.9999999999999927],
      [-1.7, -0.9837904585907745], [1e-8, 1.1283791670955126e-8],
    ];
    for (const [x, want] of table) expect(Math.abs(erf(x) - want)).toBeLessThanOrEqual(1e-15 * Math.abs(want));
    expect(erf(0)).toBe(0);
    expect(erf(7)).toBe(1);
    expect(Number.isNaN(erf(Number.NaN))).toBe(true);
  });

  it("follows PyTorch's definitions", () => {
    const at1: Record<string, number> = {
      none: 1, relu: 1, relu6: 1, leaky_relu: 1, silu: 0.7310585786300049, gelu: 0.8413447460685429,
      gelu_tanh: 0.8411919906082768, hardswish: 2 / 3, sigmoid: 0.7310585786300049,
    };
    for (const a of ACTIVATIONS) expect(activate(a, 1)).toBeCloseTo(at1[a]!, 14);
    expect(activate('relu6', 7.5)).toBe(6);
    expect(activate('leaky_relu', -2, 0.2)).toBeCloseTo(-0.4, 15);
    // PyTorch: z * relu6(z + 3) / 6, so -0 below -3, NaN at -inf, inf at inf.
    expect(activate('hardswish', -3)).toBe(-0);
    expect(activate('hardswish', -5)).toBe(-0);
    expect(Number.isNaN(activate('hardswish', -Infinity))).toBe(true);
    expect(activate('hardswish', Infinity)).toBe(Infinity);
    expect(activate('gelu', -1)).toBeCloseTo(-0.15865525393145707, 14);
    for (const a of ACTIVATIONS) if (a !== 'sigmoid') expect(Number.isNaN(activate(a, Number.NaN))).toBe(true);
  });

  it('slope bounds hold on a dense grid (they scale the error tolerance)', () => {
    for (const a of ACTIVATIONS) {
      const bound = activationSlopeBound(a, 0.3);
      for (let z = -8; z < 8; z += 0.001) {
        const d = (activate(a, z + 1e-6, 0.3) - activate(a, z, 0.3)) / 1e-6;
        expect(Math.abs(d), `${a} at ${z}`).toBeLessThanOrEqual(bound + 1e-4);
      }
    }
  }, 60_000); // 144,000 expect calls: over vitest's 5 s default on a loaded machine
});

describe('foldBatchNorm', () => {
  it('gives scale = gamma / sqrt(var + eps) and shift = beta - mean * scale', () => {
    const { scale, shift } = foldBatchNorm({ mean: [1, -2], variance: [4, 0], gamma: [2, 1], beta: [0.5, 0], eps: 0 + 1e-5 });
    expect(scale[0]).toBeCloseTo(2 / Math.sqrt(4 + 1e-5), 6);
    expect(shift[0]).toBeCloseTo(0.5 - 1 * (2 / Math.sqrt(4 + 1e-5)), 6);
    expect(scale[1]).toBeCloseTo(1 / Math.sqrt(1e-5), 2);
    expect(shift[1]).toBeCloseTo(2 / Math.sqrt(1e-5), 2);
  });

  it.each([
    ['mean', { mean: [], variance: [] }],
    ['variance', { mean: [0, 0], variance: [1] }],
    ['variance[0]', { mean: [0], variance: [-1] }],
    ['variance[0]', { mean: [0], variance: [0], eps: 0 }],
    ['mean[0]', { mean: [Number.NaN], variance: [1] }],
    ['gamma[0]', { mean: [0], variance: [1], gamma: [Number.POSITIVE_INFINITY] }],
    ['eps', { mean: [0], variance: [1], eps: -1 }],
  ])('rejects bad %s', (field, stats) => {
    let caught: unknown;
    try {
      foldBatchNorm(stats as never);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(SpecError);
    expect((caught as SpecError).field).toBe(field);
  });
});

describe('floatLiteral', () => {
  it('reads back as the same float32', () => {
    for (const v of [0.01, -0.3, 1e-7, 123456.789, 0, 1 / 3]) expect(Math.fround(Number.parseFloat(floatLiteral(v)))).toBe(Math.fround(v));
    expect(floatLiteral(0.2)).toBe('0.200000003f');
  });
});
