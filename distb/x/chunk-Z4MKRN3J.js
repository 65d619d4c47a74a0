import {
  cudaRuntime,
  inContext,
  probeGpu
} from "./chunk-63VYGLLB.js";
import {
  DEFAULT_SHARED_LIMIT,
  MAX_GRID_X,
  evaluate,
  generateCpu,
  generateCuda,
  holds,
  normalizeVariant,
  tileGridFields
} from "./chunk-6BRGTZ7M.js";
import {
  normalizeSpec
} from "./chunk-J66XVRM2.js";
import {
  CPU_TRAITS,
  CUDA_TRAITS,
  targetTraits
} from "./chunk-HLZTAT3W.js";
import {
  CUBIN_NAME,
  ffi,
  loadLibrary,
  probeNvrtc,
  unpackCubins
} from "./chunk-R3WEWIUB.js";
import {
  ABI_VERSION,
  normalizeArch
} from "./chunk-X43GYYD5.js";
import {
  checkOverrides,
  readEnvironment
} from "./chunk-CIU4BLIU.js";
import {
  lockTimeoutMs,
  parseSize
} from "./chunk-2QCMHHMR.js";
import {
  isTarget
} from "./chunk-TM5KGFNG.js";
import {
  checkSignal,
  throwIfAborted
} from "./chunk-UGFPPU7J.js";
import {
  CudaError,
  DwconvError,
  NoGpuError,
  SpecError,
  ToolchainNotFoundError
} from "./chunk-3MZWLH6H.js";

// dist/device.js
var CUDA_NAME = /^cuda:(0|[1-9][0-9]{0,8})$/;
var FORMS = "an index such as 0 or 1, 'cuda:N', or 'cuda' (the current device)";
function isIndex(value) {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 2147483647;
}
function parseDevice(field, value) {
  if (value === "cpu")
    return { kind: "cpu" };
  return { kind: "cuda", index: parseCudaIndex(field, value, `'cpu', ${FORMS}`) };
}
function parseCudaDevice(field, value) {
  return parseCudaIndex(field, value, FORMS);
}
function parseCudaIndex(field, value, allowed) {
  if (value === "cuda")
    return "current";
  if (isIndex(value))
    return value;
  const named = typeof value === "string" ? CUDA_NAME.exec(value) : null;
  if (named)
    return Number(named[1]);
  throw new SpecError(field, value, allowed);
}
function checkDeviceIndex(field, index, count) {
  if (index >= count)
    throw new SpecError(field, index, count === 1 ? "0 (this machine has one CUDA device)" : `0 to ${count - 1} (this machine has ${count} CUDA devices)`);
}
function deviceName(device, index) {
  return device === "cpu" ? "cpu" : `cuda:${index ?? "?"}`;
}

// dist/backends/no-gpu.js
var NoGpuReason = class {
  reason;
  constructor(reason) {
    this.reason = reason;
  }
  error(wanted) {
    return wanted === "load" ? new NoGpuError("target 'cuda'", this.reason, "use target 'cpu', or build() (CLI: `dwconv-jit precompile`) with an arch to compile without one") : new SpecError("options.arch", void 0, `an arch such as 'sm_90' (no GPU to read it from: ${this.reason})`);
  }
};

// dist/runtime/library.js
import { readFileSync } from "node:fs";

