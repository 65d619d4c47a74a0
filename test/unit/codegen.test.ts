import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SEPARABLE_CHUNK, separableParts, separableSharedBytes, separableShapes, type SeparableShape } from '../../src/codegen/cuda-separable.js';
import { generate } from '../../src/codegen/generate.js';
import { allVariants, type CudaVariant } from '../../src/codegen/variant.js';
import { MAX_POINTWISE_CHANNELS, normalizeSpec, specTag, type KernelSpec, type PointwiseSpec, type SpecInput } from '../../src/spec.js';

const golden = (name: string) => new URL(`../fixtures/golden/${name}`, import.meta.url);
const GOLDEN_SPECS: SpecInput[] = [
  { kernelSize: 3 },
  { kernelSize: [5, 3], stride: 2, padding: [2, 1], dilation: [1, 2], channelMultiplier: 2, dtype: 'float16', bias: true },
  { kernelSize: 4, padding: 'same', dtype: 'bfloat16' },
  { kernelSize: 3, padding: 1, dtype: 'float16', bias: true, batchNorm: true, activation: 'leaky_relu', negativeSlope: 0.2, residual: true },
  { kernelSize: 3, padding: 1, layout: 'NHWC', bias: true, activation: 'relu6' },
  { kernelSize: 7, padding: [3, 3, 2, 4], bias: true, activation: 'gelu' },
  { kernelSize: 3, padding: 1, bias: true, batchNorm: true, activation: 'relu6', pointwise: { outChannels: 24, bias: true, activation: 'hardswish' } },
];

