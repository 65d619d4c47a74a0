import {
  describeSpec,
  normalizeSpec
} from "./chunk-J66XVRM2.js";
import {
  SpecError
} from "./chunk-3MZWLH6H.js";

// dist/parallel.js
async function inParallel(items, limit, work) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

// dist/tools/bench-targets.js
var METRICS = ["ofCopy", "speedup", "ofAligned"];
var METRIC_LABELS = {
  ofCopy: "share of the copy bound",
  speedup: "speedup over PyTorch",
  ofAligned: "GB/s as a share of the aligned width's"
};
var GEOMEAN_TARGETS = { mobilenet: 2.5, separable: 2, separableCompiled: 1.8 };
function caseTargets(group, input) {
  const spec = normalizeSpec(input);
  const [kh, kw] = spec.kernelSize;
  const nhwc = spec.layout === "NHWC" ? { speedup: 1.4 } : {};
  switch (group) {
    case "reference":
      return { ofCopy: 0.93, ...nhwc };
    case "kernel-size":
      return kh === 5 && kw === 5 ? { ofCopy: 0.93 } : kh === 7 && kw === 7 ? { ofCopy: 0.9 } : {};
    case "stride":
      return { ofCopy: 0.85 };
    case "mobilenet":
      return { speedup: 1.5 };
    case "separable":
      return { speedup: 1.3 };
    case "widths":
      return { ofAligned: 0.95 };
    case "convnext":
      return { ofCopy: 0.85, speedup: 1.4 };
    default:
      return nhwc;
  }
}
function countTargets(rows) {
  const counts = /* @__PURE__ */ new Map();
  for (const row of rows) {
    for (const metric of METRICS) {
      const target = row.targets?.[metric];
      const value = row[metric];
      if (target === void 0 || value === void 0 || !Number.isFinite(value))
        continue;
      const key = `${row.group}\0${metric}\0${target}`;
      let c = counts.get(key);
      if (!c)
        counts.set(key, c = { group: row.group, metric, target, measured: 0, met: 0, worst: { name: row.name, value } });
      c.measured++;
      if (value >= target)
        c.met++;
      if (value < c.worst.value)
        c.worst = { name: row.name, value };
    }
  }
  return [...counts.values()];
}
function formatMetric(metric, value) {
  switch (metric) {
    case "ofCopy":
      return `${(100 * value).toFixed(1)}%`;
    case "ofAligned":
      return value.toFixed(3);
    case "speedup":
      return `${value.toFixed(2)}x`;
  }
}
function withAlignedRatios(rows) {
  const gbps = new Map(rows.map((r) => [r.name, r.gbps]));
  return rows.map((r) => {
    const aligned = r.alignedTo === void 0 ? void 0 : gbps.get(r.alignedTo);
    const { ofAligned: _stale, ...rest } = r;
    return aligned === void 0 || !(aligned > 0) ? rest : { ...rest, ofAligned: r.gbps / aligned };
  });
}

