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

describe('float16 bit conversion against @petamoriken/float16', () => {
  it('agrees on 200k random float32 values, all 65536 halves, and the edges', async () => {
    const { getFloat16, setFloat16 } = await import('@petamoriken/float16');
    const { float16BitsToFloat32, float32BitsToFloat16 } = await import('../../src/dtype.js');
    const view = new DataView(new ArrayBuffer(4));
    const f32 = new Float32Array(1);
    const u32 = new Uint32Array(f32.buffer);
    const values: number[] = [0, -0, 65504, 65519, 65520, 1e-8, 2 ** -25, 2 ** -24 * 1.5, 6.1e-5, Infinity, -Infinity];
    for (let i = 0; i < 200_000; i++) values.push((Math.random() - 0.5) * 2 ** (Math.floor(Math.random() * 40) - 28));
    // Mismatches are collected, not asserted one by one: 265k expect() calls took seconds on a loaded 2-core machine.
    const wrong: string[] = [];
    for (const v of values) {
      f32[0] = v;
      setFloat16(view, 0, f32[0]!, true);
      const ours = float32BitsToFloat16(u32[0]!);
      if (ours !== view.getUint16(0, true)) wrong.push(`f32 ${f32[0]} -> ${ours}, expected ${view.getUint16(0, true)}`);
    }
    for (let h = 0; h < 65536; h++) {
      view.setUint16(0, h, true);
      const expected = getFloat16(view, 0, true);
      u32[0] = float16BitsToFloat32(h);
      const same = Number.isNaN(expected) ? Number.isNaN(f32[0]) : Object.is(f32[0], expected);
      if (!same) wrong.push(`f16 0x${h.toString(16)} -> ${f32[0]}, expected ${expected}`);
    }
    expect(wrong.slice(0, 10)).toEqual([]);
  });
});

describe('the bit converters take a float32 pattern as uint32 or as int32 alike', () => {
  it('agree with a double-precision round to nearest even on every 4099th pattern and the edges, both readings', async () => {
    const { getFloat16, setFloat16 } = await import('@petamoriken/float16');
    const { float32BitsToBfloat16, float32BitsToFloat16 } = await import('../../src/dtype.js');
    const view = new DataView(new ArrayBuffer(4));
    const f32 = new Float32Array(1);
    const u32 = new Uint32Array(f32.buffer);
    // bfloat16 by arithmetic on the exact value: the nearest of the two bfloat16 neighbours, ties to even.
    const bf16 = (bits: number): number => {
      if ((bits & 0x7fffffff) > 0x7f800000) return 0x7fc0;
      const lower = Math.floor(bits / 65536), rest = bits % 65536;
      return (rest > 0x8000 || (rest === 0x8000 && lower % 2 === 1) ? lower + 1 : lower) % 65536;
    };
    const patterns = [0, 0x80000000, 0x7f800000, 0xff800000, 0x7f7fffff, 0xff7fffff, 0x7f7f8000, 0xff7f8000, 0x3f808000, 0xbf818000, 0x7fc00000, 0xffffffff, 0x477fefff, 0xc77ff000];
    for (let b = 0; b < 2 ** 32; b += 4099) patterns.push(b);
    const wrong: string[] = [];
    for (const bits of patterns) {
      u32[0] = bits;
      setFloat16(view, 0, f32[0]!, true);
      const half = view.getUint16(0, true);
      const halfNaN = Number.isNaN(f32[0]);
      for (const reading of [bits >>> 0, bits | 0]) {
        const h = float32BitsToFloat16(reading);
        if (halfNaN ? (h & 0x7c00) !== 0x7c00 || (h & 0x3ff) === 0 : h !== half) wrong.push(`f16 of 0x${bits.toString(16)} read as ${reading}: ${h}, expected ${half}`);
        const b16 = float32BitsToBfloat16(reading);
        if (b16 !== bf16(bits)) wrong.push(`bf16 of 0x${bits.toString(16)} read as ${reading}: ${b16}, expected ${bf16(bits)}`);
      }
    }
    expect(patterns.length).toBeGreaterThan(1_000_000);
    expect(wrong.slice(0, 10)).toEqual([]);
  });
});
