// What a CUDA kernel family contributes to a generated module: its template's values, its fields of
// the variant record, and its launch plan entries. src/codegen/families.ts lists the families.
import { mul, v, type Expr } from '../plan/expr.js';
import type { PlanEntry, TileGridPlan } from '../plan/plan.js';
import type { KernelSpec } from '../spec.js';
import type { CudaVariant } from './variant.js';

/** Threads per block of the per-thread-tile families and the rings' lanes. */
export const THREADS = 128;

/** One family in one source. */
export interface FamilyBuild {
  /** Its template's values: the template reads them under the family's id. */
  readonly parts: object;
  /** Its tile sizes in the source's variant record (part of a kernel's provenance). */
  readonly variant: Readonly<Record<string, number>>;
  /** Calls the family refuses whatever entry it takes (checked after the shared argument checks). */
  readonly checks?: readonly Expr[];
  /**
   * Its entries, in the order they are tried. `last`: no family is tried after it, so its entries
   * take every call they can rather than only the calls they suit best.
   */
  entries(last: boolean): PlanEntry[];
  /**
   * Entries tried at another place than the family's launchRank (before a family that would take
   * those calls at a lower rate), beside its own: the same kernels under a stricter condition.
   */
  readonly early?: { readonly rank: number; entries(): PlanEntry[] };
}

export interface CudaFamily {
  /** The template context key (false where the source lacks the family) and the kernels' C++ namespace. */
  readonly id: string;
  /** Its name in the source's header comment. */
  readonly label: string;
  /** Its device code: templates/cuda/<template>.hbs. */
  readonly template: string;
  /** Its place among the source's families when a call is launched: lower is tried first. */
  readonly launchRank: number;
  /** Threads per block, the template's THREADS: families in one source agree on it. */
  readonly threads: number;
  /**
   * NVRTC's time for one of its programs relative to one tiled entry point's (1 where not measured):
   * a source's programs start heaviest first, so the slowest does not wait for a worker thread.
   */
  readonly compileWeight?: number;
  /**
   * Its programs may compile after a kernel is loaded (CompileUnit.later) where the source's plan
   * ends in an entry that takes every call: until they are loaded that entry takes their calls. For
   * families that are slow to compile and taken only for some shapes (the any-width ring: rows whose
   * width is not a multiple of the vector width).
   */
  readonly compiledLater?: boolean;
  /** The family for this spec and variant, or false where the source does not hold it. */
  build(spec: KernelSpec, variant: CudaVariant | undefined, symbol: string): FamilyBuild | false;
}

/** NCHW grids: (tile column, tile row, output channel, image) for tiles of tileW x tileH outputs. */
export function planeTiles(spec: KernelSpec, tileW: number, tileH: number): TileGridPlan {
  return { axes: [{ size: tileW, extent: v('Wo') }, { size: tileH, extent: v('Ho') }, { size: 1, extent: mul(v('C'), spec.channelMultiplier) }], images: v('N') };
}
