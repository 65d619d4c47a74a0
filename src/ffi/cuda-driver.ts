// The CUDA driver API through koffi, loaded on first use: modules from cubins, and launches. It works
// in the runtime's primary context of each device, so streams and device pointers are shared with
// cudart.ts; a module is loaded, and its functions launched, with its device's context current.
import type { Environment } from '../env.js';
import { CudaError, DwconvError, ToolchainNotFoundError } from '../errors.js';
import type { Address, CudaRuntime } from './cudart.js';
import { inContext } from './current.js';
import { ffi, loadLibrary, type FfiFunction, type FfiLibrary } from './koffi.js';

/**
 * Results that mean: this code was built for something this driver or GPU cannot run. (The cache
 * checked the cubin's hash before this, so an image the driver calls invalid is not a corrupt one.)
 */
const TOO_NEW = new Map<number, string>([
  [200, 'CUDA_ERROR_INVALID_IMAGE'],
  [209, 'CUDA_ERROR_NO_BINARY_FOR_GPU'],
  [218, 'CUDA_ERROR_INVALID_PTX'],
  [222, 'CUDA_ERROR_UNSUPPORTED_PTX_VERSION'],
]);

export type CuFunction = unknown;

const CU_FUNC_ATTRIBUTE_PTX_VERSION = 5;
const CU_FUNC_ATTRIBUTE_BINARY_VERSION = 6;
const CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8;

export class CudaDriver {
  private readonly f: Record<string, FfiFunction>;
  /** The runtime's primary context of each device index, as a handle. */
  private readonly contexts = new Map<number, bigint>();

  private constructor(readonly version: number, lib: FfiLibrary) {
    const fn = (proto: string) => lib.func(proto);
    this.f = {
      moduleLoadData: fn('int cuModuleLoadData(_Out_ void** module, const uint8_t* image)'),
      moduleGetFunction: fn('int cuModuleGetFunction(_Out_ void** fn, void* module, const char* name)'),
      funcGetAttribute: fn('int cuFuncGetAttribute(_Out_ int* value, int attribute, void* fn)'),
      funcSetAttribute: fn('int cuFuncSetAttribute(void* fn, int attribute, int value)'),
      launch: fn('int cuLaunchKernel(void* f, unsigned int gx, unsigned int gy, unsigned int gz, unsigned int bx, unsigned int by, unsigned int bz, unsigned int shmem, uintptr_t stream, void* params, void* extra)'),
      errorName: fn('int cuGetErrorName(int error, _Out_ const char** name)'),
      // CUcontext is a pointer, taken here as an integer so that two handles compare by value.
      ctxGetCurrent: fn('int cuCtxGetCurrent(_Out_ uintptr_t* ctx)'),
      // cuda.h maps cuCtxPushCurrent and cuCtxPopCurrent to these _v2 symbols (since CUDA 4.0).
      ctxPush: fn('int cuCtxPushCurrent_v2(uintptr_t ctx)'),
      ctxPop: fn('int cuCtxPopCurrent_v2(_Out_ uintptr_t* ctx)'),
    };
  }

  // Loading creates no context: each device's is the runtime's, taken by contextOf when a module is loaded there.
  static load(_env: Environment): CudaDriver {
    for (const path of ['libcuda.so.1', 'libcuda.so']) {
      let lib: FfiLibrary;
      try {
        lib = loadLibrary(path);
      } catch {
        continue;
      }
      const version: number[] = [0];
      lib.func('int cuDriverGetVersion(_Out_ int* v)')(version);
      return new CudaDriver(version[0]!, lib);
    }
    throw new ToolchainNotFoundError('the CUDA driver (libcuda.so.1)', ['libcuda.so.1', 'libcuda.so'], 'install the NVIDIA driver');
  }

  /**
   * The runtime's primary context of device `index` (what cudaSetDevice binds and cudaMalloc allocates
   * in), initialized now if it was not: asked of the runtime rather than retained through cuDeviceGet, so
   * the two APIs cannot disagree about which device an index names.
   */
  contextOf(rt: CudaRuntime, index: number): bigint {
    let context = this.contexts.get(index);
    if (context === undefined) {
      context = rt.onDevice(index, () => {
        rt.ensureContext();
        return this.currentContext();
      });
      if (context === 0n) throw new DwconvError(`internal: no CUDA context is current after initializing device ${index}`);
      this.contexts.set(index, context);
    }
    return context;
  }

