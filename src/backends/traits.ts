// What the layers below the backends may know of a target: facts and pure functions, with no
// codegen, FFI or loader behind them. The cache and the runtime must not import the backends (those
// generate and load), so they ask a target's traits here; each Backend carries its target's traits too.
import { embeddedArchs, runsOn } from '../compiler/arch.js';
import { embeddedCode } from '../compiler/fatbin.js';
import type { Target } from '../target.js';

export interface TargetTraits {
  readonly target: Target;
  /** The compiler its shared libraries come from, as the library check counts their initializers ('nvcc' | 'cxx'). */
  readonly libraryCompiler: 'nvcc' | 'cxx';
  /**
   * Its kernels run on a device: each has a device index, takes device addresses (integers), and its
   * launch is only queued (the status it returns is a CUDA error). Otherwise kernels run on the host
   * with host buffers, and a launch returns when it is done.
   */
  readonly hasDevices: boolean;
  /** Whether a variant (kernel family, tile sizes) can change the source beyond what the spec says. */
  readonly hasVariants: boolean;
  /** Whether an entry built for `built` (its key parts' arch: 'sm_80+sm_90+ptx', or the CPU identity) runs where `wanted` is asked. */
  fitsArch(built: string, wanted: string): boolean;
  /** Why an artifact's own bytes cannot run on `wanted` whatever its metadata says, or undefined. */
  artifactMisfit(bytes: Uint8Array, wanted: string): string | undefined;
}

export const CUDA_TRAITS: TargetTraits = {
  target: 'cuda',
  libraryCompiler: 'nvcc',
  hasDevices: true,
  hasVariants: true,
  fitsArch: (built, wanted) => runsOn(embeddedArchs(built), wanted),
  artifactMisfit: (bytes, wanted) => (runsOn(embeddedCode(bytes), wanted) ? undefined : 'the artifact embeds no code for this GPU'),
};

export const CPU_TRAITS: TargetTraits = {
  target: 'cpu',
  libraryCompiler: 'cxx',
  hasDevices: false,
  hasVariants: false,
  // The CPU identity names the model and architecture: only the same one fits.
  fitsArch: (built, wanted) => built === wanted,
  artifactMisfit: () => undefined,
};

const TRAITS: Readonly<Record<Target, TargetTraits>> = { cuda: CUDA_TRAITS, cpu: CPU_TRAITS };

export function targetTraits(target: Target): TargetTraits {
  return TRAITS[target];
}
