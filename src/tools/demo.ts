import { constants as bufferConstants } from 'node:buffer';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile } from '../compile.js';
import { DTYPE_BYTES, roundTo } from '../dtype.js';
import { readEnvironment } from '../env.js';
import { NoGpuError, SpecError } from '../errors.js';
import { cudaRuntime } from '../ffi/cudart.js';
import { backendFor } from '../backends/registry.js';
import { cudaDevice, type CudaDevice } from '../backends/cuda.js';
import { parseCudaDevice, type CudaDeviceChoice } from '../device.js';
import type { Environment } from '../env.js';
import { resolveTarget } from '../options.js';
import type { Kernel } from '../runtime/kernel.js';
import { Tensor } from '../runtime/tensor.js';
import { channelsOf, describeSpec, inLayout, logicalDims, normalizeSpec, outputDtypeOf, outputShape, type KernelSpec, type SpecInput } from '../spec.js';
import type { Comparison } from '../verify/compare.js';
import { randomParameters, referenceParameters } from '../verify/operands.js';
import { parameterTensors } from '../runtime/parameter-tensors.js';
import { fillUniform, freshSeed } from '../verify/random.js';
import { sampleIndices, verifyOutputs } from '../verify/sample.js';
import { readAt, timeLaunches, uniformStored, uploadUniform } from './device-data.js';
import { parallelCopyMs } from './parallel-copy.js';
import { median } from './stats.js';
import { TORCH_SCRIPT, torchScriptMissing } from './torch-script.js';

export const REFERENCE_SHAPE = [64, 128, 256, 512] as const;
export const CPU_SHAPE = [8, 32, 128, 256] as const;
const FULL_CHECK_LIMIT = 4_000_000;
const SAMPLE_SIZE = 100_000;

export interface DemoOptions {
  readonly spec: SpecInput;
  readonly target: 'auto' | 'cuda' | 'cpu';
  /** CUDA: the GPU to run on (an index or 'cuda:N'); default: the current device. */
  readonly device?: CudaDeviceChoice;
  readonly shape?: readonly [number, number, number, number];
  readonly reps: number;
  readonly seed?: number;
  /** Compare with PyTorch through python3 in the same run (CUDA only). */
  readonly torch: boolean;
  /**
   * Cache directory to compile into (and to hit from the second process). Default: a fresh temporary
   * one, removed afterwards, so the first compile is a cold one.
   */
  readonly cacheDir?: string;
  readonly progress: (line: string) => void;
}

export interface DemoResult {
  readonly target: 'cuda' | 'cpu';
  /** The GPU's name and arch, or the CPU's model. */
  readonly device: string;
  /** CUDA: the index of the GPU it ran on. */
  readonly deviceIndex?: number;
  readonly spec: string;
  readonly shape: readonly number[];
  readonly outputShape: readonly number[];
  readonly seed: number;
  /** compile() in a fresh cache: until the kernel was returned. */
  readonly coldCompileMs: number;
  /** Until every program was loaded and the entry committed (Kernel.whenComplete): coldCompileMs unless some compiled later. */
  readonly coldCompleteMs: number;
  /** What compiled it: nvcc, nvrtc, or cxx (the CPU target). */
  readonly compiler: string;
  readonly cacheHit: { readonly origin: string; readonly loadMs: number; readonly processMs: number };
  readonly check: Comparison & { readonly mode: 'all' | 'sample' };
  readonly kernelMs: number;
  readonly kernelGBps: number;
  readonly bytesMoved: number;
  /** The floor: a copy of the input's bytes (CUDA: device to device; CPU: memcpy on every core). */
  readonly copyMs: number;
  readonly copyGBps: number;
  /** CPU only: the same copy on one thread, for scale. */
  readonly singleThreadCopyGBps?: number;
  readonly copyThreads?: number;
  readonly torch?: { readonly ms: number; readonly detail: string } | { readonly unavailable: string };
}

const cliPath = fileURLToPath(new URL('../cli/main.js', import.meta.url));

/** Times the cache hit the way a user meets it: a second process compiling the same spec. */
async function secondProcessHit(spec: SpecInput, target: string, cacheDir: string, deviceIndex: number | undefined): Promise<DemoResult['cacheHit']> {
  const started = performance.now();
  const args = [cliPath, 'compile', '--spec-json', JSON.stringify(spec), '--target', target, ...(deviceIndex === undefined ? [] : ['--device', String(deviceIndex)]), '--cache-dir', cacheDir, '--json'];
  const { execa } = await import('execa'); // loaded by the commands that start processes, not at import
  const { stdout } = await execa(process.execPath, args, { env: { DWCONV_JIT_CACHE_DIR: cacheDir } });
  const parsed = JSON.parse(stdout) as { origin: string; loadMs: number };
  return { origin: parsed.origin, loadMs: parsed.loadMs, processMs: performance.now() - started };
}

