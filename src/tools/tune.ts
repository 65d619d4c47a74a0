import { allVariants, type CudaVariant } from '../codegen/variant.js';
import { compile, type CompileOptions } from '../compile.js';
import { readEnvironment } from '../env.js';
import type { Environment } from '../env.js';
import { cudaDevice, currentCudaDevice, type CudaDevice } from '../backends/cuda.js';
import { NoGpuReason } from '../backends/no-gpu.js';
import { resolveOptions } from '../options.js';
import { checkSignal, throwIfAborted } from '../abort.js';
import { NoGpuError, SpecError } from '../errors.js';
import { defaultCacheDir } from '../artifact.js';
import { readTuning, shapeClass, tuningKey, writeTuning, type TuningRecord } from '../cache/tuning-store.js';
import { cudaRuntime } from '../ffi/cudart.js';
import type { Kernel } from '../runtime/kernel.js';
import { Tensor } from '../runtime/tensor.js';
import { canonicalJson, channelsOf, checkShape, type KernelSpec, type SpecInput } from '../spec.js';
import { randomParameters } from '../verify/operands.js';
import { parameterTensors } from '../runtime/parameter-tensors.js';
import { fillUniform } from '../verify/random.js';
import { PACKAGE_VERSION } from '../version.js';

export interface TuneOptions extends Omit<CompileOptions, 'variant' | 'target'> {
  /** Timed repetitions per candidate (median). Default 10. */
  readonly reps?: number;
}

export interface TunedKernel {
  readonly kernel: Kernel;
  /** Whether this call timed the candidates (false: a recorded choice was reused). */
  readonly tuned: boolean;
  readonly record: TuningRecord;
}

const label = (v: CudaVariant | null) => (v ? `${v.kernel}/tileH=${v.tileH}${v.tileW === undefined ? '' : `/tileW=${v.tileW}/vec=${v.vec}`}` : 'default');

/**
 * The fastest kernel for this spec on this input shape and GPU: every variant the generator offers
 * is compiled, checked to launch, and timed with CUDA events on random data of the real shape; the
 * choice is recorded in the cache (keyed by spec, shape class and GPU name), so a later process
 * compiles the winner without timing again.
 */
export async function compileTuned(specInput: SpecInput, inputShape: readonly number[], options: TuneOptions = {}): Promise<TunedKernel> {
  const { reps = 10, ...compileOptions } = options;
  throwIfAborted(checkSignal('options.signal', options.signal), 'compileTuned');
  const gpu = currentCudaDevice(readEnvironment(options.env));
  if (gpu instanceof NoGpuReason) throw new NoGpuError('tuning', gpu.reason, 'tune on the machine with the GPU the kernel will run on, or compile() without tuning');
  const base: CompileOptions = { ...compileOptions, target: 'cuda' };
  // Resolved as compile() resolves them: the tuned kernels are the ones compile() would load.
  const r = resolveOptions(specInput, base, 'load');
  const { spec, env } = r;
  // The GPU the kernels load on (options.device, else the current one): its name keys the record and it runs the timings.
  const device = cudaDevice(env, r.device) as CudaDevice;
  const shape = checkShape('tuneFor', inputShape);
  if (!Number.isInteger(reps) || reps < 1 || reps > 1000) throw new SpecError('options.reps', reps, 'an integer from 1 to 1000');
  const root = r.cacheDir ?? defaultCacheDir(env);
  const parts = tuningParts(spec, shape, device.info);
  const key = tuningKey(parts);
  const known = options.cache === false ? undefined : await readTuning(root, key);
  if (known) {
    const kernel = await compile(spec, { ...base, ...(known.variant ? { variant: known.variant } : {}) });
    return { kernel, tuned: false, record: known };
  }
  const candidates: (CudaVariant | null)[] = [null, ...allVariants(spec)];
  // Settled, not Promise.all: an abort must not return while other candidates' compilers are still being stopped.
  const compiled = await Promise.allSettled(candidates.map((v) => compile(spec, { ...base, ...(v ? { variant: v } : {}) })));
  throwIfAborted(options.signal, 'compileTuned');
  const kernels = compiled.map((c) => {
    if (c.status === 'rejected') throw c.reason;
    return c.value;
  });
  // Timed as compiled whole: the default source's later programs (an NVRTC compile) loaded too.
  await Promise.all(kernels.map((k) => k.whenComplete()));
  const rt = cudaRuntime(env);
  const timings = rt.onDevice(device.index, () => timeCandidates(kernels, shape, reps, env));
  let best = 0;
  for (let i = 1; i < kernels.length; i++) if (timings[i]! < timings[best]!) best = i;
  const record: TuningRecord = {
    key, ...parts, variant: candidates[best] ?? null,
    timings: Object.fromEntries(candidates.map((v, i) => [label(v), timings[i]!])),
    createdAt: new Date().toISOString(),
  };
  if (options.cache !== false) await writeTuning(root, record);
  return { kernel: kernels[best]!, tuned: true, record };
}