// dist/tools/bench-cases.js
var BENCH_GROUPS = ["reference", "kernel-size", "stride", "fused", "mobilenet", "separable", "widths", "convnext"];
var REF = [64, 128, 256, 512];
var DTYPES = ["float32", "float16", "bfloat16"];
var WIDTH_RANGES = [
  [509, 510, 511, 512, 513, 514, 515, 516],
  [1023, 1024, 1025, 1026],
  [2047, 2048, 2049, 2050]
];
var ALIGNED_ELEMENTS = 16;
function alignedWidth(w) {
  return Math.max(ALIGNED_ELEMENTS, Math.round(w / ALIGNED_ELEMENTS) * ALIGNED_ELEMENTS);
}
function widthBatch(w) {
  return Math.max(1, Math.round(REF[0] * REF[3] / alignedWidth(w)));
}
var CONVNEXT_STAGES = [[96, 56], [192, 28], [384, 14], [768, 7]];
var CONVNEXT_BATCH = 64;
var benchCase = (c) => ({ ...c, torch: c.torch ?? true, targets: caseTargets(c.group, c.spec) });
function widthCases() {
  const windows = [["3x3", { kernelSize: 3 }], ["7x7 same", { kernelSize: 7, padding: "same" }]];
  const name = (w, window, dtype) => `width ${w} ${window} ${dtype}`;
  return windows.flatMap(([window, spec]) => DTYPES.flatMap((dtype) => WIDTH_RANGES.flat().map((w) => benchCase({
    name: name(w, window, dtype),
    group: "widths",
    spec: { ...spec, dtype },
    shape: [widthBatch(w), REF[1], REF[2], w],
    alignedTo: name(alignedWidth(w), window, dtype),
    torch: false
  }))));
}
function convnextCases() {
  return CONVNEXT_STAGES.flatMap(([c, hw]) => DTYPES.map((dtype) => benchCase({
    name: `convnext C${c} ${hw}x${hw} ${dtype} NHWC`,
    group: "convnext",
    spec: { kernelSize: 7, padding: 3, dtype, layout: "NHWC" },
    shape: [CONVNEXT_BATCH, hw, hw, c]
  })));
}
var TF32_SUFFIX = " tf32";
function benchCases() {
  const cases = [];
  for (const dtype of DTYPES) {
    cases.push({ name: `reference 3x3 ${dtype}`, group: "reference", spec: { kernelSize: 3, dtype }, shape: REF });
  }
  for (const dtype of DTYPES) {
    cases.push({ name: `reference 3x3 ${dtype} NHWC`, group: "reference", spec: { kernelSize: 3, dtype, layout: "NHWC" }, shape: [REF[0], REF[2], REF[3], REF[1]] });
  }
  for (const k of [5, 7, 11, 31]) {
    cases.push({ name: `${k}x${k} pad ${k >> 1} fp32`, group: "kernel-size", spec: { kernelSize: k, padding: k >> 1 }, shape: REF });
  }
  cases.push({ name: "3x3 stride 2 pad 1 fp32", group: "stride", spec: { kernelSize: 3, stride: 2, padding: 1 }, shape: REF });
  const fused = [
    ["+bias+relu6", { bias: true, activation: "relu6" }],
    ["+bias+bn+relu6", { bias: true, batchNorm: true, activation: "relu6" }],
    ["+bias+silu", { bias: true, activation: "silu" }],
    ["+bias+gelu", { bias: true, activation: "gelu" }],
    ["+bias+bn+residual", { bias: true, batchNorm: true, residual: true }]
  ];
  for (const [what, epi] of fused) {
    cases.push({ name: `reference 3x3 fp32 ${what}`, group: "fused", spec: { kernelSize: 3, ...epi }, shape: REF });
  }
  cases.push({ name: "reference 3x3 bf16 +bias+bn+relu6", group: "fused", spec: { kernelSize: 3, dtype: "bfloat16", bias: true, batchNorm: true, activation: "relu6" }, shape: REF });
  const layers = [
    [32, 112, 3, 1],
    [96, 112, 3, 2],
    [144, 56, 3, 1],
    [144, 56, 3, 2],
    [192, 28, 3, 1],
    [192, 28, 3, 2],
    [384, 14, 3, 1],
    [576, 14, 3, 1],
    [576, 14, 3, 2],
    [960, 7, 3, 1],
    [240, 28, 5, 1],
    [480, 14, 5, 1],
    [672, 14, 5, 2],
    [1152, 7, 5, 1]
  ];
  for (const [c, hw, k, s] of layers) {
    for (const dtype of ["float32", "float16"]) {
      cases.push({ name: `C${c} ${hw}x${hw} ${k}x${k} s${s} ${dtype}`, group: "mobilenet", spec: { kernelSize: k, stride: s, padding: k >> 1, dtype }, shape: [64, c, hw, hw] });
    }
  }
  const blocks = [[144, 24, 56], [192, 32, 28], [384, 64, 14], [960, 160, 7]];
  for (const [c, cout, hw] of blocks) {
    for (const [dtype, tf32] of [["float32", false], ["float32", true], ["float16", false], ["bfloat16", false]]) {
      cases.push({
        name: `block C${c}->${cout} ${hw}x${hw} ${dtype}${tf32 ? TF32_SUFFIX : ""}`,
        group: "separable",
        shape: [64, c, hw, hw],
        spec: { kernelSize: 3, padding: 1, dtype, bias: true, activation: "relu6", pointwise: { outChannels: cout, bias: true, ...tf32 ? { tf32 } : {} } }
      });
    }
  }
  return [...cases.map(benchCase), ...widthCases(), ...convnextCases()];
}

