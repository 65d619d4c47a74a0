import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chartPath, chartsBeside, escapeXml, groupChartSvg, niceAxis, parseChartInput, writeBenchCharts } from '../../src/tools/bench-chart.js';
import { DwconvError } from '../../src/errors.js';
import { allElements, parseXml, type XmlElement } from '../helpers/xml.js';

const fixtureText = readFileSync(new URL('../fixtures/bench/result.json', import.meta.url), 'utf8');
const fixture = parseChartInput(fixtureText, 'fixture');
const groups = ['reference', 'widths', 'convnext', 'separable', 'mobilenet'];

const byClass = (root: XmlElement, name: string, cls: string) => allElements(root).filter((e) => e.name === name && e.attributes.class === cls);
const panels = (root: XmlElement) => byClass(root, 'g', 'panel');
const numbers = (root: XmlElement) => allElements(root).flatMap((e) => ['x', 'y', 'x1', 'x2', 'y1', 'y2', 'width', 'height'].filter((a) => a in e.attributes).map((a) => Number(e.attributes[a])));

describe('the strict XML reader the chart tests rely on', () => {
  it('reads elements, attributes, entities and text', () => {
    const root = parseXml('<a x="1" y=\'&lt;2&gt;\'><b/>t &amp; u<!-- c --><c>&#x41;&#66;</c></a>');
    expect(root).toMatchObject({ name: 'a', attributes: { x: '1', y: '<2>' }, text: 't & u' });
    expect(root.children.map((c) => c.name)).toEqual(['b', 'c']);
    expect(root.children[1]!.text).toBe('AB');
  });
  it.each([
    ['<a><b></a></b>'], ['<a>x & y</a>'], ['<a x=1/>'], ['<a x="1" x="2"/>'], ['<a/><b/>'], ['<a>'], ['<a x="<"/>'],
    ['text<a/>'], ['<a>&bogus;</a>'], ['<a x="1"y="2"/>'], ['<a><!-- a -- b --></a>'], ['< a/>'],
  ])('refuses %s', (bad) => {
    expect(() => parseXml(bad)).toThrow();
  });
});

