import { readFileSync } from 'node:fs';
import type { Environment } from '../env.js';
import type { LaunchPlan } from '../plan/plan.js';
import type { KernelSpec } from '../spec.js';
import { cudaDriver } from '../ffi/cuda-driver.js';
import { cudaRuntime } from '../ffi/cudart.js';
import { loadLibrary, type FfiFunction, type FfiLibrary } from '../ffi/koffi.js';
import { planLauncher } from './plan-launcher.js';
import { unpackCubins, type CubinImage, type EarlyCubins, type UnitCubin } from '../compiler/cubin-set.js';
import { DwconvError } from '../errors.js';
import { ABI_VERSION } from '../version.js';
import { targetTraits } from '../backends/traits.js';
import type { Target } from '../target.js';

/** The target an artifact is built for: the package's exported name for Target. */
export type TargetDevice = Target;

/** The launcher of a loaded artifact and what it says about itself. */
export interface LoadedArtifact {
  /** (x, w, b, scale, shift, residual, pw, pb, y, N, C, H, W, stream) -> 0, -1 for arguments it cannot take, or a CUDA error. */
  readonly launch: (...args: unknown[]) => number;
  /** CPU: the same call on koffi's worker thread, so the event loop stays free. */
  readonly launchAsync?: (...args: unknown[]) => Promise<number>;
  readonly info: { readonly abi: number; readonly symbol: string; readonly target: string; readonly spec: unknown };
  /** Where some entries load after the rest (loadEarlyCubins): settles when they are loaded, or rejects with why they never will be. */
  readonly complete?: Promise<void>;
}

/**
 * dlopens an artifact and checks that it describes itself as the expected symbol, target and spec before
 * anything is called. CUDA artifacts take device addresses as integers, CPU artifacts take host buffers.
 */
export function loadArtifact(path: string, symbol: string, target: Target, specJson: string): LoadedArtifact {
  let lib: FfiLibrary;
  try {
    lib = loadLibrary(path);
  } catch (cause) {
    throw new DwconvError(`cannot load kernel library ${path}: ${(cause as Error).message}`, { cause });
  }
  const infoFn = lib.func(`const char* ${symbol}_info(void)`);
  let info: LoadedArtifact['info'];
  try {
    info = JSON.parse(infoFn() as string) as LoadedArtifact['info'];
  } catch (cause) {
    throw new DwconvError(`kernel library ${path} has an unreadable self-description`, { cause });
  }
  if (info.abi !== ABI_VERSION || info.symbol !== symbol || info.target !== target || JSON.stringify(info.spec) !== specJson) {
    throw new DwconvError(`kernel library ${path} describes itself as ${JSON.stringify(info)}, not as ${symbol} (abi ${ABI_VERSION}, ${target}, ${specJson})`);
  }
  const ptr = targetTraits(target).hasDevices ? 'uintptr_t' : 'void*';
  const launch: FfiFunction = lib.func(symbol, 'int', [ptr, ptr, ptr, ptr, ptr, ptr, ptr, ptr, ptr, 'int64_t', 'int64_t', 'int64_t', 'int64_t', 'uintptr_t']);
  const launchAsync = (...args: unknown[]) =>
    new Promise<number>((resolve, reject) => launch.async(...args, (err: unknown, result: number) => (err ? reject(err) : resolve(result))));
  return { launch: (...args) => launch(...args) as number, launchAsync, info };
}

// A device's SM count does not change while a process runs: read once per device.
const multiprocessorCounts = new Map<number, number>();

/** The SM count of the device a module loads into (its launches go there too). */
function multiprocessorsOf(env: Environment, index: number): number {
  let count = multiprocessorCounts.get(index);
  if (count === undefined) multiprocessorCounts.set(index, (count = cudaRuntime(env).device(index).multiprocessors));
  return count;
}

/**
 * Loads a cubin, or a set of them (an NVRTC build; cubin-set.ts), through the driver API into the
 * primary context of CUDA device `deviceIndex`, and launches it in that context whatever is current
 * when it is called. A cubin carries no self-description: its identity is the cache entry's (the key
 * covers the source), and every entry point is looked up now.
 */
export function loadCubin(path: string, env: Environment, plan: LaunchPlan, spec: KernelSpec, symbol: string, producedBy: string, deviceIndex: number): LoadedArtifact {
  return cubinLauncher(unpackCubins(readFileSync(path), path), undefined, { env, plan, spec, symbol, producedBy, deviceIndex, path });
}

/**
 * loadCubin for the first cubins of a build whose later programs still compile (EarlyCubins): their
 * entries join the launcher when those are compiled and loaded (`complete` then settles); meanwhile
 * their calls go to the plan's entries after them. `path`: where the whole artifact will lie.
 */
export function loadEarlyCubins(early: EarlyCubins, path: string, env: Environment, plan: LaunchPlan, spec: KernelSpec, symbol: string, producedBy: string, deviceIndex: number): LoadedArtifact {
  return cubinLauncher(early.cubins.map(imageOf), early, { env, plan, spec, symbol, producedBy, deviceIndex, path });
}

const imageOf = (c: UnitCubin): CubinImage => ({ entries: c.entries, image: c.cubin });

interface CubinLoad {
  readonly env: Environment;
  readonly plan: LaunchPlan;
  readonly spec: KernelSpec;
  readonly symbol: string;
  readonly producedBy: string;
  readonly deviceIndex: number;
  readonly path: string;
}

function cubinLauncher(images: readonly CubinImage[], early: EarlyCubins | undefined, l: CubinLoad): LoadedArtifact {
  const driver = cudaDriver(l.env);
  const context = driver.contextOf(cudaRuntime(l.env), l.deviceIndex);
  const multiprocessors = multiprocessorsOf(l.env, l.deviceIndex);
  const load = (image: Buffer) => driver.loadModule(image, l.producedBy);
  // Every other entry must be in `images`: a set that lacks one fails here, at load.
  const later = new Set(early?.laterEntries ?? []);
  const launch = driver.inContext(context, () => planLauncher(driver, modulesOf(images, load, l.path), l.plan, multiprocessors, later));
  const complete = early?.later.then((cubins) => driver.inContext(context, () => launch.addLater(modulesOf(cubins.map(imageOf), load, l.path))));
  return {
    launch: (...args) => driver.inContext(context, () => (launch as (...a: unknown[]) => number)(...args)),
    info: { abi: ABI_VERSION, symbol: l.symbol, target: 'cuda', spec: l.spec },
    ...(complete ? { complete } : {}),
  };
}

/**
 * Loads every image of a cubin file (one, or a set whose units were compiled apart) and answers which
 * module holds an entry: a plain cubin holds them all, a set's index names each one's.
 */
export function modulesOf(images: readonly CubinImage[], load: (image: Buffer) => unknown, path: string): (entry: string) => unknown {
  const modules = images.map((i) => ({ entries: i.entries, module: load(i.image) }));
  return (entry) => {
    const found = modules.find((m) => m.entries === undefined || m.entries.includes(entry));
    if (!found) throw new DwconvError(`cubin set ${path} holds no module with entry ${entry}`);
    return found.module;
  };
}