// dist/ffi/cuda-driver.js
var TOO_NEW = /* @__PURE__ */ new Map([
  [200, "CUDA_ERROR_INVALID_IMAGE"],
  [209, "CUDA_ERROR_NO_BINARY_FOR_GPU"],
  [218, "CUDA_ERROR_INVALID_PTX"],
  [222, "CUDA_ERROR_UNSUPPORTED_PTX_VERSION"]
]);
var CU_FUNC_ATTRIBUTE_PTX_VERSION = 5;
var CU_FUNC_ATTRIBUTE_BINARY_VERSION = 6;
var CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8;
var CudaDriver = class _CudaDriver {
  version;
  f;
  /** The runtime's primary context of each device index, as a handle. */
  contexts = /* @__PURE__ */ new Map();
  constructor(version, lib) {
    this.version = version;
    const fn = (proto) => lib.func(proto);
    this.f = {
      moduleLoadData: fn("int cuModuleLoadData(_Out_ void** module, const uint8_t* image)"),
      moduleGetFunction: fn("int cuModuleGetFunction(_Out_ void** fn, void* module, const char* name)"),
      funcGetAttribute: fn("int cuFuncGetAttribute(_Out_ int* value, int attribute, void* fn)"),
      funcSetAttribute: fn("int cuFuncSetAttribute(void* fn, int attribute, int value)"),
      launch: fn("int cuLaunchKernel(void* f, unsigned int gx, unsigned int gy, unsigned int gz, unsigned int bx, unsigned int by, unsigned int bz, unsigned int shmem, uintptr_t stream, void* params, void* extra)"),
      errorName: fn("int cuGetErrorName(int error, _Out_ const char** name)"),
      // CUcontext is a pointer, taken here as an integer so that two handles compare by value.
      ctxGetCurrent: fn("int cuCtxGetCurrent(_Out_ uintptr_t* ctx)"),
      // cuda.h maps cuCtxPushCurrent and cuCtxPopCurrent to these _v2 symbols (since CUDA 4.0).
      ctxPush: fn("int cuCtxPushCurrent_v2(uintptr_t ctx)"),
      ctxPop: fn("int cuCtxPopCurrent_v2(_Out_ uintptr_t* ctx)")
    };
  }
  // Loading creates no context: each device's is the runtime's, taken by contextOf when a module is loaded there.
  static load(_env) {
    for (const path of ["libcuda.so.1", "libcuda.so"]) {
      let lib;
      try {
        lib = loadLibrary(path);
      } catch {
        continue;
      }
      const version = [0];
      lib.func("int cuDriverGetVersion(_Out_ int* v)")(version);
      return new _CudaDriver(version[0], lib);
    }
    throw new ToolchainNotFoundError("the CUDA driver (libcuda.so.1)", ["libcuda.so.1", "libcuda.so"], "install the NVIDIA driver");
  }
  /**
   * The runtime's primary context of device `index` (what cudaSetDevice binds and cudaMalloc allocates
   * in), initialized now if it was not: asked of the runtime rather than retained through cuDeviceGet, so
   * the two APIs cannot disagree about which device an index names.
   */
  contextOf(rt, index) {
    let context = this.contexts.get(index);
    if (context === void 0) {
      context = rt.onDevice(index, () => {
        rt.ensureContext();
        return this.currentContext();
      });
      if (context === 0n)
        throw new DwconvError(`internal: no CUDA context is current after initializing device ${index}`);
      this.contexts.set(index, context);
    }
    return context;
  }
  /** Runs `fn` with `context` current on this thread (pushed, then popped), as module loads and launches need. */
  inContext(context, fn) {
    return inContext({ current: () => this.currentContext(), push: (c) => this.pushContext(c), pop: () => this.popContext() }, context, fn);
  }
  currentContext() {
    const ctx = [null];
    this.check("cuCtxGetCurrent", this.f.ctxGetCurrent(ctx));
    return BigInt(ctx[0] ?? 0);
  }
  pushContext(context) {
    this.check("cuCtxPushCurrent", this.f.ctxPush(context));
  }
  popContext() {
    const ctx = [null];
    this.check("cuCtxPopCurrent", this.f.ctxPop(ctx));
    return BigInt(ctx[0] ?? 0);
  }
  /** Loads a cubin into the current context; a driver too old for it is a clear error that says what to do. */
  loadModule(image, producedBy) {
    const mod = [null];
    const status = this.f.moduleLoadData(mod, image);
    if (TOO_NEW.has(status)) {
      throw new DwconvError(`the CUDA driver (version ${this.formatVersion()}) cannot load code from ${producedBy} (${TOO_NEW.get(status)}): NVRTC is newer than the driver supports, or built for another GPU. Update the driver, point DWCONV_JIT_NVRTC at an NVRTC no newer than the driver, or use compiler: 'nvcc'`);
    }
    this.check("cuModuleLoadData", status);
    return mod[0];
  }
  getFunction(module, name) {
    const fn = [null];
    this.check(`cuModuleGetFunction(${name})`, this.f.moduleGetFunction(fn, module, name));
    return fn[0];
  }
  /** The compute capability (major * 10 + minor) that a function's loaded code was built for. */
  binaryVersion(fn) {
    const value = [0];
    this.check("cuFuncGetAttribute(CU_FUNC_ATTRIBUTE_BINARY_VERSION)", this.f.funcGetAttribute(value, CU_FUNC_ATTRIBUTE_BINARY_VERSION, fn));
    return value[0];
  }
  /**
   * The virtual arch (major * 10 + minor) a function's code was compiled from: for PTX JIT-compiled
   * by the driver, the PTX's own (compute_80 PTX run on an H100 reads 80 here and 90 as binaryVersion).
   */
  ptxVersion(fn) {
    const value = [0];
    this.check("cuFuncGetAttribute(CU_FUNC_ATTRIBUTE_PTX_VERSION)", this.f.funcGetAttribute(value, CU_FUNC_ATTRIBUTE_PTX_VERSION, fn));
    return value[0];
  }
  /** Lets a function's launches ask for more than 48 KiB of dynamic shared memory. */
  allowSharedMemory(fn, bytes) {
    this.check("cuFuncSetAttribute(CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES)", this.f.funcSetAttribute(fn, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes));
  }
  /** Queues a launch; `params` is the kernelParams array (addresses of each argument's value). */
  launch(fn, grid, threads, stream, params, sharedBytes = 0) {
    return this.f.launch(fn, grid[0], grid[1], 1, threads, 1, 1, sharedBytes, stream, params, null);
  }
  errorName(status) {
    const name = [null];
    return this.f.errorName(status, name) === 0 && name[0] ? name[0] : `CUresult ${status}`;
  }
  check(call, status) {
    if (status !== 0)
      throw new CudaError(call, status, this.errorName(status));
  }
  formatVersion() {
    return `${Math.floor(this.version / 1e3)}.${this.version % 1e3 / 10}`;
  }
};
function allocateParamBlock(bytes) {
  const koffi = ffi();
  const block = koffi.alloc("uint8_t", bytes);
  return { view: new DataView(koffi.view(block, bytes)), address: BigInt(koffi.address(block)) };
}
var driver;
function cudaDriver(env) {
  driver ??= CudaDriver.load(env);
  return driver;
}

