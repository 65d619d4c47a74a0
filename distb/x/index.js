import {
  BENCH_GROUPS,
  METRICS,
  METRIC_LABELS,
  formatMetric,
  inParallel,
  listBenchCases,
  printBench
} from "./chunk-AWNVH7VC.js";
import {
  cacheRoot
} from "./chunk-STUN6SGT.js";
import {
  generate
} from "./chunk-BET2UYVM.js";
import "./chunk-C5KQE6PT.js";
import {
  reference
} from "./chunk-ZLHIC6G2.js";
import {
  Kernel,
  Tensor,
  build,
  compile
} from "./chunk-2MUWQKOX.js";
import {
  COMPILERS,
  PACKAGE_CACHE_DIR
} from "./chunk-Z4MKRN3J.js";
import {
  cudaRuntime,
  listGpus,
  probeGpu
} from "./chunk-63VYGLLB.js";
import {
  allVariants
} from "./chunk-6BRGTZ7M.js";
import {
  ACTIVATIONS,
  DTYPES,
  LAYOUTS,
  LIMITS,
  MAX_POINTWISE_CHANNELS,
  RESIDUALS,
  canonicalJson,
  describeSpec,
  normalizeSpec,
  outputShape,
  pointwiseWeightShape,
  specTag,
  weightShape
} from "./chunk-J66XVRM2.js";
import "./chunk-HLZTAT3W.js";
import "./chunk-R3WEWIUB.js";
import {
  PACKAGE_VERSION,
  normalizeArch
} from "./chunk-X43GYYD5.js";
import {
  OVERRIDE_VARIABLES,
  brokenOverrides,
  readEnvironment
} from "./chunk-CIU4BLIU.js";
import {
  parseDuration,
  parseSize
} from "./chunk-2QCMHHMR.js";
import "./chunk-TM5KGFNG.js";
import "./chunk-SMP3MV7C.js";
import {
  checkSignal,
  throwIfAborted
} from "./chunk-UGFPPU7J.js";
import {
  AbortError,
  CacheError,
  CompileError,
  CudaError,
  DeviceMismatchError,
  DwconvError,
  ERROR_CODES,
  NoGpuError,
  OverridePathError,
  SpecError,
  ToolchainNotFoundError
} from "./chunk-3MZWLH6H.js";

// dist/batchnorm.js
function foldBatchNorm(stats) {
  const channels = stats.mean?.length;
  if (typeof channels !== "number" || channels < 1)
    throw new SpecError("mean", stats.mean, "one value per channel");
  const eps = stats.eps ?? 1e-5;
  if (typeof eps !== "number" || !Number.isFinite(eps) || eps < 0)
    throw new SpecError("eps", eps, "a finite number >= 0");
  for (const name of ["variance", "gamma", "beta"]) {
    const a = stats[name];
    if (a !== void 0 && a?.length !== channels)
      throw new SpecError(name, a, `${channels} values (as many as mean)`);
  }
  const scale = new Float32Array(channels);
  const shift = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const [m, v, g, b] = [stats.mean[c], stats.variance[c], stats.gamma?.[c] ?? 1, stats.beta?.[c] ?? 0];
    for (const [name, x] of [["mean", m], ["gamma", g], ["beta", b]]) {
      if (typeof x !== "number" || !Number.isFinite(x))
        throw new SpecError(`${name}[${c}]`, x, "a finite number");
    }
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || v + eps <= 0)
      throw new SpecError(`variance[${c}]`, v, "a finite number >= 0 (with variance + eps > 0)");
    scale[c] = g / Math.sqrt(v + eps);
    shift[c] = b - m * (g / Math.sqrt(v + eps));
  }
  return { scale, shift };
}

