import { describe, expect, it } from 'vitest';
import { normalizeSpec } from '../../src/spec.js';
import { Comparer } from '../../src/verify/compare.js';
import { reference } from '../../src/verify/reference.js';
import { sampleIndices } from '../../src/verify/sample.js';

describe('float64 reference', () => {
  it('matches a hand-computed 3x3 conv with padding, stride, multiplier and bias', () => {
    // One 3x3 input 1..9, weights all 1 (channel 0) and the centre tap only (channel 1), stride 2, padding 1.
    const spec = normalizeSpec({ kernelSize: 3, padding: 1, stride: 2, channelMultiplier: 2, bias: true });
    const x = [1, 2, 3, 4, 5, 6, 7, 8, 9];
    const w = [1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0];
    const r = reference({ spec, inputShape: [1, 1, 3, 3], input: (i) => x[i]!, weight: w, bias: [10, 0] });
    expect(r.shape).toEqual([1, 2, 2, 2]);
    // Channel 0: window sums at (0,0),(0,2),(2,0),(2,2) with zero padding (12, 16, 24, 28) plus bias 10.
    // Channel 1: the centre taps 1, 3, 7, 9.
    expect([...r.values]).toEqual([22, 26, 34, 38, 1, 3, 7, 9]);
  });

  it('applies dilation', () => {
    const spec = normalizeSpec({ kernelSize: [1, 2], dilation: [1, 3] });
    const r = reference({ spec, inputShape: [1, 1, 1, 5], input: (i) => i + 1, weight: [1, 10] });
    expect([...r.values]).toEqual([1 + 40, 2 + 50]);
  });
});

describe('Comparer', () => {
  it('fails NaN (an unwritten, poisoned output) and errors over tolerance', () => {
    const c = new Comparer('float32');
    c.add(0, 1, 1, 1);
    c.add(1, Number.NaN, 1, 1);
    c.add(2, 1.001, 1, 1);
    expect(c.result()).toMatchObject({ checked: 3, failures: 2 });
  });

  it('passes fp16 rounding of the output', () => {
    const c = new Comparer('float16');
    c.add(0, 0.0999755859375, 0.1, 0.3);
    expect(c.result().failures).toBe(0);
  });

  it('passes an fp16 output rounded to the nearest subnormal, and fails one a subnormal step off', () => {
    const c = new Comparer('float16');
    c.add(0, 24 * 2 ** -24, 1.4505819234918514e-6, 3e-6); // the case a GPU property run met
    expect(c.result().failures).toBe(0);
    c.add(1, 23 * 2 ** -24, 1.4505819234918514e-6, 3e-6);
    expect(c.result().failures).toBe(1);
  });
});

describe('sampleIndices', () => {
  it('takes every index when asked for more than there are, else distinct sorted ones', () => {
    expect(sampleIndices(5, 10)).toEqual([0, 1, 2, 3, 4]);
    const s = sampleIndices(1_000_000, 1000);
    expect(new Set(s).size).toBe(1000);
    expect([...s].sort((a, b) => a - b)).toEqual(s);
  });
});
