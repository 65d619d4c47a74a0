// The bench's charts: one SVG per group, a horizontal bar per case in a panel per metric (its share
// of the copy bound, its speedup over PyTorch, or for the widths group its bandwidth as a share of
// the aligned width's), each case's target drawn as a dashed line across its bars. Plain SVG text,
// no scripts or external references, so docs/perf.md can embed the files as images.
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { SpecError } from '../errors.js';
import { formatMetric, METRIC_LABELS, METRICS, type Metric, type TargetedRow } from './bench-targets.js';

/** What a chart needs of a bench result (BenchResult has it). */
export interface ChartInput {
  readonly device: string;
  readonly startedAt?: string;
  readonly rows: readonly TargetedRow[];
}

const CHAR_W = 7.2; // monospace at 12 px, for the case names' column
const ROW_H = 18;
const BAR_H = 12;
const PANEL_W = 280;
const PANEL_GAP = 56; // room for a value printed past its bar's end
const TOP = 92;
const BOTTOM = 36;
const MARGIN = 12;
const COLOURS = { met: '#2e7d32', below: '#c62828', none: '#1565c0' } as const;

/** Text safe inside an XML element or a double-quoted attribute; characters XML 1.0 forbids are dropped. */
export function escapeXml(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

const n = (x: number) => (Number.isFinite(x) ? String(Math.round(x * 10) / 10) : '0');

/** An axis from 0 to a round number at or above `max`, with about five ticks. */
export function niceAxis(max: number): { readonly max: number; readonly step: number } {
  const top = Number.isFinite(max) && max > 0 ? max : 1;
  const raw = top / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  return { max: Math.ceil(top / step - 1e-9) * step, step };
}

/** The metrics a group's chart shows: those any of its rows measured, in METRICS order. */
function panelMetrics(rows: readonly TargetedRow[]): Metric[] {
  return METRICS.filter((m) => rows.some((r) => r[m] !== undefined && Number.isFinite(r[m])));
}

/** One group's chart: its rows (in order) as bars, a panel per measured metric, the targets drawn. */
export function groupChartSvg(group: string, input: ChartInput): string {
  const rows = input.rows.filter((r) => r.group === group);
  const metrics = panelMetrics(rows);
  const labelW = Math.ceil(Math.max(12, ...rows.map((r) => r.name.length)) * CHAR_W) + 16;
  const width = MARGIN + labelW + Math.max(1, metrics.length) * (PANEL_W + PANEL_GAP) + MARGIN;
  const height = TOP + rows.length * ROW_H + BOTTOM;
  const rowY = (i: number) => TOP + i * ROW_H;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(`dwconv-jit bench: ${group} on ${input.device}`)}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${MARGIN}" y="20" font-size="15" font-weight="bold">${escapeXml(`dwconv-jit bench: ${group}`)}</text>`,
    `<text x="${MARGIN}" y="38">${escapeXml(`${input.device}${input.startedAt ? `, ${input.startedAt}` : ''}; ${rows.length} case${rows.length === 1 ? '' : 's'}`)}</text>`,
    legend(MARGIN, 56),
  ];
  const unmeasured = METRICS.filter((m) => !metrics.includes(m) && rows.some((r) => r.targets?.[m] !== undefined));
  if (unmeasured.length) out.push(`<text x="${MARGIN + 480}" y="60" fill="#555555">${escapeXml(`not measured in this run: ${unmeasured.map((m) => METRIC_LABELS[m]).join(', ')}`)}</text>`);
  out.push('<g class="labels" font-family="monospace">');
  for (const [i, r] of rows.entries()) out.push(`<text x="${MARGIN + labelW - 8}" y="${n(rowY(i) + BAR_H - 2)}" text-anchor="end">${escapeXml(r.name)}</text>`);
  out.push('</g>');
  for (const [p, metric] of metrics.entries()) out.push(...panel(metric, rows, MARGIN + labelW + p * (PANEL_W + PANEL_GAP), rowY));
  out.push('</svg>', '');
  return out.join('\n');
}

