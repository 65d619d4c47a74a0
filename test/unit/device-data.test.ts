import { describe, expect, it } from 'vitest';
import { decode, encode, roundTo } from '../../src/dtype.js';
import type { CudaRuntime } from '../../src/ffi/cudart.js';
import { readAt, storedValue, uniformStored } from '../../src/tools/device-data.js';
import { sampleIndices } from '../../src/verify/sample.js';
import { fillUniform, uniformAt } from '../../src/verify/random.js';

describe('the host-side model of the bench inputs (uniformStored)', () => {
  it.each(['float32', 'float16', 'bfloat16'] as const)('%s: storedValue is roundTo on every value uniformAt can give (2^24 of them) and on the edges', (dtype) => {
    // uniformAt gives k / 2^23 - 1 for k < 2^24: all of them, rounded at once by the array path.
    const all = new Float32Array(1 << 24);
    for (let k = 0; k < all.length; k++) all[k] = k / 8388608 - 1;
    const expected = roundTo(all.slice(), dtype);
    let mismatches = 0;
    for (let k = 0; k < all.length; k++) if (!Object.is(storedValue(all[k]!, dtype), expected[k]!)) mismatches++;
    expect(mismatches).toBe(0);
    const edges = Float32Array.of(0, -0, 65504, 65520, -65520, 6.1e-5, 5.96e-8, 2.98e-8, 1e-40, 3.4e38, Infinity, -Infinity, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 1 + 2 ** -8, 1 + 3 * 2 ** -8);
    const rounded = roundTo(edges.slice(), dtype);
    for (const [i, v] of edges.entries()) expect(Object.is(storedValue(v, dtype), rounded[i]!), `${v}`).toBe(true);
  }, 120_000);

  it('fillUniform is uniformAt at every index, across the 2^32 boundary of the index too', () => {
    for (const [seed, start, n] of [[1, 0, 70_000], [0xdeadbeef, 2 ** 32 - 33_333, 70_000], [7, 3 * 2 ** 32 + 5, 1000], [0, 2 ** 31 - 10, 20]] as const) {
      const filled = fillUniform(new Float32Array(n), seed, start);
      let wrong = 0;
      for (let k = 0; k < n; k++) if (!Object.is(filled[k], Math.fround(uniformAt(seed, start + k)))) wrong++;
      expect({ seed, start, wrong }).toEqual({ seed, start, wrong: 0 });
    }
  });

  it('uniformStored is storedValue of uniformAt', () => {
    for (let i = 0; i < 5000; i++) {
      const seed = (i * 2654435761) >>> 0, index = i * 1_000_003 + 2 ** 33;
      for (const dtype of ['float32', 'float16', 'bfloat16'] as const) expect(uniformStored(seed, index, dtype)).toBe(roundTo(Float32Array.of(uniformAt(seed, index)), dtype)[0]);
    }
  });
});

describe('reading sampled device values (readAt)', () => {
  it.each(['float32', 'float16', 'bfloat16'] as const)('%s: the values at the indices, from copies of nearby runs and of lone values', (dtype) => {
    const values = new Float32Array(3_000_000);
    for (let i = 0; i < values.length; i++) values[i] = uniformAt(99, i) * 1000;
    const memory = encode(values, dtype);
    const copies: number[] = [];
    const base = 1n << 32n;
    const rt = {
      copyToHost: (dst: Uint8Array, src: bigint) => {
        const at = Number(src - base);
        copies.push(dst.byteLength);
        dst.set(memory.subarray(at, at + dst.byteLength));
      },
    } as unknown as CudaRuntime;
    // Dense runs (one copy), far-apart values (one copy each), the first and the last element.
    const indices = [...new Set([0, 1, 2, 5, 6, ...sampleIndices(values.length, 3000), 2_000_000, 2_000_001, values.length - 1])].sort((a, b) => a - b);
    const got = readAt(rt, base, indices, dtype);
    const all = decode(memory, dtype);
    expect([...got]).toEqual(indices.map((i) => all[i]!));
    expect(copies.length).toBeLessThan(indices.length);
  });
});
