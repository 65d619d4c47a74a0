import { generateCuda } from '../codegen/cuda.js';
import { CUBIN_NAME } from '../compiler/compilers.js';
import { checkDeviceIndex } from '../device.js';
import type { Environment } from '../env.js';
import { NoGpuReason } from './no-gpu.js';
import { cudaRuntime, probeGpu, type DeviceInfo, type GpuProbe } from '../ffi/cudart.js';
import { probeNvrtc } from '../ffi/nvrtc.js';
import { loadArtifact, loadCubin, loadEarlyCubins, type LoadedArtifact } from '../runtime/library.js';
import type { EarlyArtifact } from '../artifact.js';
import type { GeneratedSource } from '../codegen/common.js';
import type { KernelSpec } from '../spec.js';
import type { Backend, Probe } from './backend.js';
import { CUDA_TRAITS } from './traits.js';

/**
 * One CUDA device of this process, by index: its primary context and what is loaded in it. Several
 * devices are several objects; whatever is current on the calling thread, work for a device runs
 * with that device current (CudaRuntime.onDevice) and its cubins launch in its context.
 */
export class CudaDevice {
  constructor(readonly info: DeviceInfo) {}

  get index(): number {
    return this.info.index;
  }

  /** Initializes the device's primary context (cudaFree(0) on it): a cubin load needs it, a library's first launch would create it. */
  ensureContext(env: Environment): void {
    const rt = cudaRuntime(env);
    rt.onDevice(this.index, () => rt.ensureContext());
  }

  /**
   * Loads an artifact onto this device. A cubin is a module of this device's context. An nvcc library
   * is mapped once per process and serves every device: the CUDA runtime loads its code into each
   * device's context at the first launch there, and Kernel launches it with its device current.
   */
  load(path: string, generated: Omit<GeneratedSource, 'source'>, spec: KernelSpec, env: Environment, producedBy: string): LoadedArtifact {
    if (path.endsWith(CUBIN_NAME)) return loadCubin(path, env, generated.plan!, spec, generated.symbol, producedBy, this.index);
    return loadArtifact(path, generated.symbol, 'cuda', generated.specJson);
  }

  /** Loads the cubins an NVRTC build has compiled so far (its later ones join when compiled): a module set of this device's context. */
  loadEarly(early: EarlyArtifact, generated: Omit<GeneratedSource, 'source'>, spec: KernelSpec, env: Environment): LoadedArtifact {
    return loadEarlyCubins(early, early.path, env, generated.plan!, spec, generated.symbol, early.parts.compiler.version, this.index);
  }
}

// A GPU does not appear or vanish while a process runs: probed once per runtime library setting (which
// device is current is per thread and may change, so it is read at each call).
const probes = new Map<string, GpuProbe>();
function probeOnce(env: Environment): GpuProbe {
  const key = `${env.cudart ?? ''}\0${env.cudaHome ?? ''}`;
  let found = probes.get(key);
  if (found === undefined) probes.set(key, (found = probeGpu(env)));
  return found;
}

const devices = new Map<number, CudaDevice>();

/** CUDA device `index` (default: the calling thread's current one), or the reason there is no GPU. The index must exist (see deviceFor). */
export function cudaDevice(env: Environment, index?: number): CudaDevice | NoGpuReason {
  const found = probeOnce(env);
  if (!found.ok) return new NoGpuReason(found.reason);
  const rt = cudaRuntime(env);
  const chosen = index ?? rt.currentDevice();
  let device = devices.get(chosen);
  if (device === undefined) devices.set(chosen, (device = new CudaDevice(chosen === found.device.index ? found.device : rt.device(chosen))));
  return device;
}

/** The device kernels load on when none is asked for (the calling thread's current one), or the reason there is none. */
export function currentCudaDevice(env: Environment): CudaDevice | NoGpuReason {
  return cudaDevice(env);
}

function deviceOrThrow(env: Environment, index: number | undefined): CudaDevice {
  const device = cudaDevice(env, index);
  if (device instanceof NoGpuReason) throw device.error('load');
  return device;
}

export const cudaBackend: Backend = {
  ...CUDA_TRAITS,
  probe(env): Probe {
    const device = currentCudaDevice(env);
    return device instanceof NoGpuReason ? { ok: false, reason: device.reason } : { ok: true, detail: `${device.info.name} (${device.info.arch})` };
  },
  deviceFor(requested, env, needDevice) {
    if (requested === undefined && !needDevice) return undefined;
    const found = probeOnce(env);
    if (!found.ok) {
      // A build for a given arch needs no GPU: the index is kept as asked, unchecked.
      if (!needDevice) return requested === 'current' ? undefined : requested;
      throw new NoGpuReason(found.reason).error('load');
    }
    if (requested === undefined || requested === 'current') return cudaRuntime(env).currentDevice();
    checkDeviceIndex('options.device', requested, found.count);
    return requested;
  },
  archFor(given, env, needDevice, device) {
    if (given !== undefined && !needDevice) return given;
    const found = cudaDevice(env, device);
    if (found instanceof NoGpuReason) throw found.error(needDevice ? 'load' : 'arch');
    return given ?? found.info.arch;
  },
  cudaCompiler(choice, env, purpose) {
    if (choice !== 'auto') return choice;
    // NVRTC builds a cubin for one GPU, in process: what a load wants. build() fills caches that may
    // serve several archs, which only nvcc's libraries hold.
    return purpose !== 'build' && probeNvrtc(env).ok ? 'nvrtc' : 'nvcc';
  },
  generate: (spec, variant) => generateCuda(spec, variant),
  prepare(env, device) {
    deviceOrThrow(env, device).ensureContext(env);
  },
  load(path, generated, spec, env, producedBy, device) {
    return deviceOrThrow(env, device).load(path, generated, spec, env, producedBy);
  },
  loadEarly(early, generated, spec, env, device) {
    return deviceOrThrow(env, device).loadEarly(early, generated, spec, env);
  },
};