  /** Runs `fn` with `context` current on this thread (pushed, then popped), as module loads and launches need. */
  inContext<T>(context: bigint, fn: () => T): T {
    return inContext({ current: () => this.currentContext(), push: (c) => this.pushContext(c), pop: () => this.popContext() }, context, fn);
  }

  private currentContext(): bigint {
    const ctx: unknown[] = [null];
    this.check('cuCtxGetCurrent', this.f.ctxGetCurrent!(ctx) as number);
    return BigInt((ctx[0] as number | bigint | null) ?? 0);
  }

  private pushContext(context: bigint): void {
    this.check('cuCtxPushCurrent', this.f.ctxPush!(context) as number);
  }

  private popContext(): bigint {
    const ctx: unknown[] = [null];
    this.check('cuCtxPopCurrent', this.f.ctxPop!(ctx) as number);
    return BigInt((ctx[0] as number | bigint | null) ?? 0);
  }

  /** Loads a cubin into the current context; a driver too old for it is a clear error that says what to do. */
  loadModule(image: Uint8Array, producedBy: string): unknown {
    const mod: unknown[] = [null];
    const status = this.f.moduleLoadData!(mod, image) as number;
    if (TOO_NEW.has(status)) {
      throw new DwconvError(
        `the CUDA driver (version ${this.formatVersion()}) cannot load code from ${producedBy} (${TOO_NEW.get(status)}): ` +
        "NVRTC is newer than the driver supports, or built for another GPU. Update the driver, point DWCONV_JIT_NVRTC at an NVRTC no newer than the driver, or use compiler: 'nvcc'",
      );
    }
    this.check('cuModuleLoadData', status);
    return mod[0];
  }

  getFunction(module: unknown, name: string): CuFunction {
    const fn: unknown[] = [null];
    this.check(`cuModuleGetFunction(${name})`, this.f.moduleGetFunction!(fn, module, name) as number);
    return fn[0];
  }

  /** The compute capability (major * 10 + minor) that a function's loaded code was built for. */
  binaryVersion(fn: CuFunction): number {
    const value: number[] = [0];
    this.check('cuFuncGetAttribute(CU_FUNC_ATTRIBUTE_BINARY_VERSION)', this.f.funcGetAttribute!(value, CU_FUNC_ATTRIBUTE_BINARY_VERSION, fn) as number);
    return value[0]!;
  }

  /**
   * The virtual arch (major * 10 + minor) a function's code was compiled from: for PTX JIT-compiled
   * by the driver, the PTX's own (compute_80 PTX run on an H100 reads 80 here and 90 as binaryVersion).
   */
  ptxVersion(fn: CuFunction): number {
    const value: number[] = [0];
    this.check('cuFuncGetAttribute(CU_FUNC_ATTRIBUTE_PTX_VERSION)', this.f.funcGetAttribute!(value, CU_FUNC_ATTRIBUTE_PTX_VERSION, fn) as number);
    return value[0]!;
  }

  /** Lets a function's launches ask for more than 48 KiB of dynamic shared memory. */
  allowSharedMemory(fn: CuFunction, bytes: number): void {
    this.check('cuFuncSetAttribute(CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES)', this.f.funcSetAttribute!(fn, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes) as number);
  }

  /** Queues a launch; `params` is the kernelParams array (addresses of each argument's value). */
  launch(fn: CuFunction, grid: readonly [number, number], threads: number, stream: Address, params: BigUint64Array, sharedBytes = 0): number {
    return this.f.launch!(fn, grid[0], grid[1], 1, threads, 1, 1, sharedBytes, stream, params, null) as number;
  }

  errorName(status: number): string {
    const name: (string | null)[] = [null];
    return (this.f.errorName!(status, name) as number) === 0 && name[0] ? name[0] : `CUresult ${status}`;
  }

  private check(call: string, status: number): void {
    if (status !== 0) throw new CudaError(call, status, this.errorName(status));
  }

  private formatVersion(): string {
    return `${Math.floor(this.version / 1000)}.${(this.version % 1000) / 10}`;
  }
}

/**
 * Memory for a launch's argument values that lives as long as the launcher (the driver reads the
 * values when a launch is queued): a view to write them, and its address for kernelParams.
 */
export function allocateParamBlock(bytes: number): { readonly view: DataView; readonly address: bigint } {
  const koffi = ffi();
  const block = koffi.alloc('uint8_t', bytes);
  return { view: new DataView(koffi.view(block, bytes)), address: BigInt(koffi.address(block)) };
}

let driver: CudaDriver | undefined;
export function cudaDriver(env: Environment): CudaDriver {
  driver ??= CudaDriver.load(env);
  return driver;
}
