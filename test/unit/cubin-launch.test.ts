import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fastDiv, gridBlocks, writeTileGrid } from '../../src/runtime/cubin-launch.js';

/** fast_div of templates/cuda/tiles.hbs in 32-bit arithmetic: (umulhi(n, m) + n) >> s. */
const deviceFastDiv = (n: number, f: { m: number; s: number }) => {
  const hi = (BigInt(n) * BigInt(f.m)) >> 32n;
  return Number(((hi + BigInt(n)) & 0xffffffffn) >> BigInt(f.s));
};

describe('NVRTC launcher arithmetic (the TypeScript copy of the nvcc host launcher)', () => {
  it('FastDiv magic numbers divide exactly for every n below 2^31', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (d, n) => {
      expect(deviceFastDiv(n, fastDiv(d))).toBe(Math.floor(n / d));
    }), { numRuns: 20_000 });
    for (const d of [1, 2, 3, 7, 127, 128, 129, 65535, 2 ** 30 + 1]) {
      for (const n of [0, 1, d - 1, d, d + 1, 2 ** 31 - 1]) expect(deviceFastDiv(n, fastDiv(d))).toBe(Math.floor(n / d));
    }
  });

  it('lays out TileGrid as the kernels read it', () => {
    const view = new DataView(new ArrayBuffer(80 + 64));
    const tiles = writeTileGrid(view, 80, 128, 64, 128, 64);
    expect(tiles).toBe(128n * 64n * 128n * 64n);
    expect([view.getInt32(80, true), view.getInt32(84, true), view.getInt32(88, true)]).toEqual([128, 64, 128]);
    expect(view.getBigInt64(96, true)).toBe(tiles);
    expect(view.getUint32(104, true)).toBe(128); // div_w.d
    expect(view.getUint32(116, true)).toBe(64); // div_h.d
    expect(view.getUint8(140)).toBe(1); // fast: under 2^31 tiles
    expect(writeTileGrid(view, 80, 2 ** 16, 2 ** 16, 2, 1) >= 2n ** 31n).toBe(true);
    expect(view.getUint8(140)).toBe(0);
  });

  it('spills blocks into y past 2^31 - 1', () => {
    expect(gridBlocks(1000n, 128)).toEqual([8, 1]);
    expect(gridBlocks(2n ** 40n, 128)).toEqual([2 ** 31 - 1, 5]);
  });
});