// dist/plan/choose.js
function gridBlocks(tiles, perBlock) {
  const blocks = (tiles + BigInt(perBlock) - 1n) / BigInt(perBlock);
  const gx = blocks < BigInt(MAX_GRID_X) ? blocks : BigInt(MAX_GRID_X);
  return [Number(gx), Number((blocks + gx - 1n) / gx)];
}
function bindings(plan, call) {
  const p = call.pointers;
  const low = (a) => a & 255n;
  const sizes = { N: BigInt(call.N), C: BigInt(call.C), H: BigInt(call.H), W: BigInt(call.W), Ho: 0n, Wo: 0n, xLow: low(p.x), yLow: low(p.y), rLow: low(p.r), SMs: BigInt(call.multiprocessors) };
  return { ...sizes, Ho: evaluate(plan.Ho, sizes), Wo: evaluate(plan.Wo, sizes) };
}
function chooseEntry(plan, call) {
  if (plan.requiredPointers.some((name) => call.pointers[name] === 0n))
    return void 0;
  const vars = bindings(plan, call);
  if (!plan.checks.every((c) => holds(c, vars)))
    return void 0;
  const entry = plan.entries.find((e) => holds(e.when, vars) && (e.cluster === void 0 || call.clusterBuilt?.(e.name) === true));
  if (entry === void 0 || entry.fits !== void 0 && !holds(entry.fits, vars))
    return void 0;
  const [tilesW, tilesH, channels, images] = tileGridFields(entry.grid).map((e) => evaluate(e, vars));
  const tiles = tilesW * tilesH * channels * images;
  return {
    entry,
    Ho: Number(vars.Ho),
    Wo: Number(vars.Wo),
    grid: { tilesW: Number(tilesW), tilesH: Number(tilesH), channels: Number(channels), images: Number(images), tiles },
    blocks: gridBlocks(tiles, entry.tilesPerBlock),
    threads: entry.threads,
    sharedBytes: Number(evaluate(entry.sharedBytes, vars))
  };
}

