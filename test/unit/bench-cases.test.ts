// The bench's case lists are what the performance targets name (docs/perf.md): shapes, windows and
// dtypes of the widths and convnext groups, their partners and targets. Nothing here is timed.
import { describe, expect, it } from 'vitest';
import { ALIGNED_ELEMENTS, alignedWidth, BENCH_GROUPS, benchCases, convnextCases, widthBatch, widthCases } from '../../src/tools/bench-cases.js';
import { listBenchCases, selectCases } from '../../src/tools/bench.js';
import { DTYPE_BYTES } from '../../src/dtype.js';
import { normalizeSpec, outputShape } from '../../src/spec.js';

const all = benchCases();
const bytesMoved = (c: (typeof all)[number]) => {
  const spec = normalizeSpec(c.spec);
  const count = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  return (count(c.shape) + count(outputShape(spec, c.shape))) * DTYPE_BYTES[spec.dtype];
};

describe('bench cases', () => {
  it('every group has cases, every name is unique (PyTorch times and aligned partners are matched by name)', () => {
    expect(new Set(all.map((c) => c.group))).toEqual(new Set(BENCH_GROUPS));
    expect(new Set(all.map((c) => c.name)).size).toBe(all.length);
    for (const c of all) expect(() => normalizeSpec(c.spec), c.name).not.toThrow();
  });

  it('widths: the reference problem and 7x7 same, NCHW, every dtype, at 509-516, 1023-1026 and 2047-2050', () => {
    const cases = widthCases();
    expect(cases).toHaveLength(2 * 3 * 16);
    expect(cases.every((c) => c.group === 'widths' && !c.torch)).toBe(true);
    const widths = [...new Set(cases.map((c) => c.shape[3]))].sort((a, b) => a - b);
    expect(widths).toEqual([509, 510, 511, 512, 513, 514, 515, 516, 1023, 1024, 1025, 1026, 2047, 2048, 2049, 2050]);
    const specs = new Set(cases.map((c) => JSON.stringify(normalizeSpec(c.spec))));
    expect(specs.size).toBe(6);
    for (const c of cases) {
      const s = normalizeSpec(c.spec);
      expect(s.layout).toBe('NCHW');
      expect(s.stride).toEqual([1, 1]);
      expect(s.dilation).toEqual([1, 1]);
      expect([['3x3', [3, 3], [0, 0, 0, 0]], ['7x7', [7, 7], [3, 3, 3, 3]]].some(([, k, p]) => JSON.stringify([s.kernelSize, s.padding]) === JSON.stringify([k, p]))).toBe(true);
      const [n, ch, h, w] = c.shape;
      expect([ch, h]).toEqual([128, 256]);
      expect(n).toBe(w < 1000 ? 64 : w < 2000 ? 32 : 16);
      expect(c.targets).toEqual({ ofAligned: 0.95 });
    }
    for (const dtype of ['float32', 'float16', 'bfloat16']) {
      for (const window of [3, 7]) expect(cases.filter((c) => normalizeSpec(c.spec).dtype === dtype && normalizeSpec(c.spec).kernelSize[0] === window)).toHaveLength(16);
    }
  });

  it("widths: each case moves about the reference problem's bytes", () => {
    const reference = all.find((c) => c.name === 'reference 3x3 float32')!;
    const ref32 = bytesMoved(reference);
    for (const c of widthCases()) {
      const perElement = DTYPE_BYTES[normalizeSpec(c.spec).dtype] / 4;
      expect(Math.abs(bytesMoved(c) / (ref32 * perElement) - 1), c.name).toBeLessThan(0.03);
    }
  });

  it('widths: each case is compared with the same window and dtype at the aligned width of its range (512, 1024, 2048)', () => {
    const cases = widthCases();
    const byName = new Map(cases.map((c) => [c.name, c]));
    for (const c of cases) {
      const partner = byName.get(c.alignedTo!);
      expect(partner, c.name).toBeDefined();
      expect(partner!.spec).toEqual(c.spec);
      expect(partner!.shape[3]).toBe(c.shape[3] < 1000 ? 512 : c.shape[3] < 2000 ? 1024 : 2048);
      expect(partner!.shape[3] % ALIGNED_ELEMENTS).toBe(0);
      expect(partner!.alignedTo).toBe(partner!.name); // an aligned case is its own partner
    }
    expect([509, 516, 1023, 1026, 2047, 2050].map(alignedWidth)).toEqual([512, 512, 1024, 1024, 2048, 2048]);
    expect([512, 1024, 2048].map(widthBatch)).toEqual([64, 32, 16]);
  });

  it('convnext: the four stages, 7x7 pad 3, NHWC, batch 64, every dtype, against PyTorch (85% of copy, 1.4x)', () => {
    const cases = convnextCases();
    expect(cases).toHaveLength(12);
    const stages = cases.map((c) => [c.shape[3], c.shape[1]]);
    expect([...new Set(stages.map((s) => s.join('@')))]).toEqual(['96@56', '192@28', '384@14', '768@7']);
    for (const c of cases) {
      const s = normalizeSpec(c.spec);
      expect([s.kernelSize, s.padding, s.stride, s.layout]).toEqual([[7, 7], [3, 3, 3, 3], [1, 1], 'NHWC']);
      expect(c.shape[0]).toBe(64);
      expect(c.shape[1]).toBe(c.shape[2]); // square planes, [N, H, W, C]
      expect(c.torch).toBe(true);
      expect(c.targets).toEqual({ ofCopy: 0.85, speedup: 1.4 });
    }
    expect(new Set(cases.map((c) => normalizeSpec(c.spec).dtype))).toEqual(new Set(['float32', 'float16', 'bfloat16']));
  });

  it('targets follow the cases: the reference at 93% of copy, NHWC at 1.4x PyTorch, 5x5 / 7x7 / stride 2 at 93 / 90 / 85%', () => {
    const targets = Object.fromEntries(all.map((c) => [c.name, c.targets]));
    expect(targets['reference 3x3 float16']).toEqual({ ofCopy: 0.93 });
    expect(targets['reference 3x3 bfloat16 NHWC']).toEqual({ ofCopy: 0.93, speedup: 1.4 });
    expect(targets['5x5 pad 2 fp32']).toEqual({ ofCopy: 0.93 });
    expect(targets['7x7 pad 3 fp32']).toEqual({ ofCopy: 0.9 });
    expect(targets['11x11 pad 5 fp32']).toEqual({});
    expect(targets['3x3 stride 2 pad 1 fp32']).toEqual({ ofCopy: 0.85 });
    expect(all.filter((c) => c.group === 'mobilenet').every((c) => c.targets.speedup === 1.5)).toBe(true);
  });
});

