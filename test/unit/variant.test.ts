import { describe, expect, it } from 'vitest';
import { generate } from '../../src/codegen/generate.js';
import { allVariants, normalizeVariant, type CudaVariant } from '../../src/codegen/variant.js';
import { SpecError } from '../../src/errors.js';
import { normalizeSpec, type KernelSpec, type SpecInput } from '../../src/spec.js';
import { entryFor, familyParts } from '../helpers/family-parts.js';
import { chooseEntry } from '../../src/plan/choose.js';
import type { GeneratedSource } from '../../src/codegen/common.js';

/**
 * A spec's ring variants (either layout): rows a step 2, 4 and 8, each kept by normalizeVariant and
 * generating a pinned ring; `check` adds what is particular to the layout.
 */
function eachRingVariant(input: SpecInput, check: (spec: KernelSpec, g: GeneratedSource, v: CudaVariant) => void): void {
  const spec = normalizeSpec(input);
  const rings = allVariants(spec).filter((v) => v.kernel === 'ring');
  expect(rings.map((v) => v.tileH), JSON.stringify(input)).toEqual([2, 4, 8]);
  for (const v of rings) {
    expect(normalizeVariant(spec, v)).toEqual(v);
    const g = generate(spec, 'cuda', v);
    expect(g.variant).toMatchObject({ kernel: 'ring', ringTileH: v.tileH });
    check(spec, g, v);
  }
}

