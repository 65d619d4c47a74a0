import {
  loadLibrary
} from "./chunk-R3WEWIUB.js";
import {
  OVERRIDE_VARIABLES
} from "./chunk-CIU4BLIU.js";
import {
  CudaError,
  DwconvError,
  OverridePathError,
  ToolchainNotFoundError
} from "./chunk-3MZWLH6H.js";

// dist/ffi/cudart.js
import { join } from "node:path";

// dist/ffi/current.js
function onDevice(calls, index, fn) {
  const previous = calls.get();
  if (previous === index)
    return fn();
  calls.set(index);
  let result;
  try {
    result = fn();
  } catch (err) {
    try {
      calls.set(previous);
    } catch {
    }
    throw err;
  }
  calls.set(previous);
  return result;
}
function inContext(calls, context, fn) {
  if (calls.current() === context)
    return fn();
  calls.push(context);
  let result;
  try {
    result = fn();
  } catch (err) {
    try {
      calls.pop();
    } catch {
    }
    throw err;
  }
  const popped = calls.pop();
  if (popped !== context)
    throw new DwconvError(`internal: the CUDA context stack changed during a call (popped 0x${popped.toString(16)}, pushed 0x${context.toString(16)})`);
  return result;
}

// dist/ffi/cudart.js
var MEMCPY_HOST_TO_DEVICE = 1;
var MEMCPY_DEVICE_TO_HOST = 2;
var MEMCPY_DEVICE_TO_DEVICE = 3;
var ATTR_CC_MAJOR = 75;
var ATTR_CC_MINOR = 76;
var ATTR_SM_COUNT = 16;
var ATTR_PCI_BUS = 33;
var ATTR_PCI_DEVICE = 34;
var ATTR_PCI_DOMAIN = 50;
var PROPS_BYTES = 4096;
var POINTER_ATTRIBUTES_BYTES = 256;
var MEMORY_TYPES = ["unregistered", "host", "device", "managed"];
var CUDA_ERROR_INVALID_VALUE = 1;
function libraryCandidates(env) {
  if (env.cudart)
    return [env.cudart];
  const dirs = [env.cudaHome, "/usr/local/cuda"].filter((d) => !!d).flatMap((d) => [join(d, "lib64"), join(d, "targets/x86_64-linux/lib")]);
  const names = ["libcudart.so.13", "libcudart.so.12", "libcudart.so"];
  return [...names, ...dirs.flatMap((d) => names.map((n) => join(d, n)))];
}
var CudaRuntime = class _CudaRuntime {
  libraryPath;
  f;
  constructor(libraryPath, lib) {
    this.libraryPath = libraryPath;
    const fn = (proto) => lib.func(proto);
    const props = (() => {
      try {
        return lib.func("int cudaGetDeviceProperties_v2(_Out_ uint8_t* prop, int device)");
      } catch {
        return lib.func("int cudaGetDeviceProperties(_Out_ uint8_t* prop, int device)");
      }
    })();
    this.f = {
      getDeviceCount: fn("int cudaGetDeviceCount(_Out_ int* count)"),
      getAttribute: fn("int cudaDeviceGetAttribute(_Out_ int* value, int attr, int device)"),
      getProps: props,
      setDevice: fn("int cudaSetDevice(int device)"),
      getDevice: fn("int cudaGetDevice(_Out_ int* device)"),
      malloc: fn("int cudaMalloc(_Out_ uintptr_t* ptr, size_t size)"),
      free: fn("int cudaFree(uintptr_t ptr)"),
      memcpyHtoD: lib.func("cudaMemcpy", "int", ["uintptr_t", "void*", "size_t", "int"]),
      memcpyDtoH: lib.func("cudaMemcpy", "int", ["void*", "uintptr_t", "size_t", "int"]),
      memcpyDtoD: lib.func("cudaMemcpy", "int", ["uintptr_t", "uintptr_t", "size_t", "int"]),
      memsetAsync: fn("int cudaMemsetAsync(uintptr_t ptr, int value, size_t count, uintptr_t stream)"),
      memcpyDtoDAsync: lib.func("cudaMemcpyAsync", "int", ["uintptr_t", "uintptr_t", "size_t", "int", "uintptr_t"]),
      streamCreate: fn("int cudaStreamCreate(_Out_ uintptr_t* stream)"),
      streamDestroy: fn("int cudaStreamDestroy(uintptr_t stream)"),
      streamSynchronize: fn("int cudaStreamSynchronize(uintptr_t stream)"),
      deviceSynchronize: fn("int cudaDeviceSynchronize()"),
      getLastError: fn("int cudaGetLastError()"),
      pointerGetAttributes: fn("int cudaPointerGetAttributes(_Out_ uint8_t* attributes, uintptr_t ptr)"),
      errorName: fn("const char* cudaGetErrorName(int error)"),
      errorString: fn("const char* cudaGetErrorString(int error)"),
      eventCreate: fn("int cudaEventCreate(_Out_ uintptr_t* event)"),
      eventRecord: fn("int cudaEventRecord(uintptr_t event, uintptr_t stream)"),
      eventSynchronize: fn("int cudaEventSynchronize(uintptr_t event)"),
      eventElapsed: fn("int cudaEventElapsedTime(_Out_ float* ms, uintptr_t start, uintptr_t end)"),
      eventDestroy: fn("int cudaEventDestroy(uintptr_t event)"),
      runtimeVersion: fn("int cudaRuntimeGetVersion(_Out_ int* version)"),
      driverVersion: fn("int cudaDriverGetVersion(_Out_ int* version)")
    };
  }
  static load(env) {
    const candidates = libraryCandidates(env);
    const errors = [];
    for (const path of candidates) {
      try {
        return new _CudaRuntime(path, loadLibrary(path));
      } catch (err) {
        errors.push(`${path}: ${err.message}`);
      }
    }
    if (env.cudart)
      throw new OverridePathError(OVERRIDE_VARIABLES.cudart, env.cudart, `does not load (${errors[0] ?? "unknown error"})`);
    throw new ToolchainNotFoundError("the CUDA runtime (libcudart)", candidates, "Install the CUDA toolkit or runtime, add its lib64 folder to LD_LIBRARY_PATH, or set DWCONV_JIT_CUDART.", { cause: new Error(errors.join("\n")) });
  }
  /** Throws CudaError for a non-zero status. */
  check(call, status) {
    if (status !== 0)
      throw new CudaError(call, status, `${this.f.errorName(status)}: ${this.f.errorString(status)}`);
  }
  out(call, f, ...args) {
    const slot = [null];
    this.check(call, f(slot, ...args));
    return slot[0];
  }
  deviceCount() {
    return this.out("cudaGetDeviceCount", this.f.getDeviceCount);
  }
  runtimeVersion() {
    return this.out("cudaRuntimeGetVersion", this.f.runtimeVersion);
  }
  driverVersion() {
    return this.out("cudaDriverGetVersion", this.f.driverVersion);
  }
  currentDevice() {
    return this.out("cudaGetDevice", this.f.getDevice);
  }
  device(index) {
    const attr = (a) => this.out("cudaDeviceGetAttribute", this.f.getAttribute, a, index);
    const props = Buffer.alloc(PROPS_BYTES);
    this.check("cudaGetDeviceProperties", this.f.getProps(props, index));
    const name = props.subarray(0, 256).toString("latin1").replace(/\0.*$/s, "");
    const hex = (value, digits) => value.toString(16).padStart(digits, "0");
    const pciBusId = `${hex(attr(ATTR_PCI_DOMAIN), 4)}:${hex(attr(ATTR_PCI_BUS), 2)}:${hex(attr(ATTR_PCI_DEVICE), 2)}.0`;
    return { index, name, arch: `sm_${attr(ATTR_CC_MAJOR)}${attr(ATTR_CC_MINOR)}`, multiprocessors: attr(ATTR_SM_COUNT), pciBusId };
  }
  /** Makes `index` this thread's current device (binding its primary context): what allocations, streams, events and runtime launches then use. */
  setDevice(index) {
    this.check(`cudaSetDevice(${index})`, this.f.setDevice(index));
  }
  /**
   * Runs `fn` with device `index` current on this thread, then makes the previous device current
   * again: `rt.onDevice(1, () => rt.streamCreate())` is a stream of device 1, and the thread's own
   * current device is left as it was.
   */
  onDevice(index, fn) {
    return onDevice({ get: () => this.currentDevice(), set: (d) => this.setDevice(d) }, index, fn);
  }
  /** The memory type and device of `ptr`; an address the runtime does not know is 'unregistered'. */
  pointerAttributes(ptr) {
    const attributes = Buffer.alloc(POINTER_ATTRIBUTES_BYTES);
    const status = this.f.pointerGetAttributes(attributes, ptr);
    if (status === CUDA_ERROR_INVALID_VALUE) {
      this.f.getLastError();
      return { type: "unregistered", device: -1 };
    }
    this.check("cudaPointerGetAttributes", status);
    return { type: MEMORY_TYPES[attributes.readInt32LE(0)] ?? "unregistered", device: attributes.readInt32LE(4) };
  }
  malloc(bytes) {
    return this.out("cudaMalloc", this.f.malloc, bytes);
  }
  free(ptr) {
    this.check("cudaFree", this.f.free(ptr));
  }
  copyToDevice(dst, src, bytes = src.byteLength) {
    this.check("cudaMemcpy(HostToDevice)", this.f.memcpyHtoD(dst, src, bytes, MEMCPY_HOST_TO_DEVICE));
  }
  copyToHost(dst, src, bytes = dst.byteLength) {
    this.check("cudaMemcpy(DeviceToHost)", this.f.memcpyDtoH(dst, src, bytes, MEMCPY_DEVICE_TO_HOST));
  }
  copyDeviceToDevice(dst, src, bytes, stream = 0) {
    this.check("cudaMemcpyAsync(DeviceToDevice)", this.f.memcpyDtoDAsync(dst, src, bytes, MEMCPY_DEVICE_TO_DEVICE, stream));
  }
  memset(ptr, value, bytes, stream = 0) {
    this.check("cudaMemsetAsync", this.f.memsetAsync(ptr, value, bytes, stream));
  }
  streamCreate() {
    return this.out("cudaStreamCreate", this.f.streamCreate);
  }
  streamDestroy(stream) {
    this.check("cudaStreamDestroy", this.f.streamDestroy(stream));
  }
  synchronize(stream) {
    if (stream === void 0)
      this.check("cudaDeviceSynchronize", this.f.deviceSynchronize());
    else
      this.check("cudaStreamSynchronize", this.f.streamSynchronize(stream));
  }
  /** Makes the current device's primary context current on this thread (cudaFree(0) initializes it), for driver API calls. */
  ensureContext() {
    this.check("cudaFree(0)", this.f.free(0));
  }
  eventCreate() {
    return this.out("cudaEventCreate", this.f.eventCreate);
  }
  eventRecord(event, stream = 0) {
    this.check("cudaEventRecord", this.f.eventRecord(event, stream));
  }
  eventElapsedMs(start, end) {
    this.check("cudaEventSynchronize", this.f.eventSynchronize(end));
    return this.out("cudaEventElapsedTime", this.f.eventElapsed, start, end);
  }
  eventDestroy(event) {
    this.check("cudaEventDestroy", this.f.eventDestroy(event));
  }
};
var runtime;
function cudaRuntime(env) {
  runtime ??= CudaRuntime.load(env);
  return runtime;
}
var firstLine = (err) => err instanceof Error ? err.message.split("\n")[0] : String(err);
function probeGpu(env) {
  try {
    const rt = cudaRuntime(env);
    const count = rt.deviceCount();
    if (count < 1)
      return { ok: false, reason: "no CUDA device" };
    return { ok: true, device: rt.device(rt.currentDevice()), count };
  } catch (err) {
    return { ok: false, reason: firstLine(err) };
  }
}
function listGpus(env) {
  try {
    const rt = cudaRuntime(env);
    const count = rt.deviceCount();
    if (count < 1)
      return { ok: false, reason: "no CUDA device" };
    return { ok: true, devices: Array.from({ length: count }, (_, i) => rt.device(i)), current: rt.currentDevice() };
  } catch (err) {
    return { ok: false, reason: firstLine(err) };
  }
}

export {
  inContext,
  cudaRuntime,
  probeGpu,
  listGpus
};