// dist/tools/entry-points.js
var demo = () => import("./demo-SYL4UN7K.js");
var bench = () => import("./bench-AKCI2D4H.js");
var doctor = () => import("./doctor-JBCYTHJ6.js");
var explainModule = () => import("./explain-SUMTNLGB.js");
var tune = () => import("./tune-HIQ4SUY3.js");
var inspect = () => import("./cache-inspect-S36DFMUC.js");
var prune = () => import("./prune-3XPLUSUW.js");
var bundle = () => import("./bundle-KYCT27XU.js");
var bundleImport = () => import("./bundle-import-VZI4EJMB.js");
var remote = () => import("./remote-cache-IJVLP5P6.js");
var runDemo = async (...args) => (await demo()).runDemo(...args);
var runBench = async (...args) => (await bench()).runBench(...args);
var runDoctor = async (...args) => (await doctor()).runDoctor(...args);
var explain = async (...args) => (await explainModule()).explain(...args);
var compileTuned = async (...args) => (await tune()).compileTuned(...args);
var listEntries = async (...args) => (await inspect()).listEntries(...args);
var findEntry = async (...args) => (await inspect()).findEntry(...args);
var entrySource = async (...args) => (await inspect()).entrySource(...args);
var cacheStats = async (...args) => (await inspect()).cacheStats(...args);
var verifyCache = async (...args) => (await inspect()).verifyCache(...args);
var clearCache = async (...args) => (await inspect()).clearCache(...args);
var pruneCache = async (...args) => (await prune()).pruneCache(...args);
var bundleKey = async (...args) => (await bundle()).bundleKey(...args);
var exportBundle = async (...args) => (await bundle()).exportBundle(...args);
var importBundle = async (...args) => (await bundleImport()).importBundle(...args);
var remoteCacheStats = async (...args) => (await remote()).remoteCacheStats(...args);
var remoteCacheList = async (...args) => (await remote()).remoteCacheList(...args);
var remoteCacheVerify = async (...args) => (await remote()).remoteCacheVerify(...args);
var remoteCachePrune = async (...args) => (await remote()).remoteCachePrune(...args);
var remoteCachePublish = async (...args) => (await remote()).remoteCachePublish(...args);

