import {
  recordedChoice
} from "./chunk-CP4ECJ27.js";
import {
  benchCases,
  inParallel,
  listBenchCases,
  printBench,
  selectCases,
  withAlignedRatios
} from "./chunk-AWNVH7VC.js";
import "./chunk-TUE6V4JX.js";
import "./chunk-M7LZU4D6.js";
import "./chunk-CPKG6YAQ.js";
import "./chunk-OMQMVV7G.js";
import {
  defaultCacheDir
} from "./chunk-C5KQE6PT.js";
import "./chunk-2ZOB4GNT.js";
import "./chunk-IISSFHLL.js";
import "./chunk-56WR2VLD.js";
import "./chunk-ERIKVZX6.js";
import "./chunk-A22IQ6JN.js";
import "./chunk-C5DDTWDA.js";
import {
  TORCH_SCRIPT,
  readAt,
  sampleIndices,
  timeLaunches,
  torchScriptMissing,
  uniformStored,
  uploadUniform,
  verifyOutputs
} from "./chunk-7QCEOCVN.js";
import {
  freshSeed,
  randomParameters,
  referenceParameters
} from "./chunk-N5HG6547.js";
import "./chunk-EDZLWXK5.js";
import "./chunk-ZLHIC6G2.js";
import {
  Tensor,
  compile,
  parameterTensors
} from "./chunk-2MUWQKOX.js";
import "./chunk-Z4MKRN3J.js";
import {
  cudaRuntime,
  probeGpu
} from "./chunk-63VYGLLB.js";
import {
  DTYPE_BYTES,
  allVariants,
  normalizeVariant
} from "./chunk-6BRGTZ7M.js";
import {
  channelsOf,
  describeSpec,
  logicalDims,
  normalizeSpec,
  outputShape
} from "./chunk-J66XVRM2.js";
import "./chunk-HLZTAT3W.js";
import "./chunk-R3WEWIUB.js";
import "./chunk-X43GYYD5.js";
import {
  readEnvironment
} from "./chunk-CIU4BLIU.js";
import "./chunk-2QCMHHMR.js";
import "./chunk-TM5KGFNG.js";
import "./chunk-SMP3MV7C.js";
import "./chunk-UGFPPU7J.js";
import {
  DwconvError,
  NoGpuError,
  SpecError
} from "./chunk-3MZWLH6H.js";