function legend(x: number, y: number): string {
  const items: [string, string][] = [[COLOURS.met, 'reaches its target'], [COLOURS.below, 'below its target'], [COLOURS.none, 'no target']];
  const parts = items.map(([colour, label], i) => `<rect x="${x + i * 130}" y="${y - 10}" width="12" height="12" fill="${colour}"/><text x="${x + i * 130 + 16}" y="${y}">${label}</text>`);
  const lx = x + items.length * 130;
  parts.push(`<line x1="${lx}" y1="${y - 4}" x2="${lx + 20}" y2="${y - 4}" stroke="#000000" stroke-width="1.5" stroke-dasharray="4 3"/><text x="${lx + 26}" y="${y}">target</text>`);
  return `<g class="legend">${parts.join('')}</g>`;
}

/** A metric's panel: title, grid and ticks, a bar per row that measured it, its targets' lines. */
function panel(metric: Metric, rows: readonly TargetedRow[], x0: number, rowY: (i: number) => number): string[] {
  const values = rows.map((r) => r[metric]).filter((v): v is number => v !== undefined && Number.isFinite(v));
  const targets = rows.map((r) => r.targets?.[metric]).filter((v): v is number => v !== undefined);
  // Shares are drawn to at least 100%, speedups to at least 1x: the line that matters is always on the axis.
  const axis = niceAxis(Math.max(1, ...values, ...targets));
  const distinct = [...new Set(targets)];
  const xOf = (v: number) => x0 + (Math.max(0, v) / axis.max) * PANEL_W;
  const top = rowY(0) - 6;
  const bottom = rowY(rows.length) + 2;
  const out = [
    `<g class="panel" data-metric="${metric}">`,
    `<text x="${x0}" y="${top - 8}" font-weight="bold">${escapeXml(METRIC_LABELS[metric])}${distinct.length ? `<tspan dx="5" font-weight="normal">${escapeXml(`(target${distinct.length > 1 ? 's' : ''} ${distinct.map((t) => formatMetric(metric, t)).join(', ')})`)}</tspan>` : ''}</text>`,
  ];
  for (let t = 0; t <= axis.max + 1e-9; t += axis.step) {
    out.push(`<line x1="${n(xOf(t))}" y1="${top}" x2="${n(xOf(t))}" y2="${bottom}" stroke="#dddddd" stroke-width="1"/>`);
    out.push(`<text x="${n(xOf(t))}" y="${bottom + 14}" text-anchor="middle" fill="#555555">${escapeXml(formatTick(metric, t))}</text>`);
  }
  for (const [i, r] of rows.entries()) {
    const v = r[metric];
    if (v === undefined || !Number.isFinite(v)) {
      out.push(`<text x="${x0 + 3}" y="${n(rowY(i) + BAR_H - 2)}" fill="#555555">-</text>`);
      continue;
    }
    const target = r.targets?.[metric];
    const colour = target === undefined ? COLOURS.none : v >= target ? COLOURS.met : COLOURS.below;
    const label = formatMetric(metric, v);
    out.push(`<rect class="bar" x="${x0}" y="${n(rowY(i))}" width="${n(xOf(v) - x0)}" height="${BAR_H}" fill="${colour}"><title>${escapeXml(`${r.name}: ${label}${target === undefined ? '' : ` (target ${formatMetric(metric, target)})`}`)}</title></rect>`);
    out.push(`<text x="${n(Math.min(xOf(v), x0 + PANEL_W) + 3)}" y="${n(rowY(i) + BAR_H - 2)}" font-size="10">${escapeXml(label)}</text>`);
  }
  // One dashed line per run of consecutive rows with the same target.
  for (let i = 0; i < rows.length;) {
    const target = rows[i]!.targets?.[metric];
    let j = i + 1;
    while (j < rows.length && rows[j]!.targets?.[metric] === target) j++;
    if (target !== undefined) {
      const x = n(xOf(target));
      out.push(`<line class="target" x1="${x}" y1="${n(rowY(i) - 3)}" x2="${x}" y2="${n(rowY(j) - 3)}" stroke="#000000" stroke-width="1.5" stroke-dasharray="4 3"><title>${escapeXml(`target ${formatMetric(metric, target)}`)}</title></line>`);
    }
    i = j;
  }
  out.push('</g>');
  return out;
}

