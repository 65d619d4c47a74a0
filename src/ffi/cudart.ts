// The CUDA runtime through koffi, loaded on first use. Device pointers and streams are plain addresses.
import { join } from 'node:path';
import { loadLibrary, type FfiFunction, type FfiLibrary } from './koffi.js';
import { OVERRIDE_VARIABLES, type Environment } from '../env.js';
import { CudaError, OverridePathError, ToolchainNotFoundError } from '../errors.js';
import { onDevice } from './current.js';

export type Address = number | bigint;

const MEMCPY_HOST_TO_DEVICE = 1;
const MEMCPY_DEVICE_TO_HOST = 2;
const MEMCPY_DEVICE_TO_DEVICE = 3;
const ATTR_CC_MAJOR = 75;
const ATTR_CC_MINOR = 76;
const ATTR_SM_COUNT = 16;
const ATTR_PCI_BUS = 33;
const ATTR_PCI_DEVICE = 34;
const ATTR_PCI_DOMAIN = 50;
const PROPS_BYTES = 4096; // cudaDeviceProp is about 1 KB; its first field is the 256-byte name
/** cudaPointerAttributes since CUDA 11: { cudaMemoryType type; int device; void* devicePointer; void* hostPointer }. */
// cudaPointerAttributes grew in CUDA 13 (an anonymous union and seven reserved longs after the four fields
// read here: 88 bytes); a 24-byte buffer let cudaPointerGetAttributes overwrite the heap. Room to spare.
const POINTER_ATTRIBUTES_BYTES = 256;
const MEMORY_TYPES = ['unregistered', 'host', 'device', 'managed'] as const;
const CUDA_ERROR_INVALID_VALUE = 1;

/** What the runtime knows of an address: its memory type and the device it belongs to. */
export interface PointerAttributes {
  readonly type: (typeof MEMORY_TYPES)[number];
  readonly device: number;
}

export interface DeviceInfo {
  /** The runtime's ordinal (after CUDA_VISIBLE_DEVICES): what `device: n` names. */
  readonly index: number;
  readonly name: string;
  readonly arch: string;
  readonly multiprocessors: number;
  /** domain:bus:device.function, as lspci and cudaDeviceGetPCIBusId write it (nvidia-smi pads the domain to 8 digits): tells identical GPUs apart. */
  readonly pciBusId: string;
}

function libraryCandidates(env: Environment): string[] {
  // An explicit library is the only one tried: falling back would run against another CUDA than asked for.
  if (env.cudart) return [env.cudart];
  const dirs = [env.cudaHome, '/usr/local/cuda'].filter((d): d is string => !!d).flatMap((d) => [join(d, 'lib64'), join(d, 'targets/x86_64-linux/lib')]);
  const names = ['libcudart.so.13', 'libcudart.so.12', 'libcudart.so'];
  return [...names, ...dirs.flatMap((d) => names.map((n) => join(d, n)))];
}

/** Typed wrappers over the runtime calls this library needs; each failing status becomes a CudaError. */
export class CudaRuntime {
  private readonly f;

  private constructor(readonly libraryPath: string, lib: FfiLibrary) {
    const fn = (proto: string) => lib.func(proto);
    const props = (() => {
      try {
        return lib.func('int cudaGetDeviceProperties_v2(_Out_ uint8_t* prop, int device)');
      } catch {
        return lib.func('int cudaGetDeviceProperties(_Out_ uint8_t* prop, int device)');
      }
    })();
    this.f = {
      getDeviceCount: fn('int cudaGetDeviceCount(_Out_ int* count)'),
      getAttribute: fn('int cudaDeviceGetAttribute(_Out_ int* value, int attr, int device)'),
      getProps: props,
      setDevice: fn('int cudaSetDevice(int device)'),
      getDevice: fn('int cudaGetDevice(_Out_ int* device)'),
      malloc: fn('int cudaMalloc(_Out_ uintptr_t* ptr, size_t size)'),
      free: fn('int cudaFree(uintptr_t ptr)'),
      memcpyHtoD: lib.func('cudaMemcpy', 'int', ['uintptr_t', 'void*', 'size_t', 'int']),
      memcpyDtoH: lib.func('cudaMemcpy', 'int', ['void*', 'uintptr_t', 'size_t', 'int']),
      memcpyDtoD: lib.func('cudaMemcpy', 'int', ['uintptr_t', 'uintptr_t', 'size_t', 'int']),
      memsetAsync: fn('int cudaMemsetAsync(uintptr_t ptr, int value, size_t count, uintptr_t stream)'),
      memcpyDtoDAsync: lib.func('cudaMemcpyAsync', 'int', ['uintptr_t', 'uintptr_t', 'size_t', 'int', 'uintptr_t']),
      streamCreate: fn('int cudaStreamCreate(_Out_ uintptr_t* stream)'),
      streamDestroy: fn('int cudaStreamDestroy(uintptr_t stream)'),
      streamSynchronize: fn('int cudaStreamSynchronize(uintptr_t stream)'),
      deviceSynchronize: fn('int cudaDeviceSynchronize()'),
      getLastError: fn('int cudaGetLastError()'),
      pointerGetAttributes: fn('int cudaPointerGetAttributes(_Out_ uint8_t* attributes, uintptr_t ptr)'),
      errorName: fn('const char* cudaGetErrorName(int error)'),
      errorString: fn('const char* cudaGetErrorString(int error)'),
      eventCreate: fn('int cudaEventCreate(_Out_ uintptr_t* event)'),
      eventRecord: fn('int cudaEventRecord(uintptr_t event, uintptr_t stream)'),
      eventSynchronize: fn('int cudaEventSynchronize(uintptr_t event)'),
      eventElapsed: fn('int cudaEventElapsedTime(_Out_ float* ms, uintptr_t start, uintptr_t end)'),
      eventDestroy: fn('int cudaEventDestroy(uintptr_t event)'),
      runtimeVersion: fn('int cudaRuntimeGetVersion(_Out_ int* version)'),
      driverVersion: fn('int cudaDriverGetVersion(_Out_ int* version)'),
    };
  }