// dist/tools/bench-chart.js
import { mkdir, writeFile } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
var CHAR_W = 7.2;
var ROW_H = 18;
var BAR_H = 12;
var PANEL_W = 280;
var PANEL_GAP = 56;
var TOP = 92;
var BOTTOM = 36;
var MARGIN = 12;
var COLOURS = { met: "#2e7d32", below: "#c62828", none: "#1565c0" };
function escapeXml(text) {
  return text.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, "").replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");
}
var n = (x) => Number.isFinite(x) ? String(Math.round(x * 10) / 10) : "0";
function niceAxis(max) {
  const top = Number.isFinite(max) && max > 0 ? max : 1;
  const raw = top / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  return { max: Math.ceil(top / step - 1e-9) * step, step };
}
function panelMetrics(rows) {
  return METRICS.filter((m) => rows.some((r) => r[m] !== void 0 && Number.isFinite(r[m])));
}
function groupChartSvg(group, input) {
  const rows = input.rows.filter((r) => r.group === group);
  const metrics = panelMetrics(rows);
  const labelW = Math.ceil(Math.max(12, ...rows.map((r) => r.name.length)) * CHAR_W) + 16;
  const width = MARGIN + labelW + Math.max(1, metrics.length) * (PANEL_W + PANEL_GAP) + MARGIN;
  const height = TOP + rows.length * ROW_H + BOTTOM;
  const rowY = (i) => TOP + i * ROW_H;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(`dwconv-jit bench: ${group} on ${input.device}`)}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${MARGIN}" y="20" font-size="15" font-weight="bold">${escapeXml(`dwconv-jit bench: ${group}`)}</text>`,
    `<text x="${MARGIN}" y="38">${escapeXml(`${input.device}${input.startedAt ? `, ${input.startedAt}` : ""}; ${rows.length} case${rows.length === 1 ? "" : "s"}`)}</text>`,
    legend(MARGIN, 56)
  ];
  const unmeasured = METRICS.filter((m) => !metrics.includes(m) && rows.some((r) => r.targets?.[m] !== void 0));
  if (unmeasured.length)
    out.push(`<text x="${MARGIN + 480}" y="60" fill="#555555">${escapeXml(`not measured in this run: ${unmeasured.map((m) => METRIC_LABELS[m]).join(", ")}`)}</text>`);
  out.push('<g class="labels" font-family="monospace">');
  for (const [i, r] of rows.entries())
    out.push(`<text x="${MARGIN + labelW - 8}" y="${n(rowY(i) + BAR_H - 2)}" text-anchor="end">${escapeXml(r.name)}</text>`);
  out.push("</g>");
  for (const [p, metric] of metrics.entries())
    out.push(...panel(metric, rows, MARGIN + labelW + p * (PANEL_W + PANEL_GAP), rowY));
  out.push("</svg>", "");
  return out.join("\n");
}
function legend(x, y) {
  const items = [[COLOURS.met, "reaches its target"], [COLOURS.below, "below its target"], [COLOURS.none, "no target"]];
  const parts = items.map(([colour, label2], i) => `<rect x="${x + i * 130}" y="${y - 10}" width="12" height="12" fill="${colour}"/><text x="${x + i * 130 + 16}" y="${y}">${label2}</text>`);
  const lx = x + items.length * 130;
  parts.push(`<line x1="${lx}" y1="${y - 4}" x2="${lx + 20}" y2="${y - 4}" stroke="#000000" stroke-width="1.5" stroke-dasharray="4 3"/><text x="${lx + 26}" y="${y}">target</text>`);
  return `<g class="legend">${parts.join("")}</g>`;
}
function panel(metric, rows, x0, rowY) {
  const values = rows.map((r) => r[metric]).filter((v) => v !== void 0 && Number.isFinite(v));
  const targets = rows.map((r) => r.targets?.[metric]).filter((v) => v !== void 0);
  const axis = niceAxis(Math.max(1, ...values, ...targets));
  const distinct = [...new Set(targets)];
  const xOf = (v) => x0 + Math.max(0, v) / axis.max * PANEL_W;
  const top = rowY(0) - 6;
  const bottom = rowY(rows.length) + 2;
  const out = [
    `<g class="panel" data-metric="${metric}">`,
    `<text x="${x0}" y="${top - 8}" font-weight="bold">${escapeXml(METRIC_LABELS[metric])}${distinct.length ? `<tspan dx="5" font-weight="normal">${escapeXml(`(target${distinct.length > 1 ? "s" : ""} ${distinct.map((t) => formatMetric(metric, t)).join(", ")})`)}</tspan>` : ""}</text>`
  ];
  for (let t = 0; t <= axis.max + 1e-9; t += axis.step) {
    out.push(`<line x1="${n(xOf(t))}" y1="${top}" x2="${n(xOf(t))}" y2="${bottom}" stroke="#dddddd" stroke-width="1"/>`);
    out.push(`<text x="${n(xOf(t))}" y="${bottom + 14}" text-anchor="middle" fill="#555555">${escapeXml(formatTick(metric, t))}</text>`);
  }
  for (const [i, r] of rows.entries()) {
    const v = r[metric];
    if (v === void 0 || !Number.isFinite(v)) {
      out.push(`<text x="${x0 + 3}" y="${n(rowY(i) + BAR_H - 2)}" fill="#555555">-</text>`);
      continue;
    }
    const target = r.targets?.[metric];
    const colour = target === void 0 ? COLOURS.none : v >= target ? COLOURS.met : COLOURS.below;
    const label2 = formatMetric(metric, v);
    out.push(`<rect class="bar" x="${x0}" y="${n(rowY(i))}" width="${n(xOf(v) - x0)}" height="${BAR_H}" fill="${colour}"><title>${escapeXml(`${r.name}: ${label2}${target === void 0 ? "" : ` (target ${formatMetric(metric, target)})`}`)}</title></rect>`);
    out.push(`<text x="${n(Math.min(xOf(v), x0 + PANEL_W) + 3)}" y="${n(rowY(i) + BAR_H - 2)}" font-size="10">${escapeXml(label2)}</text>`);
  }
  for (let i = 0; i < rows.length; ) {
    const target = rows[i].targets?.[metric];
    let j = i + 1;
    while (j < rows.length && rows[j].targets?.[metric] === target)
      j++;
    if (target !== void 0) {
      const x = n(xOf(target));
      out.push(`<line class="target" x1="${x}" y1="${n(rowY(i) - 3)}" x2="${x}" y2="${n(rowY(j) - 3)}" stroke="#000000" stroke-width="1.5" stroke-dasharray="4 3"><title>${escapeXml(`target ${formatMetric(metric, target)}`)}</title></line>`);
    }
    i = j;
  }
  out.push("</g>");
  return out;
}
function formatTick(metric, t) {
  const r = Math.round(t * 1e3) / 1e3;
  return metric === "ofCopy" ? `${Math.round(r * 100)}%` : metric === "speedup" ? `${r}x` : `${r}`;
}
function chartGroups(rows) {
  return [...new Set(rows.map((r) => r.group))];
}
function chartPath(dir, stem, group) {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(group))
    throw new SpecError("group", group, "a bench group name (letters, digits, ., _ and -)");
  return join(dir, `${stem}-${group}.svg`);
}
function chartsBeside(jsonFile) {
  return { dir: dirname(jsonFile), stem: basename(jsonFile, extname(jsonFile)) || "bench" };
}
function parseChartInput(text, field) {
  const refuse = (why) => {
    throw new SpecError(field, text.length > 80 ? `${text.slice(0, 80)}...` : text, `a bench --json result (${why})`);
  };
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    refuse("not JSON");
  }
  const r = value;
  if (typeof r !== "object" || r === null || typeof r.device !== "string" || !Array.isArray(r.rows))
    return refuse("no device or rows");
  const optionalNumber = (x) => x === void 0 || typeof x === "number" && Number.isFinite(x);
  const rows = r.rows.map((row, i) => {
    const x = row;
    const targets = x.targets ?? {};
    if (typeof x !== "object" || x === null || typeof x.name !== "string" || typeof x.group !== "string" || typeof x.ofCopy !== "number" || !Number.isFinite(x.ofCopy) || !optionalNumber(x.speedup) || !optionalNumber(x.ofAligned) || typeof targets !== "object" || targets === null || !METRICS.every((m) => optionalNumber(targets[m]))) {
      return refuse(`row ${i} lacks a name, group or ofCopy, or has a metric that is not a number`);
    }
    const picked = Object.fromEntries(METRICS.filter((m) => targets[m] !== void 0).map((m) => [m, targets[m]]));
    return {
      name: x.name,
      group: x.group,
      ofCopy: x.ofCopy,
      targets: picked,
      ...x.speedup === void 0 ? {} : { speedup: x.speedup },
      ...x.ofAligned === void 0 ? {} : { ofAligned: x.ofAligned }
    };
  });
  return { device: r.device, ...typeof r.startedAt === "string" ? { startedAt: r.startedAt } : {}, rows };
}
async function writeBenchCharts(result, dir, stem = "bench") {
  await mkdir(dir, { recursive: true });
  const files = [];
  for (const group of chartGroups(result.rows)) {
    const file = chartPath(dir, stem, group);
    await writeFile(file, groupChartSvg(group, result));
    files.push(file);
  }
  return files;
}