function formatTick(metric: Metric, t: number): string {
  const r = Math.round(t * 1000) / 1000;
  return metric === 'ofCopy' ? `${Math.round(r * 100)}%` : metric === 'speedup' ? `${r}x` : `${r}`;
}

/** The groups of a result, in the order their first rows appear. */
export function chartGroups(rows: readonly TargetedRow[]): string[] {
  return [...new Set(rows.map((r) => r.group))];
}

/** The chart file of a group: `<stem>-<group>.svg` in `dir`, the stem the JSON file's name (or 'bench'). */
export function chartPath(dir: string, stem: string, group: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(group)) throw new SpecError('group', group, 'a bench group name (letters, digits, ., _ and -)');
  return join(dir, `${stem}-${group}.svg`);
}

/** Where the charts of a run go by default: beside its JSON file, named after it. */
export function chartsBeside(jsonFile: string): { dir: string; stem: string } {
  return { dir: dirname(jsonFile), stem: basename(jsonFile, extname(jsonFile)) || 'bench' };
}

/** A saved `bench --json` result as chart input, checked field by field (it may come from any file). */
export function parseChartInput(text: string, field: string): ChartInput {
  const refuse = (why: string): never => {
    throw new SpecError(field, text.length > 80 ? `${text.slice(0, 80)}...` : text, `a bench --json result (${why})`);
  };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    refuse('not JSON');
  }
  const r = value as { device?: unknown; startedAt?: unknown; rows?: unknown };
  if (typeof r !== 'object' || r === null || typeof r.device !== 'string' || !Array.isArray(r.rows)) return refuse('no device or rows');
  const optionalNumber = (x: unknown) => x === undefined || (typeof x === 'number' && Number.isFinite(x));
  const rows = r.rows.map((row: unknown, i: number): TargetedRow => {
    const x = row as Record<string, unknown>;
    const targets = (x.targets ?? {}) as Record<string, unknown>;
    if (typeof x !== 'object' || x === null || typeof x.name !== 'string' || typeof x.group !== 'string' || typeof x.ofCopy !== 'number' || !Number.isFinite(x.ofCopy) ||
      !optionalNumber(x.speedup) || !optionalNumber(x.ofAligned) || typeof targets !== 'object' || targets === null || !METRICS.every((m) => optionalNumber(targets[m]))) {
      return refuse(`row ${i} lacks a name, group or ofCopy, or has a metric that is not a number`);
    }
    const picked = Object.fromEntries(METRICS.filter((m) => targets[m] !== undefined).map((m) => [m, targets[m] as number]));
    return {
      name: x.name, group: x.group, ofCopy: x.ofCopy, targets: picked,
      ...(x.speedup === undefined ? {} : { speedup: x.speedup as number }), ...(x.ofAligned === undefined ? {} : { ofAligned: x.ofAligned as number }),
    };
  });
  return { device: r.device, ...(typeof r.startedAt === 'string' ? { startedAt: r.startedAt } : {}), rows };
}

/** Writes one SVG per group of the result into `dir` (created if missing); returns the files written. */
export async function writeBenchCharts(result: ChartInput, dir: string, stem = 'bench'): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (const group of chartGroups(result.rows)) {
    const file = chartPath(dir, stem, group);
    await writeFile(file, groupChartSvg(group, result));
    files.push(file);
  }
  return files;
}
