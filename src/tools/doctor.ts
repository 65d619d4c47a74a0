import { statfs } from 'node:fs/promises';
import { brokenOverrides, readEnvironment } from '../env.js';
import { DwconvError, OverridePathError, ToolchainNotFoundError } from '../errors.js';
import { defaultCacheDir } from '../artifact.js';
import { DiskCache } from '../cache/disk-cache.js';
import { findCxx, findNvcc } from '../compiler/toolchain.js';
import { cudaRuntime, listGpus, type DeviceInfo } from '../ffi/cudart.js';
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
  /** Every CUDA device this process sees, by index (what `device: n` names); empty without a usable GPU. */
  readonly gpus: readonly DeviceInfo[];
  /** Whether `target: 'auto'` can compile and run a kernel here. */
  readonly usable: boolean;
}

/** The GPU check's line: every device, the current one (the default for compile) marked. */
export function describeGpus(devices: readonly DeviceInfo[], current: number): string {
  const one = (d: DeviceInfo) => `cuda:${d.index}${d.index === current ? ' (current)' : ''} ${d.name}, ${d.arch}, ${d.multiprocessors} SMs, PCI ${d.pciBusId}`;
  return `${devices.length} CUDA device${devices.length === 1 ? '' : 's'}: ${devices.map(one).join('; ')}`;
}

const message = (err: unknown) => {
  if (err instanceof ToolchainNotFoundError && !(err instanceof OverridePathError)) {
    return `${err.tool} not found; searched ${err.searched.slice(0, 3).join(', ')}${err.searched.length > 3 ? `, ... (${err.searched.length} places)` : ''}`;
  }
  return err instanceof Error ? err.message.split('\n')[0]! : String(err);
};
const fixOf = (err: unknown, fallback: string) => (err instanceof DwconvError && 'fix' in err ? String((err as { fix: unknown }).fix) : fallback);

export interface DoctorOptions {
  /** The cache directory to check; default DWCONV_JIT_CACHE_DIR, else the per-user cache directory. */
  readonly cacheDir?: string;
  /** Environment to read instead of process.env. */
  readonly env?: NodeJS.ProcessEnv;
}

/** What this machine offers the library, each problem with its fix. Changes nothing but creating the cache directory. */
export async function runDoctor(options: DoctorOptions = {}): Promise<DoctorReport> {
  const env = readEnvironment(options.env);
  const checks: Check[] = [{ name: 'node', ok: true, detail: `${process.version}, FFI: koffi ${ffiVersion()}` }];
  // An override that points at nothing makes compile() fail (it is never replaced by another tool), so it is a failed check.
  const overrides = brokenOverrides(env).map((err): Check => ({ name: err.variable, ok: false, detail: `${err.variable}=${err.value} ${err.problem}`, fix: `point ${err.variable} at a working one, or unset it` }));
  checks.push(...overrides);
  const broken = new Set(brokenOverrides(env).map((e) => e.variable));
  // compile() refuses a broken override rather than use another tool, so the tool's check fails with it.
  const overridden = (variable: string, name: string): Check | undefined => (broken.has(variable) ? { name, ok: false, detail: `not used: ${variable} points at nothing (above)`, fix: `fix or unset ${variable}` } : undefined);
  const cxx = overridden('CXX', 'C++ compiler (CPU target)') ?? await findCxx(env).then(
    (t) => ({ name: 'C++ compiler (CPU target)', ok: true, detail: `${t.path}: ${t.version}` }),
    (err: unknown) => ({ name: 'C++ compiler (CPU target)', ok: false, detail: message(err), fix: fixOf(err, 'install g++') }),
  );
  checks.push(cxx);
  const nvcc = overridden('DWCONV_JIT_NVCC', 'nvcc (CUDA target)') ?? await findNvcc(env).then(
    (t) => ({ name: 'nvcc (CUDA target)', ok: true, detail: `${t.path}: ${t.version}` }),
    (err: unknown) => ({ name: 'nvcc (CUDA target)', ok: false, detail: message(err), fix: fixOf(err, 'install the CUDA toolkit') }),
  );
  checks.push(nvcc);
  const nvrtc = probeNvrtc(env);
  checks.push(nvrtc.ok
    ? { name: 'NVRTC', ok: true, detail: `${nvrtc.path}: ${nvrtc.version} (compile() uses it for the GPU in use; build() and precompile use nvcc)` }
    : { name: 'NVRTC', ok: false, detail: `not loaded: ${message(nvrtc.error)}`, fix: fixOf(nvrtc.error, 'optional with nvcc: install the CUDA toolkit (or libnvrtc) and set DWCONV_JIT_NVRTC or add its lib64 to LD_LIBRARY_PATH; compile() uses nvcc meanwhile') });
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
  const gpu = runtimeOk ? listGpus(env) : ({ ok: false, reason: 'no CUDA runtime' } as const);
  checks.push(gpu.ok
    ? { name: 'GPU', ok: true, detail: describeGpus(gpu.devices, gpu.current) }
    : { name: 'GPU', ok: false, detail: gpu.reason, fix: "without a GPU, target 'auto' uses the CPU; for CUDA install the NVIDIA driver on a machine with a GPU" });
  const root = options.cacheDir ?? defaultCacheDir(env);
  try {
    await DiskCache.open(root);
    const fs = await statfs(root);
    const free = (fs.bavail * fs.bsize) / 2 ** 30;
    checks.push({ name: 'cache directory', ok: free > 0.1, detail: `${root} (owned by this user, mode 700, ${free.toFixed(1)} GiB free)`, ...(free > 0.1 ? {} : { fix: 'free disk space or set DWCONV_JIT_CACHE_DIR elsewhere' }) });
  } catch (err) {
    checks.push({ name: 'cache directory', ok: false, detail: message(err), fix: 'set DWCONV_JIT_CACHE_DIR (or --cache-dir) to a directory of your own, mode 700' });
  }
  const cacheOk = checks.at(-1)!.ok;
  // compile() needs the C++ compiler for the CPU target, or a GPU with either CUDA compiler.
  const usable = cacheOk && overrides.length === 0 && (cxx.ok || (gpu.ok && (nvcc.ok || nvrtc.ok)));
  return { version: PACKAGE_VERSION, checks, gpus: gpu.ok ? gpu.devices : [], usable };
}
