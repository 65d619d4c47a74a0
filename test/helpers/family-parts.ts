// The tile sizes and thresholds behind a source's plan entries, from the family modules themselves:
// what a test needs to compute the launch it expects (the plan holds them only inside expressions).
import { directParts, DIRECT_TILE_H } from '../../src/codegen/cuda-direct.js';
import { defaultNhwcTile, nhwcParts } from '../../src/codegen/cuda-nhwc.js';
import { RING_ANY_TILE_H, ringAnyParts } from '../../src/codegen/cuda-ring-any.js';
import { ringNhwcParts } from '../../src/codegen/cuda-ring-nhwc.js';
import { RING_TILE_H, ringParts } from '../../src/codegen/cuda-ring.js';
import { separableParts } from '../../src/codegen/cuda-separable.js';
import { THREADS } from '../../src/codegen/family.js';
import { generate } from '../../src/codegen/generate.js';
import type { CudaVariant } from '../../src/codegen/variant.js';
import { chooseEntry } from '../../src/plan/choose.js';
import type { KernelSpec } from '../../src/spec.js';

export function familyParts(spec: KernelSpec, variant?: CudaVariant) {
  const g = generate(spec, 'cuda', variant);
  const has = (suffix: string) => g.plan!.entries.some((e) => e.name === `${g.symbol}${suffix}`);
  const pinned = variant !== undefined;
  const nhwcTile = variant?.kernel === 'nhwc' ? { tileH: variant.tileH, tileW: variant.tileW!, vec: variant.vec! } : defaultNhwcTile(spec);
  return {
    generated: g,
    plan: g.plan!,
    threads: spec.pointwise ? 256 : THREADS,
    direct: has('_direct') ? { ...directParts(spec, variant?.kernel === 'direct' ? variant.tileH : DIRECT_TILE_H), entry: `${g.symbol}_direct` } : undefined,
    ring: has('_ring') ? ringParts(spec, variant?.tileH ?? RING_TILE_H, g.symbol, THREADS, pinned) : undefined,
    ringAny: has('_ring_any') ? ringAnyParts(spec, variant?.tileH ?? RING_ANY_TILE_H, g.symbol, THREADS, pinned) : undefined,
    ringNhwc: has('_ring_nhwc') ? ringNhwcParts(spec, variant?.tileH ?? RING_TILE_H, g.symbol, THREADS, pinned) : undefined,
    nhwc: spec.layout === 'NHWC' && !spec.pointwise ? nhwcParts(spec, g.symbol, nhwcTile.tileH, nhwcTile.tileW, nhwcTile.vec) : undefined,
    separable: spec.pointwise ? separableParts({ ...spec, pointwise: spec.pointwise }, g.symbol) : undefined,
  };
}

/**
 * The entry a call of logical sizes N, C, H, W takes, every pointer set and 256-byte aligned, on a GPU
 * of `multiprocessors` SMs (default the H100's and H200's 132) (undefined: refused).
 */
export function entryFor(spec: KernelSpec, variant: CudaVariant | undefined, [N, C, H, W]: readonly [number, number, number, number], multiprocessors = 132): string | undefined {
  const a = 256n;
  const pointers = { x: a, w: a, b: a, scale: a, shift: a, r: a, pw: a, pb: a, y: a };
  return chooseEntry(generate(spec, 'cuda', variant).plan!, { pointers, N, C, H, W, clusterBuilt: () => true, multiprocessors })?.entry.name;
}
