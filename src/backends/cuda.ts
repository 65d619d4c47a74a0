import { generateCuda } from '../codegen/cuda.js';
import { CUBIN_NAME } from '../compiler/compilers.js';
import type { Environment } from '../env.js';
import { NoGpuReason } from './no-gpu.js';
import { cudaRuntime, probeGpu, type DeviceInfo } from '../ffi/cudart.js';
import { probeNvrtc } from '../ffi/nvrtc.js';
import { loadArtifact, loadCubin } from '../runtime/library.js';
import type { Backend, Probe } from './backend.js';

/**
 * One CUDA device of this process: its primary context and what has been loaded on it. The index is
 * a field so that several devices are several objects; launches today go to the current device.
 */
export class CudaDevice {
  constructor(readonly info: DeviceInfo) {}

  get index(): number {
    return this.info.index;
  }

  /** Makes the device's primary context current on this thread: a cubin load needs it, a library's first launch would create it. */
  ensureContext(env: Environment): void {
    cudaRuntime(env).ensureContext();
  }
}

// A GPU does not appear or vanish while a process runs: probed once per runtime library setting.
const probes = new Map<string, ReturnType<typeof probeGpu>>();
function probeOnce(env: Environment): ReturnType<typeof probeGpu> {
  const key = `${env.cudart ?? ''}\0${env.cudaHome ?? ''}`;
  let found = probes.get(key);
  if (found === undefined) probes.set(key, (found = probeGpu(env)));
  return found;
}

const devices = new Map<number, CudaDevice>();

/** The device kernels load on (the current one), or the reason there is none. */
export function currentCudaDevice(env: Environment): CudaDevice | NoGpuReason {
  const found = probeOnce(env);
  if (!found.ok) return new NoGpuReason(found.reason);
  let device = devices.get(found.device.index);
  if (device === undefined) devices.set(found.device.index, (device = new CudaDevice(found.device)));
  return device;
}

export const cudaBackend: Backend = {
  target: 'cuda',
  probe(env): Probe {
    const device = currentCudaDevice(env);
    return device instanceof NoGpuReason ? { ok: false, reason: device.reason } : { ok: true, detail: `${device.info.name} (${device.info.arch})` };
  },
  archFor(given, env, needDevice) {
    if (given !== undefined && !needDevice) return given;
    const device = currentCudaDevice(env);
    if (device instanceof NoGpuReason) throw device.error(needDevice ? 'load' : 'arch');
    return given ?? device.info.arch;
  },
  cudaCompiler(choice, env, purpose) {
    if (choice !== 'auto') return choice;
    // NVRTC builds a cubin for one GPU, in process: what a load wants. build() fills caches that may
    // serve several archs, which only nvcc's libraries hold.
    return purpose !== 'build' && probeNvrtc(env).ok ? 'nvrtc' : 'nvcc';
  },
  generate: (spec, variant) => generateCuda(spec, variant),
  prepare(env) {
    const device = currentCudaDevice(env);
    if (device instanceof NoGpuReason) throw device.error('load');
    device.ensureContext(env);
  },
  load(path, generated, spec, env, producedBy) {
    if (path.endsWith(CUBIN_NAME)) return loadCubin(path, env, generated.plan!, spec, generated.symbol, producedBy);
    return loadArtifact(path, generated.symbol, 'cuda', generated.specJson);
  },
};