  static load(env: Environment): CudaRuntime {
    const candidates = libraryCandidates(env);
    const errors: string[] = [];
    for (const path of candidates) {
      try {
        return new CudaRuntime(path, loadLibrary(path));
      } catch (err) {
        errors.push(`${path}: ${(err as Error).message}`);
      }
    }
    if (env.cudart) throw new OverridePathError(OVERRIDE_VARIABLES.cudart, env.cudart, `does not load (${errors[0] ?? 'unknown error'})`);
    throw new ToolchainNotFoundError('the CUDA runtime (libcudart)', candidates, 'Install the CUDA toolkit or runtime, add its lib64 folder to LD_LIBRARY_PATH, or set DWCONV_JIT_CUDART.', { cause: new Error(errors.join('\n')) });
  }

  /** Throws CudaError for a non-zero status. */
  check(call: string, status: number): void {
    if (status !== 0) throw new CudaError(call, status, `${this.f.errorName(status) as string}: ${this.f.errorString(status) as string}`);
  }

  private out<T>(call: string, f: FfiFunction, ...args: unknown[]): T {
    const slot: unknown[] = [null];
    this.check(call, f(slot, ...args) as number);
    return slot[0] as T;
  }

  deviceCount(): number {
    return this.out<number>('cudaGetDeviceCount', this.f.getDeviceCount);
  }

  runtimeVersion(): number {
    return this.out<number>('cudaRuntimeGetVersion', this.f.runtimeVersion);
  }

  driverVersion(): number {
    return this.out<number>('cudaDriverGetVersion', this.f.driverVersion);
  }

  currentDevice(): number {
    return this.out<number>('cudaGetDevice', this.f.getDevice);
  }

  device(index: number): DeviceInfo {
    const attr = (a: number) => this.out<number>('cudaDeviceGetAttribute', this.f.getAttribute, a, index);
    const props = Buffer.alloc(PROPS_BYTES);
    this.check('cudaGetDeviceProperties', this.f.getProps(props, index) as number);
    const name = props.subarray(0, 256).toString('latin1').replace(/\0.*$/s, '');
    const hex = (value: number, digits: number) => value.toString(16).padStart(digits, '0');
    const pciBusId = `${hex(attr(ATTR_PCI_DOMAIN), 4)}:${hex(attr(ATTR_PCI_BUS), 2)}:${hex(attr(ATTR_PCI_DEVICE), 2)}.0`;
    return { index, name, arch: `sm_${attr(ATTR_CC_MAJOR)}${attr(ATTR_CC_MINOR)}`, multiprocessors: attr(ATTR_SM_COUNT), pciBusId };
  }

  /** Makes `index` this thread's current device (binding its primary context): what allocations, streams, events and runtime launches then use. */
  setDevice(index: number): void {
    this.check(`cudaSetDevice(${index})`, this.f.setDevice(index) as number);
  }

  /**
   * Runs `fn` with device `index` current on this thread, then makes the previous device current
   * again: `rt.onDevice(1, () => rt.streamCreate())` is a stream of device 1, and the thread's own
   * current device is left as it was.
   */
  onDevice<T>(index: number, fn: () => T): T {
    return onDevice({ get: () => this.currentDevice(), set: (d) => this.setDevice(d) }, index, fn);
  }