/**
 * The CPU demo holds its input and output in host tensors, single buffers of at most
 * buffer.constants.MAX_LENGTH bytes (4 GiB on Node 20): a larger problem is refused before anything
 * is compiled, naming the shape, rather than failing later with a RangeError.
 */
function checkHostShape(spec: KernelSpec, shape: readonly number[]): void {
  const outShape = outputShape(spec, shape);
  const count = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);
  const bytes = Math.max(count(shape) * DTYPE_BYTES[spec.dtype], count(outShape) * DTYPE_BYTES[outputDtypeOf(spec)]);
  if (bytes > bufferConstants.MAX_LENGTH) {
    throw new SpecError('shape', shape, `a CPU problem whose input and output each fit one host buffer (at most ${bufferConstants.MAX_LENGTH} bytes; this one needs ${bytes})`);
  }
}

export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const env = readEnvironment();
  const target = resolveTarget(o.target, env);
  const probe = backendFor(target).probe(env);
  if (!probe.ok) throw new NoGpuError(`the demo on target '${target}'`, probe.reason, 'use --target cpu (or auto)');
  const deviceIndex = backendFor(target).deviceFor(o.device === undefined ? undefined : parseCudaDevice('device', o.device), env, target === 'cuda');
  const gpu = deviceIndex === undefined ? undefined : (cudaDevice(env, deviceIndex) as CudaDevice);
  const device = gpu ? `${gpu.info.name} (${gpu.info.arch})` : `CPU: ${probe.detail}`;
  // The default problem is given as [N, C, H, W]; an NHWC spec takes it as [N, H, W, C].
  const shape = o.shape ?? inLayout(normalizeSpec(o.spec), target === 'cuda' ? REFERENCE_SHAPE : CPU_SHAPE);
  if (target === 'cpu') checkHostShape(normalizeSpec(o.spec), shape);
  const seed = freshSeed(o.seed);
  const cacheDir = o.cacheDir ?? (await mkdtemp(join(tmpdir(), 'dwconv-jit-demo-')));
  try {
    o.progress(`target ${target}${gpu ? ` (cuda:${gpu.index})` : ''} on ${device}; spec ${JSON.stringify(o.spec)}; input ${shape.join('x')}; seed ${seed}`);
    const t0 = performance.now();
    const kernel = await compile(o.spec, { target, ...(deviceIndex === undefined ? {} : { device: deviceIndex }), cacheDir, log: o.progress });
    const coldCompileMs = performance.now() - t0;
    // The second process below is to hit the committed entry, and the timing to run the kernels of every program.
    await kernel.whenComplete();
    const coldCompleteMs = performance.now() - t0;
    const later = kernel.provenance.compiledLater?.length ? `; ${kernel.provenance.compiledLater.length} entry point(s) compiled after it, complete at ${coldCompleteMs.toFixed(0)} ms` : '';
    o.progress(`cold compile: ${coldCompileMs.toFixed(0)} ms (${kernel.provenance.symbol})${later}`);
    const cacheHit = await secondProcessHit(o.spec, target, cacheDir, deviceIndex);
    o.progress(`cache hit in a second process: ${cacheHit.origin}, load ${cacheHit.loadMs.toFixed(1)} ms, process ${cacheHit.processMs.toFixed(0)} ms`);
    const measured = target === 'cuda' ? onKernelDevice(kernel, env, () => runCuda(kernel, shape, seed, o)) : await runCpu(kernel, shape, seed, o);
    const torch = target === 'cuda' && o.torch ? await torchTime(kernel, shape, o, env) : undefined;
    return { target, device, ...(deviceIndex === undefined ? {} : { deviceIndex }), spec: describeSpec(kernel.spec), shape, outputShape: kernel.outputShape(shape), seed, coldCompileMs, coldCompleteMs, compiler: kernel.provenance.compiler, cacheHit, ...measured, ...(torch ? { torch } : {}) };
  } finally {
    if (o.cacheDir === undefined) await rm(cacheDir, { recursive: true, force: true });
  }
}

type Measured = Pick<DemoResult, 'check' | 'kernelMs' | 'kernelGBps' | 'bytesMoved' | 'copyMs' | 'copyGBps' | 'singleThreadCopyGBps' | 'copyThreads'>;

