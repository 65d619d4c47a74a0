import { describe, expect, it } from 'vitest';
import { benchCases } from '../../src/tools/bench-cases.js';
import { selectCases, withRound, type BenchRow } from '../../src/tools/bench.js';
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
    gbps: 10, copyMs: 0.05, ofCopy: 0.25, torchMs: 0.4, speedup: 2, checked: 5, failures: 0,
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