// dist/runtime/tile-grid.js
function fastDiv(d) {
  let s = 0;
  while (s < 31 && 2 ** s < d)
    s++;
  const m = (1n << 32n) * ((1n << BigInt(s)) - BigInt(d)) / BigInt(d) + 1n;
  return { d, m: Number(m & 0xffffffffn), s };
}
var TILE_GRID_BYTES = 64;
function writeTileGrid(view, at, tilesW, tilesH, channels, n) {
  const tiles = BigInt(tilesW) * BigInt(tilesH) * BigInt(channels) * BigInt(n);
  view.setInt32(at, tilesW, true);
  view.setInt32(at + 4, tilesH, true);
  view.setInt32(at + 8, channels, true);
  view.setBigInt64(at + 16, tiles, true);
  for (const [i, d] of [tilesW, tilesH, channels].entries()) {
    const f = fastDiv(d);
    view.setUint32(at + 24 + 12 * i, f.d, true);
    view.setUint32(at + 28 + 12 * i, f.m, true);
    view.setUint32(at + 32 + 12 * i, f.s, true);
  }
  view.setUint8(at + 60, tiles < 2n ** 31n ? 1 : 0);
  return tiles;
}

// dist/runtime/plan-launcher.js
var GRID_AT = 96;
var PIXELS_AT = GRID_AT + TILE_GRID_BYTES;
var OFFSETS = [0, 8, 16, 64, 72, 76, 80, 84, 88, GRID_AT, PIXELS_AT];
var PARAM_BYTES = PIXELS_AT + 8;
var big = (a) => BigInt(a);
function planLauncher(driver2, moduleOf, plan, multiprocessors) {
  const functions = new Map(plan.entries.map((e) => [e.name, driver2.getFunction(moduleOf(e.name), e.name)]));
  for (const e of plan.entries)
    if (e.maxSharedBytes > DEFAULT_SHARED_LIMIT)
      driver2.allowSharedMemory(functions.get(e.name), e.maxSharedBytes);
  const built = new Set(plan.entries.filter((e) => e.cluster).map((e) => e.name).filter((name) => {
    const fn = functions.get(name);
    return driver2.binaryVersion(fn) >= 90 && driver2.ptxVersion(fn) >= 90;
  }));
  const clusterBuilt = (name) => built.has(name);
  const { view, address } = allocateParamBlock(PARAM_BYTES);
  const params = BigUint64Array.from(OFFSETS, (o) => address + BigInt(o));
  return (x, w, b, scale, shift, r, pw, pb, y, N, C, H, W, stream) => {
    const pointers = { x: big(x), w: big(w), b: big(b), scale: big(scale), shift: big(shift), r: big(r), pw: big(pw), pb: big(pb), y: big(y) };
    const call = { pointers, N, C, H, W, clusterBuilt, multiprocessors };
    const chosen = chooseEntry(plan, call);
    if (!chosen)
      return -1;
    for (const [i, a] of [x, w, b, scale, shift, r, pw, pb, y].entries())
      view.setBigUint64(8 * i, big(a), true);
    for (const [i, value] of [C, H, W, chosen.Ho, chosen.Wo].entries())
      view.setInt32(72 + 4 * i, value, true);
    const g = chosen.grid;
    writeTileGrid(view, GRID_AT, g.tilesW, g.tilesH, g.channels, g.images);
    view.setBigInt64(PIXELS_AT, BigInt(N) * BigInt(chosen.Ho) * BigInt(chosen.Wo), true);
    const name = chosen.entry.name;
    const status = driver2.launch(functions.get(name), chosen.blocks, chosen.threads, stream, params, chosen.sharedBytes);
    if (status !== 0)
      throw new CudaError(`cuLaunchKernel(${name})`, status, driver2.errorName(status));
    return 0;
  };
}

