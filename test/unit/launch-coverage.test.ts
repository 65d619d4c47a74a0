// Launch coverage without a GPU: for random specs, variants, shapes and pointer alignments, the entry
// the plan chooses has a grid whose tiles cover every output exactly once (every tile's first output
// inside its extent, the last tile reaching its end), checked on the plan data both launchers read;
// and its input footprint holds every input each of a tile's outputs needs and nothing beyond those
// windows but the vector rounding. test/toolchain/device-footprint.test.ts holds the footprints to
// what the device code loads.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generate } from '../../src/codegen/generate.js';
import { allVariants } from '../../src/codegen/variant.js';
import { bindings, chooseEntry, type PlanCall } from '../../src/plan/choose.js';
import { evaluate, type Bindings } from '../../src/plan/expr.js';
import type { FootprintAxis, PlanEntry } from '../../src/plan/plan.js';
import { normalizeSpec, outputExtent, type KernelSpec, type SpecInput } from '../../src/spec.js';

const specInput: fc.Arbitrary<SpecInput> = fc.record({
  kernelSize: fc.constantFrom(1, 3, 5, 7, [1, 9] as [number, number], [3, 5] as [number, number]),
  stride: fc.constantFrom(1, 1, 2),
  dilation: fc.constantFrom(1, 1, 2),
  padding: fc.constantFrom(0, 1, 2, 'same' as const),
  channelMultiplier: fc.constantFrom(1, 1, 2),
  dtype: fc.constantFrom('float32' as const, 'float16' as const, 'bfloat16' as const),
  layout: fc.constantFrom('NCHW' as const, 'NHWC' as const),
  residual: fc.boolean(),
  // One spec in four a separable block, so that the other families are drawn too.
  pointwise: fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary: fc.record({ outChannels: fc.constantFrom(8, 24, 160, 385) }), weight: 1 }),
}).map((s) => (s.pointwise ? { ...s, residual: false, padding: s.padding === 'same' && s.stride !== 1 ? 0 : s.padding } : s.padding === 'same' && s.stride !== 1 ? { ...s, padding: 1 } : s));

const address = fc.bigInt({ min: 1n, max: 1n << 20n }).chain((a) => fc.constantFrom(a * 256n, a * 256n, a * 256n + 8n, a * 256n + 4n, a * 256n + 2n));
const sizes = fc.record({
  N: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 300 })),
  // Whole quads of channels too (the NHWC ring takes only those).
  C: fc.oneof(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 1024 }), fc.integer({ min: 1, max: 64 }).map((c) => 4 * c)),
  H: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 5000 })),
  W: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 5000 }), fc.constantFrom(512, 514, 1024, 2048)),
});

/** One call of one source: the spec, which of its variants, the sizes, x, y and r, clusters built; `at` picks tiles. */
interface LaunchCase {
  readonly input: SpecInput;
  readonly pick: number;
  readonly sizes: { readonly N: number; readonly C: number; readonly H: number; readonly W: number };
  readonly pointers: readonly [bigint, bigint, bigint];
  readonly clusters: boolean;
  /** The device's SM count, which the separable launch rules scale with. */
  readonly multiprocessors: number;
  readonly at: number;
}
const multiprocessors = fc.constantFrom(1, 16, 78, 108, 114, 132, 170);
const anyCase: fc.Arbitrary<LaunchCase> = fc.record({ input: specInput, pick: fc.nat(), sizes, pointers: fc.tuple(address, address, address), clusters: fc.boolean(), multiprocessors, at: fc.nat() });
/**
 * Calls the vector entries and the rings take, drawn as often as the rest: stride 1, no multiplier,
 * no 1x1, every pointer aligned, whole vectors of channels and of columns.
 */