/** Runs `fn` with the kernel's GPU current: its 'cuda' tensors, copies, events and synchronizations all go there. */
function onKernelDevice<T>(kernel: Kernel, env: Environment, fn: () => T): T {
  return cudaRuntime(env).onDevice(kernel.deviceIndex!, fn);
}

function runCuda(kernel: Kernel, shape: readonly [number, number, number, number], seed: number, o: DemoOptions): Measured {
  const rt = cudaRuntime(readEnvironment());
  const { dtype } = kernel.spec;
  const outDtype = outputDtypeOf(kernel.spec);
  const opts = { dtype, device: 'cuda' } as const;
  const outOpts = { dtype: outDtype, device: 'cuda' } as const;
  const outShape = kernel.outputShape(shape);
  const inCount = shape.reduce((a, b) => a * b, 1);
  const outCount = outShape.reduce((a, b) => a * b, 1);
  const toFree: Tensor[] = [];
  const track = (t: Tensor) => (toFree.push(t), t);
  try {
    o.progress(`uploading ${((inCount * DTYPE_BYTES[dtype]) / 1e9).toFixed(2)} GB of random input`);
    const x = track(Tensor.empty(shape, opts));
    uploadUniform(rt, x.deviceAddress(), inCount, dtype, seed);
    const channels = channelsOf(kernel.spec, shape);
    const p = randomParameters(kernel.spec, channels, seed ^ 0x5bd1e995);
    const { w: wt, b: bt, epilogue: epi } = parameterTensors(kernel.spec, channels, p, { device: 'cuda' }, track);
    const residualSeed = seed ^ 0x2545f491;
    let residual: Tensor | undefined;
    if (kernel.spec.residual !== 'none') {
      residual = track(Tensor.empty(outShape, outOpts));
      uploadUniform(rt, residual.deviceAddress(), outCount, outDtype, residualSeed);
    }
    const options = { ...epi, ...(residual ? { residual } : {}) };
    const out = track(Tensor.empty(outShape, outOpts)); // NaN-filled: an unwritten output fails the check
    kernel.forward(x, wt, bt, { ...options, out });
    rt.synchronize();
    o.progress('checking against the float64 reference');
    const all = outCount <= FULL_CHECK_LIMIT;
    const indices = sampleIndices(outCount, all ? outCount : SAMPLE_SIZE);
    const values = readAt(rt, out.deviceAddress(), indices, outDtype);
    const ref = {
      spec: kernel.spec, inputShape: shape, input: (i: number) => uniformStored(seed, i, dtype), ...referenceParameters(p),
      ...(residual ? { residual: (i: number) => uniformStored(residualSeed, i, outDtype) } : {}),
    };
    const check = { mode: all ? ('all' as const) : ('sample' as const), ...verifyOutputs(ref, outShape, indices, (k) => values[k]!, outDtype) };
    o.progress(`timing ${o.reps} launches`);
    const kernelMs = timeLaunches(rt, () => kernel.forward(x, wt, bt, { ...options, out }), o.reps);
    const bytesMoved = x.byteLength + out.byteLength + (residual?.byteLength ?? 0);
    // The floor: a device-to-device copy of the input, which reads and writes about the bytes the conv moves.
    const copyDst = track(Tensor.empty(shape, opts));
    const copyMs = timeLaunches(rt, () => rt.copyDeviceToDevice(copyDst.deviceAddress(), x.deviceAddress(), x.byteLength), o.reps);
    return { check, kernelMs, bytesMoved, kernelGBps: bytesMoved / kernelMs / 1e6, copyMs, copyGBps: (2 * x.byteLength) / copyMs / 1e6 };
  } finally {
    for (const t of toFree) t.dispose();
  }
}

