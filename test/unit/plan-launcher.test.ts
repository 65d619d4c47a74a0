import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SEPARABLE_CHUNK } from '../../src/codegen/cuda-separable.js';
import { gridBlocks } from '../../src/plan/choose.js';
import { evaluate } from '../../src/plan/expr.js';
import { ringAnyParts, ringAnyTakes } from '../../src/codegen/cuda-ring-any.js';
import { planLauncher } from '../../src/runtime/plan-launcher.js';
import { fastDiv, writeTileGrid } from '../../src/runtime/tile-grid.js';
import type { CudaDriver } from '../../src/ffi/cuda-driver.js';
import type { CudaVariant } from '../../src/codegen/variant.js';
import { normalizeSpec, type SpecInput } from '../../src/spec.js';
import { entryFor, familyParts } from '../helpers/family-parts.js';

/** fast_div of templates/cuda/tiles.hbs in 32-bit arithmetic: (umulhi(n, m) + n) >> s. */
const deviceFastDiv = (n: number, f: { m: number; s: number }) => {
  const hi = (BigInt(n) * BigInt(f.m)) >> 32n;
  return Number(((hi + BigInt(n)) & 0xffffffffn) >> BigInt(f.s));
};

describe('NVRTC launcher arithmetic (TileGrid and block counts)', () => {
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

/** The H100's and H200's SM count: the launch rules' figures in these tests are at it unless a test says otherwise. */
const SMS = 132;

describe('NVRTC launcher for separable blocks (a fake driver records the launch)', () => {
  type Launch = { fn: unknown; grid: readonly [number, number]; threads: number; params: BigUint64Array; sharedBytes: number };
  /** arch: the code's binaryVersion; ptx: its ptxVersion (older for PTX JIT-compiled by the driver). */
  function launcherFor(input: SpecInput, arch = 90, ptx = arch, variant?: CudaVariant, multiprocessors = SMS) {
    const spec = normalizeSpec(input);
    const launches: Launch[] = [];
    const sharedAllowed = new Map<unknown, number>();
    const driver = {
      getFunction: (_m: unknown, name: string) => name,
      binaryVersion: () => arch,
      ptxVersion: () => ptx,
      allowSharedMemory: (fn: unknown, bytes: number) => sharedAllowed.set(fn, bytes),
      launch: (fn: unknown, grid: readonly [number, number], threads: number, _s: unknown, params: BigUint64Array, sharedBytes = 0) =>
        (launches.push({ fn, grid, threads, params: params.slice(), sharedBytes }), 0),
      errorName: () => 'none',
    } as unknown as CudaDriver;
    const info = familyParts(spec, variant);
    return { spec, info, launches, sharedAllowed, launch: planLauncher(driver, () => ({}), info.plan, multiprocessors) };
  }

  it('one block per (channel tile, pixel run of all images), wide or narrow by block count, parameters where the kernel reads them', () => {
    const { info, launches, launch } = launcherFor({ kernelSize: 3, padding: 1, pointwise: { outChannels: 385, bias: true } });
    const { entries, narrowBelowPerSm } = info.separable!;
    const narrowBelow = narrowBelowPerSm * SMS;
    const [wide, narrow] = entries;
    expect(info.threads).toBe(256);
    const blocks = (e: { pixels: number; coutTile: number }, pixels: number) => Math.ceil(pixels / e.pixels) * Math.ceil(385 / e.coutTile);
    // x, w, b, scale, shift, r, pw, pb, y, N, C, H, W, stream: 3 x 5 x 56 x 56 (wide), then 1 x 5 x 7 x 7 (narrow)
    expect(blocks(wide!, 3 * 56 * 56)).toBeGreaterThanOrEqual(narrowBelow);
    expect(blocks(wide!, 49)).toBeLessThan(narrowBelow);
    expect(launch(16n, 32n, 0n, 0n, 0n, 0n, 48n, 64n, 80n, 3, 5, 56, 56, 0n)).toBe(0);
    expect(launch(16n, 32n, 0n, 0n, 0n, 0n, 48n, 64n, 80n, 1, 5, 7, 7, 0n)).toBe(0);
    const [l, s] = launches;
    expect(l!.fn).toBe(wide!.name);
    expect(l!.threads).toBe(256);
    expect(l!.grid).toEqual([blocks(wide!, 3 * 56 * 56), 1]);
    expect(s!.fn).toBe(narrow!.name);
    expect(s!.grid).toEqual([blocks(narrow!, 49), 1]);
    // x, w, EpiArgs (6 pointers), y, C, H, W, Ho, Wo, the 8-aligned TileGrid, then the pixel count
    expect([...l!.params].map((p) => Number(p - l!.params[0]!))).toEqual([0, 8, 16, 64, 72, 76, 80, 84, 88, 96, 160]);
  });

  it('too few wide blocks: the split entry (its own tiles and threads, clusters along the channels) on sm_90 code with enough chunks and at most maxBlocks blocks, else narrow', () => {
    const pw = { kernelSize: 3, padding: 1, pointwise: { outChannels: 160, bias: true } } as const;
    const { entries, narrowBelowPerSm, split: maybeSplit } = launcherFor(pw).info.separable!;
    const narrowBelow = narrowBelowPerSm * SMS;
    const [wide, narrow] = entries;
    const split = maybeSplit!;
    const maxSplitBlocks = split.maxBlocksPerSm * SMS;
    expect(split).toBeDefined();
    // Small output channel counts have wide tiles of many pixels and no split entry.
    expect(launcherFor({ kernelSize: 3, pointwise: { outChannels: 24 } }).info.separable!.split).toBeUndefined();
    const splitTiles = Math.ceil(2 * 7 * 7 / split.pixels) * Math.ceil(160 / split.coutTile);
    const narrowTiles = Math.ceil(2 * 7 * 7 / narrow!.pixels) * Math.ceil(160 / narrow!.coutTile);
    const chunks = (C: number) => Math.ceil(C / SEPARABLE_CHUNK);
    expect(chunks(960)).toBeGreaterThanOrEqual(split.minChunks);
    expect(chunks(16)).toBeLessThan(split.minChunks);
    // 64 images of 7x7 (the bench's C960 block): one split block per SM. 100 images: fewer wide blocks
    // than narrowBelow, but more split blocks than maxBlocks.
    const splitBlocks = (N: number) => Math.ceil(N * 7 * 7 / split.pixels) * Math.ceil(160 / split.coutTile) * split.slices;
    expect(splitBlocks(64)).toBeLessThanOrEqual(maxSplitBlocks);
    const manyWide = Math.ceil(100 * 7 * 7 / wide!.pixels) * Math.ceil(160 / wide!.coutTile);
    expect(manyWide).toBeLessThan(narrowBelow);
    expect(splitBlocks(100)).toBeGreaterThan(maxSplitBlocks);
    expect(split.threads).not.toBe(256);
    const cases = [
      { arch: 90, N: 2, C: 960, fn: split.name, blocks: splitTiles * split.slices, threads: split.threads },
      { arch: 90, N: 64, C: 960, fn: split.name, blocks: splitBlocks(64), threads: split.threads },
      { arch: 90, ptx: 80, N: 2, C: 960, fn: narrow!.name, blocks: narrowTiles, threads: 256 },
      { arch: 90, N: 2, C: 16, fn: narrow!.name, blocks: narrowTiles, threads: 256 },
      { arch: 80, N: 2, C: 960, fn: narrow!.name, blocks: narrowTiles, threads: 256 },
      { arch: 90, N: 100, C: 960, fn: narrow!.name, blocks: Math.ceil(100 * 7 * 7 / narrow!.pixels) * Math.ceil(160 / narrow!.coutTile), threads: 256 },
    ];
    for (const { arch, ptx, N, C, fn, blocks, threads } of cases) {
      const l = launcherFor(pw, arch, ptx);
      expect(l.launch(16n, 32n, 0n, 0n, 0n, 0n, 48n, 64n, 80n, N, C, 7, 7, 0n)).toBe(0);
      const got = l.launches[0]!;
      expect({ arch, ptx, N, C, fn: got.fn, grid: got.grid, threads: got.threads }).toEqual({ arch, ptx, N, C, fn, grid: [blocks, 1], threads });
    }
  });

  it("the wide/narrow and split thresholds scale with the device's SM count: one shape, different GPUs, different entries", () => {
    const pw = { kernelSize: 3, padding: 1, pointwise: { outChannels: 160, bias: true } } as const;
    const sep = launcherFor(pw).info.separable!;
    const [wide, narrow] = sep.entries;
    const split = sep.split!;
    const wideBlocks = (N: number) => Math.ceil((N * 49) / wide!.pixels) * Math.ceil(160 / wide!.coutTile);
    const splitBlocks = (N: number) => Math.ceil((N * 49) / split.pixels) * Math.ceil(160 / split.coutTile) * split.slices;
    const entryOn = (sms: number, N: number) => {
      const l = launcherFor(pw, 90, 90, undefined, sms);
      expect(l.launch(16n, 32n, 0n, 0n, 0n, 0n, 48n, 64n, 80n, N, 960, 7, 7, 0n)).toBe(0);
      return l.launches[0]!.fn;
    };
    const expected = (sms: number, N: number) =>
      wideBlocks(N) >= sep.narrowBelowPerSm * sms ? wide!.name : splitBlocks(N) <= split.maxBlocksPerSm * sms ? split.name : narrow!.name;
    for (const sms of [16, 78, 108, 114, 132, 170]) for (const N of [1, 2, 8, 32, 48, 64, 80, 100, 200, 400, 1000]) expect(entryOn(sms, N), `${sms} SMs, N=${N}`).toBe(expected(sms, N));
    // The bench's C960 block (64 images of 7x7): split on the 132-SM H200, not on a GPU with fewer SMs than its split blocks.
    expect(splitBlocks(64)).toBeGreaterThan(114);
    expect([entryOn(132, 64), entryOn(114, 64)]).toEqual([split.name, narrow!.name]);
    // A shape wide on a small GPU is narrow on a large one.
    const N = [...Array(400).keys()].find((n) => wideBlocks(n) >= sep.narrowBelowPerSm * 78 && wideBlocks(n) < sep.narrowBelowPerSm * 132 && splitBlocks(n) > 132)!;
    expect([entryOn(78, N), entryOn(132, N)]).toEqual([wide!.name, narrow!.name]);
  });

  it('wide calls with rows of whole quads and x aligned to 4 elements take the quads entry, others the wide one', () => {
    const { info } = launcherFor({ kernelSize: 3, padding: 1, dtype: 'float16', pointwise: { outChannels: 24 } });
    const { entries, quads } = info.separable!;
    expect(quads).toBeDefined();
    const calls: [bigint, number, string][] = [[16n, 56, quads!.name], [8n, 56, quads!.name], [18n, 56, entries[0]!.name], [16n, 54, entries[0]!.name]];
    for (const [x, W, fn] of calls) {
      const l = launcherFor({ kernelSize: 3, padding: 1, dtype: 'float16', pointwise: { outChannels: 24 } });
      expect(l.launch(x, 32n, 0n, 0n, 0n, 0n, 48n, 0n, 80n, 16, 5, 56, W, 0n)).toBe(0); // 16 x 56 x 56 pixels: wide
      expect({ x, W, fn: l.launches[0]!.fn }).toEqual({ x, W, fn });
    }
    // No quads entry: NHWC, stride 2 along W, an output row wider than the input, many output channels (small tiles).
    for (const input of [
      { kernelSize: 3, padding: 1, layout: 'NHWC' }, { kernelSize: 3, padding: 1, stride: 2 }, { kernelSize: 3, padding: 2 },
      { kernelSize: 3, padding: 1, pointwise: { outChannels: 160 } },
    ] as const) {
      expect(launcherFor({ pointwise: { outChannels: 24 }, ...input }).info.separable!.quads, JSON.stringify(input)).toBeUndefined();
    }
  });

  it('NCHW and NHWC calls get one thread per tile of their own grid', () => {
    const nchw = launcherFor({ kernelSize: 3 });
    // x 2 x 4 x 9 x 10 at 16-byte aligned addresses; W = 10 is no multiple of the tiled kernel's width: direct.
    expect(nchw.launch(16n, 32n, 0n, 0n, 0n, 0n, 0n, 0n, 80n, 2, 4, 9, 10, 0n)).toBe(0);
    const d = nchw.info.direct!;
    expect(nchw.launches[0]!.fn).toBe(d.entry);
    expect(nchw.launches[0]!.grid).toEqual([Math.ceil((Math.ceil(8 / d.tileW) * Math.ceil(7 / d.tileH) * 4 * 2) / 128), 1]);
    const nhwc = launcherFor({ kernelSize: 3, layout: 'NHWC' });
    expect(nhwc.launch(16n, 32n, 0n, 0n, 0n, 0n, 0n, 0n, 80n, 2, 8, 9, 10, 0n)).toBe(0);
    const n = nhwc.info.nhwc!;
    const vec = n.entries[0]!;
    expect(nhwc.launches[0]!.fn).toBe(vec.name);
    expect(nhwc.launches[0]!.grid).toEqual([Math.ceil(((8 / vec.vec) * Math.ceil(8 / n.tileW) * Math.ceil(7 / n.tileH) * 2) / 128), 1]);
  });

  it('the NCHW ring asks shared memory for its rows as 16-bit where its window is up to 3 columns wide, as floats otherwise', () => {
    // A ring row of the default 128-lane strip: 4 * (128 + NQ - 1) columns rounded up to whole 16-byte
    // vectors, NQ the quads a lane reads from the quad its window starts in (at A - PL, A the left
    // padding rounded up to a vector); R = 4 + KH - 1 rows of them.
    const cases = [
      [{ kernelSize: 3, dtype: 'float16' }, 6 * 520 * 2],
      [{ kernelSize: 3, padding: 1, dtype: 'bfloat16' }, 6 * 528 * 2],
      [{ kernelSize: 7, padding: 3, dtype: 'float16' }, 10 * 528 * 4],
      [{ kernelSize: [5, 3], padding: [2, 1], dtype: 'bfloat16' }, 8 * 528 * 2],
      [{ kernelSize: [3, 5], padding: [1, 2], dtype: 'float16' }, 6 * 528 * 4],
      [{ kernelSize: 7, padding: 3 }, 10 * 520 * 4],
    ] as const;
    for (const [input, bytes] of cases) {
      const l = launcherFor(input);
      expect(l.launch(16n, 32n, 0n, 0n, 0n, 0n, 0n, 0n, 80n, 1, 1, 70, 512, 0n)).toBe(0);
      expect({ input, fn: l.launches[0]!.fn, sharedBytes: l.launches[0]!.sharedBytes }).toEqual({ input, fn: l.info.ring!.name, sharedBytes: bytes });
    }
  });

  it('float32 NCHW wide windows: the ring for rows of whole quads, x aligned and Wo >= minWo, one block per (strip, segment, channel, image), with its shared memory; the any-width ring for the other wide rows', () => {
    const ring = launcherFor({ kernelSize: 7 }).info.ring!;
    const ringAny = launcherFor({ kernelSize: 7 }).info.ringAny!;
    expect(ring).toMatchObject({ cols: 4 * launcherFor({ kernelSize: 7 }).info.threads, minWo: 256 });
    expect(ring.cols).toBe(512);
    const calls: [bigint, number, boolean][] = [[16n, 512, true], [16n, 262, false], [16n, 510, false], [20n, 512, false], [48n, 1100, true]];
    for (const [x, W, takesRing] of calls) {
      const l = launcherFor({ kernelSize: 7 });
      expect(l.launch(x, 32n, 0n, 0n, 0n, 0n, 0n, 0n, 80n, 2, 3, 70, W, 0n)).toBe(0);
      const { fn, grid, sharedBytes } = l.launches[0]!;
      const expected = takesRing ? { fn: ring.name, grid: [Math.ceil((W - 6) / 512) * Math.ceil(64 / 64) * 3 * 2, 1], sharedBytes: ring.smem } : { fn: ringAny.name, grid: expect.anything(), sharedBytes: ringAny.smem };
      expect({ x, W, fn, grid, sharedBytes }).toEqual({ x, W, ...expected });
    }
    // Over 48 KiB (31x31) is allowed once, when the launcher is made; a pinned ring takes narrow rows too.
    const big = launcherFor({ kernelSize: 31 });
    expect(big.info.ring!.smem).toBeGreaterThan(48 * 1024);
    expect([...big.sharedAllowed]).toEqual([[big.info.ring!.name, big.info.ring!.smem]]);
    expect(launcherFor({ kernelSize: 7 }).sharedAllowed.size).toBe(0);
    const pinned = launcherFor({ kernelSize: 5 }, 90, 90, { kernel: 'ring', tileH: 2 });
    expect(pinned.launch(16n, 32n, 0n, 0n, 0n, 0n, 0n, 0n, 80n, 1, 1, 9, 8, 0n)).toBe(0);
    expect(pinned.launches[0]!.fn).toBe(pinned.info.ring!.name);
    expect(pinned.launch(16n, 32n, 0n, 0n, 0n, 0n, 0n, 0n, 80n, 1, 1, 9, 9, 0n)).toBe(0); // W % 4: the direct kernel
    expect(pinned.launches[1]!.fn).toBe(pinned.info.direct!.entry);
    // No ring: stride 2, NHWC (its own ring), float32 3x3 with a residual (the tiled kernel reads it as vectors).
    for (const input of [{ kernelSize: 7, stride: 2 }, { kernelSize: 7, layout: 'NHWC' }, { kernelSize: 3, residual: true }] as const) {
      expect(launcherFor(input).info.ring, JSON.stringify(input)).toBeUndefined();
    }
  });

  it('16-bit windows up to 7x7 and float32 ones below 5x5: the ring only for rows filling 3/4 of their strips (wide windows: any row)', () => {
    // [W, takes the ring]: Wo = W - 2; 510 of 512, 518 of 1024, 774 of 1024, 1038 of 1536, 2046 of 2048.
    for (const [W, takesRing] of [[512, true], [520, false], [776, true], [1040, false], [2048, true]] as const) {
      const l = launcherFor({ kernelSize: 3, dtype: 'bfloat16' });
      expect(l.info.ring!.minFill).toBe(3);
      expect(l.launch(16n, 32n, 0n, 0n, 0n, 0n, 0n, 0n, 80n, 1, 2, 20, W, 0n)).toBe(0);
      expect({ W, ring: l.launches[0]!.fn === l.info.ring!.name }).toEqual({ W, ring: takesRing });
    }
    const wide = launcherFor({ kernelSize: 9, dtype: 'float16' });
    expect(wide.info.ring!.minFill).toBe(0);
    expect(wide.launch(16n, 32n, 0n, 0n, 0n, 0n, 0n, 0n, 80n, 1, 2, 20, 528, 0n)).toBe(0);
    expect(wide.launches[0]!.fn).toBe(wide.info.ring!.name);
    expect(launcherFor({ kernelSize: 7 }).info.ring!.minFill).toBe(0);
    expect(launcherFor({ kernelSize: 5 }).info.ring!.minFill).toBe(0);
    expect(launcherFor({ kernelSize: 3 }).info.ring!.minFill).toBe(3);
    expect(launcherFor({ kernelSize: [3, 5] }).info.ring!.minFill).toBe(3);
    expect(launcherFor({ kernelSize: 3, dtype: 'float16' }, 90, 90, { kernel: 'ring', tileH: 4 }).info.ring!.minFill).toBe(0); // pinned
  });

  it('the any-width ring, pinned: every call, one block a (strip, segment, channel, image); its fill rule in default sources; not built where it does not fit', () => {
    // Default sources: [spec, x, W, family] (rows of whole vectors to the aligned ring, or the tiled kernel where they fill less of its strips; narrow rows to the direct kernel;
    // a last strip of 1-32 columns to the any-width ring's tail blocks, ahead of the tiled kernel above 9 taps where it fills 3/4 of its strips).
    for (const [input, x, W, family, pinned] of [
      [{ kernelSize: 3 }, 16n, 512, /_ring$/], [{ kernelSize: 3 }, 16n, 776, /_ring$/], [{ kernelSize: 3 }, 16n, 720, /_tiled_/], [{ kernelSize: 3 }, 16n, 514, /_ring_any$/], [{ kernelSize: 3 }, 20n, 512, /_ring_any$/], [{ kernelSize: 3 }, 16n, 385, /_direct$/],
      [{ kernelSize: 3, dtype: 'bfloat16' }, 16n, 1023, /_ring_any$/], [{ kernelSize: 7, padding: 3 }, 16n, 515, /_ring_any$/],
      [{ kernelSize: 7, padding: 3 }, 16n, 512, /_ring$/], [{ kernelSize: 7, padding: 3 }, 16n, 516, /_ring_any$/], [{ kernelSize: 7, padding: 3 }, 16n, 544, /_ring_any$/],
      [{ kernelSize: 7, padding: 3 }, 16n, 548, /_ring$/], [{ kernelSize: 7, padding: 3 }, 16n, 640, /_ring$/], [{ kernelSize: 5, padding: 2 }, 16n, 1028, /_ring_any$/],
      [{ kernelSize: 7, padding: 3, dtype: 'float16' }, 16n, 528, /_ring_any$/], [{ kernelSize: 7, padding: 3, dtype: 'float16' }, 16n, 640, /_tiled_/],
      [{ kernelSize: 3, padding: 1, dtype: 'float16' }, 16n, 1544, /_tiled_/], [{ kernelSize: 3, padding: 1, dtype: 'float16' }, 16n, 1576, /_ring$/],
      [{ kernelSize: 3, padding: 1 }, 16n, 1544, /_tiled_/], [{ kernelSize: 3, padding: 1 }, 16n, 1576, /_ring$/],
      [{ kernelSize: 7, padding: 3 }, 16n, 516, /_ring$/, { kernel: 'ring', tileH: 4 }],
    ] as const) {
      const l = launcherFor(input, 90, 90, pinned);
      expect(l.launch(x, 32n, 0n, 0n, 0n, 0n, 0n, 0n, 80n, 2, 3, 70, W, 0n)).toBe(0);
      expect({ input, x, W, fn: l.launches[0]!.fn }).toEqual({ input, x, W, fn: expect.stringMatching(family) });
    }
    const pin = { kernel: 'ringAny', tileH: 4 } as const;
    // [spec, x, W]: unaligned widths, x off its vectors, tails (Wo % 512 <= 32), narrow rows.
    const cases = [
      [{ kernelSize: 3 }, 16n, 514], [{ kernelSize: 3 }, 16n, 509], [{ kernelSize: 3 }, 20n, 512], [{ kernelSize: 3 }, 16n, 385],
      [{ kernelSize: 3, dtype: 'float16' }, 18n, 512], [{ kernelSize: 3, dtype: 'float16' }, 16n, 1023], [{ kernelSize: 3, dtype: 'bfloat16' }, 16n, 2050],
      [{ kernelSize: 3, dtype: 'bfloat16' }, 16n, 41], [{ kernelSize: 7, padding: 3, dtype: 'bfloat16' }, 16n, 2049], [{ kernelSize: 7, padding: 3 }, 16n, 257],
    ] as const;
    for (const [input, x, W] of cases) {
      const l = launcherFor(input, 90, 90, pin);
      expect(l.launch(x, 32n, 0n, 0n, 0n, 0n, 0n, 0n, 80n, 2, 3, 70, W, 0n)).toBe(0);
      const { fn, grid, sharedBytes } = l.launches[0]!;
      const parts = l.info.ringAny!;
      const Wo = W - input.kernelSize + 1 + 2 * ('padding' in input ? input.padding : 0);
      const strips = Math.ceil(Wo / 512); // a tail (at most 32 columns) is one more strip index, as a part-filled strip
      const label = { input, x, W };
      expect({ ...label, fn, grid, sharedBytes }).toEqual({ ...label, fn: parts.name, grid: [strips * Math.ceil(68 / parts.segment) * 3 * 2, 1], sharedBytes: parts.smem });
    }
    // The rule a default source would take it by: rows filling 3/4 of their strips up to 9 taps, 1/2 above.
    const takes = (input: SpecInput, W: number) => {
      const spec = normalizeSpec(input);
      const Wo = W - spec.kernelSize[1] + 1 + spec.padding[2] + spec.padding[3];
      return evaluate(ringAnyTakes(ringAnyParts(spec, 4, 'k', 128, false)), { W: BigInt(W), Wo: BigInt(Wo) } as never) !== 0n;
    };
    const rule = [
      [{ kernelSize: 3 }, 385, false], [{ kernelSize: 3 }, 386, true], [{ kernelSize: 3 }, 546, true], [{ kernelSize: 3 }, 547, false], [{ kernelSize: 3 }, 602, false],
      [{ kernelSize: 7, padding: 3, dtype: 'float16' }, 255, false], [{ kernelSize: 7, padding: 3, dtype: 'float16' }, 256, true], [{ kernelSize: 7, padding: 3 }, 2049, true],
    ] as const;
    for (const [input, W, expected] of rule) expect({ input, W, takes: takes(input, W) }).toEqual({ input, W, takes: expected });
    // Not built: dilation, stride 2, windows over 7, NHWC.
    for (const input of [{ kernelSize: 3, dilation: 2 }, { kernelSize: 3, stride: 2 }, { kernelSize: 9, dtype: 'float16' }, { kernelSize: 3, layout: 'NHWC' }] as const) {
      expect(() => launcherFor(input, 90, 90, pin), JSON.stringify(input)).toThrow();
    }
  });

  it('16-bit NHWC: the ring for pixels of whole channel quads, rows of whole vectors, x aligned and a ring row within two strips; its shared memory sized per call from C', () => {
    const spec = { kernelSize: 3, layout: 'NHWC', dtype: 'float16' } as const;
    // Shared bytes for a ring row of `vecs` vectors of 8 halves: 6 rows of halves, then 2 steps of 4
    // rows staged as raw 16-byte vectors.
    const bytes16 = (vecs: number) => 6 * vecs * 8 * 2 + 2 * 4 * vecs * 16;
    // [x, C, W, sharedBytes or 0 for the nhwc kernel], H = 70, N = 2. A row holds 512 + 2 * C halves:
    // 96 vectors for C = 128; C = 260 needs 130 (one a lane at most).
    const calls: [bigint, number, number, number][] = [[16n, 128, 512, bytes16(96)], [16n, 256, 64, bytes16(128)], [16n, 260, 64, 0], [16n, 126, 512, 0], [8n, 128, 512, 0], [16n, 4, 10, 0], [16n, 12, 66, bytes16(67)]];
    for (const [x, C, W, bytes] of calls) {
      const l = launcherFor(spec);
      expect(l.launch(x, 32n, 0n, 0n, 0n, 0n, 0n, 0n, 80n, 2, C, 70, W, 0n)).toBe(0);
      const { fn, grid, sharedBytes } = l.launches[0]!;
      const strips = Math.ceil(((W - 2) * C) / 512);
      const expected = bytes ? { fn: l.info.ringNhwc!.name, grid: [strips * 2 * 2, 1], sharedBytes: bytes } : { fn: expect.stringMatching(/_nhwc_\d+$/), grid: expect.anything(), sharedBytes: 0 };
      expect({ x, C, W, fn, grid, sharedBytes }).toEqual({ x, C, W, ...expected });
    }
    // Left padding: the ring row starts at a vector boundary before it (C = 12: 16 halves, 4 before the window).
    const padded = launcherFor({ ...spec, padding: 1 });
    expect(padded.launch(16n, 32n, 0n, 0n, 0n, 0n, 0n, 0n, 80n, 1, 12, 70, 64, 0n)).toBe(0);
    expect(padded.launches[0]!.sharedBytes).toBe(bytes16(Math.ceil((4 + 512 + 24) / 8)));
    // A pinned ring takes narrow rows too; float32 sources hold the ring by default as 16-bit ones do.
    const pinned = launcherFor({ ...spec, dtype: 'float32' }, 90, 90, { kernel: 'ring', tileH: 2 });
    expect(pinned.launch(16n, 32n, 0n, 0n, 0n, 0n, 0n, 0n, 80n, 1, 4, 9, 10, 0n)).toBe(0);
    expect(pinned.launches[0]).toMatchObject({ fn: pinned.info.ringNhwc!.name, sharedBytes: 4 * 130 * 4 * 4 + 2 * 2 * 130 * 16 });
    expect(launcherFor({ ...spec, dtype: 'float32' }).info.ringNhwc?.name).toMatch(/_f32_nhwc_ring_nhwc$/);
    // Over 48 KiB (8 rows a step): the largest ring (rows of two strips) is allowed once, when the launcher is made.
    const tall = launcherFor(spec, 90, 90, { kernel: 'ring', tileH: 8 });
    expect([...tall.sharedAllowed]).toEqual([[tall.info.ringNhwc!.name, 10 * 128 * 8 * 2 + 2 * 8 * 128 * 16]]);
    expect(tall.launch(16n, 32n, 0n, 0n, 0n, 0n, 0n, 0n, 80n, 2, 128, 70, 512, 0n)).toBe(0);
    expect(tall.launches[0]).toMatchObject({ fn: tall.info.ringNhwc!.name, sharedBytes: 10 * 96 * 8 * 2 + 2 * 8 * 96 * 16 });
    expect(launcherFor(spec).sharedAllowed.size).toBe(0);
  });

  it('refuses a call without the 1x1 weights or its bias (status -1, no launch)', () => {
    const { launches, launch } = launcherFor({ kernelSize: 3, pointwise: { outChannels: 8, bias: true } });
    expect(launch(16n, 32n, 0n, 0n, 0n, 0n, 0n, 64n, 80n, 1, 4, 9, 9, 0n)).toBe(-1);
    expect(launch(16n, 32n, 0n, 0n, 0n, 0n, 48n, 0n, 80n, 1, 4, 9, 9, 0n)).toBe(-1);
    expect(launches).toHaveLength(0);
  });
});

describe('NVRTC launcher with entries still compiling (a fake driver records the launch)', () => {
  it("the any-width ring's calls go to the direct kernel until it is added, then to it; the other entries are looked up at once", () => {
    const spec = normalizeSpec({ kernelSize: 3, padding: 1 });
    const { plan, generated } = familyParts(spec);
    const ring = `${generated.symbol}_ring_any`;
    const shape = [2, 4, 33, 509] as const;
    expect(entryFor(spec, undefined, shape)).toBe(ring);
    const looked: string[] = [];
    const launched: unknown[] = [];
    const driver = {
      getFunction: (_m: unknown, name: string) => (looked.push(name), name),
      binaryVersion: () => 90, ptxVersion: () => 90, allowSharedMemory: () => undefined, errorName: () => 'none',
      launch: (fn: unknown) => (launched.push(fn), 0),
    } as unknown as CudaDriver;
    const first = (entry: string) => {
      if (entry === ring) throw new Error(`${entry} is still compiling`);
      return {};
    };
    const launch = planLauncher(driver, first, plan, SMS, new Set([ring]));
    expect(looked).not.toContain(ring);
    expect(new Set(looked)).toEqual(new Set(plan.entries.map((e) => e.name).filter((n) => n !== ring)));
    const call = () => launch(256n, 512n, 0n, 0n, 0n, 0n, 0n, 0n, 768n, ...shape, 0n);
    expect(call()).toBe(0);
    expect(launched.at(-1)).toBe(`${generated.symbol}_direct`);
    launch.addLater(() => ({}));
    expect(call()).toBe(0);
    expect(launched.at(-1)).toBe(ring);
  });
});