describe('bench case selection of the new groups', () => {
  it('a group name takes that group only; other terms match names', () => {
    expect(selectCases(all, 'widths')).toEqual(widthCases());
    expect(selectCases(all, 'convnext')).toEqual(convnextCases());
    const reference = selectCases(all, 'reference');
    expect(reference.map((c) => c.name)).toEqual(['float32', 'float16', 'bfloat16'].flatMap((d) => [`reference 3x3 ${d}`]).concat(['float32', 'float16', 'bfloat16'].map((d) => `reference 3x3 ${d} NHWC`)));
    expect(selectCases(all, 'widths,convnext,reference')).toHaveLength(96 + 12 + 6);
    expect(selectCases(all, 'width 1025').map((c) => c.name)).toEqual(['width 1025 3x3 float32', 'width 1025 3x3 float16', 'width 1025 3x3 bfloat16', 'width 1025 7x7 same float32', 'width 1025 7x7 same float16', 'width 1025 7x7 same bfloat16']);
    expect(selectCases(all, 'reference 3x3 fp32').every((c) => c.group === 'fused')).toBe(true);
  });

  it('bench --list describes what would run, without a GPU', () => {
    const listed = listBenchCases('convnext C768');
    expect(listed.map((c) => c.name)).toEqual(['float32', 'float16', 'bfloat16'].map((d) => `convnext C768 7x7 ${d} NHWC`));
    expect(listed[0]).toMatchObject({ group: 'convnext', shape: [64, 7, 7, 768], torch: true, targets: { ofCopy: 0.85, speedup: 1.4 } });
    expect(listed[0]!.spec).toContain('NHWC');
    expect(listBenchCases('width 513 7x7')[0]).toMatchObject({ alignedTo: 'width 512 7x7 same float32', torch: false });
  });
});
