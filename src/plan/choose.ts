// The one reading of a launch plan for a call: which entry, its tile grid, blocks, threads and shared
// memory. The NVRTC launcher launches what this returns; the emitted nvcc host launcher computes the
// same from the same plan (a toolchain test holds the two to one answer).
import { evaluate, holds, type Bindings } from './expr.js';
import { MAX_GRID_X, tileGridFields, type LaunchPlan, type PlanEntry, type PointerArg } from './plan.js';

/** A call through the C ABI: the pointers as addresses, the sizes as the caller gave them. */
export interface PlanCall {
  readonly pointers: Readonly<Record<PointerArg, bigint>>;
  readonly N: number;
  readonly C: number;
  readonly H: number;
  readonly W: number;
  /** For entries with clusters: whether the loaded code of this entry was built for them. */
  readonly clusterBuilt?: (entry: string) => boolean;
  /** Whether an entry is loaded (default: every one): one still compiling (CompileUnit.later) leaves its calls to the entries after it. */
  readonly loaded?: (entry: string) => boolean;
  /** The multiprocessors of the device the call launches on (cudaDevAttrMultiProcessorCount). */
  readonly multiprocessors: number;
}

export interface ChosenLaunch {
  readonly entry: PlanEntry;
  readonly Ho: number;
  readonly Wo: number;
  /** The TileGrid fields, and their product. */
  readonly grid: { readonly tilesW: number; readonly tilesH: number; readonly channels: number; readonly images: number; readonly tiles: bigint };
  /** Blocks along x and y. */
  readonly blocks: readonly [number, number];
  readonly threads: number;
  readonly sharedBytes: number;
}

/** Blocks along x, and along y beyond 2^31 - 1 of them, for `tiles` tiles at `perBlock` a block. */
export function gridBlocks(tiles: bigint, perBlock: number): [number, number] {
  const blocks = (tiles + BigInt(perBlock) - 1n) / BigInt(perBlock);
  const gx = blocks < BigInt(MAX_GRID_X) ? blocks : BigInt(MAX_GRID_X);
  return [Number(gx), Number((blocks + gx - 1n) / gx)];
}

/** The call's values the plan's expressions name (Ho and Wo from the plan's own formulas). */
export function bindings(plan: LaunchPlan, call: PlanCall): Bindings {
  const p = call.pointers;
  const low = (a: bigint) => a & 255n;
  const sizes = { N: BigInt(call.N), C: BigInt(call.C), H: BigInt(call.H), W: BigInt(call.W), Ho: 0n, Wo: 0n, xLow: low(p.x), yLow: low(p.y), rLow: low(p.r), SMs: BigInt(call.multiprocessors) };
  return { ...sizes, Ho: evaluate(plan.Ho, sizes), Wo: evaluate(plan.Wo, sizes) };
}

/** The launch for a call, or undefined where the generated module refuses it (status -1). */
export function chooseEntry(plan: LaunchPlan, call: PlanCall): ChosenLaunch | undefined {
  if (plan.requiredPointers.some((name) => call.pointers[name] === 0n)) return undefined;
  const vars = bindings(plan, call);
  if (!plan.checks.every((c) => holds(c, vars))) return undefined;
  const entry = plan.entries.find((e) => (call.loaded?.(e.name) ?? true) && holds(e.when, vars) && (e.cluster === undefined || call.clusterBuilt?.(e.name) === true));
  if (entry === undefined || (entry.fits !== undefined && !holds(entry.fits, vars))) return undefined;
  const [tilesW, tilesH, channels, images] = tileGridFields(entry.grid).map((e) => evaluate(e, vars)) as [bigint, bigint, bigint, bigint];
  const tiles = tilesW * tilesH * channels * images;
  return {
    entry,
    Ho: Number(vars.Ho),
    Wo: Number(vars.Wo),
    grid: { tilesW: Number(tilesW), tilesH: Number(tilesH), channels: Number(channels), images: Number(images), tiles },
    blocks: gridBlocks(tiles, entry.tilesPerBlock),
    threads: entry.threads,
    sharedBytes: Number(evaluate(entry.sharedBytes, vars)),
  };
}
