// What each bench case should reach: the performance targets written in docs/perf.md, kept here as
// data so the text report counts them and the charts draw them. A target is a floor on one metric.
import { normalizeSpec, type SpecInput } from '../spec.js';

/** The row metrics a target can name: each a ratio, higher is better. */
export const METRICS = ['ofCopy', 'speedup', 'ofAligned'] as const;
export type Metric = (typeof METRICS)[number];

export const METRIC_LABELS: Readonly<Record<Metric, string>> = {
  ofCopy: 'share of the copy bound',
  speedup: 'speedup over PyTorch',
  ofAligned: 'GB/s as a share of the aligned width\'s',
};

/** Floors a case should reach, by metric; a missing metric has none. */
export type Targets = Readonly<Partial<Record<Metric, number>>>;

/**
 * Geometric-mean floors over a group's speedups (every case above its own floor too): MobileNet /
 * EfficientNet layers over PyTorch, separable blocks over eager PyTorch and over torch.compile.
 */
export const GEOMEAN_TARGETS = { mobilenet: 2.5, separable: 2.0, separableCompiled: 1.8 } as const;

/** The targets of a case of `group` with this spec. */
export function caseTargets(group: string, input: SpecInput): Targets {
  const spec = normalizeSpec(input);
  const [kh, kw] = spec.kernelSize;
  // channels_last against PyTorch's channels_last (cuDNN): every dtype.
  const nhwc = spec.layout === 'NHWC' ? { speedup: 1.4 } : {};
  switch (group) {
    case 'reference': return { ofCopy: 0.93, ...nhwc };
    case 'kernel-size': return kh === 5 && kw === 5 ? { ofCopy: 0.93 } : kh === 7 && kw === 7 ? { ofCopy: 0.9 } : {};
    case 'stride': return { ofCopy: 0.85 };
    case 'mobilenet': return { speedup: 1.5 };
    case 'separable': return { speedup: 1.3 };
    case 'widths': return { ofAligned: 0.95 };
    case 'convnext': return { ofCopy: 0.85, speedup: 1.4 };
    default: return nhwc;
  }
}

/** What a target check reads of a bench row. */
export interface TargetedRow {
  readonly name: string;
  readonly group: string;
  readonly targets?: Targets;
  readonly ofCopy: number;
  readonly speedup?: number;
  readonly ofAligned?: number;
}

export interface TargetCount {
  readonly group: string;
  readonly metric: Metric;
  /** The floor; rows of one group and metric with different floors are counted apart. */
  readonly target: number;
  /** Rows measured on the metric, and how many reached the floor. */
  readonly measured: number;
  readonly met: number;
  /** The lowest value and its row. */
  readonly worst: { readonly name: string; readonly value: number };
}

/** For each group, metric and floor, in row order: how many measured rows reach it, and the lowest. */
export function countTargets(rows: readonly TargetedRow[]): TargetCount[] {
  const counts = new Map<string, { group: string; metric: Metric; target: number; measured: number; met: number; worst: { name: string; value: number } }>();
  for (const row of rows) {
    for (const metric of METRICS) {
      const target = row.targets?.[metric];
      const value = row[metric];
      if (target === undefined || value === undefined || !Number.isFinite(value)) continue;
      const key = `${row.group}\0${metric}\0${target}`;
      let c = counts.get(key);
      if (!c) counts.set(key, (c = { group: row.group, metric, target, measured: 0, met: 0, worst: { name: row.name, value } }));
      c.measured++;
      if (value >= target) c.met++;
      if (value < c.worst.value) c.worst = { name: row.name, value };
    }
  }
  return [...counts.values()];
}

/** A metric's value as the report and the charts print it: the copy share in percent, the aligned-width ratio as a ratio, speedups with an x. */
export function formatMetric(metric: Metric, value: number): string {
  switch (metric) {
    case 'ofCopy': return `${(100 * value).toFixed(1)}%`;
    case 'ofAligned': return value.toFixed(3);
    case 'speedup': return `${value.toFixed(2)}x`;
  }
}

/**
 * Rows with ofAligned set where their alignedTo case is among them: the row's GB/s over that case's
 * (the same run, so the same GPU state). A row at an aligned width is its own partner (1). Recomputed
 * whenever the rows change (a later round can change either side).
 */
export function withAlignedRatios<R extends { readonly name: string; readonly gbps: number; readonly alignedTo?: string; readonly ofAligned?: number }>(rows: readonly R[]): R[] {
  const gbps = new Map(rows.map((r) => [r.name, r.gbps]));
  return rows.map((r) => {
    const aligned = r.alignedTo === undefined ? undefined : gbps.get(r.alignedTo);
    const { ofAligned: _stale, ...rest } = r;
    return (aligned === undefined || !(aligned > 0) ? rest : { ...rest, ofAligned: r.gbps / aligned }) as R;
  });
}