const vectorCase: fc.Arbitrary<LaunchCase> = fc.record({
  input: specInput.map((s) => ({ ...s, stride: 1, channelMultiplier: 1, pointwise: undefined })),
  pick: fc.nat(),
  sizes: fc.record({ N: fc.integer({ min: 1, max: 4 }), C: fc.integer({ min: 1, max: 64 }).map((c) => 8 * c), H: fc.integer({ min: 1, max: 300 }), W: fc.oneof(fc.integer({ min: 1, max: 160 }).map((w) => 8 * w), fc.constantFrom(512, 1024, 2048)) }),
  pointers: fc.bigInt({ min: 1n, max: 1n << 20n }).map((a) => [a * 256n, (a + 4096n) * 256n, (a + 8192n) * 256n] as const),
  clusters: fc.boolean(),
  multiprocessors,
  at: fc.nat(),
});
const launchCase = fc.oneof(anyCase, vectorCase);
/** Every kernel family (the C++ namespaces of its entries): each property must draw all of them. */
const SCOPES = ['direct', 'tiled', 'ring', 'ring_any', 'sep', 'nhwc', 'ring_nhwc'];

/** The source for a case, its plan's reading of the call (undefined: refused), or undefined where the spec is invalid. */
function launch(c: LaunchCase) {
  let spec;
  try { spec = normalizeSpec(c.input); } catch { return undefined; } // a window larger than its padding allows
  const variants = [undefined, ...allVariants(spec)];
  const g = generate(spec, 'cuda', variants[c.pick % variants.length]);
  const plan = g.plan!;
  const a = 1024n;
  const [x, y, r] = c.pointers;
  const call: PlanCall = { pointers: { x, w: a, b: a, scale: a, shift: a, r, pw: a, pb: a, y }, ...c.sizes, clusterBuilt: () => c.clusters, multiprocessors: c.multiprocessors };
  return { spec, g, plan, call, chosen: chooseEntry(plan, call) };
}

describe('launch plans cover every output exactly once', () => {
  it('for every family, variant, shape and alignment the chosen grid tiles each axis with no gap and no tile past its end', () => {
    const drawn = new Set<string>();
    fc.assert(fc.property(launchCase, (c) => {
      const l = launch(c);
      if (!l) return;
      const { spec, g, plan, call, chosen } = l;
      const { N, C, H, W } = c.sizes;
      if (chosen) drawn.add(chosen.entry.scope);
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
      // One thread or one block per tile: enough blocks for every tile, in rows of gx blocks of which
      // all but the last are needed whole; in a grid of one row, no block wholly idle.
      const perBlock = BigInt(chosen!.entry.tilesPerBlock);
      const [gx, gy] = chosen!.blocks.map(BigInt) as [bigint, bigint];
      expect(gx * gy * perBlock >= chosen!.grid.tiles).toBe(true);
      expect(gx * (gy - 1n) * perBlock < chosen!.grid.tiles).toBe(true);
      if (gy === 1n) expect((gx - 1n) * perBlock < chosen!.grid.tiles).toBe(true);
    }), { numRuns: 600, seed: 24 });
    expect([...drawn].sort()).toEqual([...SCOPES].sort());
  }, 60_000);
});

/** Floor division for negative numerators too (a window may start in the padding). */
const floorDiv = (a: bigint, b: bigint) => (a >= 0n ? a / b : -((-a + b - 1n) / b));

/** The input indices output o needs along a footprint's axis: [lo, hi], as the spec's window says. */
function window(spec: KernelSpec, which: 'rows' | 'cols', unit: FootprintAxis['unit'], o: bigint, C: bigint): [bigint, bigint] {
  const i = which === 'rows' ? 0 : 1;
  const k = BigInt(spec.kernelSize[i]), s = BigInt(spec.stride[i]), d = BigInt(spec.dilation[i]);
  const pad = BigInt(spec.padding[which === 'rows' ? 0 : 2]);
  if (unit === 'pixels') return [o * s - pad, o * s - pad + (k - 1n) * d];
  // An NHWC row's elements: output element o is channel o % C of pixel o / C (no multiplier, stride 1).
  expect([spec.channelMultiplier, spec.stride[1]], 'element footprints: stride 1, no multiplier').toEqual([1, 1]);
  return [o - pad * C, o - pad * C + (k - 1n) * d * C];
}

/**
 * One tile's footprint along one axis against the windows of its outputs: those it stores (t * size
 * up to the extent) all inside it, and nothing in the input beyond the windows of its tile's outputs
 * (stored or not), rounded out to whole vectors.
 */