// dist/tools/precompile.js
import { cpus } from "node:os";
import { resolve } from "node:path";
var MANIFEST_FIELDS = ["targets", "archs", "ptx", "specs", "grids"];
var MAX_JOBS = 1e4;
function gridSize(grid, where) {
  let n2 = 1;
  for (const [field, values] of Object.entries(grid)) {
    if (!Array.isArray(values) || values.length === 0)
      throw new SpecError(`${where}.${field}`, values, "a non-empty array of alternatives");
    n2 *= values.length;
  }
  return n2;
}
function cross(grid) {
  let out = [{}];
  for (const [field, values] of Object.entries(grid))
    out = out.flatMap((partial) => values.map((v) => ({ ...partial, [field]: v })));
  return out;
}
function expandManifest(manifest) {
  if (typeof manifest !== "object" || manifest === null || Array.isArray(manifest))
    throw new SpecError("manifest", manifest, "a JSON object with specs and/or grids");
  const m = manifest;
  for (const key of Object.keys(m))
    if (!MANIFEST_FIELDS.includes(key))
      throw new SpecError(`manifest.${key}`, m[key], `known fields: ${MANIFEST_FIELDS.join(", ")}`);
  const targets = m.targets ?? ["cuda"];
  if (!Array.isArray(targets) || targets.length === 0 || targets.some((t) => t !== "cuda" && t !== "cpu"))
    throw new SpecError("manifest.targets", m.targets, "a non-empty array of 'cuda' | 'cpu'");
  const archList = m.archs ?? ["sm_80", "sm_90"];
  if (!Array.isArray(archList) || archList.length === 0)
    throw new SpecError("manifest.archs", m.archs, "a non-empty array such as ['sm_80', 'sm_90']");
  const archs = [...new Set(archList.map((a) => normalizeArch(a)))];
  const ptx = m.ptx ?? true;
  if (typeof ptx !== "boolean")
    throw new SpecError("manifest.ptx", ptx, "true | false");
  if (m.specs !== void 0 && !Array.isArray(m.specs))
    throw new SpecError("manifest.specs", m.specs, "an array of specs");
  if (m.grids !== void 0 && !Array.isArray(m.grids))
    throw new SpecError("manifest.grids", m.grids, "an array of grids");
  const specs = [...m.specs ?? []];
  const grids = m.grids ?? [];
  let total = specs.length;
  for (let i = 0; i < grids.length; i++) {
    const grid = grids[i];
    if (typeof grid !== "object" || grid === null || Array.isArray(grid))
      throw new SpecError(`manifest.grids[${i}]`, grid, "an object of field: [alternatives]");
    total += gridSize(grid, `manifest.grids[${i}]`);
  }
  if (total * targets.length > MAX_JOBS)
    throw new SpecError("manifest", `${total * targets.length} configs`, `at most ${MAX_JOBS}`);
  for (const grid of grids)
    specs.push(...cross(grid));
  if (specs.length === 0)
    throw new SpecError("manifest", manifest, "at least one spec or grid");
  const jobs = specs.flatMap((spec) => targets.map((target) => ({ spec, target })));
  if (jobs.length > MAX_JOBS)
    throw new SpecError("manifest", `${jobs.length} configs`, `at most ${MAX_JOBS}`);
  return { jobs, targets, archs, ptx };
}
function label(spec) {
  try {
    return describeSpec(normalizeSpec(spec));
  } catch {
    return JSON.stringify(spec) ?? String(spec);
  }
}
async function precompile(manifest, options) {
  const signal = checkSignal("options.signal", options.signal);
  throwIfAborted(signal, "precompile");
  const { jobs, targets, archs, ptx } = expandManifest(manifest);
  const parallel = options.jobs ?? cpus().length;
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > 256)
    throw new SpecError("jobs", parallel, "an integer from 1 to 256");
  const env = readEnvironment();
  const publish = options.publish === true ? { env } : options.publish ? { env, ...options.publish } : void 0;
  const remote2 = publish ? await import("./remote-cache-IJVLP5P6.js") : void 0;
  if (publish)
    remote2.requireRemote(publish);
  const out = resolve(options.out);
  const { buildArtifact } = await import("./artifact-ZRA4I3FF.js");
  const started = performance.now();
  let done = 0;
  const runOne = async (job) => {
    if (signal?.aborted)
      return void 0;
    const t0 = performance.now();
    try {
      const spec = normalizeSpec(job.spec);
      const artifact = await buildArtifact(generate(spec, job.target), { env, archs, ptx, cacheDir: out, ...signal ? { signal } : {} });
      return { target: job.target, spec: describeSpec(spec), status: artifact.origin === "compiled" ? "built" : "reused", key: artifact.key, milliseconds: performance.now() - t0 };
    } catch (err) {
      if (signal?.aborted)
        return void 0;
      const error = err instanceof DwconvError ? err.message.split("\n")[0] : String(err);
      return { target: job.target, spec: label(job.spec), status: "failed", milliseconds: performance.now() - t0, error };
    }
  };
  const settled = await inParallel(jobs, parallel, async (job) => {
    const result = await runOne(job);
    if (result)
      options.onResult?.(result, ++done, jobs.length);
    return result;
  });
  throwIfAborted(signal, "precompile");
  const results = settled.filter((r) => r !== void 0);
  const count = (s) => results.filter((r) => r.status === s).length;
  const keys = results.flatMap((r) => r.key !== void 0 && r.status !== "failed" ? [r.key] : []);
  const published = publish ? await remote2.remoteCachePublish(out, { ...publish, keys }) : void 0;
  return {
    out,
    targets,
    archs,
    ptx,
    built: count("built"),
    reused: count("reused"),
    failed: count("failed"),
    milliseconds: performance.now() - started,
    results,
    ...published ? { published } : {}
  };
}
export {
  ACTIVATIONS,
  AbortError,
  BENCH_GROUPS,
  COMPILERS,
  CacheError,
  CompileError,
  CudaError,
  DTYPES,
  DeviceMismatchError,
  DwconvError,
  ERROR_CODES,
  Kernel,
  LAYOUTS,
  LIMITS,
  MAX_POINTWISE_CHANNELS,
  METRICS,
  METRIC_LABELS,
  NoGpuError,
  OVERRIDE_VARIABLES,
  OverridePathError,
  PACKAGE_CACHE_DIR,
  RESIDUALS,
  SpecError,
  Tensor,
  ToolchainNotFoundError,
  PACKAGE_VERSION as VERSION,
  allVariants,
  brokenOverrides,
  build,
  bundleKey,
  cacheRoot,
  cacheStats,
  canonicalJson,
  chartsBeside,
  clearCache,
  compile,
  compileTuned,
  cudaRuntime,
  describeSpec,
  entrySource,
  expandManifest,
  explain,
  exportBundle,
  findEntry,
  foldBatchNorm,
  formatMetric,
  generate,
  groupChartSvg,
  importBundle,
  listBenchCases,
  listEntries,
  listGpus,
  normalizeSpec,
  outputShape,
  parseChartInput,
  parseDuration,
  parseSize,
  pointwiseWeightShape,
  precompile,
  printBench,
  probeGpu,
  pruneCache,
  readEnvironment,
  reference,
  remoteCacheList,
  remoteCachePrune,
  remoteCachePublish,
  remoteCacheStats,
  remoteCacheVerify,
  runBench,
  runDemo,
  runDoctor,
  specTag,
  verifyCache,
  weightShape,
  writeBenchCharts
};