// dist/runtime/library.js
function loadArtifact(path, symbol, target, specJson) {
  let lib;
  try {
    lib = loadLibrary(path);
  } catch (cause) {
    throw new DwconvError(`cannot load kernel library ${path}: ${cause.message}`, { cause });
  }
  const infoFn = lib.func(`const char* ${symbol}_info(void)`);
  let info;
  try {
    info = JSON.parse(infoFn());
  } catch (cause) {
    throw new DwconvError(`kernel library ${path} has an unreadable self-description`, { cause });
  }
  if (info.abi !== ABI_VERSION || info.symbol !== symbol || info.target !== target || JSON.stringify(info.spec) !== specJson) {
    throw new DwconvError(`kernel library ${path} describes itself as ${JSON.stringify(info)}, not as ${symbol} (abi ${ABI_VERSION}, ${target}, ${specJson})`);
  }
  const ptr = targetTraits(target).hasDevices ? "uintptr_t" : "void*";
  const launch = lib.func(symbol, "int", [ptr, ptr, ptr, ptr, ptr, ptr, ptr, ptr, ptr, "int64_t", "int64_t", "int64_t", "int64_t", "uintptr_t"]);
  const launchAsync = (...args) => new Promise((resolve, reject) => launch.async(...args, (err, result) => err ? reject(err) : resolve(result)));
  return { launch: (...args) => launch(...args), launchAsync, info };
}
var multiprocessorCounts = /* @__PURE__ */ new Map();
function multiprocessorsOf(env, index) {
  let count = multiprocessorCounts.get(index);
  if (count === void 0)
    multiprocessorCounts.set(index, count = cudaRuntime(env).device(index).multiprocessors);
  return count;
}
function loadCubin(path, env, plan, spec, symbol, producedBy, deviceIndex) {
  const driver2 = cudaDriver(env);
  const context = driver2.contextOf(cudaRuntime(env), deviceIndex);
  const images = unpackCubins(readFileSync(path), path);
  const multiprocessors = multiprocessorsOf(env, deviceIndex);
  const launch = driver2.inContext(context, () => planLauncher(driver2, modulesOf(images, (image) => driver2.loadModule(image, producedBy), path), plan, multiprocessors));
  return { launch: (...args) => driver2.inContext(context, () => launch(...args)), info: { abi: ABI_VERSION, symbol, target: "cuda", spec } };
}
function modulesOf(images, load, path) {
  const modules = images.map((i) => ({ entries: i.entries, module: load(i.image) }));
  return (entry) => {
    const found = modules.find((m) => m.entries === void 0 || m.entries.includes(entry));
    if (!found)
      throw new DwconvError(`cubin set ${path} holds no module with entry ${entry}`);
    return found.module;
  };
}

// dist/backends/cuda.js
var CudaDevice = class {
  info;
  constructor(info) {
    this.info = info;
  }
  get index() {
    return this.info.index;
  }
  /** Initializes the device's primary context (cudaFree(0) on it): a cubin load needs it, a library's first launch would create it. */
  ensureContext(env) {
    const rt = cudaRuntime(env);
    rt.onDevice(this.index, () => rt.ensureContext());
  }
  /**
   * Loads an artifact onto this device. A cubin is a module of this device's context. An nvcc library
   * is mapped once per process and serves every device: the CUDA runtime loads its code into each
   * device's context at the first launch there, and Kernel launches it with its device current.
   */
  load(path, generated, spec, env, producedBy) {
    if (path.endsWith(CUBIN_NAME))
      return loadCubin(path, env, generated.plan, spec, generated.symbol, producedBy, this.index);
    return loadArtifact(path, generated.symbol, "cuda", generated.specJson);
  }
};
var probes = /* @__PURE__ */ new Map();
function probeOnce(env) {
  const key = `${env.cudart ?? ""}\0${env.cudaHome ?? ""}`;
  let found = probes.get(key);
  if (found === void 0)
    probes.set(key, found = probeGpu(env));
  return found;
}
var devices = /* @__PURE__ */ new Map();
function cudaDevice(env, index) {
  const found = probeOnce(env);
  if (!found.ok)
    return new NoGpuReason(found.reason);
  const rt = cudaRuntime(env);
  const chosen = index ?? rt.currentDevice();
  let device = devices.get(chosen);
  if (device === void 0)
    devices.set(chosen, device = new CudaDevice(chosen === found.device.index ? found.device : rt.device(chosen)));
  return device;
}
function currentCudaDevice(env) {
  return cudaDevice(env);
}
function deviceOrThrow(env, index) {
  const device = cudaDevice(env, index);
  if (device instanceof NoGpuReason)
    throw device.error("load");
  return device;
}
var cudaBackend = {
  ...CUDA_TRAITS,
  probe(env) {
    const device = currentCudaDevice(env);
    return device instanceof NoGpuReason ? { ok: false, reason: device.reason } : { ok: true, detail: `${device.info.name} (${device.info.arch})` };
  },
  deviceFor(requested, env, needDevice) {
    if (requested === void 0 && !needDevice)
      return void 0;
    const found = probeOnce(env);
    if (!found.ok) {
      if (!needDevice)
        return requested === "current" ? void 0 : requested;
      throw new NoGpuReason(found.reason).error("load");
    }
    if (requested === void 0 || requested === "current")
      return cudaRuntime(env).currentDevice();
    checkDeviceIndex("options.device", requested, found.count);
    return requested;
  },
  archFor(given, env, needDevice, device) {
    if (given !== void 0 && !needDevice)
      return given;
    const found = cudaDevice(env, device);
    if (found instanceof NoGpuReason)
      throw found.error(needDevice ? "load" : "arch");
    return given ?? found.info.arch;
  },
  cudaCompiler(choice, env, purpose) {
    if (choice !== "auto")
      return choice;
    return purpose !== "build" && probeNvrtc(env).ok ? "nvrtc" : "nvcc";
  },
  generate: (spec, variant) => generateCuda(spec, variant),
  prepare(env, device) {
    deviceOrThrow(env, device).ensureContext(env);
  },
  load(path, generated, spec, env, producedBy, device) {
    return deviceOrThrow(env, device).load(path, generated, spec, env, producedBy);
  }
};