async function runCpu(kernel: Kernel, shape: readonly [number, number, number, number], seed: number, o: DemoOptions): Promise<Measured> {
  const { dtype } = kernel.spec;
  const outDtype = outputDtypeOf(kernel.spec);
  const opts = { dtype, device: 'cpu' } as const;
  const input = roundTo(fillUniform(new Float32Array(shape.reduce((a, b) => a * b, 1)), seed), dtype);
  const x = Tensor.fromArray(input, shape, opts);
  const channels = channelsOf(kernel.spec, shape);
  const p = randomParameters(kernel.spec, channels, seed ^ 0x5bd1e995);
  const { w: wt, b: bt, epilogue: epi } = parameterTensors(kernel.spec, channels, p, { device: 'cpu' });
  const outShape = kernel.outputShape(shape);
  const outCount = outShape.reduce((a, c) => a * c, 1);
  const res = kernel.spec.residual === 'none' ? undefined : roundTo(fillUniform(new Float32Array(outCount), seed ^ 0x2545f491), outDtype);
  const residual = res ? Tensor.fromArray(res, outShape, { dtype: outDtype, device: 'cpu' }) : undefined;
  const options = { ...epi, ...(residual ? { residual } : {}) };
  const out = kernel.forward(x, wt, bt, options); // output starts NaN-filled
  const result = out.toArray();
  o.progress('checking against the float64 reference');
  const all = outCount <= FULL_CHECK_LIMIT;
  const indices = sampleIndices(outCount, all ? outCount : SAMPLE_SIZE);
  const ref = { spec: kernel.spec, inputShape: shape, input: (i: number) => input[i]!, ...referenceParameters(p), ...(res ? { residual: (i: number) => res[i]! } : {}) };
  const check = { mode: all ? 'all' as const : 'sample' as const, ...verifyOutputs(ref, outShape, indices, (k) => result[indices[k]!]!, outDtype) };
  o.progress(`timing ${o.reps} runs`);
  const time = (f: () => void) => {
    f();
    const ms: number[] = [];
    for (let i = 0; i < o.reps; i++) {
      const t = performance.now();
      f();
      ms.push(performance.now() - t);
    }
    return median(ms);
  };
  const kernelMs = time(() => kernel.forward(x, wt, bt, { ...options, out }));
  const bytesMoved = x.byteLength + out.byteLength + (residual?.byteLength ?? 0);
  const src = Buffer.from(x.hostBytes().buffer, x.hostBytes().byteOffset, x.byteLength);
  const dst = Buffer.alloc(x.byteLength);
  const singleMs = time(() => src.copy(dst));
  const allCores = await parallelCopyMs(x.hostBytes(), o.reps);
  const gbps = (ms: number) => (2 * x.byteLength) / ms / 1e6;
  return {
    check, kernelMs, bytesMoved, kernelGBps: bytesMoved / kernelMs / 1e6,
    copyMs: allCores.ms, copyGBps: gbps(allCores.ms), singleThreadCopyGBps: gbps(singleMs), copyThreads: allCores.threads,
  };
}


/** PyTorch's time for the same conv, measured by python3 in this run; 'unavailable' with the reason otherwise. */
async function torchTime(kernel: Kernel, shape: readonly number[], o: DemoOptions, env: Environment): Promise<{ ms: number; detail: string } | { unavailable: string }> {
  const missing = torchScriptMissing();
  if (missing) return { unavailable: missing };
  o.progress('timing PyTorch (python3) on the same problem');
  const s = kernel.spec;
  const args = [TORCH_SCRIPT, '--shape', logicalDims(s, shape as [number, number, number, number]).join(','), '--layout', s.layout, '--kernel', s.kernelSize.join(','), '--stride', s.stride.join(','), '--padding', s.padding.join(','), '--dilation', s.dilation.join(','), '--multiplier', String(s.channelMultiplier), '--dtype', s.dtype, ...(s.bias ? ['--bias'] : []),
    ...(s.batchNorm ? ['--batchNorm'] : []), '--activation', s.activation, '--residual', s.residual, ...(s.negativeSlope === undefined ? [] : ['--negativeSlope', String(s.negativeSlope)]),
    // A separable block's 1x1 too, so PyTorch runs the same ops (the spec holds only validated numbers and enums).
    ...(s.pointwise ? ['--pointwise', JSON.stringify(s.pointwise)] : [])];
  const { execa } = await import('execa');
  // PyTorch's 'cuda' is its current device, 0: shown only the kernel's GPU, that is the same one.
  const r = await execa('python3', args, { reject: false, timeout: 600_000, env: { CUDA_VISIBLE_DEVICES: onlyDevice(kernel.deviceIndex!, env.cudaVisibleDevices) } });
  if (r.exitCode !== 0) return { unavailable: (r.stderr || r.message || 'python3 failed').split('\n').slice(-3).join(' ') };
  const parsed = JSON.parse(r.stdout) as { ms: number; detail: string };
  return parsed;
}

/** The CUDA_VISIBLE_DEVICES that shows a child process this process's device `index` alone (as its device 0). */
export function onlyDevice(index: number, visible: string | undefined): string {
  if (visible === undefined) return String(index);
  const listed = visible.split(',').map((d) => d.trim());
  // The runtime stops at the first entry that names no device; an index within the list is what it kept.
  return listed[index] ?? String(index);
}