function checkTileAxis(spec: KernelSpec, entry: PlanEntry, which: 'rows' | 'cols', t: bigint, vars: Bindings, label: string) {
  const f = entry.footprint![which];
  const grid = entry.grid.axes[f.axis!];
  const size = BigInt(grid.size), outputs = evaluate(grid.extent, vars), extent = evaluate(f.extent, vars);
  const lo = t * BigInt(f.step) + evaluate(f.first, vars);
  const hi = lo + evaluate(f.span, vars); // exclusive
  const first = t * size, stored = (outputs < first + size ? outputs : first + size) - 1n, nominal = first + size - 1n;
  const needLo = window(spec, which, f.unit, first, vars.C)[0], needHi = window(spec, which, f.unit, stored, vars.C)[1];
  expect(lo <= needLo && needHi < hi, `${label}: tile ${t} reads [${lo}, ${hi}) but its outputs ${first}..${stored} need [${needLo}, ${needHi}]`).toBe(true);
  const align = BigInt(f.align), slack = BigInt(f.slack ?? 0);
  const roundLo = floorDiv(needLo, align) * align - slack, roundHi = floorDiv(window(spec, which, f.unit, nominal, vars.C)[1] + align, align) * align + slack;
  const inLo = lo > 0n ? lo : 0n, inHi = hi < extent ? hi : extent;
  if (inLo < inHi) expect(roundLo <= inLo && inHi <= roundHi, `${label}: tile ${t} reads [${inLo}, ${inHi}) of the input, beyond its windows [${roundLo}, ${roundHi})`).toBe(true);
  // 'unmasked': columns beside a row are its neighbours' elements, products dropped (row footprints are masked).
  if (lo < 0n || hi > extent) expect(which === 'cols' ? ['masked', 'clamped', 'unmasked'] : ['masked', 'clamped'], `${label}: reads outside the input`).toContain(f.outside);
}

describe('launch plans read the input each output needs and nothing beyond it', () => {
  it('for every family, variant, shape and alignment each tile of the chosen entry reads its outputs\' windows, rounded to its vectors only', () => {
    const drawn = new Set<string>();
    fc.assert(fc.property(launchCase, (c) => {
      const l = launch(c);
      if (!l) return;
      const { spec, plan, call, chosen } = l;
      const at = c.at;
      for (const e of plan.entries) expect(e.footprint, `${e.name} has a footprint`).toBeDefined();
      if (!chosen) return;
      drawn.add(chosen.entry.scope);
      const vars = bindings(plan, call);
      const f = chosen.entry.footprint!;
      const extents = { pixels: { rows: vars.H, cols: vars.W }, elements: { rows: vars.H, cols: vars.W * vars.C } };
      for (const which of ['rows', 'cols'] as const) {
        expect(evaluate(f[which].extent, vars), `${chosen.entry.name} ${which} extent`).toBe(extents[f[which].unit][which]);
        if (f.by === 'tile') {
          const tiles = BigInt([chosen.grid.tilesW, chosen.grid.tilesH, chosen.grid.channels][f[which].axis!]!);
          for (const t of new Set([0n, tiles - 1n, BigInt(at) % tiles, 1n % tiles])) checkTileAxis(spec, chosen.entry, which, t, vars, `${chosen.entry.name} ${which}`);
        } else {
          // Each pixel reads its own window: the first, the last and one between.
          const outputs = which === 'rows' ? vars.Ho : vars.Wo;
          for (const o of new Set([0n, outputs - 1n, BigInt(at) % outputs])) {
            const lo = o * BigInt(f[which].step) + evaluate(f[which].first, vars);
            const [needLo, needHi] = window(spec, which, 'pixels', o, vars.C);
            expect([lo, lo + evaluate(f[which].span, vars) - 1n], `${chosen.entry.name} ${which} of output ${o}`).toEqual([needLo, needHi]);
            if (needLo < 0n || needHi >= (which === 'rows' ? vars.H : vars.W)) expect(['masked', 'clamped']).toContain(f[which].outside);
          }
        }
      }
    }), { numRuns: 600, seed: 24 });
    expect([...drawn].sort()).toEqual([...SCOPES].sort());
  }, 60_000);
});