// dist/backends/cpu.js
import { cpus } from "node:os";
var cpuBackend = {
  ...CPU_TRAITS,
  probe: () => ({ ok: true, detail: `${process.arch} ${cpus()[0]?.model ?? "unknown cpu"}` }),
  deviceFor(requested) {
    if (requested !== void 0)
      throw new SpecError("options.device", requested === "current" ? "cuda" : requested, "nothing: a device is for target 'cuda' (the CPU target runs on this machine's CPU)");
    return void 0;
  },
  archFor(given) {
    if (given !== void 0)
      throw new SpecError("options.arch", given, "nothing: an arch is for target 'cuda' (the CPU target builds for this machine's CPU)");
    return void 0;
  },
  cudaCompiler: () => "nvcc",
  generate: (spec) => generateCpu(spec),
  prepare: () => void 0,
  load: (path, generated) => loadArtifact(path, generated.symbol, "cpu", generated.specJson)
};

// dist/backends/registry.js
var BACKENDS = { cuda: cudaBackend, cpu: cpuBackend };
function backendFor(target) {
  return BACKENDS[target];
}

// dist/options.js
import { fileURLToPath } from "node:url";
var COMPILERS = ["auto", "nvcc", "nvrtc"];
var OPTION_FIELDS = ["target", "compiler", "arch", "device", "cacheDir", "cache", "log", "precompiled", "variant", "remoteCache", "env", "signal"];
var REMOTE_FIELDS = ["url", "key", "keyFile"];
var PACKAGE_CACHE_DIR = fileURLToPath(new URL("../cache/", import.meta.url));
function checkOptionFields(options) {
  if (typeof options !== "object" || options === null)
    throw new SpecError("options", options, "an object");
  for (const key of Object.keys(options)) {
    if (!OPTION_FIELDS.includes(key))
      throw new SpecError(`options.${key}`, options[key], `known options: ${OPTION_FIELDS.join(", ")}`);
  }
  if (options.cache !== void 0 && typeof options.cache !== "boolean")
    throw new SpecError("options.cache", options.cache, "true | false");
  if (options.cacheDir !== void 0 && (typeof options.cacheDir !== "string" || options.cacheDir === ""))
    throw new SpecError("options.cacheDir", options.cacheDir, "a directory path");
  if (options.precompiled !== void 0 && (!Array.isArray(options.precompiled) || options.precompiled.some((d) => typeof d !== "string" || d === ""))) {
    throw new SpecError("options.precompiled", options.precompiled, "an array of directory paths");
  }
  if (options.log !== void 0 && typeof options.log !== "function")
    throw new SpecError("options.log", options.log, "a function (message: string) => void");
  checkSignal("options.signal", options.signal);
  const remote = options.remoteCache;
  if (remote !== void 0 && remote !== false) {
    if (typeof remote !== "object" || remote === null || Array.isArray(remote))
      throw new SpecError("options.remoteCache", remote, "false | { url?, key?, keyFile? }");
    for (const [field, value] of Object.entries(remote)) {
      if (!REMOTE_FIELDS.includes(field))
        throw new SpecError(`options.remoteCache.${field}`, value, `known fields: ${REMOTE_FIELDS.join(", ")}`);
      if (value !== void 0 && (typeof value !== "string" || value === ""))
        throw new SpecError(`options.remoteCache.${field}`, typeof value, "a non-empty string");
    }
    const given = remote;
    if (given.key !== void 0 && given.keyFile !== void 0)
      throw new SpecError("options.remoteCache", "(key and keyFile)", "one of key and keyFile");
  }
}
function remoteSourceOf(option, env) {
  if (option === false)
    return { remoteCache: void 0, remoteKey: void 0, remoteKeyFile: void 0 };
  const secret = option?.key !== void 0 || option?.keyFile !== void 0 ? { remoteKey: option.key, remoteKeyFile: option.keyFile } : { remoteKey: env.remoteKey, remoteKeyFile: env.remoteKeyFile };
  return { remoteCache: option?.url ?? env.remoteCache, ...secret };
}
function resolveTarget(requested, env) {
  const choice = requested ?? "auto";
  if (choice !== "auto" && !isTarget(choice))
    throw new SpecError("options.target", choice, "'auto' | 'cuda' | 'cpu'");
  if (choice !== "auto")
    return choice;
  if (env.target !== void 0) {
    if (!isTarget(env.target))
      throw new SpecError("DWCONV_JIT_TARGET", env.target, "'cuda' | 'cpu'");
    return env.target;
  }
  return backendFor("cuda").probe(env).ok ? "cuda" : "cpu";
}
function resolveOptions(specInput, options, purpose) {
  const spec = normalizeSpec(specInput);
  checkOptionFields(options);
  throwIfAborted(options.signal, purpose === "build" ? "build" : "compile");
  const env = readEnvironment(options.env);
  checkOverrides(env);
  if (env.cacheMaxSize !== void 0)
    parseSize("DWCONV_JIT_CACHE_MAX_SIZE", env.cacheMaxSize);
  lockTimeoutMs(env.lockTimeout);
  const choice = options.compiler ?? env.compiler ?? "auto";
  if (!COMPILERS.includes(choice)) {
    throw new SpecError(options.compiler === void 0 ? "DWCONV_JIT_COMPILER" : "options.compiler", choice, COMPILERS.map((c) => `'${c}'`).join(" | "));
  }
  const target = resolveTarget(options.target, env);
  const backend = backendFor(target);
  const givenArch = options.arch === void 0 ? void 0 : normalizeArch(options.arch);
  const requested = options.device === void 0 ? void 0 : parseCudaDevice("options.device", options.device);
  const device = backend.deviceFor(requested, env, purpose === "load");
  const arch = backend.archFor(givenArch, env, purpose === "load", device);
  if (options.variant !== void 0 && target !== "cuda")
    throw new SpecError("options.variant", options.variant, "nothing: variants exist for target 'cuda' only");
  const variant = options.variant === void 0 ? void 0 : normalizeVariant(spec, options.variant);
  const compiler = backend.cudaCompiler(choice, env, purpose);
  const precompiled = options.precompiled ?? (purpose === "build" ? [] : [...env.precompiled, PACKAGE_CACHE_DIR]);
  const remote = remoteSourceOf(options.remoteCache, env);
  return { spec, target, backend, arch, device, env, variant, compiler, precompiled, cacheDir: options.cacheDir, cache: options.cache !== false, log: options.log, remote, purpose, signal: options.signal };
}

export {
  parseDevice,
  parseCudaDevice,
  checkDeviceIndex,
  deviceName,
  NoGpuReason,
  cudaDevice,
  currentCudaDevice,
  backendFor,
  COMPILERS,
  PACKAGE_CACHE_DIR,
  resolveTarget,
  resolveOptions
};
