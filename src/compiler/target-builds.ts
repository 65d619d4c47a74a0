// How each target's sources are built, as the cache key names it: which compiler process makes its
// artifacts, with which flags, for which arch. One entry per target, so that the key's code asks the
// target instead of branching on its name. NVRTC (CUDA in-process) is the CUDA entry's alternative,
// chosen by the compile options.
import { cpus } from 'node:os';
import type { Environment } from '../env.js';
import type { Target } from '../target.js';
import { cxxFlags, nvccFlags } from './compilers.js';
import { findCxx, findNvcc, type Tool } from './toolchain.js';

/** This machine's CPU, as a CPU build's arch: the model and architecture (it is built with -march=native). */
export function cpuIdentity(): string {
  return `${process.arch} ${cpus()[0]?.model ?? 'unknown cpu'}`;
}

export interface TargetBuild {
  /** Whether a build names the archs it is for (CUDA); a CPU build is for this machine's CPU. */
  readonly needsArchs: boolean;
  /** Whether NVRTC can build it in-process instead of the compiler process. */
  readonly nvrtc: boolean;
  /** The compiler process, found and fingerprinted (remembered in `store`, the cache directory). */
  findTool(env: Environment, store: string | undefined): Promise<Tool>;
  /** The compiler process's flags for these archs. */
  flags(archs: readonly string[], ptx: boolean | undefined): string[];
  /** The key's arch part: 'sm_80+sm_90+ptx', or the CPU identity. */
  archPart(archs: readonly string[], ptx: boolean | undefined): string;
  /** What a loaded artifact must run on: the device's arch, or this CPU. */
  runsOn(archs: readonly string[] | undefined, deviceArch: string | undefined): string | undefined;
}

const BUILDS: Readonly<Record<Target, TargetBuild>> = {
  cuda: {
    needsArchs: true,
    nvrtc: true,
    findTool: findNvcc,
    flags: (archs, ptx) => nvccFlags([...archs], ptx),
    archPart: (archs, ptx) => [...archs, ...(ptx ? ['ptx'] : [])].join('+'),
    runsOn: (archs, deviceArch) => deviceArch ?? archs?.[0],
  },
  cpu: {
    needsArchs: false,
    nvrtc: false,
    findTool: findCxx,
    flags: () => cxxFlags(),
    archPart: () => cpuIdentity(),
    runsOn: () => cpuIdentity(),
  },
};

export function targetBuild(target: Target): TargetBuild {
  return BUILDS[target];
}
