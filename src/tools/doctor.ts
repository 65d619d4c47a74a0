import { statfs } from 'node:fs/promises';
import { readEnvironment } from '../env.js';
import { DwconvError } from '../errors.js';
import { defaultCacheDir } from '../artifact.js';
import { DiskCache } from '../cache/disk-cache.js';
import { findCxx, findNvcc } from '../compiler/toolchain.js';
import { cudaRuntime, probeGpu } from '../ffi/cudart.js';
import { ffiVersion } from '../ffi/koffi.js';
import { probeNvrtc } from '../ffi/nvrtc.js';
import { PACKAGE_VERSION } from '../version.js';

export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
  /** What to do about it, when not ok. */
  readonly fix?: string;
}

export interface DoctorReport {
  readonly version: string;
  readonly checks: readonly Check[];
  /** Whether `target: 'auto'` can compile and run a kernel here. */
  readonly usable: boolean;
}

const message = (err: unknown) => (err instanceof Error ? err.message.split('\n')[0]! : String(err));
const fixOf = (err: unknown, fallback: string) => (err instanceof DwconvError && 'fix' in err ? String((err as { fix: unknown }).fix) : fallback);

/** What this machine offers the library, each problem with its fix. Changes nothing but creating the cache directory. */
export async function runDoctor(cacheDir?: string): Promise<DoctorReport> {
  const env = readEnvironment();
  const checks: Check[] = [{ name: 'node', ok: true, detail: `${process.version}, FFI: koffi ${ffiVersion()}` }];
  const cxx = await findCxx(env).then(
    (t) => ({ name: 'C++ compiler (CPU target)', ok: true, detail: `${t.path}: ${t.version}` }),
    (err: unknown) => ({ name: 'C++ compiler (CPU target)', ok: false, detail: message(err), fix: fixOf(err, 'install g++') }),
  );
  checks.push(cxx);
  const nvcc = await findNvcc(env).then(
    (t) => ({ name: 'nvcc (CUDA target)', ok: true, detail: `${t.path}: ${t.version}` }),
    (err: unknown) => ({ name: 'nvcc (CUDA target)', ok: false, detail: message(err), fix: fixOf(err, 'install the CUDA toolkit') }),
  );
  checks.push(nvcc);
  const nvrtc = probeNvrtc(env);
  checks.push(nvrtc.ok
    ? { name: 'NVRTC', ok: true, detail: `${nvrtc.path}: ${nvrtc.version} (not used yet: the in-process compiler is issue 5)` }
    : { name: 'NVRTC', ok: false, detail: `not found; searched ${nvrtc.searched.slice(0, 4).join(', ')}, ...`, fix: 'optional: install the CUDA toolkit (or libnvrtc) and add its lib64 to LD_LIBRARY_PATH; nvcc is used meanwhile' });
  let runtimeOk = false;
  try {
    const rt = cudaRuntime(env);
    const version = rt.runtimeVersion();
    let driver = 'unknown';
    try {
      driver = String(rt.driverVersion());
    } catch {
      // reported through the GPU check below
    }
    checks.push({ name: 'CUDA runtime', ok: true, detail: `${rt.libraryPath}: runtime ${version}, driver ${driver}` });
    runtimeOk = true;
  } catch (err) {
    checks.push({ name: 'CUDA runtime', ok: false, detail: message(err), fix: fixOf(err, 'install the CUDA runtime') });
  }
  const gpu = runtimeOk ? probeGpu(env) : ({ ok: false, reason: 'no CUDA runtime' } as const);
  checks.push(gpu.ok
    ? { name: 'GPU', ok: true, detail: `${gpu.device.name}, ${gpu.device.arch}, ${gpu.device.multiprocessors} SMs` }
    : { name: 'GPU', ok: false, detail: gpu.reason, fix: "without a GPU, target 'auto' uses the CPU; for CUDA install the NVIDIA driver on a machine with a GPU" });
  const root = cacheDir ?? defaultCacheDir(env);
  try {
    await DiskCache.open(root);
    const fs = await statfs(root);
    const free = (fs.bavail * fs.bsize) / 2 ** 30;
    checks.push({ name: 'cache directory', ok: free > 0.1, detail: `${root} (owned by this user, mode 700, ${free.toFixed(1)} GiB free)`, ...(free > 0.1 ? {} : { fix: 'free disk space or set DWCONV_JIT_CACHE_DIR elsewhere' }) });
  } catch (err) {
    checks.push({ name: 'cache directory', ok: false, detail: message(err), fix: 'set DWCONV_JIT_CACHE_DIR (or --cache-dir) to a directory of your own, mode 700' });
  }
  const cacheOk = checks.at(-1)!.ok;
  const usable = cacheOk && (cxx.ok || (gpu.ok && nvcc.ok));
  return { version: PACKAGE_VERSION, checks, usable };
}
