import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tiledEntries } from '../../src/codegen/cuda-tiled.js';
import { fastDiv, gridBlocks, pickTiledEntry, writeTileGrid } from '../../src/runtime/cubin-launch.js';

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

describe('the two launchers choose alike', () => {
  it("pickTiledEntry gives the entry whose C condition (the nvcc launcher's) holds first", () => {
    for (const tileW of [4, 8]) {
      const entries = tiledEntries('k', tileW);
      for (const inVec of [false, true]) {
        for (const y16 of [false, true]) {
          for (let Wo = 1; Wo <= 40; Wo++) {
            // The C conditions use in_vec, y16 and Wo; evaluate them as JavaScript (same operators).
            const holds = (when: string) => new Function('in_vec', 'y16', 'Wo', `return ${when};`)(inVec, y16, Wo) as boolean;
            const byC = entries.find((e) => holds(e.when));
            expect(pickTiledEntry(entries, inVec, y16, Wo)?.name, `${tileW} ${inVec} ${y16} ${Wo}`).toBe(byC?.name);
          }
        }
      }
    }
  });
});
