// The host side of an NVRTC build: what the nvcc launcher in templates/cuda/dwconv.cu.hbs does in C
// (argument checks, the kernel family and vector widths for this call, the tile grid), done here and
// launched through the driver API. The GPU property tests run both paths over every variant.
import type { CudaLaunchInfo } from '../codegen/common.js';
import { SEPARABLE_CHUNK } from '../codegen/cuda-separable.js';
import { ringTakes } from '../codegen/cuda-ring.js';
import { ringNhwcSmem } from '../codegen/cuda-ring-nhwc.js';
import { DTYPE_BYTES } from '../dtype.js';
import { outputExtent, type KernelSpec } from '../spec.js';
import { CudaError } from '../errors.js';
import type { Address } from '../ffi/cudart.js';
import { ffi } from '../ffi/koffi.js';
import type { CudaDriver, CuFunction } from '../ffi/cuda-driver.js';

const INT_LIMIT = 2 ** 31 - 1;

/** The kernels' TileGrid, as laid out in templates/cuda/tiles.hbs (64 bytes, 8-aligned). */
const GRID_BYTES = 64;
/**
 * Argument values: x, w, EpiArgs {b, scale, shift, r, pw, pb}, y, C, H, W, Ho, Wo, TileGrid, and the
 * pixel count N * Ho * Wo, which only separable kernels take (the driver reads as many as a kernel has).
 */
const GRID_AT = 96;
const PIXELS_AT = GRID_AT + GRID_BYTES;
const OFFSETS = [0, 8, 16, 64, 72, 76, 80, 84, 88, GRID_AT, PIXELS_AT] as const;
const PARAM_BYTES = PIXELS_AT + 8;

/** (n * m) >> 32 + n) >> s == n / d for every 32-bit n: the magic numbers of FastDiv. */
export function fastDiv(d: number): { d: number; m: number; s: number } {
  let s = 0;
  while (s < 31 && 2 ** s < d) s++;
  const m = ((1n << 32n) * ((1n << BigInt(s)) - BigInt(d))) / BigInt(d) + 1n;
  return { d, m: Number(m & 0xffffffffn), s };
}

/** Writes a TileGrid for tilesW x tilesH tiles per plane, `channels` output channels and `n` images. */
export function writeTileGrid(view: DataView, at: number, tilesW: number, tilesH: number, channels: number, n: number): bigint {
  const tiles = BigInt(tilesW) * BigInt(tilesH) * BigInt(channels) * BigInt(n);
  view.setInt32(at, tilesW, true);
  view.setInt32(at + 4, tilesH, true);
  view.setInt32(at + 8, channels, true);
  view.setBigInt64(at + 16, tiles, true);
  for (const [i, d] of [tilesW, tilesH, channels].entries()) {
    const f = fastDiv(d);
    view.setUint32(at + 24 + 12 * i, f.d, true);
    view.setUint32(at + 28 + 12 * i, f.m, true);
    view.setUint32(at + 32 + 12 * i, f.s, true);
  }
  view.setUint8(at + 60, tiles < 2n ** 31n ? 1 : 0);
  return tiles;
}

/** Blocks along x, and along y beyond 2^31 - 1 of them (grid_blocks in tiles.hbs). */
export function gridBlocks(tiles: bigint, threads: number): [number, number] {
  const blocks = (tiles + BigInt(threads) - 1n) / BigInt(threads);
  const gx = blocks < BigInt(INT_LIMIT) ? blocks : BigInt(INT_LIMIT);
  return [Number(gx), Number((blocks + gx - 1n) / gx)];
}

const big = (a: Address) => BigInt(a);

/**
 * The tiled entry point for a call, as the nvcc launcher's `when` conditions choose it (see
 * tiledEntries; a unit test holds the two to the same answers): the first whose condition holds.
 */
export function pickTiledEntry<E extends { readonly inVec: number; readonly outVec: number }>(entries: readonly E[], inVec: boolean, y16: boolean, Wo: number): E | undefined {
  return entries.find((e) => (e.inVec === 1 ? !inVec : e.outVec === 1 || (y16 && Wo % e.outVec === 0)));
}

/**
 * A launcher with the artifact ABI (x, w, b, scale, shift, r, pw, pb, y, N, C, H, W, stream) -> status: 0, or
 * -1 for arguments the kernel cannot take; a failed launch throws a CudaError.
 */
