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
  fillUniform,
  freshSeed,
  randomParameters,
  referenceParameters
} from "./chunk-N5HG6547.js";
import {
  median
} from "./chunk-EDZLWXK5.js";
import "./chunk-ZLHIC6G2.js";
import {
  Tensor,
  compile,
  parameterTensors
} from "./chunk-2MUWQKOX.js";
import {
  backendFor,
  cudaDevice,
  parseCudaDevice,
  resolveTarget
} from "./chunk-Z4MKRN3J.js";
import {
  cudaRuntime
} from "./chunk-63VYGLLB.js";
import {
  DTYPE_BYTES,
  roundTo
} from "./chunk-6BRGTZ7M.js";
import {
  channelsOf,
  describeSpec,
  inLayout,
  logicalDims,
  normalizeSpec,
  outputDtypeOf,
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
  NoGpuError,
  SpecError
} from "./chunk-3MZWLH6H.js";

// dist/tools/demo.js
import { constants as bufferConstants } from "node:buffer";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

// dist/tools/parallel-copy.js
import { cpus } from "node:os";
import { Worker } from "node:worker_threads";
var WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { src, dst, start, end } = workerData;
const from = new Uint8Array(src, start, end - start);
const to = new Uint8Array(dst, start, end - start);
parentPort.on('message', () => { to.set(from); parentPort.postMessage(0); });
`;
async function parallelCopyMs(source, reps, threads = cpus().length) {
  const src = new SharedArrayBuffer(source.byteLength);
  new Uint8Array(src).set(source);
  const dst = new SharedArrayBuffer(source.byteLength);
  const slice = Math.ceil(source.byteLength / threads / 64) * 64;
  const workers = Array.from({ length: threads }, (_, i) => {
    const start = Math.min(i * slice, source.byteLength);
    return new Worker(WORKER, { eval: true, workerData: { src, dst, start, end: Math.min(start + slice, source.byteLength) } });
  });
  try {
    const round = () => Promise.all(workers.map((w) => new Promise((resolve, reject) => {
      const done = () => {
        w.off("error", fail);
        resolve();
      };
      const fail = (err) => {
        w.off("message", done);
        reject(err);
      };
      w.once("message", done);
      w.once("error", fail);
      w.postMessage(0);
    })));
    await round();
    const ms = [];
    for (let i = 0; i < reps; i++) {
      const t = performance.now();
      await round();
      ms.push(performance.now() - t);
    }
    return { ms: median(ms), threads };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

// dist/tools/demo.js
var REFERENCE_SHAPE = [64, 128, 256, 512];
var CPU_SHAPE = [8, 32, 128, 256];
var FULL_CHECK_LIMIT = 4e6;
var SAMPLE_SIZE = 1e5;
var cliPath = fileURLToPath(new URL("../cli/main.js", import.meta.url));
async function secondProcessHit(spec, target, cacheDir, deviceIndex) {
  const started = performance.now();
  const args = [cliPath, "compile", "--spec-json", JSON.stringify(spec), "--target", target, ...deviceIndex === void 0 ? [] : ["--device", String(deviceIndex)], "--cache-dir", cacheDir, "--json"];
  const { execa } = await import("execa");
  const { stdout } = await execa(process.execPath, args, { env: { DWCONV_JIT_CACHE_DIR: cacheDir } });
  const parsed = JSON.parse(stdout);
  return { origin: parsed.origin, loadMs: parsed.loadMs, processMs: performance.now() - started };
}
function checkHostShape(spec, shape) {
  const outShape = outputShape(spec, shape);
  const count = (dims) => dims.reduce((a, b) => a * b, 1);
  const bytes = Math.max(count(shape) * DTYPE_BYTES[spec.dtype], count(outShape) * DTYPE_BYTES[outputDtypeOf(spec)]);
  if (bytes > bufferConstants.MAX_LENGTH) {
    throw new SpecError("shape", shape, `a CPU problem whose input and output each fit one host buffer (at most ${bufferConstants.MAX_LENGTH} bytes; this one needs ${bytes})`);
  }
}
async function runDemo(o) {
  const env = readEnvironment();
  const target = resolveTarget(o.target, env);
  const probe = backendFor(target).probe(env);
  if (!probe.ok)
    throw new NoGpuError(`the demo on target '${target}'`, probe.reason, "use --target cpu (or auto)");
  const deviceIndex = backendFor(target).deviceFor(o.device === void 0 ? void 0 : parseCudaDevice("device", o.device), env, target === "cuda");
  const gpu = deviceIndex === void 0 ? void 0 : cudaDevice(env, deviceIndex);
  const device = gpu ? `${gpu.info.name} (${gpu.info.arch})` : `CPU: ${probe.detail}`;
  const shape = o.shape ?? inLayout(normalizeSpec(o.spec), target === "cuda" ? REFERENCE_SHAPE : CPU_SHAPE);
  if (target === "cpu")
    checkHostShape(normalizeSpec(o.spec), shape);
  const seed = freshSeed(o.seed);
  const cacheDir = o.cacheDir ?? await mkdtemp(join(tmpdir(), "dwconv-jit-demo-"));
  try {
    o.progress(`target ${target}${gpu ? ` (cuda:${gpu.index})` : ""} on ${device}; spec ${JSON.stringify(o.spec)}; input ${shape.join("x")}; seed ${seed}`);
    const t0 = performance.now();
    const kernel = await compile(o.spec, { target, ...deviceIndex === void 0 ? {} : { device: deviceIndex }, cacheDir, log: o.progress });
    const coldCompileMs = performance.now() - t0;
    o.progress(`cold compile: ${coldCompileMs.toFixed(0)} ms (${kernel.provenance.symbol})`);
    const cacheHit = await secondProcessHit(o.spec, target, cacheDir, deviceIndex);
    o.progress(`cache hit in a second process: ${cacheHit.origin}, load ${cacheHit.loadMs.toFixed(1)} ms, process ${cacheHit.processMs.toFixed(0)} ms`);
    const measured = target === "cuda" ? onKernelDevice(kernel, env, () => runCuda(kernel, shape, seed, o)) : await runCpu(kernel, shape, seed, o);
    const torch = target === "cuda" && o.torch ? await torchTime(kernel, shape, o, env) : void 0;
    return { target, device, ...deviceIndex === void 0 ? {} : { deviceIndex }, spec: describeSpec(kernel.spec), shape, outputShape: kernel.outputShape(shape), seed, coldCompileMs, compiler: kernel.provenance.compiler, cacheHit, ...measured, ...torch ? { torch } : {} };
  } finally {
    if (o.cacheDir === void 0)
      await rm(cacheDir, { recursive: true, force: true });
  }
}
function onKernelDevice(kernel, env, fn) {
  return cudaRuntime(env).onDevice(kernel.deviceIndex, fn);
}
function runCuda(kernel, shape, seed, o) {
  const rt = cudaRuntime(readEnvironment());
  const { dtype } = kernel.spec;
  const outDtype = outputDtypeOf(kernel.spec);
  const opts = { dtype, device: "cuda" };
  const outOpts = { dtype: outDtype, device: "cuda" };
  const outShape = kernel.outputShape(shape);
  const inCount = shape.reduce((a, b) => a * b, 1);
  const outCount = outShape.reduce((a, b) => a * b, 1);
  const toFree = [];
  const track = (t) => (toFree.push(t), t);
  try {
    o.progress(`uploading ${(inCount * DTYPE_BYTES[dtype] / 1e9).toFixed(2)} GB of random input`);
    const x = track(Tensor.empty(shape, opts));
    uploadUniform(rt, x.deviceAddress(), inCount, dtype, seed);
    const channels = channelsOf(kernel.spec, shape);
    const p = randomParameters(kernel.spec, channels, seed ^ 1540483477);
    const { w: wt, b: bt, epilogue: epi } = parameterTensors(kernel.spec, channels, p, { device: "cuda" }, track);
    const residualSeed = seed ^ 625341585;
    let residual;
    if (kernel.spec.residual !== "none") {
      residual = track(Tensor.empty(outShape, outOpts));
      uploadUniform(rt, residual.deviceAddress(), outCount, outDtype, residualSeed);
    }
    const options = { ...epi, ...residual ? { residual } : {} };
    const out = track(Tensor.empty(outShape, outOpts));
    kernel.forward(x, wt, bt, { ...options, out });
    rt.synchronize();
    o.progress("checking against the float64 reference");
    const all = outCount <= FULL_CHECK_LIMIT;
    const indices = sampleIndices(outCount, all ? outCount : SAMPLE_SIZE);
    const values = readAt(rt, out.deviceAddress(), indices, outDtype);
    const ref = {
      spec: kernel.spec,
      inputShape: shape,
      input: (i) => uniformStored(seed, i, dtype),
      ...referenceParameters(p),
      ...residual ? { residual: (i) => uniformStored(residualSeed, i, outDtype) } : {}
    };
    const check = { mode: all ? "all" : "sample", ...verifyOutputs(ref, outShape, indices, (k) => values[k], outDtype) };
    o.progress(`timing ${o.reps} launches`);
    const kernelMs = timeLaunches(rt, () => kernel.forward(x, wt, bt, { ...options, out }), o.reps);
    const bytesMoved = x.byteLength + out.byteLength + (residual?.byteLength ?? 0);
    const copyDst = track(Tensor.empty(shape, opts));
    const copyMs = timeLaunches(rt, () => rt.copyDeviceToDevice(copyDst.deviceAddress(), x.deviceAddress(), x.byteLength), o.reps);
    return { check, kernelMs, bytesMoved, kernelGBps: bytesMoved / kernelMs / 1e6, copyMs, copyGBps: 2 * x.byteLength / copyMs / 1e6 };
  } finally {
    for (const t of toFree)
      t.dispose();
  }
}
async function runCpu(kernel, shape, seed, o) {
  const { dtype } = kernel.spec;
  const outDtype = outputDtypeOf(kernel.spec);
  const opts = { dtype, device: "cpu" };
  const input = roundTo(fillUniform(new Float32Array(shape.reduce((a, b) => a * b, 1)), seed), dtype);
  const x = Tensor.fromArray(input, shape, opts);
  const channels = channelsOf(kernel.spec, shape);
  const p = randomParameters(kernel.spec, channels, seed ^ 1540483477);
  const { w: wt, b: bt, epilogue: epi } = parameterTensors(kernel.spec, channels, p, { device: "cpu" });
  const outShape = kernel.outputShape(shape);
  const outCount = outShape.reduce((a, c) => a * c, 1);
  const res = kernel.spec.residual === "none" ? void 0 : roundTo(fillUniform(new Float32Array(outCount), seed ^ 625341585), outDtype);
  const residual = res ? Tensor.fromArray(res, outShape, { dtype: outDtype, device: "cpu" }) : void 0;
  const options = { ...epi, ...residual ? { residual } : {} };
  const out = kernel.forward(x, wt, bt, options);
  const result = out.toArray();
  o.progress("checking against the float64 reference");
  const all = outCount <= FULL_CHECK_LIMIT;
  const indices = sampleIndices(outCount, all ? outCount : SAMPLE_SIZE);
  const ref = { spec: kernel.spec, inputShape: shape, input: (i) => input[i], ...referenceParameters(p), ...res ? { residual: (i) => res[i] } : {} };
  const check = { mode: all ? "all" : "sample", ...verifyOutputs(ref, outShape, indices, (k) => result[indices[k]], outDtype) };
  o.progress(`timing ${o.reps} runs`);
  const time = (f) => {
    f();
    const ms = [];
    for (let i = 0; i < o.reps; i++) {
      const t = performance.now();
      f();
      ms.push(performance.now() - t);
    }
    return median(ms);
  };
  const kernelMs = time(() => kernel.forward(x, wt, bt, { ...options, out }));
  const bytesMoved = x.byteLength + out.byteLength + (residual?.byteLength ?? 0);
  const src = Buffer.from(x.hostBytes().buffer, x.hostBytes().byteOffset, x.byteLength);
  const dst = Buffer.alloc(x.byteLength);
  const singleMs = time(() => src.copy(dst));
  const allCores = await parallelCopyMs(x.hostBytes(), o.reps);
  const gbps = (ms) => 2 * x.byteLength / ms / 1e6;
  return {
    check,
    kernelMs,
    bytesMoved,
    kernelGBps: bytesMoved / kernelMs / 1e6,
    copyMs: allCores.ms,
    copyGBps: gbps(allCores.ms),
    singleThreadCopyGBps: gbps(singleMs),
    copyThreads: allCores.threads
  };
}
async function torchTime(kernel, shape, o, env) {
  const missing = torchScriptMissing();
  if (missing)
    return { unavailable: missing };
  o.progress("timing PyTorch (python3) on the same problem");
  const s = kernel.spec;
  const args = [
    TORCH_SCRIPT,
    "--shape",
    logicalDims(s, shape).join(","),
    "--layout",
    s.layout,
    "--kernel",
    s.kernelSize.join(","),
    "--stride",
    s.stride.join(","),
    "--padding",
    s.padding.join(","),
    "--dilation",
    s.dilation.join(","),
    "--multiplier",
    String(s.channelMultiplier),
    "--dtype",
    s.dtype,
    ...s.bias ? ["--bias"] : [],
    ...s.batchNorm ? ["--batchNorm"] : [],
    "--activation",
    s.activation,
    "--residual",
    s.residual,
    ...s.negativeSlope === void 0 ? [] : ["--negativeSlope", String(s.negativeSlope)],
    // A separable block's 1x1 too, so PyTorch runs the same ops (the spec holds only validated numbers and enums).
    ...s.pointwise ? ["--pointwise", JSON.stringify(s.pointwise)] : []
  ];
  const { execa } = await import("execa");
  const r = await execa("python3", args, { reject: false, timeout: 6e5, env: { CUDA_VISIBLE_DEVICES: onlyDevice(kernel.deviceIndex, env.cudaVisibleDevices) } });
  if (r.exitCode !== 0)
    return { unavailable: (r.stderr || r.message || "python3 failed").split("\n").slice(-3).join(" ") };
  const parsed = JSON.parse(r.stdout);
  return parsed;
}
function onlyDevice(index, visible) {
  if (visible === void 0)
    return String(index);
  const listed = visible.split(",").map((d) => d.trim());
  return listed[index] ?? String(index);
}
export {
  CPU_SHAPE,
  REFERENCE_SHAPE,
  onlyDevice,
  runDemo
};
