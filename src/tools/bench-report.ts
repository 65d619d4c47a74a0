// The bench's parts that need no GPU and no compiler: which cases a filter takes (bench --list) and
// the text report of a result. Apart from bench.ts so that they load without the bench's runtime.
import { SpecError } from '../errors.js';
import { describeSpec, normalizeSpec } from '../spec.js';
import type { BenchResult, BenchRow } from './bench.js';
import { benchCases, TF32_SUFFIX, type BenchCase } from './bench-cases.js';
import { countTargets, formatMetric, GEOMEAN_TARGETS, METRIC_LABELS, type Targets } from './bench-targets.js';

/**
 * The cases a --filter takes, for any of its comma-separated terms: a group's name takes that group
 * (only: 'reference' is not the fused cases, whose names begin with it), any other term the cases
 * whose name contains it; all cases without a term.
 */
export function selectCases(all: readonly BenchCase[], filter: string | undefined): BenchCase[] {
  const terms = filter?.split(',').map((t) => t.trim()).filter((t) => t !== '') ?? [];
  const groups = new Set(all.map((c) => c.group as string));
  const cases = all.filter((c) => terms.length === 0 || terms.some((t) => (groups.has(t) ? c.group === t : c.name.includes(t))));
  if (cases.length === 0) throw new SpecError('--filter', filter, `a part of a case name, or a group (${[...new Set(all.map((c) => c.group))].join(', ')})`);
  return cases;
}

/** A case as `bench --list` shows it: what would be timed, with no GPU needed. */
export interface BenchCaseSummary {
  readonly name: string;
  readonly group: string;
  readonly shape: readonly number[];
  readonly spec: string;
  readonly targets: Targets;
  readonly torch: boolean;
  readonly alignedTo?: string;
}

/** The cases a --filter selects, described (bench --list). */
export function listBenchCases(filter?: string): BenchCaseSummary[] {
  return selectCases(benchCases(), filter).map((c) => ({
    name: c.name, group: c.group, shape: c.shape, spec: describeSpec(normalizeSpec(c.spec)), targets: c.targets, torch: c.torch,
    ...(c.alignedTo === undefined ? {} : { alignedTo: c.alignedTo }),
  }));
}

/** The bench table, one line per case, then each group's summary and the targets reached. */
export function printBench(r: BenchResult, out: (line: string) => void): void {
  out(`dwconv-jit bench on ${r.device}; PyTorch: ${r.torch}; tuning: ${r.tuning}; seed ${r.seed}`);
  const aligned = r.rows.some((x) => x.alignedTo !== undefined);
  const head = ['case', 'ms', 'GB/s', ...(aligned ? ['of aligned'] : []), 'copy ms', '% copy', 'torch ms', 'speedup', 'compiled ms', 'kernel', 'variant', 'check'];
  const rows = r.rows.map((x) => [
    x.name, x.ms.toFixed(3), x.gbps.toFixed(0), ...(aligned ? [x.ofAligned === undefined ? '-' : formatMetric('ofAligned', x.ofAligned)] : []),
    x.copyMs.toFixed(3), `${(100 * x.ofCopy).toFixed(0)}%`,
    x.torchMs?.toFixed(3) ?? '-', x.speedup ? `${x.speedup.toFixed(2)}x` : '-', x.torchCompiledMs?.toFixed(3) ?? '-', x.choice,
    Object.entries(x.variant).map(([k, v]) => `${k}=${v}`).join(','), x.failures ? `FAIL ${x.failures}` : `ok ${x.checked}`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const fmt = (row: string[]) => `| ${row.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  out(fmt(head));
  out(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) out(fmt(row));
  for (const x of r.rows) {
    if (!x.variants) continue;
    const best = [...x.variants].sort((a, b) => a.ms - b.ms)[0]!;
    out(`  ${x.name}: ${x.variants.map((v) => `${Object.entries(v.variant).filter(([k]) => k !== 'threads').map(([k, n]) => `${k}=${n}`).join(',')} ${v.ms.toFixed(3)}`).join('; ')}; best ${best.ms.toFixed(3)}`);
  }
  const speedups = r.rows.filter((x) => x.group === 'mobilenet' && x.speedup).map((x) => x.speedup!);
  const geomean = (xs: number[]) => Math.exp(xs.reduce((a, s) => a + Math.log(s), 0) / xs.length);
  if (speedups.length) out(`MobileNet/EfficientNet layers: geometric-mean speedup over PyTorch ${geomean(speedups).toFixed(2)}x (target ${GEOMEAN_TARGETS.mobilenet}x), slowest ${Math.min(...speedups).toFixed(2)}x`);
  const convnext = r.rows.filter((x) => x.group === 'convnext' && x.speedup);
  if (convnext.length) out(`ConvNeXt stages: geometric-mean speedup over PyTorch channels_last ${geomean(convnext.map((x) => x.speedup!)).toFixed(2)}x, slowest ${Math.min(...convnext.map((x) => x.speedup!)).toFixed(2)}x`);
  // Separable blocks, twice: float32 at float32 accuracy, then float32 with pointwise.tf32 instead.
  const separable = r.rows.filter((x) => x.group === 'separable' && x.torchMs !== undefined);
  const isTf32 = (x: BenchRow) => x.name.endsWith(TF32_SUFFIX);
  const sets = [
    ['separable blocks', separable.filter((x) => !isTf32(x))],
    ['separable blocks, float32 with pointwise.tf32', separable.filter((x) => isTf32(x) || !x.name.includes('float32'))],
  ] as const;
  for (const [label, blocks] of sets) {
    if (!blocks.length) continue;
    const eager = blocks.map((x) => x.torchMs! / x.ms);
    const compiled = blocks.filter((x) => x.torchCompiledMs !== undefined).map((x) => x.torchCompiledMs! / x.ms);
    out(`${label}: geometric-mean speedup over eager PyTorch ${geomean(eager).toFixed(2)}x (target ${GEOMEAN_TARGETS.separable}x; slowest ${Math.min(...eager).toFixed(2)}x)` +
      (compiled.length ? `, over torch.compile ${geomean(compiled).toFixed(2)}x (target ${GEOMEAN_TARGETS.separableCompiled}x; slowest ${Math.min(...compiled).toFixed(2)}x, ${compiled.length} of ${blocks.length} cases)` : ', torch.compile unavailable'));
  }
  const exact = separable.filter((x) => x.torchExactMs !== undefined);
  if (exact.length) {
    out(`separable float32 blocks, both at float32 accuracy (eager PyTorch with TF32 off): ${exact.map((x) => `${x.name} ${x.ms.toFixed(3)} vs ${x.torchExactMs!.toFixed(3)} ms`).join('; ')}; ` +
      `geometric-mean speedup ${geomean(exact.map((x) => x.torchExactMs! / x.ms)).toFixed(2)}x`);
  }
  const recorded = r.rows.filter((x) => x.choice === 'recorded');
  out(recorded.length ? `kernels from the tuner's recorded choice: ${recorded.map((x) => x.name).join('; ')}` : 'every case took the default kernel (no recorded tuning choice for this GPU)');
  for (const t of countTargets(r.rows)) {
    out(`target ${t.group}, ${METRIC_LABELS[t.metric]} >= ${formatMetric(t.metric, t.target)}: ${t.met} of ${t.measured} cases; lowest ${formatMetric(t.metric, t.worst.value)} (${t.worst.name})`);
  }
}
