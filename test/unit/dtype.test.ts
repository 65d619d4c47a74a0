import { describe, expect, it } from 'vitest';
import { decode, encode, roundTo } from '../../src/dtype.js';

describe('dtype conversion', () => {
  it('round-trips float32 exactly', () => {
    const v = Float32Array.of(1.5, -0.1, 3e38, 1e-45);
    expect(decode(encode(v, 'float32'), 'float32')).toEqual(v);
  });

  it('rounds to nearest even in float16', () => {
    const bits = new Uint16Array(encode(Float32Array.of(1, -2, 65504, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 70000, 2 ** -24), 'float16').buffer);
    expect([...bits].map((b) => b.toString(16))).toEqual(['3c00', 'c000', '7bff', '3c00', '3c02', '7c00', '1']);
  });

  it('rounds to nearest even in bfloat16 and keeps NaN a NaN', () => {
    const bits = new Uint16Array(encode(Float32Array.of(1, 1 + 2 ** -8, 1 + 3 * 2 ** -8, Number.NaN, -3), 'bfloat16').buffer);
    expect([...bits].map((b) => b.toString(16))).toEqual(['3f80', '3f80', '3f82', '7fc0', 'c040']);
  });

  it('roundTo gives what storage holds', () => {
    expect(roundTo(Float32Array.of(0.1), 'bfloat16')[0]).toBe(0.10009765625);
    expect(roundTo(Float32Array.of(0.1), 'float16')[0]).toBe(0.0999755859375);
  });
});
