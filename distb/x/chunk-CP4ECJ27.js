import {
  defaultCacheDir
} from "./chunk-C5KQE6PT.js";
import {
  sha256
} from "./chunk-C5DDTWDA.js";
import {
  fillUniform,
  randomParameters
} from "./chunk-N5HG6547.js";
import {
  Tensor,
  compile,
  parameterTensors
} from "./chunk-2MUWQKOX.js";
import {
  NoGpuReason,
  cudaDevice,
  currentCudaDevice,
  resolveOptions
} from "./chunk-Z4MKRN3J.js";
import {
  cudaRuntime
} from "./chunk-63VYGLLB.js";
import {
  allVariants
} from "./chunk-6BRGTZ7M.js";
import {
  canonicalJson,
  channelsOf,
  checkShape
} from "./chunk-J66XVRM2.js";
import {
  PACKAGE_VERSION
} from "./chunk-X43GYYD5.js";
import {
  readEnvironment
} from "./chunk-CIU4BLIU.js";
import {
  checkSignal,
  throwIfAborted
} from "./chunk-UGFPPU7J.js";
import {
  NoGpuError,
  SpecError
} from "./chunk-3MZWLH6H.js";

// dist/cache/tuning-store.js
import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
function tuningKey(parts) {
  return sha256(JSON.stringify([parts.spec, parts.shapeClass, parts.device, parts.package]));
}
function shapeClass(shape) {
  const planes = shape[0] * shape[1];
  return `${shape[2]}x${shape[3]}/planes<=${2 ** Math.ceil(Math.log2(planes))}`;
}
async function readTuning(cacheRoot, key) {
  try {
    const record = JSON.parse(await readFile(join(cacheRoot, "tuning", `${key}.json`), "utf8"));
    return record.key === key ? record : void 0;
  } catch {
    return void 0;
  }
}
async function writeTuning(cacheRoot, record) {
  const dir = join(cacheRoot, "tuning");
  await mkdir(dir, { recursive: true, mode: 448 });
  const tmp = join(dir, `.${record.key}.${process.pid}.${randomBytes(4).toString("hex")}`);
  await writeFile(tmp, `${JSON.stringify(record, null, 2)}
`, { mode: 384 });
  await rename(tmp, join(dir, `${record.key}.json`));
}

// dist/tools/tune.js
var label = (v) => v ? `${v.kernel}/tileH=${v.tileH}${v.tileW === void 0 ? "" : `/tileW=${v.tileW}/vec=${v.vec}`}` : "default";
async function compileTuned(specInput, inputShape, options = {}) {
  const { reps = 10, ...compileOptions } = options;
  throwIfAborted(checkSignal("options.signal", options.signal), "compileTuned");
  const gpu = currentCudaDevice(readEnvironment(options.env));
  if (gpu instanceof NoGpuReason)
    throw new NoGpuError("tuning", gpu.reason, "tune on the machine with the GPU the kernel will run on, or compile() without tuning");
  const base = { ...compileOptions, target: "cuda" };
  const r = resolveOptions(specInput, base, "load");
  const { spec, env } = r;
  const device = cudaDevice(env, r.device);
  const shape = checkShape("tuneFor", inputShape);
  if (!Number.isInteger(reps) || reps < 1 || reps > 1e3)
    throw new SpecError("options.reps", reps, "an integer from 1 to 1000");
  const root = r.cacheDir ?? defaultCacheDir(env);
  const parts = tuningParts(spec, shape, device.info);
  const key = tuningKey(parts);
  const known = options.cache === false ? void 0 : await readTuning(root, key);
  if (known) {
    const kernel = await compile(spec, { ...base, ...known.variant ? { variant: known.variant } : {} });
    return { kernel, tuned: false, record: known };
  }
  const candidates = [null, ...allVariants(spec)];
  const compiled = await Promise.allSettled(candidates.map((v) => compile(spec, { ...base, ...v ? { variant: v } : {} })));
  throwIfAborted(options.signal, "compileTuned");
  const kernels = compiled.map((c) => {
    if (c.status === "rejected")
      throw c.reason;
    return c.value;
  });
  const rt = cudaRuntime(env);
  const timings = rt.onDevice(device.index, () => timeCandidates(kernels, shape, reps, env));
  let best = 0;
  for (let i = 1; i < kernels.length; i++)
    if (timings[i] < timings[best])
      best = i;
  const record = {
    key,
    ...parts,
    variant: candidates[best] ?? null,
    timings: Object.fromEntries(candidates.map((v, i) => [label(v), timings[i]])),
    createdAt: (/* @__PURE__ */ new Date()).toISOString()
  };
  if (options.cache !== false)
    await writeTuning(root, record);
  return { kernel: kernels[best], tuned: true, record };
}
function tuningParts(spec, shape, gpu) {
  return { spec: canonicalJson(spec), shapeClass: shapeClass(shape), device: `${gpu.name} ${gpu.arch}`, package: PACKAGE_VERSION };
}
async function recordedChoice(root, spec, shape, gpu) {
  return readTuning(root, tuningKey(tuningParts(spec, shape, gpu)));
}
function timeCandidates(kernels, shape, reps, env) {
  const rt = cudaRuntime(env);
  const k0 = kernels[0];
  const opts = { dtype: k0.spec.dtype, device: "cuda", env };
  const count = shape.reduce((a, b) => a * b, 1);
  const tensors = [];
  const track = (t) => (tensors.push(t), t);
  const start = rt.eventCreate();
  const end = rt.eventCreate();
  try {
    const pattern = fillUniform(new Float32Array(Math.min(count, 1 << 20)), 12345);
    const chunk = track(Tensor.fromArray(pattern, [pattern.length], opts));
    const patterned = (s) => {
      const t = track(Tensor.empty(s, opts));
      const elements = s.reduce((a, b2) => a * b2, 1);
      const bytes = t.byteLength / elements;
      for (let at = 0; at < elements; at += pattern.length) {
        rt.copyDeviceToDevice(BigInt(t.deviceAddress()) + BigInt(at * bytes), chunk.deviceAddress(), Math.min(pattern.length, elements - at) * bytes);
      }
      return t;
    };
    const x = patterned(shape);
    const channels = channelsOf(k0.spec, shape);
    const { w, b, epilogue: params } = parameterTensors(k0.spec, channels, randomParameters(k0.spec, channels, 777), { device: "cuda", env }, track);
    const outShape = k0.outputShape(shape);
    const out = track(Tensor.empty(outShape, opts));
    const epilogue = { ...params, ...k0.spec.residual !== "none" ? { residual: patterned(outShape) } : {} };
    for (let i = 0; i < 3; i++)
      for (const k of kernels)
        k.forward(x, w, b, { ...epilogue, out });
    const ms = kernels.map(() => []);
    for (let i = 0; i < reps; i++) {
      kernels.forEach((k, j) => {
        rt.eventRecord(start);
        k.forward(x, w, b, { ...epilogue, out });
        rt.eventRecord(end);
        ms[j].push(rt.eventElapsedMs(start, end));
      });
    }
    return ms.map((m) => m.sort((p, q) => p - q)[m.length >> 1]);
  } finally {
    rt.eventDestroy(start);
    rt.eventDestroy(end);
    for (const t of tensors)
      t.dispose();
  }
}

export {
  compileTuned,
  tuningParts,
  recordedChoice
};