// dist/tools/bench-report.js
function selectCases(all, filter) {
  const terms = filter?.split(",").map((t) => t.trim()).filter((t) => t !== "") ?? [];
  const groups = new Set(all.map((c) => c.group));
  const cases = all.filter((c) => terms.length === 0 || terms.some((t) => groups.has(t) ? c.group === t : c.name.includes(t)));
  if (cases.length === 0)
    throw new SpecError("--filter", filter, `a part of a case name, or a group (${[...new Set(all.map((c) => c.group))].join(", ")})`);
  return cases;
}
function listBenchCases(filter) {
  return selectCases(benchCases(), filter).map((c) => ({
    name: c.name,
    group: c.group,
    shape: c.shape,
    spec: describeSpec(normalizeSpec(c.spec)),
    targets: c.targets,
    torch: c.torch,
    ...c.alignedTo === void 0 ? {} : { alignedTo: c.alignedTo }
  }));
}
function printBench(r, out) {
  out(`dwconv-jit bench on ${r.device}; PyTorch: ${r.torch}; tuning: ${r.tuning}; seed ${r.seed}`);
  const aligned = r.rows.some((x) => x.alignedTo !== void 0);
  const head = ["case", "ms", "GB/s", ...aligned ? ["of aligned"] : [], "copy ms", "% copy", "torch ms", "speedup", "compiled ms", "kernel", "variant", "check"];
  const rows = r.rows.map((x) => [
    x.name,
    x.ms.toFixed(3),
    x.gbps.toFixed(0),
    ...aligned ? [x.ofAligned === void 0 ? "-" : formatMetric("ofAligned", x.ofAligned)] : [],
    x.copyMs.toFixed(3),
    `${(100 * x.ofCopy).toFixed(0)}%`,
    x.torchMs?.toFixed(3) ?? "-",
    x.speedup ? `${x.speedup.toFixed(2)}x` : "-",
    x.torchCompiledMs?.toFixed(3) ?? "-",
    x.choice,
    Object.entries(x.variant).map(([k, v]) => `${k}=${v}`).join(","),
    x.failures ? `FAIL ${x.failures}` : `ok ${x.checked}`
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const fmt = (row) => `| ${row.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  out(fmt(head));
  out(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const row of rows)
    out(fmt(row));
  for (const x of r.rows) {
    if (!x.variants)
      continue;
    const best = [...x.variants].sort((a, b) => a.ms - b.ms)[0];
    out(`  ${x.name}: ${x.variants.map((v) => `${Object.entries(v.variant).filter(([k]) => k !== "threads").map(([k, n]) => `${k}=${n}`).join(",")} ${v.ms.toFixed(3)}`).join("; ")}; best ${best.ms.toFixed(3)}`);
  }
  const speedups = r.rows.filter((x) => x.group === "mobilenet" && x.speedup).map((x) => x.speedup);
  const geomean = (xs) => Math.exp(xs.reduce((a, s) => a + Math.log(s), 0) / xs.length);
  if (speedups.length)
    out(`MobileNet/EfficientNet layers: geometric-mean speedup over PyTorch ${geomean(speedups).toFixed(2)}x (target ${GEOMEAN_TARGETS.mobilenet}x), slowest ${Math.min(...speedups).toFixed(2)}x`);
  const convnext = r.rows.filter((x) => x.group === "convnext" && x.speedup);
  if (convnext.length)
    out(`ConvNeXt stages: geometric-mean speedup over PyTorch channels_last ${geomean(convnext.map((x) => x.speedup)).toFixed(2)}x, slowest ${Math.min(...convnext.map((x) => x.speedup)).toFixed(2)}x`);
  const separable = r.rows.filter((x) => x.group === "separable" && x.torchMs !== void 0);
  const isTf32 = (x) => x.name.endsWith(TF32_SUFFIX);
  const sets = [
    ["separable blocks", separable.filter((x) => !isTf32(x))],
    ["separable blocks, float32 with pointwise.tf32", separable.filter((x) => isTf32(x) || !x.name.includes("float32"))]
  ];
  for (const [label, blocks] of sets) {
    if (!blocks.length)
      continue;
    const eager = blocks.map((x) => x.torchMs / x.ms);
    const compiled = blocks.filter((x) => x.torchCompiledMs !== void 0).map((x) => x.torchCompiledMs / x.ms);
    out(`${label}: geometric-mean speedup over eager PyTorch ${geomean(eager).toFixed(2)}x (target ${GEOMEAN_TARGETS.separable}x; slowest ${Math.min(...eager).toFixed(2)}x)` + (compiled.length ? `, over torch.compile ${geomean(compiled).toFixed(2)}x (target ${GEOMEAN_TARGETS.separableCompiled}x; slowest ${Math.min(...compiled).toFixed(2)}x, ${compiled.length} of ${blocks.length} cases)` : ", torch.compile unavailable"));
  }
  const exact = separable.filter((x) => x.torchExactMs !== void 0);
  if (exact.length) {
    out(`separable float32 blocks, both at float32 accuracy (eager PyTorch with TF32 off): ${exact.map((x) => `${x.name} ${x.ms.toFixed(3)} vs ${x.torchExactMs.toFixed(3)} ms`).join("; ")}; geometric-mean speedup ${geomean(exact.map((x) => x.torchExactMs / x.ms)).toFixed(2)}x`);
  }
  const recorded = r.rows.filter((x) => x.choice === "recorded");
  out(recorded.length ? `kernels from the tuner's recorded choice: ${recorded.map((x) => x.name).join("; ")}` : "every case took the default kernel (no recorded tuning choice for this GPU)");
  for (const t of countTargets(r.rows)) {
    out(`target ${t.group}, ${METRIC_LABELS[t.metric]} >= ${formatMetric(t.metric, t.target)}: ${t.met} of ${t.measured} cases; lowest ${formatMetric(t.metric, t.worst.value)} (${t.worst.name})`);
  }
}

export {
  inParallel,
  METRICS,
  METRIC_LABELS,
  formatMetric,
  withAlignedRatios,
  BENCH_GROUPS,
  benchCases,
  selectCases,
  listBenchCases,
  printBench
};