export function cubinLauncher(driver: CudaDriver, module: unknown, info: CudaLaunchInfo, spec: KernelSpec) {
  const fn = new Map<string, CuFunction>();
  const get = (name: string) => {
    let f = fn.get(name);
    if (f === undefined) fn.set(name, (f = driver.getFunction(module, name)));
    return f;
  };
  // Every entry is looked up now: a cubin that lacks one fails at load, not at some later call.
  if (info.direct) get(info.direct.entry);
  for (const e of [...(info.tiled?.entries ?? []), ...(info.nhwc?.entries ?? [])]) get(e.name);
  if (info.ring) get(info.ring.name);
  for (const e of info.separable?.entries ?? []) get(e.name);
  if (info.separable?.quads) get(info.separable.quads.name);
  if (info.ring && info.ring.smem > 48 * 1024) driver.allowSharedMemory(get(info.ring.name), info.ring.smem);
  if (info.ringNhwc && info.ringNhwc.maxSmem > 48 * 1024) driver.allowSharedMemory(get(info.ringNhwc.name), info.ringNhwc.maxSmem);
  // The split entry uses thread block clusters: taken only where its code was compiled for sm_90 or
  // newer, from sm_90 PTX or newer (compute_80 PTX JIT-compiled on sm_90 holds the trap body).
  const split = info.separable?.split && get(info.separable.split.name);
  const splitBuilt = split !== undefined && driver.binaryVersion(split) >= 90 && driver.ptxVersion(split) >= 90;
  const koffi = ffi();
  const block = koffi.alloc('uint8_t', PARAM_BYTES);
  const view = new DataView(koffi.view(block, PARAM_BYTES));
  const base = koffi.address(block);
  const params = BigUint64Array.from(OFFSETS, (o) => base + BigInt(o));
  const [kh, kw] = spec.kernelSize;
  const [sh, sw] = spec.stride;
  const [dh, dw] = spec.dilation;
  const padH = spec.padding[0] + spec.padding[1];
  const padW = spec.padding[2] + spec.padding[3];
  const m = spec.channelMultiplier;

  return (x: Address, w: Address, b: Address, scale: Address, shift: Address, r: Address, pw: Address, pb: Address, y: Address, N: number, C: number, H: number, W: number, stream: Address): number => {
    if (!big(x) || !big(w) || !big(y) || N < 1 || C < 1 || H < 1 || W < 1) return -1;
    if ((spec.bias && !big(b)) || (spec.batchNorm && (!big(scale) || !big(shift))) || (spec.residual !== 'none' && !big(r))) return -1;
    if (spec.pointwise && (!big(pw) || (spec.pointwise.bias && !big(pb)))) return -1;
    if (H + padH < dh * (kh - 1) + 1 || W + padW < dw * (kw - 1) + 1) return -1;
    const Ho = outputExtent(H, kh, sh, padH, dh);
    const Wo = outputExtent(W, kw, sw, padW, dw);
    if (H > INT_LIMIT || W > INT_LIMIT || Ho > INT_LIMIT - 64 || Wo > INT_LIMIT - 64 || C * m > INT_LIMIT) return -1;
    const pick = choose(big(x), big(y), big(r), N, C, H, W, Ho, Wo);
    if (!pick) return -1;
    for (const [i, a] of [x, w, b, scale, shift, r, pw, pb, y].entries()) view.setBigUint64(8 * i, big(a), true);
    for (const [i, v] of [C, H, W, Ho, Wo].entries()) view.setInt32(72 + 4 * i, v, true);
    const tiles = writeTileGrid(view, GRID_AT, ...pick.grid, pick.images);
    view.setBigInt64(PIXELS_AT, BigInt(N) * BigInt(Ho) * BigInt(Wo), true);
    const status = driver.launch(get(pick.entry), gridBlocks(tiles, pick.tilesPerBlock), pick.threads ?? info.threads, stream, params, pick.sharedBytes ?? 0);
    if (status !== 0) throw new CudaError(`cuLaunchKernel(${pick.entry})`, status, driver.errorName(status));
    return 0;
  };

  /**
   * The entry point for a call and its tile grid (three extents, then images), as the nvcc launcher
   * chooses them; undefined: none can take the call. NCHW grids walk (tile column, tile row, channel);
   * NHWC ones (channel vector, column, row); separable ones (output channel tile, pixel run of all
   * images, -) and one image, one block per tile where the others have one thread per tile.
   */
  function choose(x: bigint, y: bigint, r: bigint, N: number, C: number, H: number, W: number, Ho: number, Wo: number): { entry: string; grid: [number, number, number]; images: number; tilesPerBlock: number; threads?: number; sharedBytes?: number } | undefined {
    const perThread = (entry: string, grid: [number, number, number]) => ({ entry, grid, images: N, tilesPerBlock: info.threads });
    const nchw = (entry: string, tile: { readonly tileW: number; readonly tileH: number }) => perThread(entry, [Math.ceil(Wo / tile.tileW), Math.ceil(Ho / tile.tileH), C * m]);
    if (info.separable) return chooseSeparable(info.separable, splitBuilt, x % BigInt(4 * DTYPE_BYTES[spec.dtype]) === 0n, N, C * m, H, W, Ho, Wo);
    // ring_nhwc::suits in templates/cuda/ring-nhwc.hbs: the NHWC ring where it fits, else the nhwc kernel.
    const ringNhwc = info.ringNhwc;
    const ringNhwcBytes = ringNhwc && ringNhwcSmem(spec, ringNhwc, C, W, Wo, x % 16n === 0n);
    if (ringNhwc && ringNhwcBytes !== undefined) {
      return { entry: ringNhwc.name, grid: [Math.ceil((Wo * C) / ringNhwc.cols), Math.ceil(Ho / ringNhwc.segment), 1], images: N, tilesPerBlock: 1, sharedBytes: ringNhwcBytes };
    }
    if (info.nhwc) {
      // nhwc::run in templates/cuda/nhwc.hbs: vector entry when channels come in whole vectors and all is aligned.
      const misaligned = (x | y | r) % 16n !== 0n;
      const e = info.nhwc.entries.find((e) => e.vec === 1 || (C % e.vec === 0 && !misaligned))!;
      return perThread(e.name, [(C * m) / e.vec, Math.ceil(Wo / info.nhwc.tileW), Math.ceil(Ho / info.nhwc.tileH)]);
    }
    const ring = info.ring;
    if (ring && ringTakes(ring, W, Wo, x % 16n === 0n)) {
      return { entry: ring.name, grid: [Math.ceil(Wo / ring.cols), Math.ceil(Ho / ring.segment), C * m], images: N, tilesPerBlock: 1, sharedBytes: ring.smem };
    }
    const tiled = info.tiled;
    const suits = tiled !== undefined && W % tiled.tileW === 0 && Wo >= 4 * tiled.tileW && x % 16n === 0n;
    if (tiled && (!info.direct || suits)) {
      const inVec = W % tiled.tileW === 0 && x % 16n === 0n;
      const y16 = y % 16n === 0n && r % 16n === 0n; // the residual is read with the stores' width
      const e = pickTiledEntry(tiled.entries, inVec, y16, Wo);
      return e && nchw(e.name, tiled);
    }
    return info.direct && nchw(info.direct.entry, info.direct);
  }

  /**
   * sep::run in templates/cuda/separable.hbs: the wide entry (its quads form where rows come in whole
   * aligned quads) unless it would launch too few blocks; then the split one (its own tiles and
   * threads, `slices` blocks a tile) where it is built for sm_90+, its grid is at most `maxBlocks`
   * blocks and there are enough chunks of depthwise channels; else the narrow one.
   */
  function chooseSeparable(sep: NonNullable<CudaLaunchInfo['separable']>, splitBuilt: boolean, xQuads: boolean, N: number, CM: number, H: number, W: number, Ho: number, Wo: number) {
    if (Ho * Wo > INT_LIMIT || H * W > INT_LIMIT) return undefined; // the kernel counts a plane's pixels in an int
    const pixels = N * Ho * Wo;
    const tiles = (e: { pixels: number; coutTile: number }, slices = 1): [number, number, number] => [Math.ceil(spec.pointwise!.outChannels / e.coutTile) * slices, Math.ceil(pixels / e.pixels), 1];
    const [wide, narrow] = sep.entries;
    const [wideCout, wideRuns] = tiles(wide!);
    const fewBlocks = wideCout * wideRuns < sep.narrowBelow;
    const splitGrid = sep.split && tiles(sep.split, sep.split.slices);
    const split = fewBlocks && splitBuilt && sep.split && splitGrid && splitGrid[0] * splitGrid[1] <= sep.split.maxBlocks && Math.ceil(CM / SEPARABLE_CHUNK) >= sep.split.minChunks ? sep.split : undefined;
    const quads = sep.quads && Wo % 4 === 0 && W % 4 === 0 && xQuads ? sep.quads : undefined;
    const [entry, grid] = split && splitGrid ? [split.name, splitGrid] : fewBlocks ? [narrow!.name, tiles(narrow!)] : [(quads ?? wide!).name, tiles(wide!)];
    if (grid[1] > INT_LIMIT) return undefined; // a pixel run's index is an int
    return { entry, grid, images: 1, tilesPerBlock: 1, ...(split && { threads: split.threads }) };
  }
}
