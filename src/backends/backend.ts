// One object per target: what the pipeline asks of a target, and nothing else. The pipeline
// (src/compile.ts) never branches on a target's name; it asks the backend.
import type { GeneratedSource } from '../codegen/common.js';
import type { CudaVariant } from '../codegen/variant.js';
import type { Environment } from '../env.js';
import type { LoadedArtifact } from '../runtime/library.js';
import type { KernelSpec } from '../spec.js';
import type { Target } from '../target.js';

/** Whether a target can run kernels here, and if not, why. */
export type Probe = { readonly ok: true; readonly detail: string } | { readonly ok: false; readonly reason: string };

export interface Backend {
  readonly target: Target;
  /** Cheap after the first call: the answer is kept for the process. */
  probe(env: Environment): Probe;
  /**
   * The arch to build for: `given` when there is one, else what the device in use reports; undefined
   * for targets that have none. `needDevice`: the kernel is to be loaded here, so a device must exist.
   */
  archFor(given: string | undefined, env: Environment, needDevice: boolean): string | undefined;
  /** The CUDA compiler for a choice ('auto' resolved); 'nvcc' stands for "not NVRTC" on targets without one. */
  cudaCompiler(choice: 'auto' | 'nvcc' | 'nvrtc', env: Environment, purpose: 'load' | 'build' | 'explain'): 'nvcc' | 'nvrtc';
  /** Spec in, source and launch data out (pure). */
  generate(spec: KernelSpec, variant: CudaVariant | undefined): GeneratedSource;
  /** Makes the target ready to load (a CUDA context), outside the load time a kernel reports. */
  prepare(env: Environment): void;
  /** Loads an artifact file: checks its identity and returns the launcher. */
  load(artifactPath: string, generated: GeneratedSource, spec: KernelSpec, env: Environment, producedBy: string): LoadedArtifact;
}