describe('CUDA variants', () => {
  const aligned = { x: 256n, w: 256n, b: 256n, scale: 256n, shift: 256n, r: 256n, pw: 256n, pb: 256n, y: 256n };
  const nhwc = normalizeSpec({ kernelSize: 3, layout: 'NHWC', dtype: 'float16' });
  const nchw = normalizeSpec({ kernelSize: 3 });

  it('7x7 NHWC: the channels-first vector entry stages every channel\'s weights, tap-major, below the W-first entry\'s channels', () => {
    for (const dtype of ['float32', 'float16', 'bfloat16'] as const) {
      const spec = normalizeSpec({ kernelSize: 7, padding: 3, layout: 'NHWC', dtype });
      const g = generate(spec, 'cuda');
      const vec = dtype === 'float32' ? 4 : 8;
      const staged = chooseEntry(g.plan!, { pointers: aligned, N: 2, C: 96, H: 14, W: 14, multiprocessors: 132 });
      expect(staged?.entry.name).toBe(`${g.symbol}_nhwc_${vec}`);
      expect(staged?.sharedBytes).toBe((96 + 4) * 49 * 4); // C + 4 floats a tap (staged_stride)
      expect(g.source).toContain(`tile<${vec}, false, true>`);
      // From 192 channels the W-first entry takes the call, without shared memory.
      const wide = chooseEntry(g.plan!, { pointers: aligned, N: 2, C: 192, H: 14, W: 14, multiprocessors: 132 });
      expect([wide?.entry.name, wide?.sharedBytes]).toEqual([expect.stringMatching(/_wfirst$/), 0]);
      // C not a multiple of the vector: the scalar entry, which loads its weights itself.
      expect(chooseEntry(g.plan!, { pointers: aligned, N: 2, C: 90, H: 14, W: 14, multiprocessors: 132 })?.sharedBytes).toBe(0);
    }
    // Wider windows and 3x3 keep their weights in global memory (no fallback would be left for the C
    // whose weights do not fit below 48 KiB).
    for (const input of [{ kernelSize: 9, layout: 'NHWC' }, { kernelSize: 3, layout: 'NHWC', dtype: 'float16' }] as const) {
      const g = generate(normalizeSpec(input), 'cuda');
      expect(g.source, JSON.stringify(input)).not.toMatch(/tile<\d+, (true|false), true>/);
    }
  });

  it('lists tile heights, widths and vector widths for NHWC, every one of which generates', () => {
    const variants = allVariants(nhwc).filter((v) => v.kernel === 'nhwc');
    expect(variants).toHaveLength(2 * 2 * 2);
    for (const v of variants) {
      expect(normalizeVariant(nhwc, v)).toEqual(v);
      const g = generate(nhwc, 'cuda', v);
      expect(g.plan?.entries.map((e) => e.name.slice(g.symbol.length))).toEqual([`_nhwc_${v.vec}`, '_nhwc_1']);
      expect(g.variant).toMatchObject({ kernel: 'nhwc', nhwcTileH: v.tileH, nhwcTileW: v.tileW, nhwcVector: v.vec });
    }
    // With a channel multiplier channels are not contiguous per input: the scalar path only.
    expect(allVariants(normalizeSpec({ kernelSize: 3, layout: 'NHWC', channelMultiplier: 2 })).every((v) => v.vec === 1)).toBe(true);
  });

  it('offers the ring at 2, 4 and 8 rows where it fits (NCHW, stride 1, spans up to 30, any dtype), and only there', () => {
    for (const input of [{ kernelSize: 7, padding: 3 }, { kernelSize: 3 }, { kernelSize: 7, dtype: 'float16' }, { kernelSize: 5, dtype: 'bfloat16', dilation: 2 }] as const) {
      eachRingVariant(input, (spec, g, v) => {
        const vec = spec.dtype === 'float32' ? 4 : 8; // elements of a 16-byte load
        const W = 4 * vec; // a narrow row of whole vectors
        expect(entryFor(spec, v, [1, 1, 40, W])).toBe(`${g.symbol}_ring`); // pinned: every call whose rows it can load
        expect(entryFor(spec, v, [1, 1, 40, W + 1])).toBe(`${g.symbol}_direct`); // the others
      });
    }
    for (const input of [{ kernelSize: 7, stride: 2 }, { kernelSize: 31, dilation: 2 }, { kernelSize: 3, layout: 'NHWC', channelMultiplier: 2 }] as const) {
      expect(allVariants(normalizeSpec(input)).some((v) => v.kernel === 'ring'), JSON.stringify(input)).toBe(false);
    }
  });

  it('ring segments: 16 rows for unpadded 16-bit 3-row windows, 64 otherwise (measured, docs/perf.md)', () => {
    const segment = (input: Parameters<typeof normalizeSpec>[0]) => familyParts(normalizeSpec(input), { kernel: 'ring', tileH: 4 }).ring?.segment;
    expect(segment({ kernelSize: 3, dtype: 'float16' })).toBe(16);
    expect(segment({ kernelSize: [3, 5], dtype: 'bfloat16', padding: [0, 2] })).toBe(16);
    expect(segment({ kernelSize: 3, dtype: 'float16', padding: 1 })).toBe(64);
    expect(segment({ kernelSize: 3 })).toBe(64);
    expect(segment({ kernelSize: 7, dtype: 'float16' })).toBe(64);
    expect(segment({ kernelSize: 3, dtype: 'float16', dilation: 2 })).toBe(64);
  });

  it('ring register bound (__launch_bounds__ for 8 blocks): plain 16-bit windows up to 3x3 only (measured, docs/perf.md)', () => {
    const ringCode = (source: string) => source.slice(source.indexOf('namespace ring {'), source.indexOf('}  // namespace ring\n'));
    const bounded = (input: Parameters<typeof normalizeSpec>[0]) => ringCode(generate(normalizeSpec(input), 'cuda').source).includes('__launch_bounds__(LANES, 8)');
    expect(bounded({ kernelSize: 3, dtype: 'bfloat16' })).toBe(true);
    expect(bounded({ kernelSize: 3, dtype: 'float16', padding: 1 })).toBe(true);
    expect(bounded({ kernelSize: 3, dtype: 'bfloat16', bias: true, activation: 'relu6' })).toBe(false);
    expect(bounded({ kernelSize: 5, dtype: 'float16' })).toBe(false);
    expect(bounded({ kernelSize: 7 })).toBe(false);
  });

  it('builds the any-width ring where it fits (NCHW, stride 1, no dilation, windows up to 7x7): in default sources after the aligned ring and the tiled kernel (above 9 taps also before the tiled kernel, on fuller strips), pinned at 4 rows taking every call', () => {
    const v = { kernel: 'ringAny', tileH: 4 } as const;
    for (const input of [{ kernelSize: 3 }, { kernelSize: 7, padding: 3, dtype: 'float16' }, { kernelSize: [3, 5], padding: [1, 2], dtype: 'bfloat16', channelMultiplier: 2, bias: true }] as const) {
      const spec = normalizeSpec(input);
      expect(allVariants(spec).filter((x) => x.kernel === 'ringAny'), JSON.stringify(input)).toEqual([v]);
      const order = generate(spec, 'cuda').plan!.entries.map((e) => (e.name.endsWith('_ring_any') ? 'ringAny' : e.name.endsWith('_ring') ? 'ring' : /_tiled_/.test(e.name) ? 'tiled' : e.name.endsWith('_direct') ? 'direct' : e.name));
      const firstOf = (family: string) => order.indexOf(family);
      expect(firstOf('ringAny'), JSON.stringify(order)).toBeGreaterThan(firstOf('ring'));
      expect(firstOf('ringAny')).toBeLessThan(firstOf('direct'));
      const lastOf = (family: string) => order.lastIndexOf(family);
      expect(lastOf('ringAny')).toBeGreaterThan(firstOf('tiled'));
      const early = spec.kernelSize[0] * spec.kernelSize[1] > 9;
      expect(firstOf('ringAny') < firstOf('tiled'), JSON.stringify(order)).toBe(early);
      expect(order.filter((f) => f === 'ringAny')).toHaveLength(early ? 2 : 1);
      expect(normalizeVariant(spec, v)).toEqual(v);
      const g = generate(spec, 'cuda', v);
      expect(g.variant).toMatchObject({ kernel: 'ringAny', ringAnyTileH: 4 });
      expect(g.variant.ringTileH).toBeUndefined();
      expect(g.plan!.entries.map((e) => e.name.slice(g.symbol.length))).toEqual(['_ring_any', '_direct']);
      for (const W of [9, 40, 509, 1030]) expect(entryFor(spec, v, [1, 1, 40, W])).toBe(`${g.symbol}_ring_any`);
    }
    for (const input of [{ kernelSize: 3, stride: 2 }, { kernelSize: 3, dilation: 2 }, { kernelSize: 9 }, { kernelSize: [1, 9] as [number, number] }, { kernelSize: 3, layout: 'NHWC' as const }]) {
      const spec = normalizeSpec(input);
      expect(() => normalizeVariant(spec, v), JSON.stringify(input)).toThrow(SpecError);
    }
    expect(() => normalizeVariant(nchw, { kernel: 'ringAny', tileH: 2 })).toThrow(SpecError);
  });

  it('offers the NHWC ring at 2, 4 and 8 rows where it fits (stride 1, no multiplier, 9 taps or fewer), with the nhwc kernel beside it', () => {
    for (const input of [{ kernelSize: 3, layout: 'NHWC' }, { kernelSize: 3, layout: 'NHWC', dtype: 'bfloat16', dilation: 2, padding: 1 }, { kernelSize: [1, 9], layout: 'NHWC', dtype: 'float16' }] as const) {
      eachRingVariant(input, (spec, g, v) => {
        expect(familyParts(spec, v).ringNhwc).toMatchObject({ rows: v.tileH + spec.kernelSize[0] - 1 + (spec.dilation[0] - 1) * (spec.kernelSize[0] - 1), minElems: 1 });
        expect(entryFor(spec, v, [1, 4, 12, 12])).toBe(`${g.symbol}_ring_nhwc`); // pinned: narrow rows too
        expect(entryFor(spec, v, [1, 6, 12, 12])).toBe(`${g.symbol}_nhwc_1`); // C % 4: the nhwc kernel
      });
    }
    for (const input of [{ kernelSize: 5, layout: 'NHWC' }, { kernelSize: 3, stride: 2, layout: 'NHWC' }, { kernelSize: 3, layout: 'NHWC', channelMultiplier: 2 }] as const) {
      expect(allVariants(normalizeSpec(input)).some((v) => v.kernel === 'ring'), JSON.stringify(input)).toBe(false);
    }
    // By default: every source the ring fits holds it beside the nhwc kernel, in every dtype.
    const g = generate(nhwc, 'cuda');
    expect(entryFor(nhwc, undefined, [1, 8, 12, 66])).toBe(`${g.symbol}_ring_nhwc`); // 64 x 8 = 512 output elements a row: one strip
    expect(entryFor(nhwc, undefined, [1, 8, 12, 65])).toMatch(/_nhwc_\d$/);
    expect(generate(normalizeSpec({ kernelSize: 3, layout: 'NHWC' }), 'cuda').plan?.entries.some((e) => e.name.endsWith('_ring_nhwc'))).toBe(true);
    expect(generate(normalizeSpec({ kernelSize: 5, layout: 'NHWC' }), 'cuda').plan?.entries.some((e) => e.name.endsWith('_ring_nhwc'))).toBe(false);
    // Not where its longest row's ring needs more shared memory than every sm_80+ GPU allows (99 KiB):
    // float32 3x3 at dilation 7 (104 KiB), 9x1 at dilation 6 (240 KiB); pinned, it is still built.
    for (const input of [{ kernelSize: 3, dilation: 7, padding: 7, layout: 'NHWC' }, { kernelSize: [9, 1], dilation: [6, 1], padding: [24, 0], layout: 'NHWC' }] as const) {
      const spec = normalizeSpec(input);
      expect(generate(spec, 'cuda').plan!.entries.some((e) => e.name.endsWith('_ring_nhwc')), JSON.stringify(input)).toBe(false);
      expect(generate(spec, 'cuda', { kernel: 'ring', tileH: 4 }).plan!.entries.some((e) => e.name.endsWith('_ring_nhwc')), JSON.stringify(input)).toBe(true);
    }
    expect(generate(normalizeSpec({ kernelSize: 3, dilation: 6, padding: 6, layout: 'NHWC' }), 'cuda').plan!.entries.some((e) => e.name.endsWith('_ring_nhwc'))).toBe(true); // 96 KiB
  });

  it.each([
    ['options.variant.kernel', nhwc, { kernel: 'tiled', tileH: 2 }],
    ['options.variant.kernel', normalizeSpec({ kernelSize: 5, layout: 'NHWC' }), { kernel: 'ring', tileH: 4 }],
    ['options.variant.tileH', nhwc, { kernel: 'ring', tileH: 3 }],
    ['options.variant', nhwc, { kernel: 'ring', tileH: 4, vec: 8 }],
    ['options.variant.kernel', normalizeSpec({ kernelSize: 3, stride: 2 }), { kernel: 'ring', tileH: 4 }],
    ['options.variant.tileH', normalizeSpec({ kernelSize: 5 }), { kernel: 'ring', tileH: 16 }],
    ['options.variant.tileW', nhwc, { kernel: 'nhwc', tileH: 2, tileW: 3, vec: 8 }],
    ['options.variant.vec', nhwc, { kernel: 'nhwc', tileH: 2, tileW: 4, vec: 16 }],
    ['options.variant.tileH', nhwc, { kernel: 'nhwc', tileH: 4, tileW: 4, vec: 8 }],
    ['options.variant', nchw, { kernel: 'tiled', tileH: 4, tileW: 4 }],
    ['options.variant.kernel', nchw, { kernel: 'nhwc', tileH: 2 }],
  ])('rejects a bad %s', (field, spec, variant) => {
    let caught: unknown;
    try {
      normalizeVariant(spec, variant);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(SpecError);
    expect((caught as SpecError).field).toBe(field);
  });
});
