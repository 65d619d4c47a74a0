import type { KernelSpec } from '../spec.js';
import { templateContext, type GeneratedSource } from './common.js';
import { DIRECT_TILE_H, directParts } from './cuda-direct.js';
import { defaultNhwcTile, nhwcParts } from './cuda-nhwc.js';
import { RING_TILE_H, ringApplies, ringParts } from './cuda-ring.js';
import { ringNhwcApplies, ringNhwcParts } from './cuda-ring-nhwc.js';
import { separableParts, SEPARABLE_THREADS } from './cuda-separable.js';
import { defaultTiledTileH, tiledApplies, tiledParts } from './cuda-tiled.js';
import { render } from './templates.js';
import type { CudaVariant } from './variant.js';

const THREADS = 128;

/**
 * One source per spec and variant. Without a variant: every kernel family that applies (direct
 * always, tiled and ring where they do), the launcher choosing per call from the shape (narrow planes
 * go to the direct kernel). A variant pins one family and tile height (tests, tuning); a pinned ring
 * keeps the direct kernel for calls whose rows it cannot load (W not a multiple of 4, x unaligned).
 */
export function generateCuda(spec: KernelSpec, variant?: CudaVariant): GeneratedSource {
  const ctx = templateContext(spec, 'cuda');
  if (spec.pointwise) return generateSeparable({ ...spec, pointwise: spec.pointwise }, ctx);
  if (spec.layout === 'NHWC') return generateNhwc(spec, ctx, variant);
  const useTiled = variant ? variant.kernel === 'tiled' : tiledApplies(spec);
  const useRing = variant ? variant.kernel === 'ring' : ringApplies(spec);
  const useDirect = variant ? variant.kernel !== 'tiled' : true;
  const direct = useDirect ? directParts(spec, variant?.kernel === 'direct' ? variant.tileH : DIRECT_TILE_H) : false;
  const tiled = useTiled ? tiledParts(spec, variant?.tileH ?? defaultTiledTileH(spec), ctx.symbol) : false;
  const ring = useRing ? ringParts(spec, variant?.tileH ?? RING_TILE_H, ctx.symbol, THREADS, variant !== undefined) : false;
  const families = [direct && 'direct', tiled && 'tiled', ring && 'ring'].filter(Boolean).join(', ');
  const source = render('cuda/dwconv.cu.hbs', { ...ctx, threads: THREADS, families, direct, tiled, ring, nhwc: false, ringNhwc: false, separable: false });
  const kernel = variant ? variant.kernel : tiled || ring ? 'auto' : 'direct';
  return {
    target: 'cuda', symbol: ctx.symbol, language: 'cuda', source, specJson: ctx.specJson,
    launch: {
      threads: THREADS,
      ...(direct ? { direct: { tileW: direct.tileW, tileH: direct.tileH, entry: `${ctx.symbol}_direct` } } : {}),
      ...(tiled ? { tiled: { tileW: tiled.tileW, tileH: tiled.tileH, entries: tiled.entries.map(({ name, inVec, outVec }) => ({ name, inVec, outVec })) } } : {}),
      ...(ring ? { ring: { name: ring.name, vec: ring.vec, cols: ring.cols, segment: ring.segment, smem: ring.smem, minWo: ring.minWo, minFill: ring.minFill } } : {}),
    },
    variant: {
      kernel,
      ...(direct ? { directTileW: direct.tileW, directTileH: direct.tileH } : {}),
      ...(tiled ? { tiledTileW: tiled.tileW, tiledTileH: tiled.tileH } : {}),
      ...(ring ? { ringTileH: ring.tileH } : {}),
    },
  };
}

/**
 * NHWC: the nhwc kernel (vector and scalar entry points), and the row ring beside it where it
 * applies (the launcher choosing per call). A variant pins the nhwc kernel's tile, or the ring (the
 * nhwc kernel at its default tile kept for calls the ring cannot take).
 */
function generateNhwc(spec: KernelSpec, ctx: ReturnType<typeof templateContext>, variant: CudaVariant | undefined): GeneratedSource {
  const tile = variant?.kernel === 'nhwc' ? { tileH: variant.tileH, tileW: variant.tileW!, vec: variant.vec! } : defaultNhwcTile(spec);
  const useRing = variant ? variant.kernel === 'ring' : ringNhwcApplies(spec);
  const ring = useRing ? ringNhwcParts(spec, variant?.tileH ?? RING_TILE_H, ctx.symbol, THREADS, variant !== undefined) : false;
  const parts = nhwcParts(spec, ctx.symbol, tile.tileH, tile.tileW, tile.vec);
  const nhwc = { ...parts, vectorEntry: parts.entries.find((e) => e.vec > 1)?.name ?? false, scalarEntry: parts.entries.find((e) => e.vec === 1)!.name };
  const families = ring ? 'nhwc, ring (NHWC)' : 'nhwc';
  const source = render('cuda/dwconv.cu.hbs', { ...ctx, threads: THREADS, families, direct: false, tiled: false, ring: false, nhwc, ringNhwc: ring, separable: false });
  return {
    target: 'cuda', symbol: ctx.symbol, language: 'cuda', source, specJson: ctx.specJson,
    launch: {
      threads: THREADS,
      nhwc: { tileW: parts.tileW, tileH: parts.tileH, entries: parts.entries },
      ...(ring ? { ringNhwc: { name: ring.name, rows: ring.rows, tileH: ring.tileH, stages: ring.stages, vec: ring.vec, cols: ring.cols, segment: ring.segment, maxSmem: ring.maxSmem, minElems: ring.minElems } } : {}),
    },
    variant: {
      kernel: variant ? variant.kernel : ring ? 'auto' : 'nhwc',
      nhwcTileW: parts.tileW, nhwcTileH: parts.tileH, nhwcVector: parts.vec,
      ...(ring ? { ringTileH: ring.tileH } : {}),
    },
  };
}

/** A depthwise-separable block: one kernel, no variants. */
function generateSeparable(spec: KernelSpec & { pointwise: NonNullable<KernelSpec['pointwise']> }, ctx: ReturnType<typeof templateContext>): GeneratedSource {
  const separable = separableParts(spec, ctx.symbol);
  const { split } = separable;
  const source = render('cuda/dwconv.cu.hbs', { ...ctx, threads: SEPARABLE_THREADS, families: 'separable', direct: false, tiled: false, ring: false, nhwc: false, ringNhwc: false, separable });
  return {
    target: 'cuda', symbol: ctx.symbol, language: 'cuda', source, specJson: ctx.specJson,
    launch: { threads: SEPARABLE_THREADS, separable: {
      entries: separable.entries.map(({ name, pixels, coutTile }) => ({ name, pixels, coutTile })),
      narrowBelow: separable.narrowBelow,
      ...(split && { split: { name: split.name, pixels: split.pixels, coutTile: split.coutTile, threads: split.threads, slices: split.slices, minChunks: split.minChunks, maxBlocks: split.maxBlocks } }),
      ...(separable.quads && { quads: { name: separable.quads.name } }),
    } },
    variant: { kernel: 'separable', pixels: separable.wide.pixels, coutTile: separable.wide.coutTile },
  };
}
