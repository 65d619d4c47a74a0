// Launch coverage without a GPU: for random specs, variants, shapes and pointer alignments, the entry
// the plan chooses has a grid whose tiles cover every output exactly once (every tile's first output
// inside its extent, the last tile reaching its end), checked on the plan data both launchers read.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generate } from '../../src/codegen/generate.js';
import { allVariants } from '../../src/codegen/variant.js';
import { bindings, chooseEntry, type PlanCall } from '../../src/plan/choose.js';
import { evaluate } from '../../src/plan/expr.js';
import { normalizeSpec, outputExtent, type SpecInput } from '../../src/spec.js';

const specInput: fc.Arbitrary<SpecInput> = fc.record({
  kernelSize: fc.constantFrom(1, 3, 5, 7, [1, 9] as [number, number], [3, 5] as [number, number]),
  stride: fc.constantFrom(1, 1, 2),
  dilation: fc.constantFrom(1, 1, 2),
  padding: fc.constantFrom(0, 1, 2, 'same' as const),
  channelMultiplier: fc.constantFrom(1, 1, 2),
  dtype: fc.constantFrom('float32' as const, 'float16' as const, 'bfloat16' as const),
  layout: fc.constantFrom('NCHW' as const, 'NHWC' as const),
  residual: fc.boolean(),
  pointwise: fc.option(fc.record({ outChannels: fc.constantFrom(8, 24, 160, 385) }), { nil: undefined }),
}).map((s) => (s.pointwise ? { ...s, residual: false, padding: s.padding === 'same' && s.stride !== 1 ? 0 : s.padding } : s.padding === 'same' && s.stride !== 1 ? { ...s, padding: 1 } : s));

const address = fc.bigInt({ min: 1n, max: 1n << 20n }).chain((a) => fc.constantFrom(a * 256n, a * 256n + 8n, a * 256n + 4n, a * 256n + 2n));
const sizes = fc.record({
  N: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 300 })),
  C: fc.oneof(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 1024 })),
  H: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 5000 })),
  W: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 5000 }), fc.constantFrom(512, 514, 1024, 2048)),
});

describe('launch plans cover every output exactly once', () => {
  it('for every family, variant, shape and alignment the chosen grid tiles each axis with no gap and no tile past its end', () => {
    fc.assert(fc.property(specInput, fc.nat(), sizes, fc.tuple(address, address, address), fc.boolean(), fc.constantFrom(1, 16, 78, 108, 114, 132, 170), (input, pick, { N, C, H, W }, [x, y, r], clusters, multiprocessors) => {
      let spec;
      try { spec = normalizeSpec(input); } catch { return; } // a window larger than its padding allows
      const variants = [undefined, ...allVariants(spec)];
      const g = generate(spec, 'cuda', variants[pick % variants.length]);
      const plan = g.plan!;
      const a = 1024n;
      const call: PlanCall = { pointers: { x, w: a, b: a, scale: a, shift: a, r, pw: a, pb: a, y }, N, C, H, W, clusterBuilt: () => clusters, multiprocessors };
      const chosen = chooseEntry(plan, call);
      const [kh, kw] = spec.kernelSize;
      const Ho = outputExtent(H, kh, spec.stride[0], spec.padding[0] + spec.padding[1], spec.dilation[0]);
      const Wo = outputExtent(W, kw, spec.stride[1], spec.padding[2] + spec.padding[3], spec.dilation[1]);
      if (Ho < 1 || Wo < 1) { expect(chosen).toBeUndefined(); return; }
      expect(chosen, `${g.symbol} ${N}x${C}x${H}x${W}`).toBeDefined();
      const vars = bindings(plan, call);
      expect([vars.Ho, vars.Wo]).toEqual([BigInt(Ho), BigInt(Wo)]);
      const tiles = [chosen!.grid.tilesW, chosen!.grid.tilesH, chosen!.grid.channels];
      for (const [i, axis] of chosen!.entry.grid.axes.entries()) {
        const extent = evaluate(axis.extent, vars);
        const copies = axis.copies ?? 1;
        const count = BigInt(tiles[i]!);
        expect(count % BigInt(copies), `${chosen!.entry.name} axis ${i}`).toBe(0n);
        const perCopy = count / BigInt(copies);
        // Tile t covers outputs [t * size, (t + 1) * size): the last tile reaches the end, the one before does not.
        expect(perCopy * BigInt(axis.size) >= extent, `${chosen!.entry.name} axis ${i}: ${perCopy} tiles of ${axis.size} cover ${extent}`).toBe(true);
        expect((perCopy - 1n) * BigInt(axis.size) < extent, `${chosen!.entry.name} axis ${i}: no tile past ${extent}`).toBe(true);
      }
      const images = BigInt(chosen!.grid.images);
      // Separable grids fold the images into their pixel runs.
      expect(images).toBe(spec.pointwise ? 1n : BigInt(N));
      // One thread or one block per tile: enough blocks for every tile, no block wholly idle.
      const perBlock = BigInt(chosen!.entry.tilesPerBlock);
      const blocks = BigInt(chosen!.blocks[0]) * BigInt(chosen!.blocks[1]);
      expect(blocks * perBlock >= chosen!.grid.tiles).toBe(true);
      expect((blocks - BigInt(chosen!.blocks[1])) * perBlock < chosen!.grid.tiles).toBe(true);
    }), { numRuns: 400, seed: 24 });
  }, 60_000);
});
