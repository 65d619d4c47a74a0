import { describe, expect, it } from 'vitest';
import { benchCases } from '../../src/tools/bench-cases.js';
import { describeGpu, printBench, selectCases, withRound, type BenchResult, type BenchRow } from '../../src/tools/bench.js';
import { countTargets, withAlignedRatios } from '../../src/tools/bench-targets.js';
import { DwconvError } from '../../src/errors.js';

describe('bench case selection (--filter)', () => {
  const all = benchCases();
  it('takes a group, a name fragment, or several comma-separated; all without a filter', () => {
    expect(selectCases(all, undefined)).toHaveLength(all.length);
    const separable = selectCases(all, 'separable');
    expect(separable.length).toBeGreaterThan(0);
    expect(separable.every((c) => c.group === 'separable')).toBe(true);
    const both = selectCases(all, 'separable, stride');
    expect(both.map((c) => c.name)).toEqual(all.filter((c) => c.group === 'separable' || c.group === 'stride').map((c) => c.name));
    expect(selectCases(all, 'C960->160').map((c) => c.name)).toEqual(all.filter((c) => c.name.includes('C960->160')).map((c) => c.name));
  });
  it('refuses a filter that matches nothing', () => {
    expect(() => selectCases(all, 'no such case')).toThrow(DwconvError);
    expect(() => selectCases(all, ' , ')).not.toThrow(); // no terms: everything
  });
});

describe('bench rounds (withRound)', () => {
  const row: BenchRow = {
    name: 'c', group: 'separable', spec: 's', shape: [1, 2, 3, 4], bytesMoved: 2e6, ms: 0.2, roundsMs: [0.2], variant: {},
    gbps: 10, copyMs: 0.05, ofCopy: 0.25, torchMs: 0.4, speedup: 2, checked: 5, failures: 0, choice: 'default', targets: {},
  };
  it('keeps the fastest time of each kind and derives bandwidth, share of copy and speedup from them', () => {
    const r = withRound(row, { ms: 0.1, copyMs: 0.06 });
    expect(r).toMatchObject({ ms: 0.1, roundsMs: [0.2, 0.1], copyMs: 0.05, gbps: 20, ofCopy: 0.5, speedup: 4, checked: 5 });
    const slower = withRound(r, { ms: 0.3, copyMs: 0.04 });
    expect(slower).toMatchObject({ ms: 0.1, roundsMs: [0.2, 0.1, 0.3], copyMs: 0.04, speedup: 4 });
    expect(slower.ofCopy).toBeCloseTo(0.4, 12);
  });
  it('leaves a row without PyTorch times without a speedup', () => {
    const { torchMs: _t, speedup: _s, ...bare } = row;
    expect(withRound(bare, { ms: 0.1, copyMs: 0.05 }).speedup).toBeUndefined();
  });
});

describe('bench report: aligned-width ratios, targets, the GPU and the kernel choice', () => {
  const base: BenchRow = {
    name: 'x', group: 'widths', spec: 's', shape: [1, 2, 3, 4], bytesMoved: 1e9, ms: 1, roundsMs: [1], variant: { kernel: 'ring' },
    gbps: 1000, copyMs: 0.5, ofCopy: 0.5, checked: 10, failures: 0, choice: 'default', targets: { ofAligned: 0.95 },
  };
  const rows: BenchRow[] = [
    { ...base, name: 'width 512 3x3 float32', alignedTo: 'width 512 3x3 float32', gbps: 3600 },
    { ...base, name: 'width 513 3x3 float32', alignedTo: 'width 512 3x3 float32', gbps: 2400, ofAligned: 0.1 /* stale */ },
    { ...base, name: 'width 1025 3x3 float32', alignedTo: 'width 1024 3x3 float32', gbps: 2000 }, // its partner did not run
    { ...base, name: 'reference 3x3 float32', group: 'reference', gbps: 3700, ofCopy: 0.94, speedup: 4, targets: { ofCopy: 0.93 }, choice: 'recorded', recordedAt: '2000-01-01T00:00:00Z' },
  ];

  it("a width's GB/s over its aligned width's, where both ran; recomputed from the rows, never kept", () => {
    const r = withAlignedRatios(rows);
    expect(r.map((x) => x.ofAligned)).toEqual([1, 2400 / 3600, undefined, undefined]);
    const later = withAlignedRatios(r.map((x) => (x.name === 'width 512 3x3 float32' ? { ...x, gbps: 4800 } : x)));
    expect(later[1]!.ofAligned).toBeCloseTo(0.5, 12);
  });

  it('counts the rows that reach each target and names the lowest', () => {
    const counts = countTargets(withAlignedRatios(rows));
    expect(counts).toEqual([
      { group: 'widths', metric: 'ofAligned', target: 0.95, measured: 2, met: 1, worst: { name: 'width 513 3x3 float32', value: 2400 / 3600 } },
      { group: 'reference', metric: 'ofCopy', target: 0.93, measured: 1, met: 1, worst: { name: 'reference 3x3 float32', value: 0.94 } },
    ]);
  });

  it('prints the GPU model and SM count, each case\'s kernel choice and ratio, and the targets', () => {
    const gpu = { name: 'NVIDIA H200', arch: 'sm_90', multiprocessors: 132 };
    const result: BenchResult = { device: describeGpu(gpu), gpu, startedAt: '2000-01-01T00:00:00Z', seed: 7, torch: 'skipped (--no-torch)', tuning: 'not looked for (--no-tuning)', rows: withAlignedRatios(rows) };
    const lines: string[] = [];
    printBench(result, (l) => lines.push(l));
    expect(lines[0]).toContain('NVIDIA H200 (sm_90, 132 SMs)');
    const head = lines[1]!.split('|').map((c) => c.trim());
    expect(head).toContain('of aligned');
    expect(head).toContain('kernel');
    const cells = (name: string) => lines.find((l) => l.startsWith(`| ${name} `))!.split('|').map((c) => c.trim());
    expect(cells('width 513 3x3 float32')[head.indexOf('of aligned')]).toBe('0.667');
    expect(cells('width 1025 3x3 float32')[head.indexOf('of aligned')]).toBe('-');
    expect(cells('reference 3x3 float32')[head.indexOf('kernel')]).toBe('recorded');
    expect(cells('width 512 3x3 float32')[head.indexOf('kernel')]).toBe('default');
    expect(lines).toContain("kernels from the tuner's recorded choice: reference 3x3 float32");
    expect(lines.some((l) => l.startsWith('target widths, GB/s as a share of the aligned width\'s >= 0.950: 1 of 2 cases; lowest 0.667 (width 513 3x3 float32)'))).toBe(true);
  });
});
