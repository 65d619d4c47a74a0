// The host side of an NVRTC build: the module's launch plan read for each call (chooseEntry) and the
// chosen entry launched through the driver API. The nvcc build's C launcher is emitted from the same
// plan; the GPU property tests run both paths over every variant.
import { chooseEntry, type PlanCall } from '../plan/choose.js';
import { DEFAULT_SHARED_LIMIT, type LaunchPlan } from '../plan/plan.js';
import { CudaError } from '../errors.js';
import type { Address } from '../ffi/cudart.js';
import { allocateParamBlock, type CudaDriver, type CuFunction } from '../ffi/cuda-driver.js';
import { TILE_GRID_BYTES, writeTileGrid } from './tile-grid.js';

/**
 * Argument values: x, w, EpiArgs {b, scale, shift, r, pw, pb}, y, C, H, W, Ho, Wo, TileGrid, and the
 * pixel count N * Ho * Wo, which only separable kernels take (the driver reads as many as a kernel has).
 */
const GRID_AT = 96;
const PIXELS_AT = GRID_AT + TILE_GRID_BYTES;
const OFFSETS = [0, 8, 16, 64, 72, 76, 80, 84, 88, GRID_AT, PIXELS_AT] as const;
const PARAM_BYTES = PIXELS_AT + 8;

const big = (a: Address) => BigInt(a);

/**
 * A launcher with the artifact ABI (x, w, b, scale, shift, r, pw, pb, y, N, C, H, W, stream) -> status: 0, or
 * -1 for arguments the kernel cannot take; a failed launch throws a CudaError. `moduleOf`: the loaded
 * module that holds an entry (one for a plain cubin, one of several for a set). `multiprocessors`: the SM
 * count of the device the module is loaded on, which plans may scale their launch rules with.
 */
export function planLauncher(driver: CudaDriver, moduleOf: (entry: string) => unknown, plan: LaunchPlan, multiprocessors: number) {
  // Every entry is looked up now: a cubin that lacks one fails at load, not at some later call.
  const functions = new Map<string, CuFunction>(plan.entries.map((e) => [e.name, driver.getFunction(moduleOf(e.name), e.name)]));
  for (const e of plan.entries) if (e.maxSharedBytes > DEFAULT_SHARED_LIMIT) driver.allowSharedMemory(functions.get(e.name), e.maxSharedBytes);
  const built = new Set(plan.entries.filter((e) => e.cluster).map((e) => e.name).filter((name) => {
    const fn = functions.get(name);
    return driver.binaryVersion(fn) >= 90 && driver.ptxVersion(fn) >= 90;
  }));
  const clusterBuilt = (name: string) => built.has(name);
  const { view, address } = allocateParamBlock(PARAM_BYTES);
  const params = BigUint64Array.from(OFFSETS, (o) => address + BigInt(o));

  return (x: Address, w: Address, b: Address, scale: Address, shift: Address, r: Address, pw: Address, pb: Address, y: Address, N: number, C: number, H: number, W: number, stream: Address): number => {
    const pointers = { x: big(x), w: big(w), b: big(b), scale: big(scale), shift: big(shift), r: big(r), pw: big(pw), pb: big(pb), y: big(y) };
    const call: PlanCall = { pointers, N, C, H, W, clusterBuilt, multiprocessors };
    const chosen = chooseEntry(plan, call);
    if (!chosen) return -1;
    for (const [i, a] of [x, w, b, scale, shift, r, pw, pb, y].entries()) view.setBigUint64(8 * i, big(a), true);
    for (const [i, value] of [C, H, W, chosen.Ho, chosen.Wo].entries()) view.setInt32(72 + 4 * i, value, true);
    const g = chosen.grid;
    writeTileGrid(view, GRID_AT, g.tilesW, g.tilesH, g.channels, g.images);
    view.setBigInt64(PIXELS_AT, BigInt(N) * BigInt(chosen.Ho) * BigInt(chosen.Wo), true);
    const name = chosen.entry.name;
    const status = driver.launch(functions.get(name), chosen.blocks, chosen.threads, stream, params, chosen.sharedBytes);
    if (status !== 0) throw new CudaError(`cuLaunchKernel(${name})`, status, driver.errorName(status));
    return 0;
  };
}