describe('bench charts (one SVG per group)', () => {
  it.each(groups)('%s: well-formed SVG, a bar per measured value in each panel, the targets as dashed lines', (group) => {
    const svg = groupChartSvg(group, fixture);
    const root = parseXml(svg);
    expect(root.name).toBe('svg');
    expect(root.attributes.xmlns).toBe('http://www.w3.org/2000/svg');
    expect(Number(root.attributes.width)).toBeGreaterThan(0);
    expect(root.attributes.viewBox).toBe(`0 0 ${root.attributes.width} ${root.attributes.height}`);
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
    expect(numbers(root).every(Number.isFinite)).toBe(true);
    const rows = fixture.rows.filter((r) => r.group === group);
    const metrics = panels(root).map((p) => p.attributes['data-metric']!);
    // A panel for each metric some row measured, in a fixed order.
    const measured = (['ofCopy', 'speedup', 'ofAligned'] as const).filter((m) => rows.some((r) => r[m] !== undefined));
    expect(metrics).toEqual(measured);
    for (const [p, metric] of measured.entries()) {
      const panel = panels(root)[p]!;
      const bars = byClass(panel, 'rect', 'bar');
      expect(bars).toHaveLength(rows.filter((r) => r[metric] !== undefined).length);
      // Bars grow with their values, inside the panel.
      const values = rows.filter((r) => r[metric] !== undefined).map((r) => r[metric]!);
      const widths = bars.map((b) => Number(b.attributes.width));
      for (let i = 0; i < values.length; i++) for (let j = 0; j < values.length; j++) if (values[i]! < values[j]!) expect(widths[i]).toBeLessThanOrEqual(widths[j]!);
      // One dashed line per run of consecutive rows sharing a target.
      const runs = rows.map((r) => r.targets?.[metric]).filter((t, i, all) => t !== undefined && (i === 0 || all[i - 1] !== t));
      const lines = byClass(panel, 'line', 'target');
      expect(lines).toHaveLength(runs.length);
      for (const line of lines) expect(line.attributes['stroke-dasharray']).toBeDefined();
    }
    // Every case is named, its text escaped in the file and read back unchanged.
    const labels = byClass(root, 'g', 'labels')[0]!.children.map((t) => t.text);
    expect(labels).toEqual(rows.map((r) => r.name));
  });

  it('colours a bar by its target: reached, missed, none', () => {
    const root = parseXml(groupChartSvg('reference', fixture));
    const [ofCopy, speedup] = panels(root).map((p) => byClass(p, 'rect', 'bar').map((b) => b.attributes.fill));
    expect(ofCopy).toEqual(['#2e7d32', '#c62828', '#c62828', '#c62828']); // 95% reaches 93%; 80, 70, 72 do not
    expect(speedup).toEqual(['#1565c0', '#1565c0', '#2e7d32', '#c62828']); // NCHW: no target; NHWC 1.5 and 1.1 against 1.4
  });

  it('a target line sits where its value would end a bar', () => {
    const root = parseXml(groupChartSvg('widths', fixture));
    const panel = panels(root).find((p) => p.attributes['data-metric'] === 'ofAligned')!;
    const [aligned] = byClass(panel, 'rect', 'bar');
    const x0 = Number(aligned!.attributes.x);
    const full = Number(aligned!.attributes.width); // the aligned width's own ratio: 1
    expect(Number(byClass(panel, 'line', 'target')[0]!.attributes.x1)).toBeCloseTo(x0 + 0.95 * full, 0);
  });

  it('escapes what XML forbids and drops what it cannot hold', () => {
    expect(escapeXml(`a<b>&"c"'d'\u0001`)).toBe('a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;');
    const weird = { device: 'gpu "x" & <y>', rows: [{ name: '</svg><script>alert(1)</script>', group: 'g', ofCopy: 0.5, targets: {} }] };
    const root = parseXml(groupChartSvg('g', weird));
    expect(allElements(root).some((e) => e.name === 'script')).toBe(false);
    expect(byClass(root, 'g', 'labels')[0]!.children[0]!.text).toBe(weird.rows[0]!.name);
  });

  it('says which targeted metrics a run did not measure (--no-torch)', () => {
    const noTorch = { ...fixture, rows: fixture.rows.filter((r) => r.group === 'convnext').map(({ speedup: _s, ...r }) => r) };
    const svg = groupChartSvg('convnext', noTorch);
    expect(panels(parseXml(svg)).map((p) => p.attributes['data-metric'])).toEqual(['ofCopy']);
    expect(svg).toContain('not measured in this run: speedup over PyTorch');
  });

  it.skipIf(!hasPython())(`a second parser agrees (python3's xml.dom.minidom${hasPython() ? '' : ': no python3 here'})`, () => {
    const svgs = groups.map((group) => groupChartSvg(group, fixture));
    const script = 'import json, sys, xml.dom.minidom as m\nfor s in json.load(sys.stdin):\n  d = m.parseString(s.encode())\n  print(d.documentElement.tagName, len(d.getElementsByTagName("rect")))';
    const out = execFileSync('python3', ['-c', script], { input: JSON.stringify(svgs) }).toString().trim().split('\n');
    expect(out).toEqual(svgs.map((svg) => `svg ${allElements(parseXml(svg)).filter((e) => e.name === 'rect').length}`));
  });

  it('writes one file per group, named after the JSON file, into the folder', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'dwconv-charts-')), 'new', 'folder');
    const beside = chartsBeside(join(dir, 'run-1.json'));
    expect(beside).toEqual({ dir, stem: 'run-1' });
    const files = await writeBenchCharts(fixture, beside.dir, beside.stem);
    expect(files.map((f) => f.slice(dir.length + 1))).toEqual(groups.map((g) => `run-1-${g}.svg`));
    expect(readdirSync(dir).sort()).toEqual(groups.map((g) => `run-1-${g}.svg`).sort());
    for (const f of files) parseXml(readFileSync(f, 'utf8'));
    expect(() => chartPath(dir, 'x', '../up')).toThrow(DwconvError);
  });

  it('reads a saved result field by field and refuses what is not one', () => {
    expect(fixture.rows).toHaveLength(11);
    expect(fixture.rows[5]).toEqual({ name: 'width 513 3x3 float32', group: 'widths', ofCopy: 0.6, ofAligned: 0.6667, targets: { ofAligned: 0.95 } });
    for (const bad of ['', '[]', '{"device": "x"}', '{"device": "x", "rows": [{"name": "a"}]}', '{"device": "x", "rows": [{"name": "a", "group": "g", "ofCopy": "1"}]}',
      '{"device": "x", "rows": [{"name": "a", "group": "g", "ofCopy": 1, "targets": {"speedup": "2"}}]}']) {
      expect(() => parseChartInput(bad, '--svg-from'), bad).toThrow(DwconvError);
    }
  });

  it('axes end on a round number at or above the largest value', () => {
    expect(niceAxis(1)).toEqual({ max: 1, step: 0.2 });
    expect(niceAxis(1.3)).toEqual({ max: 1.5, step: 0.5 });
    expect(niceAxis(8.2)).toEqual({ max: 10, step: 2 });
    expect(niceAxis(12)).toEqual({ max: 12.5, step: 2.5 });
    expect(niceAxis(0.04)).toEqual({ max: 0.04, step: 0.01 });
    expect(niceAxis(Number.NaN)).toEqual({ max: 1, step: 0.2 });
  });
});

function hasPython(): boolean {
  try {
    execFileSync('python3', ['-c', 'import xml.dom.minidom'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
