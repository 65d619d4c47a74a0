// One object per target: what the pipeline asks of a target, and nothing else. The pipeline
// (src/compile.ts) never branches on a target's name; it asks the backend.
import type { EarlyArtifact } from '../artifact.js';
import type { GeneratedSource } from '../codegen/common.js';
import type { CudaVariant } from '../codegen/variant.js';
import type { Environment } from '../env.js';
import type { LoadedArtifact } from '../runtime/library.js';
import type { KernelSpec } from '../spec.js';
import type { TargetTraits } from './traits.js';

/** Whether a target can run kernels here, and if not, why. */
export type Probe = { readonly ok: true; readonly detail: string } | { readonly ok: false; readonly reason: string };

/** A target's traits (what the cache and runtime may ask of it, too) and what only a backend does. */
export interface Backend extends TargetTraits {
  /** Cheap after the first call: the answer is kept for the process. */
  probe(env: Environment): Probe;
  /**
   * The device a kernel is to run on: `requested` (an index, checked to exist, or 'current': the
   * calling thread's current device) or, when none is requested and `needDevice`, the current one.
   * Undefined where the target has no devices, or nothing needs one (a build with an arch, no GPU).
   */
  deviceFor(requested: number | 'current' | undefined, env: Environment, needDevice: boolean): number | undefined;
  /**
   * The arch to build for: `given` when there is one, else what the device (`device`, else the
   * current one) reports; undefined for targets that have none. `needDevice`: the kernel is to be
   * loaded here, so a device must exist.
   */
  archFor(given: string | undefined, env: Environment, needDevice: boolean, device: number | undefined): string | undefined;
  /** The CUDA compiler for a choice ('auto' resolved); 'nvcc' stands for "not NVRTC" on targets without one. */
  cudaCompiler(choice: 'auto' | 'nvcc' | 'nvrtc', env: Environment, purpose: 'load' | 'build' | 'explain'): 'nvcc' | 'nvrtc';
  /** Spec in, source and launch data out (pure). */
  generate(spec: KernelSpec, variant: CudaVariant | undefined): GeneratedSource;
  /** Makes the target ready to load (the device's CUDA context), outside the load time a kernel reports. */
  prepare(env: Environment, device: number | undefined): void;
  /** Loads an artifact file (onto `device`, for CUDA): checks its identity and returns the launcher. The source's text is not needed (a cache hit may only know its sha256). */
  load(artifactPath: string, generated: Omit<GeneratedSource, 'source'>, spec: KernelSpec, env: Environment, producedBy: string, device: number | undefined): LoadedArtifact;
  /**
   * Loads the first part of a build whose later programs still compile (BuildOptions.onEarly);
   * the loaded artifact's `complete` settles when they are loaded too. Absent where a target's
   * builds come whole.
   */
  loadEarly?(early: EarlyArtifact, generated: Omit<GeneratedSource, 'source'>, spec: KernelSpec, env: Environment, device: number | undefined): LoadedArtifact;
}
