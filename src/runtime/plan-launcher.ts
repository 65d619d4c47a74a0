// The host side of an NVRTC build: the module's launch plan read for each call (chooseEntry) and the
// chosen entry launched through the driver API. The nvcc build's C launcher is emitted from the same
// plan; the GPU property tests run both paths over every variant.
import { chooseEntry, type PlanCall } from '../plan/choose.js';
import { DEFAULT_SHARED_LIMIT, type LaunchPlan, type PlanEntry } from '../plan/plan.js';
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

/** A launcher with the artifact ABI, and how entries compiled later join it. */
export interface PlanLaunch {
  (x: Address, w: Address, b: Address, scale: Address, shift: Address, r: Address, pw: Address, pb: Address, y: Address, N: number, C: number, H: number, W: number, stream: Address): number;
  /** Looks up the `later` entries in their modules: from now on calls take them. */
  addLater(moduleOf: (entry: string) => unknown): void;
}

/**
 * A launcher with the artifact ABI (x, w, b, scale, shift, r, pw, pb, y, N, C, H, W, stream) -> status: 0, or
 * -1 for arguments the kernel cannot take; a failed launch throws a CudaError. `moduleOf`: the loaded
 * module that holds an entry (one for a plain cubin, one of several for a set). `multiprocessors`: the SM
 * count of the device the module is loaded on, which plans may scale their launch rules with. `later`:
 * entries whose programs are still compiling (CompileUnit.later), absent from `moduleOf` until
 * addLater; meanwhile their calls go to the entries after them.
 */
export function planLauncher(driver: CudaDriver, moduleOf: (entry: string) => unknown, plan: LaunchPlan, multiprocessors: number, later: ReadonlySet<string> = new Set()): PlanLaunch {
  const functions = new Map<string, CuFunction>();
  const built = new Set<string>();
  // Entries join whole or not at all: a call sees an entry only once its shared memory allowance is set.
  const lookUp = (find: (entry: string) => unknown, entries: readonly PlanEntry[]) => {
    const found = new Map(entries.map((e) => [e.name, driver.getFunction(find(e.name), e.name)]));
    for (const e of entries) if (e.maxSharedBytes > DEFAULT_SHARED_LIMIT) driver.allowSharedMemory(found.get(e.name), e.maxSharedBytes);
    for (const e of entries) {
      const fn = found.get(e.name);
      if (e.cluster && driver.binaryVersion(fn) >= 90 && driver.ptxVersion(fn) >= 90) built.add(e.name);
    }
    for (const [name, fn] of found) functions.set(name, fn);
  };
  // Every entry is looked up now (but the later ones): a cubin that lacks one fails at load, not at some later call.
  lookUp(moduleOf, plan.entries.filter((e) => !later.has(e.name)));
  const clusterBuilt = (name: string) => built.has(name);
  const loaded = later.size ? (name: string) => functions.has(name) : undefined;
  const { view, address } = allocateParamBlock(PARAM_BYTES);
  const params = BigUint64Array.from(OFFSETS, (o) => address + BigInt(o));

  const launch = (x: Address, w: Address, b: Address, scale: Address, shift: Address, r: Address, pw: Address, pb: Address, y: Address, N: number, C: number, H: number, W: number, stream: Address): number => {
    const pointers = { x: big(x), w: big(w), b: big(b), scale: big(scale), shift: big(shift), r: big(r), pw: big(pw), pb: big(pb), y: big(y) };
    const call: PlanCall = { pointers, N, C, H, W, clusterBuilt, multiprocessors, ...(loaded ? { loaded } : {}) };
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
  return Object.assign(launch, { addLater: (find: (entry: string) => unknown) => lookUp(find, plan.entries.filter((e) => later.has(e.name))) });
}
