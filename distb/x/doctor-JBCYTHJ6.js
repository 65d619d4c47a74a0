import "./chunk-TUE6V4JX.js";
import "./chunk-M7LZU4D6.js";
import "./chunk-CPKG6YAQ.js";
import {
  findCxx,
  findNvcc
} from "./chunk-OMQMVV7G.js";
import {
  defaultCacheDir
} from "./chunk-C5KQE6PT.js";
import "./chunk-2ZOB4GNT.js";
import "./chunk-IISSFHLL.js";
import {
  DiskCache
} from "./chunk-56WR2VLD.js";
import "./chunk-ERIKVZX6.js";
import "./chunk-A22IQ6JN.js";
import "./chunk-C5DDTWDA.js";
import {
  cudaRuntime,
  listGpus
} from "./chunk-63VYGLLB.js";
import "./chunk-HLZTAT3W.js";
import {
  ffiVersion,
  probeNvrtc
} from "./chunk-R3WEWIUB.js";
import {
  PACKAGE_VERSION
} from "./chunk-X43GYYD5.js";
import {
  brokenOverrides,
  readEnvironment
} from "./chunk-CIU4BLIU.js";
import "./chunk-2QCMHHMR.js";
import "./chunk-TM5KGFNG.js";
import "./chunk-SMP3MV7C.js";
import "./chunk-UGFPPU7J.js";
import {
  DwconvError,
  OverridePathError,
  ToolchainNotFoundError
} from "./chunk-3MZWLH6H.js";

// dist/tools/doctor.js
import { statfs } from "node:fs/promises";
function describeGpus(devices, current) {
  const one = (d) => `cuda:${d.index}${d.index === current ? " (current)" : ""} ${d.name}, ${d.arch}, ${d.multiprocessors} SMs, PCI ${d.pciBusId}`;
  return `${devices.length} CUDA device${devices.length === 1 ? "" : "s"}: ${devices.map(one).join("; ")}`;
}
var message = (err) => {
  if (err instanceof ToolchainNotFoundError && !(err instanceof OverridePathError)) {
    return `${err.tool} not found; searched ${err.searched.slice(0, 3).join(", ")}${err.searched.length > 3 ? `, ... (${err.searched.length} places)` : ""}`;
  }
  return err instanceof Error ? err.message.split("\n")[0] : String(err);
};
var fixOf = (err, fallback) => err instanceof DwconvError && "fix" in err ? String(err.fix) : fallback;
async function runDoctor(options = {}) {
  const env = readEnvironment(options.env);
  const checks = [{ name: "node", ok: true, detail: `${process.version}, FFI: koffi ${ffiVersion()}` }];
  const overrides = brokenOverrides(env).map((err) => ({ name: err.variable, ok: false, detail: `${err.variable}=${err.value} ${err.problem}`, fix: `point ${err.variable} at a working one, or unset it` }));
  checks.push(...overrides);
  const broken = new Set(brokenOverrides(env).map((e) => e.variable));
  const overridden = (variable, name) => broken.has(variable) ? { name, ok: false, detail: `not used: ${variable} points at nothing (above)`, fix: `fix or unset ${variable}` } : void 0;
  const cxx = overridden("CXX", "C++ compiler (CPU target)") ?? await findCxx(env).then((t) => ({ name: "C++ compiler (CPU target)", ok: true, detail: `${t.path}: ${t.version}` }), (err) => ({ name: "C++ compiler (CPU target)", ok: false, detail: message(err), fix: fixOf(err, "install g++") }));
  checks.push(cxx);
  const nvcc = overridden("DWCONV_JIT_NVCC", "nvcc (CUDA target)") ?? await findNvcc(env).then((t) => ({ name: "nvcc (CUDA target)", ok: true, detail: `${t.path}: ${t.version}` }), (err) => ({ name: "nvcc (CUDA target)", ok: false, detail: message(err), fix: fixOf(err, "install the CUDA toolkit") }));
  checks.push(nvcc);
  const nvrtc = probeNvrtc(env);
  checks.push(nvrtc.ok ? { name: "NVRTC", ok: true, detail: `${nvrtc.path}: ${nvrtc.version} (compile() uses it for the GPU in use; build() and precompile use nvcc)` } : { name: "NVRTC", ok: false, detail: `not loaded: ${message(nvrtc.error)}`, fix: fixOf(nvrtc.error, "optional with nvcc: install the CUDA toolkit (or libnvrtc) and set DWCONV_JIT_NVRTC or add its lib64 to LD_LIBRARY_PATH; compile() uses nvcc meanwhile") });
  let runtimeOk = false;
  try {
    const rt = cudaRuntime(env);
    const version = rt.runtimeVersion();
    let driver = "unknown";
    try {
      driver = String(rt.driverVersion());
    } catch {
    }
    checks.push({ name: "CUDA runtime", ok: true, detail: `${rt.libraryPath}: runtime ${version}, driver ${driver}` });
    runtimeOk = true;
  } catch (err) {
    checks.push({ name: "CUDA runtime", ok: false, detail: message(err), fix: fixOf(err, "install the CUDA runtime") });
  }
  const gpu = runtimeOk ? listGpus(env) : { ok: false, reason: "no CUDA runtime" };
  checks.push(gpu.ok ? { name: "GPU", ok: true, detail: describeGpus(gpu.devices, gpu.current) } : { name: "GPU", ok: false, detail: gpu.reason, fix: "without a GPU, target 'auto' uses the CPU; for CUDA install the NVIDIA driver on a machine with a GPU" });
  const root = options.cacheDir ?? defaultCacheDir(env);
  try {
    await DiskCache.open(root);
    const fs = await statfs(root);
    const free = fs.bavail * fs.bsize / 2 ** 30;
    checks.push({ name: "cache directory", ok: free > 0.1, detail: `${root} (owned by this user, mode 700, ${free.toFixed(1)} GiB free)`, ...free > 0.1 ? {} : { fix: "free disk space or set DWCONV_JIT_CACHE_DIR elsewhere" } });
  } catch (err) {
    checks.push({ name: "cache directory", ok: false, detail: message(err), fix: "set DWCONV_JIT_CACHE_DIR (or --cache-dir) to a directory of your own, mode 700" });
  }
  const cacheOk = checks.at(-1).ok;
  const usable = cacheOk && overrides.length === 0 && (cxx.ok || gpu.ok && (nvcc.ok || nvrtc.ok));
  return { version: PACKAGE_VERSION, checks, gpus: gpu.ok ? gpu.devices : [], usable };
}
export {
  describeGpus,
  runDoctor
};