describe('codegen', () => {
  for (const input of GOLDEN_SPECS) {
    const spec = normalizeSpec(input);
    for (const target of ['cuda', 'cpu'] as const) {
      it(`${target} ${specTag(spec)} matches its golden file`, () => {
        const { source } = generate(spec, target);
        const file = golden(`${target}_${specTag(spec)}.${target === 'cuda' ? 'cu' : 'cpp'}`);
        if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, source);
        expect(source).toBe(readFileSync(file, 'utf8'));
      });
    }
  }

  it('is deterministic', () => {
    const spec = normalizeSpec({ kernelSize: 7, bias: true });
    expect(generate(spec, 'cuda').source).toBe(generate(normalizeSpec({ kernelSize: [7, 7], bias: true }), 'cuda').source);
  });

  it('writes out every tap: kh*kw multiply-adds per output, no loop over the window', () => {
    const spec = normalizeSpec({ kernelSize: [3, 5], dilation: 2, stride: 2 });
    const g = generate(spec, 'cuda', { kernel: 'direct', tileH: 1 });
    expect(g.variant.kernel).toBe('direct');
    const tileW = Number(g.variant.directTileW);
    expect(g.source.match(/acc\d+ = fmaf\(/g)).toHaveLength(3 * 5 * tileW);
    expect(g.source).not.toMatch(/for \(int (kh|kw|r|s) /);
    const cpu = generate(spec, 'cpu').source;
    // three column ranges (left border, interior, right border) per tap row, each summing kw products
    expect(cpu.match(/wk\[\d+\] \* xf\[/g)).toHaveLength(3 * 3 * 5);
  });

  it('tiled variant: kh*kw multiply-adds per output of its TH x TW tile, each input row loaded once', () => {
    const spec = normalizeSpec({ kernelSize: [3, 5], dilation: [2, 1], padding: 'same', dtype: 'float16' });
    const g = generate(spec, 'cuda', { kernel: 'tiled', tileH: 4 });
    expect(g.variant).toEqual({ kernel: 'tiled', tiledTileW: 8, tiledTileH: 4 });
    expect(g.source).not.toContain('_direct(');
    expect(g.source.match(/acc\d+\[\d+\] = fmaf\(/g)).toHaveLength(3 * 5 * 8 * 4);
    expect(g.source.match(/load_row<IN_VEC>\(/g)).toHaveLength(4 + (3 - 1) * 2); // TH + (KH-1)*DH input rows
  });

  it('NHWC windows beyond 7x7 loop over tap rows, so every variant stays small enough to compile in seconds', () => {
    const spec = normalizeSpec({ kernelSize: 31, layout: 'NHWC' });
    for (const variant of [undefined, ...allVariants(spec)]) {
      const g = generate(spec, 'cuda', variant);
      expect(g.source.length).toBeLessThan(120_000); // fully unrolled, the 2x4 tile was 1.2 MB and 300 s of nvcc
      expect(g.source).toContain('for (int r = 0; r < KH; ++r)');
      // per output row of the tile: one unrolled tap row of 31 weights
      expect(g.source.match(/load_weights<VEC, STAGED>\(/g)).toHaveLength(31 * Number(g.variant.nhwcTileH));
    }
    const small = generate(normalizeSpec({ kernelSize: 7, layout: 'NHWC' }), 'cuda');
    expect(small.source).not.toContain('for (int r = 0; r < KH; ++r)');
  });

  it('embeds the spec and symbol as a self-description', () => {
    const g = generate(normalizeSpec({ kernelSize: 3 }), 'cpu');
    expect(g.symbol).toMatch(/^dwconv_cpu_[a-z0-9_]+$/);
    expect(g.source).toContain(`extern "C" const char* ${g.symbol}_info(void)`);
    expect(g.source).toContain(`extern "C" int ${g.symbol}(`);
  });

  it('narrows the direct tile for wide, dilated kernels so a row fits in registers', () => {
    expect(generate(normalizeSpec({ kernelSize: 3, stride: 2 }), 'cuda').variant.directTileW).toBe(4);
    expect(generate(normalizeSpec({ kernelSize: 31, dilation: 8 }), 'cuda').variant.directTileW).toBe(1);
  });

  it('by default holds the kernel families that apply (ring, tiled, any-width ring, direct), and lets the launcher choose', () => {
    const g = generate(normalizeSpec({ kernelSize: 3 }), 'cuda');
    expect(g.variant).toEqual({ kernel: 'auto', directTileW: 4, directTileH: 1, tiledTileW: 4, tiledTileH: 4, ringTileH: 4, ringAnyTileH: 4 });
    // The ring for wide rows of whole vectors, tiled entries for the shapes they suit, the any-width
    // ring for the wide rows neither can load, then the direct kernel for every other call.
    // Beside the direct kernel the tiled family takes only rows of whole input vectors, so its
    // scalar-load entry is neither planned nor compiled; pinned, the tiled family keeps it.
    expect(g.plan!.entries.map((e) => e.name.slice(g.symbol.length))).toEqual(['_ring', '_tiled_4_4', '_tiled_4_2', '_tiled_4_1', '_ring_any', '_direct']);
    const pinned = generate(normalizeSpec({ kernelSize: 3 }), 'cuda', { kernel: 'tiled', tileH: 4 });
    expect(pinned.plan!.entries.map((e) => e.name.slice(pinned.symbol.length))).toEqual(['_tiled_1_1', '_tiled_4_4', '_tiled_4_2', '_tiled_4_1']);
    // Stride 2 along W: the tiled kernel (SW vectors a row) beside the direct one; stride 3: direct only.
    const s2 = generate(normalizeSpec({ kernelSize: 3, stride: 2, padding: 1 }), 'cuda');
    expect(s2.plan!.entries.map((e) => e.name.slice(s2.symbol.length))).toEqual(['_tiled_4_4', '_tiled_4_2', '_tiled_4_1', '_direct']);
    expect(generate(normalizeSpec({ kernelSize: 3, stride: 3 }), 'cuda').variant.kernel).toBe('direct');
    // Left padding past the halo less SW - 1: the own vectors would start left of the columns read.
    expect(generate(normalizeSpec({ kernelSize: 3, stride: 2, padding: [1, 2] }), 'cuda').variant.kernel).toBe('direct');
    expect(generate(normalizeSpec({ kernelSize: 3, dtype: 'bfloat16' }), 'cuda').variant.tiledTileH).toBe(2);
  });
});

describe('the entry points a source holds', () => {
  // Each fully unrolled entry point costs NVRTC about a tenth of a second (docs/perf.md, "NVRTC cold
  // compile"): a source holds the entries its plan can launch and no other.
  const entryPoints = (source: string) => [...source.matchAll(/__global__ void(?: __launch_bounds__\([^)]*\))?\s+(\w+)\(/g)].map((m) => m[1]!);
  const specs: SpecInput[] = [
    ...GOLDEN_SPECS,
    { kernelSize: 3, padding: 1, outputDtype: 'float32', dtype: 'float16' },
    { kernelSize: 5, padding: 2, dtype: 'bfloat16', residual: true },
  ];
  for (const input of specs) {
    const spec = normalizeSpec(input);
    for (const variant of [undefined, ...allVariants(spec)]) {
      it(`${specTag(spec)} ${variant ? JSON.stringify(variant) : 'default'}: exactly its plan's entries, and in its units each once`, () => {
        const g = generate(spec, 'cuda', variant);
        // A kernel may have two plan entries (tried early under a stricter condition, later under its own).
        const planned = [...new Set(g.plan!.entries.map((e) => e.name))].sort();
        expect(entryPoints(g.source).sort()).toEqual(planned);
        const units = g.units!();
        expect(units.flatMap((u) => u.entries).sort()).toEqual(planned);
        for (const u of units) {
          expect(entryPoints(u.source).sort()).toEqual([...u.entries].sort());
          expect(u.source).not.toContain(`extern "C" int ${g.symbol}(`); // device code only
        }
      });
    }
  }

  it('the reference spec (3x3, padding 1, fp32 NCHW) compiles six kernels: the ring, three tiled store widths, the any-width ring and the direct one', () => {
    const g = generate(normalizeSpec({ kernelSize: 3, padding: 1 }), 'cuda');
    expect(entryPoints(g.source).map((n) => n.slice(g.symbol.length))).toEqual(['_direct', '_tiled_4_4', '_tiled_4_2', '_tiled_4_1', '_ring', '_ring_any']);
    // NVRTC compiles them as six programs at once: the compile waits for the slowest kernel, not for all six.
    expect(g.units!().map((u) => u.entries.map((n) => n.slice(g.symbol.length)))).toEqual([['_direct'], ['_tiled_4_4'], ['_tiled_4_2'], ['_tiled_4_1'], ['_ring'], ['_ring_any']]);
    // The any-width ring may compile after a first load: the direct kernel, last in the plan, takes every call meanwhile.
    expect(g.units!().map((u) => u.later === true)).toEqual([false, false, false, false, false, true]);
    expect(g.plan!.entries.at(-1)!.name).toBe(`${g.symbol}_direct`);
  });

  it('a program compiles later only in a default source whose plan ends in an entry that takes every call', () => {
    const laterOf = (input: SpecInput, variant?: CudaVariant) => {
      const g = generate(normalizeSpec(input), 'cuda', variant);
      return g.units!().filter((u) => u.later).flatMap((u) => u.entries.map((n) => n.slice(g.symbol.length)));
    };
    expect(laterOf({ kernelSize: 5, padding: 2, dtype: 'float16' })).toEqual(['_ring_any']);
    // A pinned family is the kernel to run from the first call, though the direct kernel is in its source too.
    expect(laterOf({ kernelSize: 3, padding: 1 }, { kernel: 'ringAny', tileH: 4 })).toEqual([]);
    // NHWC sources hold no catch-all NCHW direct kernel.
    expect(laterOf({ kernelSize: 3, padding: 1, layout: 'NHWC' })).toEqual([]);
  });
});

describe('separable warp layouts (separableShapes)', () => {
  // The kernel's static shared memory (templates/cuda/separable.hbs): float32 keeps D and the 1x1
  // weights twice (TF32 high and low parts), 16-bit once; a split block's partial sums (float32,
  // [pixels][coutTile + 4]) overlay them; the depthwise weights of a chunk (tap table, at most 5x5)
  // lie beside. 48 KB is the static limit.
  const chunk = SEPARABLE_CHUNK;
  const chunkBytes = (s: SeparableShape, dtype: 'float32' | 'float16') =>
    dtype === 'float32' ? 2 * chunk * (s.pixels + 8) * 4 + 2 * s.coutTile * (chunk + 4) * 4 : (chunk / 2) * (s.pixels + 8) * 4 + s.coutTile * (chunk + 8) * 2;
  const bytes = (s: SeparableShape, dtype: 'float32' | 'float16') =>
    Math.max(chunkBytes(s, dtype), s.pixels * (s.coutTile + 4) * 4) + chunk * 25 * (dtype === 'float32' ? 4 : 2);

  it('fill 8 warps, cover every output channel count up to the limit, and fit static shared memory', () => {
    for (let outChannels = 1; outChannels <= MAX_POINTWISE_CHANNELS; outChannels++) {
      const { wide, narrow } = separableShapes({ outChannels, bias: false, activation: 'none', negativeSlope: 0.01 }, 'k');
      for (const s of [wide, narrow]) {
        expect(s.wm * s.wn).toBe(8);
        expect(s.pixels).toBe(16 * s.wm);
        expect(s.coutTile).toBe(8 * s.wn * s.nt);
        expect(s.nt).toBeLessThanOrEqual(8); // 32 accumulators per thread at most
        expect(s.coutTile).toBeGreaterThanOrEqual(Math.min(outChannels, 256)); // wider layers take several tiles
        expect(bytes(s, 'float32')).toBeLessThanOrEqual(48 * 1024);
        expect(bytes(s, 'float16')).toBeLessThanOrEqual(48 * 1024);
      }
      expect(narrow.pixels).toBeLessThanOrEqual(wide.pixels);
    }
  });

  it('the split entry: the wide warps along the output channels, up to 12 warps, inside static shared memory', () => {
    const seen = new Set<string>();
    for (let outChannels = 1; outChannels <= MAX_POINTWISE_CHANNELS; outChannels += 7) {
      for (const dtype of ['float32', 'float16'] as const) {
        const spec = normalizeSpec({ kernelSize: 5, padding: 2, dtype, pointwise: { outChannels } }) as KernelSpec & { pointwise: PointwiseSpec };
        const { wide, split } = separableParts(spec, 'k');
        if (!split) {
          expect(wide.pixels).toBeGreaterThan(32);
          continue;
        }
        expect([split.wn, split.nt, split.coutTile]).toEqual([wide.wn, wide.nt, wide.coutTile]);
        expect(split.threads).toBe(32 * split.wm * split.wn);
        expect(split.threads).toBeLessThanOrEqual(384);
        expect(split.pixels).toBe(16 * split.wm);
        expect(bytes(split, dtype)).toBeLessThanOrEqual(48 * 1024);
        expect(separableSharedBytes(spec, split.pixels, split.coutTile, split.slices)).toBe(bytes(split, dtype));
        seen.add(`${split.pixels}x${split.threads}`);
      }
    }
    // 48 pixels by 12 warps (C960->160 at 7x7: 132 blocks, one per SM), fewer where that would not fit.
    expect([...seen].sort()).toEqual(['16x256', '32x256', '48x384']);
  });
});
