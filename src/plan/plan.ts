// The launch plan of a generated CUDA module, as data: which entry point a call takes, with how many
// blocks, threads and bytes of shared memory, and which calls are refused. Codegen writes it once per
// source; the NVRTC launcher evaluates it (chooseEntry) and the nvcc host launcher is emitted from it.
import { ceilDiv, mul, type Expr } from './expr.js';

/** The pointer arguments of the C ABI, in order: x, w, b, scale, shift, r, pw, pb, y. */
export type PointerArg = 'x' | 'w' | 'b' | 'scale' | 'shift' | 'r' | 'pw' | 'pb' | 'y';

/**
 * One axis of a tile grid: tiles of `size` outputs along an `extent` of outputs, the last one partial;
 * `copies` blocks share each tile (a cluster, each block summing a slice of the input channels).
 */
export interface TileAxis {
  readonly size: number;
  readonly extent: Expr;
  readonly copies?: number;
}

/**
 * The kernels' TileGrid (templates/cuda/tiles.hbs): three axes (its tiles_w, tiles_h and channels,
 * the first fastest) and `images` images.
 */
export interface TileGridPlan {
  readonly axes: readonly [TileAxis, TileAxis, TileAxis];
  readonly images: Expr;
}

/** The TileGrid's fields: tiles along each axis (every output covered), then images. */
export function tileGridFields(grid: TileGridPlan): [Expr, Expr, Expr, Expr] {
  const [a, b, c] = grid.axes.map((axis) => (axis.copies ? mul(ceilDiv(axis.extent, axis.size), axis.copies) : ceilDiv(axis.extent, axis.size))) as [Expr, Expr, Expr];
  return [a, b, c, grid.images];
}

/**
 * The input indices one tile reads along one axis of the input plane (its rows, or its columns), as
 * the device code computes them: tile t along grid axis `axis` reads [t * step + first, t * step +
 * first + span). Indices outside [0, extent) are padding or past the plane's end: `outside` says what
 * the kernel does there. Written beside each entry from the constants its template is rendered with.
 */
export interface FootprintAxis {
  /** The grid axis whose tile index places the reads ('tile' footprints). */
  readonly axis?: 0 | 1 | 2;
  /** Input indices from one tile's reads to the next's. */
  readonly step: number;
  /** The first index tile 0 reads: negative where it starts in the padding. */
  readonly first: Expr;
  /** Indices read from the first on. */
  readonly span: Expr;
  /** The input's length along the axis: H, W, or (NHWC row elements) W * C. */
  readonly extent: Expr;
  /**
   * 'masked': never loaded, taken as zero; 'clamped': the nearest index inside is loaded and its
   * product dropped; 'unmasked' (columns only): the elements beside the row in memory (its
   * neighbouring rows', inside the tensor) are loaded and their products dropped.
   */
  readonly outside: 'masked' | 'clamped' | 'unmasked';
  /** The reads are whole aligned vectors of this many elements (a tile's windows rounded out to them); 1 where elements are read one by one. */
  readonly align: number;
  /** Elements read beyond those vectors at either end (16-bit words on the tensor's own 2-element grid); 0 if absent. */
  readonly slack?: number;
  /** 'pixels': rows or columns of the plane; 'elements': an NHWC row's W * C elements (channel c of pixel p at p * C + c). */
  readonly unit: 'pixels' | 'elements';
}

/**
 * Which input one tile of an entry reads. 'tile': a tile's reads along each axis (the rows and
 * columns every output of the tile needs, and no more than its vectors round them to). 'pixel': each
 * output pixel reads its own window (a separable block's runs of pixels cross rows and images): pixel
 * (oh, ow) reads rows from oh * rows.step + rows.first and columns from ow * cols.step + cols.first.
 */
export interface InputFootprint {
  readonly by: 'tile' | 'pixel';
  readonly rows: FootprintAxis;
  readonly cols: FootprintAxis;
}

export interface PlanEntry {
  /** The extern "C" kernel: its name in the cubin. */
  readonly name: string;
  /** The C++ namespace its template declares it in (the host launcher calls scope::name). */
  readonly scope: string;
  /** Taken by the first entry, in order, whose condition holds. */
  readonly when: Expr;
  /** Once taken, the call is refused (-1) unless this holds (the kernel's int indexing). */
  readonly fits?: Expr;
  readonly threads: number;
  /** Tiles one block computes: `threads` where a thread takes a tile, 1 where a block does. */
  readonly tilesPerBlock: number;
  readonly grid: TileGridPlan;
  /** Bytes of dynamic shared memory a launch asks. */
  readonly sharedBytes: Expr;
  /** The most `sharedBytes` can be: above 48 KiB the entry must be allowed it before a launch. */
  readonly maxSharedBytes: number;
  /**
   * Thread block clusters compiled into the kernel (__cluster_dims__): taken only where its code was
   * built for sm_90 or newer from sm_90 PTX or newer (compute_80 PTX JIT-compiled on sm_90 holds a
   * trap body); otherwise the next entry is tried.
   */
  readonly cluster?: readonly [number, number, number];
  /** The kernel takes the pixel count N * Ho * Wo (i64) after its TileGrid. */
  readonly takesPixels: boolean;
  /** The input a tile reads (the launch-coverage tests hold it to the spec's windows and to the device code). */
  readonly footprint?: InputFootprint;
}

export interface LaunchPlan {
  /** A null pointer here refuses the call (-1). */
  readonly requiredPointers: readonly PointerArg[];
  /** The output extents, from the caller's H and W. */
  readonly Ho: Expr;
  readonly Wo: Expr;
  /** Each must hold, else the call is refused (-1): sizes, windows against the padded input, int limits. */
  readonly checks: readonly Expr[];
  /** In the order they are tried; no entry taken refuses the call (-1). */
  readonly entries: readonly PlanEntry[];
}

/** The largest block count along x: more blocks go along y too. */
export const MAX_GRID_X = 2 ** 31 - 1;
/** Dynamic shared memory an entry may ask without an opt-in. */
export const DEFAULT_SHARED_LIMIT = 48 * 1024;
