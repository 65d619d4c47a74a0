import { readEnvironment } from '../../src/env.js';
import { nvccCandidates } from '../../src/compiler/toolchain.js';
import { probeGpu } from '../../src/ffi/cudart.js';
import { probeNvrtc } from '../../src/ffi/nvrtc.js';
import { cxxPath, executable } from './executables.js';

export { cxxPath, executable };

const env = readEnvironment();
export const hasCxx = cxxPath !== undefined;
export const hasNvcc = nvccCandidates(env).some(executable);
const gpu = probeGpu(env);
export const hasGpu = gpu.ok;
/** The GPU the suite runs on (the current device: 0, or DWCONV_JIT_TEST_DEVICE through test/gpu/setup-device.ts), or why there is none. */
export const gpuReason = gpu.ok ? `cuda:${gpu.device.index} ${gpu.device.name} ${gpu.device.arch}` : gpu.reason;
/** How many CUDA devices this process sees (0 without a usable GPU). */
export const gpuCount = gpu.ok ? gpu.count : 0;
/**
 * The SM count the launchers read from the device (separable launch rules scale with it); without a
 * GPU, the H100's and H200's 132, so the CPU runs of the shared suites check the shapes the GPU machine takes.
 */
export const gpuMultiprocessors = gpu.ok ? gpu.device.multiprocessors : 132;
if (!hasCxx) console.warn('toolchain tests skipped: no C++ compiler found');
if (!hasNvcc) console.warn('nvcc tests skipped: nvcc not found');
const nvrtcProbe = probeNvrtc(env);
/** libnvrtc loads (CI installs Debian's libnvrtc11.2; the GPU machine has CUDA 13's). */
export const hasNvrtc = nvrtcProbe.ok;
export const nvrtcReason = nvrtcProbe.ok ? `NVRTC ${nvrtcProbe.version}` : `no libnvrtc in ${nvrtcProbe.searched.slice(0, 3).join(', ')}, ...`;
if (!hasNvrtc) console.warn('NVRTC tests skipped: libnvrtc not found');