  /** The memory type and device of `ptr`; an address the runtime does not know is 'unregistered'. */
  pointerAttributes(ptr: Address): PointerAttributes {
    const attributes = Buffer.alloc(POINTER_ATTRIBUTES_BYTES);
    const status = this.f.pointerGetAttributes(attributes, ptr) as number;
    // Runtimes before CUDA 11 answer an unknown host pointer with this error (and leave it as the last error).
    if (status === CUDA_ERROR_INVALID_VALUE) {
      this.f.getLastError();
      return { type: 'unregistered', device: -1 };
    }
    this.check('cudaPointerGetAttributes', status);
    return { type: MEMORY_TYPES[attributes.readInt32LE(0)] ?? 'unregistered', device: attributes.readInt32LE(4) };
  }

  malloc(bytes: number): Address {
    return this.out<Address>('cudaMalloc', this.f.malloc, bytes);
  }

  free(ptr: Address): void {
    this.check('cudaFree', this.f.free(ptr) as number);
  }

  copyToDevice(dst: Address, src: ArrayBufferView, bytes = src.byteLength): void {
    this.check('cudaMemcpy(HostToDevice)', this.f.memcpyHtoD(dst, src, bytes, MEMCPY_HOST_TO_DEVICE) as number);
  }

  copyToHost(dst: ArrayBufferView, src: Address, bytes = dst.byteLength): void {
    this.check('cudaMemcpy(DeviceToHost)', this.f.memcpyDtoH(dst, src, bytes, MEMCPY_DEVICE_TO_HOST) as number);
  }

  copyDeviceToDevice(dst: Address, src: Address, bytes: number, stream: Address = 0): void {
    this.check('cudaMemcpyAsync(DeviceToDevice)', this.f.memcpyDtoDAsync(dst, src, bytes, MEMCPY_DEVICE_TO_DEVICE, stream) as number);
  }

  memset(ptr: Address, value: number, bytes: number, stream: Address = 0): void {
    this.check('cudaMemsetAsync', this.f.memsetAsync(ptr, value, bytes, stream) as number);
  }

  streamCreate(): Address {
    return this.out<Address>('cudaStreamCreate', this.f.streamCreate);
  }

  streamDestroy(stream: Address): void {
    this.check('cudaStreamDestroy', this.f.streamDestroy(stream) as number);
  }

  synchronize(stream?: Address): void {
    if (stream === undefined) this.check('cudaDeviceSynchronize', this.f.deviceSynchronize() as number);
    else this.check('cudaStreamSynchronize', this.f.streamSynchronize(stream) as number);
  }

  /** Makes the current device's primary context current on this thread (cudaFree(0) initializes it), for driver API calls. */
  ensureContext(): void {
    this.check('cudaFree(0)', this.f.free(0) as number);
  }

  eventCreate(): Address {
    return this.out<Address>('cudaEventCreate', this.f.eventCreate);
  }

  eventRecord(event: Address, stream: Address = 0): void {
    this.check('cudaEventRecord', this.f.eventRecord(event, stream) as number);
  }

  eventElapsedMs(start: Address, end: Address): number {
    this.check('cudaEventSynchronize', this.f.eventSynchronize(end) as number);
    return this.out<number>('cudaEventElapsedTime', this.f.eventElapsed, start, end);
  }

  eventDestroy(event: Address): void {
    this.check('cudaEventDestroy', this.f.eventDestroy(event) as number);
  }
}

let runtime: CudaRuntime | undefined;

/** The process's one CUDA runtime instance, loaded on first use. */
export function cudaRuntime(env: Environment): CudaRuntime {
  runtime ??= CudaRuntime.load(env);
  return runtime;
}

/** What probeGpu found: a usable GPU (the current one, and how many there are), or the reason there is none. */
export type GpuProbe = { readonly ok: true; readonly device: DeviceInfo; readonly count: number } | { readonly ok: false; readonly reason: string };

const firstLine = (err: unknown) => (err instanceof Error ? err.message.split('\n')[0]! : String(err));

/** A usable GPU, or the reason there is none (no runtime library, no driver, no device). */
export function probeGpu(env: Environment): GpuProbe {
  try {
    const rt = cudaRuntime(env);
    const count = rt.deviceCount();
    if (count < 1) return { ok: false, reason: 'no CUDA device' };
    return { ok: true, device: rt.device(rt.currentDevice()), count };
  } catch (err) {
    return { ok: false, reason: firstLine(err) };
  }
}

/** Every CUDA device of this process (what CUDA_VISIBLE_DEVICES leaves), by index; no context is created. */
export type GpuList = { readonly ok: true; readonly devices: readonly DeviceInfo[]; readonly current: number } | { readonly ok: false; readonly reason: string };

export function listGpus(env: Environment): GpuList {
  try {
    const rt = cudaRuntime(env);
    const count = rt.deviceCount();
    if (count < 1) return { ok: false, reason: 'no CUDA device' };
    return { ok: true, devices: Array.from({ length: count }, (_, i) => rt.device(i)), current: rt.currentDevice() };
  } catch (err) {
    return { ok: false, reason: firstLine(err) };
  }
}