/** What a tuning record is keyed by: the spec, the input shape's class, the GPU model and this package's version. */
export function tuningParts(spec: KernelSpec, shape: readonly [number, number, number, number], gpu: { readonly name: string; readonly arch: string }) {
  return { spec: canonicalJson(spec), shapeClass: shapeClass(shape), device: `${gpu.name} ${gpu.arch}`, package: PACKAGE_VERSION };
}

/**
 * The choice compileTuned recorded in the cache at `root` for this spec, input shape and GPU model,
 * if there is one: read only, nothing is timed (the bench uses it in place of the default).
 */
export async function recordedChoice(root: string, spec: KernelSpec, shape: readonly [number, number, number, number], gpu: { readonly name: string; readonly arch: string }): Promise<TuningRecord | undefined> {
  return readTuning(root, tuningKey(tuningParts(spec, shape, gpu)));
}

function timeCandidates(kernels: Kernel[], shape: [number, number, number, number], reps: number, env: Environment): number[] {
  const rt = cudaRuntime(env);
  const k0 = kernels[0]!;
  const opts = { dtype: k0.spec.dtype, device: 'cuda' as const, env };
  const count = shape.reduce((a, b) => a * b, 1);
  const tensors: Tensor[] = [];
  const track = (t: Tensor) => (tensors.push(t), t);
  const start = rt.eventCreate();
  const end = rt.eventCreate();
  try {
    // Random data: timing on zeros can flatter a kernel. Large inputs are filled on the device in one
    // pattern repeated, which is as good as fresh values for timing.
    const pattern = fillUniform(new Float32Array(Math.min(count, 1 << 20)), 12345);
    const chunk = track(Tensor.fromArray(pattern, [pattern.length], opts));
    const patterned = (s: readonly number[]) => {
      const t = track(Tensor.empty(s, opts));
      const elements = s.reduce((a, b) => a * b, 1);
      const bytes = t.byteLength / elements;
      for (let at = 0; at < elements; at += pattern.length) {
        rt.copyDeviceToDevice(BigInt(t.deviceAddress()) + BigInt(at * bytes), chunk.deviceAddress(), Math.min(pattern.length, elements - at) * bytes);
      }
      return t;
    };
    const x = patterned(shape);
    const channels = channelsOf(k0.spec, shape);
    const { w, b, epilogue: params } = parameterTensors(k0.spec, channels, randomParameters(k0.spec, channels, 777), { device: 'cuda', env }, track);
    const outShape = k0.outputShape(shape);
    const out = track(Tensor.empty(outShape, opts));
    const epilogue = { ...params, ...(k0.spec.residual !== 'none' ? { residual: patterned(outShape) } : {}) };
    // Rounds over all candidates rather than one candidate after another: an idle GPU clocks up
    // during the first milliseconds of work, and the candidate timed first would pay for it.
    for (let i = 0; i < 3; i++) for (const k of kernels) k.forward(x, w, b, { ...epilogue, out });
    const ms: number[][] = kernels.map(() => []);
    for (let i = 0; i < reps; i++) {
      kernels.forEach((k, j) => {
        rt.eventRecord(start);
        k.forward(x, w, b, { ...epilogue, out });
        rt.eventRecord(end);
        ms[j]!.push(rt.eventElapsedMs(start, end));
      });
    }
    return ms.map((m) => m.sort((p, q) => p - q)[m.length >> 1]!);
  } finally {
    rt.eventDestroy(start);
    rt.eventDestroy(end);
    for (const t of tensors) t.dispose();
  }
}