// dist/tools/bench.js
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
var FLUSH_BYTES = 256 << 20;
var SAMPLE = 2e4;
var SEPARABLE_SAMPLE_READS = 4e6;
var InputPools = class {
  seed;
  progress;
  pools = /* @__PURE__ */ new Map();
  constructor(seed, progress) {
    this.seed = seed;
    this.progress = progress;
  }
  get(dtype, count, sizes) {
    let pool = this.pools.get(dtype);
    if (!pool) {
      const n = sizes.get(dtype);
      this.progress(`generating ${(n * DTYPE_BYTES[dtype] / 1e9).toFixed(2)} GB of random ${dtype} input`);
      pool = Tensor.empty([n], { dtype, device: "cuda" });
      uploadUniform(cudaRuntime(readEnvironment()), pool.deviceAddress(), n, dtype, this.seed);
      this.pools.set(dtype, pool);
    }
    if (count > pool.length)
      throw new DwconvError("internal: input pool too small");
    return pool;
  }
  dispose() {
    for (const p of this.pools.values())
      p.dispose();
  }
};
async function runBench(o) {
  const env = readEnvironment();
  const gpu = probeGpu(env);
  if (!gpu.ok)
    throw new NoGpuError("the bench", gpu.reason, "run it on a machine with an NVIDIA GPU (the CPU target has `dwconv-jit demo --target cpu`)");
  const seed = freshSeed();
  const startedAt = (/* @__PURE__ */ new Date()).toISOString();
  const cases = selectCases(benchCases(), o.filter);
  const tuningDir = o.tuningDir === false ? void 0 : o.tuningDir ?? o.cacheDir ?? defaultCacheDir(env);
  const cacheDir = o.cacheDir ?? await mkdtemp(join(tmpdir(), "dwconv-bench-"));
  const pools = new InputPools(seed, o.progress);
  const sizes = /* @__PURE__ */ new Map();
  for (const c of cases) {
    const spec = normalizeSpec(c.spec);
    const count = (shape) => shape.reduce((a, b) => a * b, 1);
    const moved = count(c.shape) + count(outputShape(spec, c.shape)) * (spec.residual === "none" ? 1 : 2);
    sizes.set(spec.dtype, Math.max(sizes.get(spec.dtype) ?? 0, count(c.shape), Math.ceil(moved / 2)));
  }
  const flush = Tensor.empty([FLUSH_BYTES / 4], { device: "cuda" });
  try {
    const records = await Promise.all(cases.map((c) => tuningDir === void 0 ? void 0 : usableRecord(tuningDir, c, gpu.device, o.progress)));
    const recorded = records.filter((r) => r !== void 0).length;
    if (recorded > 0)
      o.progress(`${recorded} of ${cases.length} cases take the tuner's recorded choice (from ${tuningDir})`);
    const chosenVariant = (i) => records[i]?.variant ?? void 0;
    const fits = cases.map((c) => alsoFor(c, o.alsoVariant));
    const offered = (c, v) => o.variants && allVariants(normalizeSpec(c.spec)).some((x) => JSON.stringify(x) === JSON.stringify(v));
    const extras = fits.map((v, i) => v && !offered(cases[i], v) ? v : void 0);
    if (o.alsoVariant !== void 0) {
      const fit = fits.filter((v) => v !== void 0).length;
      if (fit === 0)
        throw new SpecError("alsoVariant", o.alsoVariant, `a variant one of the ${cases.length} selected cases can take`);
      o.progress(`${fit} of ${cases.length} cases also time ${JSON.stringify(o.alsoVariant)}`);
    }
    const jobs = cases.flatMap((c, i) => [...o.variants ? [chosenVariant(i), ...allVariants(normalizeSpec(c.spec))] : [chosenVariant(i)], ...extras[i] ? [extras[i]] : []].map((variant) => ({ c, variant })));
    o.progress(`compiling ${jobs.length} kernels for ${cases.length} cases`);
    const kernels = /* @__PURE__ */ new Map();
    await inParallel(jobs, cpus().length, async ({ c, variant }) => {
      kernels.set(jobKey(c, variant), await compile(c.spec, { target: "cuda", cacheDir, ...variant ? { variant } : {} }));
    });
    const defaults = cases.map((c, i) => kernels.get(jobKey(c, chosenVariant(i))));
    const torchCases = cases.filter((c) => c.torch);
    const torch = !o.torch ? { unavailable: "skipped (--no-torch)" } : torchCases.length === 0 ? { unavailable: "not asked by these cases" } : await torchTimes(torchCases, o.rounds, o.progress);
    const torchAt = new Map(torchCases.map((c, i) => [c.name, i]));
    const rows = [];
    const result = () => ({
      device: describeGpu(gpu.device),
      gpu: { name: gpu.device.name, arch: gpu.device.arch, multiprocessors: gpu.device.multiprocessors },
      startedAt,
      seed,
      torch: "ms" in torch ? torch.detail : torch.unavailable,
      tuning: tuningDir === void 0 ? "not looked for (--no-tuning)" : `recorded choices looked for in ${tuningDir}`,
      rows: withAlignedRatios(rows)
    });
    for (const [i, c] of cases.entries()) {
      o.progress(`timing ${c.name}`);
      const extra = extras[i] ? [kernels.get(jobKey(c, extras[i]))] : [];
      const candidates = [...o.variants ? allVariants(normalizeSpec(c.spec)).map((v) => kernels.get(jobKey(c, v))) : [defaults[i]], ...extra];
      const t = torchAt.get(c.name);
      const timed = "ms" in torch && t !== void 0 ? { ms: torch.ms[t], compiledMs: torch.compiledMs[t], exactMs: torch.exactMs[t] } : void 0;
      const row = measureCase(c, defaults[i], candidates, pools, sizes, flush.deviceAddress(), seed, o.reps, timed?.ms, timed?.compiledMs);
      const record = records[i];
      rows.push({
        ...row,
        ...timed?.exactMs === void 0 ? {} : { torchExactMs: timed.exactMs },
        choice: record ? "recorded" : "default",
        ...record ? { recordedAt: record.createdAt } : {},
        targets: c.targets,
        ...c.alignedTo === void 0 ? {} : { alignedTo: c.alignedTo }
      });
      o.partial?.(result());
    }
    for (let round = 2; round <= o.rounds; round++) {
      for (const [i, c] of cases.entries()) {
        o.progress(`timing ${c.name} again (round ${round} of ${o.rounds})`);
        rows[i] = withRound(rows[i], retimeCase(c, defaults[i], pools, sizes, flush.deviceAddress(), seed, o.reps));
        o.partial?.(result());
      }
    }
    return result();
  } finally {
    flush.dispose();
    pools.dispose();
    if (o.cacheDir === void 0)
      await rm(cacheDir, { recursive: true, force: true });
  }
}
function describeGpu(d) {
  return `${d.name} (${d.arch}, ${d.multiprocessors} SMs)`;
}
async function usableRecord(root, c, gpu, progress) {
  const spec = normalizeSpec(c.spec);
  const record = await recordedChoice(root, spec, c.shape, gpu);
  if (!record)
    return void 0;
  try {
    if (record.variant)
      normalizeVariant(spec, record.variant);
    return record;
  } catch (err) {
    progress(`${c.name}: the recorded choice in ${root} does not fit this version (${err.message.split("\n")[0]}); taking the default`);
    return void 0;
  }
}
function alsoFor(c, variant) {
  if (variant === void 0)
    return void 0;
  try {
    return normalizeVariant(normalizeSpec(c.spec), variant);
  } catch (err) {
    if (err instanceof SpecError)
      return void 0;
    throw err;
  }
}
function jobKey(c, v) {
  return `${c.name}|${JSON.stringify(v ?? null)}`;
}
function caseOperands(c, def, pools, sizes, seed, track) {
  const rt = cudaRuntime(readEnvironment());
  const spec = def.spec;
  const { dtype } = spec;
  const inCount = c.shape.reduce((a, b) => a * b, 1);
  const pool = pools.get(dtype, inCount, sizes);
  const outShape = def.outputShape(c.shape);
  const outCount = outShape.reduce((a, b) => a * b, 1);
  const p = randomParameters(spec, channelsOf(spec, c.shape), seed ^ 1540483477);
  const residualSeed = seed ^ 625341585;
  const view = Tensor.view(pool, c.shape);
  const { w: wt, b: bt, epilogue: params } = parameterTensors(spec, channelsOf(spec, c.shape), p, { device: "cuda" }, track);
  let residual;
  if (spec.residual !== "none") {
    residual = track(Tensor.empty(outShape, { dtype, device: "cuda" }));
    uploadUniform(rt, residual.deviceAddress(), outCount, dtype, residualSeed);
  }
  const bytesMoved = (inCount + outCount * (residual ? 2 : 1)) * DTYPE_BYTES[dtype];
  return { rt, pool, view, wt, bt, p, residualSeed, residual, epilogue: { ...params, ...residual ? { residual } : {} }, outShape, outCount, bytesMoved };
}
function timeCopy(rt, pool, bytesMoved, reps, flush, track) {
  const copyBytes = Math.floor(bytesMoved / 2);
  const dst = track(Tensor.empty([Math.ceil(copyBytes / 4)], { device: "cuda" }));
  return timeLaunches(rt, () => rt.copyDeviceToDevice(dst.deviceAddress(), pool.deviceAddress(), copyBytes), reps, flush);
}
function measureCase(c, def, candidates, pools, sizes, flushAt, seed, reps, torchMs, torchCompiledMs) {
  const spec = def.spec;
  const { dtype } = spec;
  const opts = { dtype, device: "cuda" };
  const tensors = [];
  const track = (t) => (tensors.push(t), t);
  try {
    const { rt, pool, view, wt, bt, p, residualSeed, residual, epilogue, outShape, outCount, bytesMoved } = caseOperands(c, def, pools, sizes, seed, track);
    const perOutput = spec.pointwise ? channelsOf(spec, c.shape) * spec.channelMultiplier * spec.kernelSize[0] * spec.kernelSize[1] : 1;
    const indices = sampleIndices(outCount, Math.max(200, Math.min(SAMPLE, Math.floor(SEPARABLE_SAMPLE_READS / perOutput))));
    const ref = {
      spec,
      inputShape: c.shape,
      input: (i) => uniformStored(seed, i, dtype),
      ...referenceParameters(p),
      ...residual ? { residual: (i) => uniformStored(residualSeed, i, dtype) } : {}
    };
    const flush = { address: flushAt, bytes: FLUSH_BYTES };
    const timings = [];
    let defMs = Number.NaN;
    let defFailures = 0;
    let checked = 0;
    for (const k of candidates) {
      const out = Tensor.empty(outShape, opts);
      try {
        k.forward(view, wt, bt, { ...epilogue, out });
        rt.synchronize();
        const got = readAt(rt, out.deviceAddress(), indices, dtype);
        const r = verifyOutputs(ref, outShape, indices, (j) => got[j], dtype);
        const ms = timeLaunches(rt, () => k.forward(view, wt, bt, { ...epilogue, out }), reps, flush);
        timings.push({ variant: k.provenance.variant, ms, failures: r.failures });
        checked += r.checked;
        if (k.key === def.key) {
          defMs = ms;
          defFailures = r.failures;
        }
      } finally {
        out.dispose();
      }
    }
    if (Number.isNaN(defMs)) {
      const out = track(Tensor.empty(outShape, opts));
      defMs = timeLaunches(rt, () => def.forward(view, wt, bt, { ...epilogue, out }), reps, flush);
    }
    const copyMs = timeCopy(rt, pool, bytesMoved, reps, flush, track);
    return {
      name: c.name,
      group: c.group,
      spec: describeSpec(spec),
      shape: c.shape,
      bytesMoved,
      roundsMs: [defMs],
      variant: def.provenance.variant,
      ...timesOf(bytesMoved, defMs, copyMs, torchMs),
      ...torchMs !== void 0 ? { torchMs } : {},
      ...torchCompiledMs !== void 0 ? { torchCompiledMs } : {},
      checked,
      failures: defFailures + timings.reduce((a, t) => a + t.failures, 0),
      ...candidates.length > 1 ? { variants: timings } : {}
    };
  } finally {
    for (const t of tensors)
      t.dispose();
  }
}
function retimeCase(c, def, pools, sizes, flushAt, seed, reps) {
  const tensors = [];
  const track = (t) => (tensors.push(t), t);
  try {
    const { rt, pool, view, wt, bt, epilogue, outShape, bytesMoved } = caseOperands(c, def, pools, sizes, seed, track);
    const flush = { address: flushAt, bytes: FLUSH_BYTES };
    const out = track(Tensor.empty(outShape, { dtype: def.spec.dtype, device: "cuda" }));
    const ms = timeLaunches(rt, () => def.forward(view, wt, bt, { ...epilogue, out }), reps, flush);
    return { ms, copyMs: timeCopy(rt, pool, bytesMoved, reps, flush, track) };
  } finally {
    for (const t of tensors)
      t.dispose();
  }
}
function timesOf(bytesMoved, ms, copyMs, torchMs) {
  return { ms, gbps: bytesMoved / ms / 1e6, copyMs, ofCopy: copyMs / ms, ...torchMs !== void 0 ? { speedup: torchMs / ms } : {} };
}
function withRound(row, t) {
  return { ...row, roundsMs: [...row.roundsMs, t.ms], ...timesOf(row.bytesMoved, Math.min(row.ms, t.ms), Math.min(row.copyMs, t.copyMs), row.torchMs) };
}
async function torchTimes(cases, rounds, progress) {
  const missing = torchScriptMissing();
  if (missing)
    return { unavailable: missing };
  progress(`timing PyTorch on ${cases.length} cases, ${rounds} round${rounds === 1 ? "" : "s"} (python3)`);
  const dir = await mkdtemp(join(tmpdir(), "dwconv-torch-"));
  try {
    const file = join(dir, "cases.json");
    await writeFile(file, JSON.stringify(cases.map((c) => {
      const s = normalizeSpec(c.spec);
      return {
        shape: logicalDims(s, c.shape),
        kernel: s.kernelSize,
        stride: s.stride,
        padding: s.padding,
        dilation: s.dilation,
        multiplier: s.channelMultiplier,
        dtype: s.dtype,
        layout: s.layout,
        bias: s.bias,
        batchNorm: s.batchNorm,
        activation: s.activation,
        residual: s.residual,
        ...s.negativeSlope === void 0 ? {} : { negativeSlope: s.negativeSlope },
        ...s.pointwise ? { pointwise: s.pointwise } : {},
        // eager PyTorch runs one pass per op; inductor fuses the elementwise tail
        compile: c.group === "fused" || c.group === "separable",
        exactFloat32: c.group === "separable" && s.dtype === "float32" && !s.pointwise?.tf32
      };
    })));
    const { execa } = await import("execa");
    const r = await execa("python3", [TORCH_SCRIPT, "--cases", file, "--rounds", String(rounds)], { reject: false, timeout: 9e5 * rounds });
    if (r.exitCode !== 0)
      return { unavailable: (r.stderr || r.message || "python3 failed").split("\n").slice(-2).join(" ") };
    const list = JSON.parse(r.stdout);
    for (const [i, t] of list.entries())
      if (t.compiledUnavailable)
        progress(`torch.compile unavailable for ${cases[i].name}: ${t.compiledUnavailable}`);
    return { ms: list.map((t) => t.ms), compiledMs: list.map((t) => t.compiledMs), exactMs: list.map((t) => t.exactMs), detail: list[0]?.detail ?? "" };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
export {
  describeGpu,
  listBenchCases,
  printBench,
  runBench,
  selectCases,
  withRound
};
