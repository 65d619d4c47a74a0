import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { allVariants, normalizeVariant, type CudaVariant } from '../codegen/variant.js';
import { defaultCacheDir } from '../artifact.js';
import type { TuningRecord } from '../cache/tuning-store.js';
import { compile } from '../compile.js';
import { DTYPE_BYTES } from '../dtype.js';
import { readEnvironment } from '../env.js';
import { DwconvError, NoGpuError, SpecError } from '../errors.js';
import { cudaRuntime, probeGpu, type Address, type CudaRuntime, type DeviceInfo } from '../ffi/cudart.js';
import type { Kernel } from '../runtime/kernel.js';
import { Tensor } from '../runtime/tensor.js';
import { channelsOf, describeSpec, logicalDims, normalizeSpec, outputShape, type DType, type KernelSpec } from '../spec.js';
import { randomParameters, referenceParameters } from '../verify/operands.js';
import { parameterTensors } from '../runtime/parameter-tensors.js';
import { freshSeed } from '../verify/random.js';
import { sampleIndices, verifyOutputs } from '../verify/sample.js';
import { inParallel } from '../parallel.js';
import { benchCases, type BenchCase } from './bench-cases.js';
import { readAt, timeLaunches, uniformStored, uploadUniform, uploadUniformParallel } from './device-data.js';
import { TORCH_SCRIPT, torchScriptMissing } from './torch-script.js';
import { withAlignedRatios, type Targets } from './bench-targets.js';
import { recordedChoice } from './tune.js';
import { selectCases } from './bench-report.js';

export { listBenchCases, printBench, selectCases, type BenchCaseSummary } from './bench-report.js';

export interface BenchOptions {
  /** Only cases whose name contains, or whose group is, one of these comma-separated terms. */
  readonly filter?: string;
  /** Time every variant the generator offers, not only the default. */
  readonly variants: boolean;
  /**
   * A variant to time beside each case's default (and beside the others with `variants`), for the
   * cases whose spec can take it, including one that allVariants does not offer (a kernel family
   * being measured before default sources hold it, as the any-width ring was).
   */
  readonly alsoVariant?: unknown;
  readonly reps: number;
  /**
   * Passes over the cases: each after the last, every default kernel, its copy and (in the PyTorch
   * script) PyTorch's ops are timed again, and each keeps its fastest pass. Some runs had one case at
   * 1.5-2.5x its usual time, on either side; a second pass, minutes later, is unlikely to repeat it.
   */
  readonly rounds: number;
  readonly torch: boolean;
  readonly progress: (line: string) => void;
  /** Cache directory to compile into; default a fresh temporary one, removed afterwards. */
  readonly cacheDir?: string;
  /** Called with the rows so far after each case, so an interrupted run still leaves its results. */
  readonly partial?: (result: BenchResult) => void;
  /**
   * Cache directory whose tuning records (`compile --tune-for`, compileTuned) replace a case's default
   * kernel where one exists for its spec, input shape and GPU model; false: every case takes the
   * default. Default: `cacheDir` when given, else the user cache directory.
   */
  readonly tuningDir?: string | false;
}

export interface VariantTiming {
  readonly variant: Readonly<Record<string, string | number>>;
  readonly ms: number;
  readonly failures: number;
}

export interface BenchRow {
  readonly name: string;
  readonly group: string;
  readonly spec: string;
  readonly shape: readonly number[];
  readonly bytesMoved: number;
  /** The default variant's median time (the fastest of the rounds' medians), and what that variant is. */
  readonly ms: number;
  /** The default variant's median time in each round. */
  readonly roundsMs: readonly number[];
  readonly variant: Readonly<Record<string, string | number>>;
  readonly gbps: number;
  readonly copyMs: number;
  /** copyMs / ms: the fraction of copy bandwidth the kernel reaches. */
  readonly ofCopy: number;
  readonly torchMs?: number;
  /** torch.compile of the same ops (fused cases), when it works on the machine. */
  readonly torchCompiledMs?: number;
  /**
   * Separable float32 blocks at float32 accuracy: eager PyTorch with TF32 off (cudnn and matmul), the
   * same precision as this kernel; torchMs has PyTorch's default (TF32 convolutions).
   */
  readonly torchExactMs?: number;
  readonly speedup?: number;
  readonly checked: number;
  readonly failures: number;
  readonly variants?: readonly VariantTiming[];
  /** 'recorded': the kernel is the tuner's recorded choice for this spec, shape and GPU model; 'default': the generator's own. */
  readonly choice: 'recorded' | 'default';
  /** When the recorded choice was made. */
  readonly recordedAt?: string;
  /** What the case should reach (floors on ofCopy, speedup, ofAligned). */
  readonly targets: Targets;
  /** The case at the nearest aligned width (widths group). */
  readonly alignedTo?: string;
  /** gbps / the alignedTo case's gbps in the same run, when both ran. */
  readonly ofAligned?: number;
}

/** The GPU the bench ran on, as the device reports it. */
export interface BenchGpu {
  /** cudaGetDeviceProperties' name, e.g. 'NVIDIA H200'. */
  readonly name: string;
  readonly arch: string;
  readonly multiprocessors: number;
}

export interface BenchResult {
  /** The GPU in one line: name (arch, SMs). */
  readonly device: string;
  readonly gpu: BenchGpu;
  readonly startedAt: string;
  readonly seed: number;
  readonly torch: string;
  /** Where recorded tuning choices were looked for, or why not. */
  readonly tuning: string;
  readonly rows: readonly BenchRow[];
}

const FLUSH_BYTES = 256 << 20;
const SAMPLE = 20_000;
/** Input reads the reference of a separable case may make (the fp16 one took 116 s for 26 million reads; docs/perf.md). */
const SEPARABLE_SAMPLE_READS = 4_000_000;

/** One random input pool per dtype, sized for the largest case: cases read a prefix of it. */
class InputPools {
  private readonly pools = new Map<DType, Tensor>();
  constructor(private readonly seed: number, private readonly progress: (l: string) => void) {}

  /** Fills a pool for each dtype of `sizes`, before any timing (on the host's threads: uploadUniformParallel). */
  async fill(sizes: Map<DType, number>): Promise<void> {
    for (const [dtype, n] of sizes) {
      if (this.pools.has(dtype)) continue;
      const started = performance.now();
      this.progress(`generating ${((n * DTYPE_BYTES[dtype]) / 1e9).toFixed(2)} GB of random ${dtype} input`);
      const pool = Tensor.empty([n], { dtype, device: 'cuda' });
      this.pools.set(dtype, pool);
      await uploadUniformParallel(cudaRuntime(readEnvironment()), pool.deviceAddress(), n, dtype, this.seed);
      this.progress(`generated the ${dtype} input in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
  }

  get(dtype: DType, count: number): Tensor {
    const pool = this.pools.get(dtype);
    if (!pool || count > pool.length) throw new DwconvError(`internal: no ${dtype} input pool of ${count} values`);
    return pool;
  }

  dispose(): void {
    for (const p of this.pools.values()) p.dispose();
  }
}

export async function runBench(o: BenchOptions): Promise<BenchResult> {
  const env = readEnvironment();
  const gpu = probeGpu(env);
  if (!gpu.ok) throw new NoGpuError('the bench', gpu.reason, 'run it on a machine with an NVIDIA GPU (the CPU target has `dwconv-jit demo --target cpu`)');
  const seed = freshSeed();
  const startedAt = new Date().toISOString();
  const cases = selectCases(benchCases(), o.filter);
  const tuningDir = o.tuningDir === false ? undefined : o.tuningDir ?? o.cacheDir ?? defaultCacheDir(env);
  const cacheDir = o.cacheDir ?? (await mkdtemp(join(tmpdir(), 'dwconv-bench-')));
  const pools = new InputPools(seed, o.progress);
  const sizes = new Map<DType, number>();
  for (const c of cases) {
    const spec = normalizeSpec(c.spec);
    // The pool is also the source of the copy that moves as many bytes as the case: (in + out [+ residual]) / 2.
    const count = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
    const moved = count(c.shape) + count(outputShape(spec, c.shape)) * (spec.residual === 'none' ? 1 : 2);
    sizes.set(spec.dtype, Math.max(sizes.get(spec.dtype) ?? 0, count(c.shape), Math.ceil(moved / 2)));
  }
  const flush = Tensor.empty([FLUSH_BYTES / 4], { device: 'cuda' });
  try {
    // Each case's kernel: the tuner's recorded choice for its spec, shape and GPU model, else the default.
    const records = await Promise.all(cases.map((c) => (tuningDir === undefined ? undefined : usableRecord(tuningDir, c, gpu.device, o.progress))));
    const recorded = records.filter((r) => r !== undefined).length;
    if (recorded > 0) o.progress(`${recorded} of ${cases.length} cases take the tuner's recorded choice (from ${tuningDir})`);
    const chosenVariant = (i: number) => records[i]?.variant ?? undefined;
    const fits = cases.map((c) => alsoFor(c, o.alsoVariant));
    // With --variants, a variant the generator already offers is timed once, as one of them.
    const offered = (c: BenchCase, v: CudaVariant) => o.variants && allVariants(normalizeSpec(c.spec)).some((x) => JSON.stringify(x) === JSON.stringify(v));
    const extras = fits.map((v, i) => (v && !offered(cases[i]!, v) ? v : undefined));
    if (o.alsoVariant !== undefined) {
      const fit = fits.filter((v) => v !== undefined).length;
      if (fit === 0) throw new SpecError('alsoVariant', o.alsoVariant, `a variant one of the ${cases.length} selected cases can take`);
      o.progress(`${fit} of ${cases.length} cases also time ${JSON.stringify(o.alsoVariant)}`);
    }
    // Compile everything first, in parallel, so timing runs back to back.
    const jobs = cases.flatMap((c, i) => [...(o.variants ? [chosenVariant(i), ...allVariants(normalizeSpec(c.spec))] : [chosenVariant(i)]), ...(extras[i] ? [extras[i]] : [])].map((variant) => ({ c, variant })));
    o.progress(`compiling ${jobs.length} kernels for ${cases.length} cases`);
    const kernels = new Map<string, Kernel>();
    await inParallel(jobs, cpus().length, async ({ c, variant }) => {
      const kernel = await compile(c.spec, { target: 'cuda', cacheDir, ...(variant ? { variant } : {}) });
      // Timed as a whole: every program loaded (an NVRTC compile returns before its later ones are).
      await kernel.whenComplete();
      kernels.set(jobKey(c, variant), kernel);
    });
    const defaults = cases.map((c, i) => kernels.get(jobKey(c, chosenVariant(i)))!);
    // The widths group compares widths with each other: PyTorch times only the cases that ask for it.
    const torchCases = cases.filter((c) => c.torch);
    const torch = !o.torch ? { unavailable: 'skipped (--no-torch)' } : torchCases.length === 0 ? { unavailable: 'not asked by these cases' } : await torchTimes(torchCases, o.rounds, o.progress);
    const torchAt = new Map(torchCases.map((c, i) => [c.name, i]));
    const rows: BenchRow[] = [];
    const result = (): BenchResult => ({
      device: describeGpu(gpu.device), gpu: { name: gpu.device.name, arch: gpu.device.arch, multiprocessors: gpu.device.multiprocessors }, startedAt, seed,
      torch: 'ms' in torch ? torch.detail : torch.unavailable,
      tuning: tuningDir === undefined ? 'not looked for (--no-tuning)' : `recorded choices looked for in ${tuningDir}`,
      rows: withAlignedRatios(rows),
    });
    await pools.fill(sizes);
    for (const [i, c] of cases.entries()) {
      o.progress(`timing ${c.name}`);
      const extra = extras[i] ? [kernels.get(jobKey(c, extras[i]))!] : [];
      const candidates = [...(o.variants ? allVariants(normalizeSpec(c.spec)).map((v) => kernels.get(jobKey(c, v))!) : [defaults[i]!]), ...extra];
      const t = torchAt.get(c.name);
      const timed = 'ms' in torch && t !== undefined ? { ms: torch.ms[t], compiledMs: torch.compiledMs[t], exactMs: torch.exactMs[t] } : undefined;
      const row = measureCase(c, defaults[i]!, candidates, pools, flush.deviceAddress(), seed, o.reps, timed?.ms, timed?.compiledMs);
      const record = records[i];
      rows.push({
        ...row, ...(timed?.exactMs === undefined ? {} : { torchExactMs: timed.exactMs }),
        choice: record ? 'recorded' : 'default', ...(record ? { recordedAt: record.createdAt } : {}),
        targets: c.targets, ...(c.alignedTo === undefined ? {} : { alignedTo: c.alignedTo }),
      });
      o.partial?.(result());
    }
    for (let round = 2; round <= o.rounds; round++) {
      for (const [i, c] of cases.entries()) {
        o.progress(`timing ${c.name} again (round ${round} of ${o.rounds})`);
        rows[i] = withRound(rows[i]!, retimeCase(c, defaults[i]!, pools, flush.deviceAddress(), seed, o.reps));
        o.partial?.(result());
      }
    }
    return result();
  } finally {
    flush.dispose();
    pools.dispose();
    if (o.cacheDir === undefined) await rm(cacheDir, { recursive: true, force: true });
  }
}

/** The GPU in one line, as the bench's header and JSON name it. */
export function describeGpu(d: Pick<DeviceInfo, 'name' | 'arch' | 'multiprocessors'>): string {
  return `${d.name} (${d.arch}, ${d.multiprocessors} SMs)`;
}

/** The tuner's recorded choice for a case on this GPU, where there is one that this version can compile. */
async function usableRecord(root: string, c: BenchCase, gpu: DeviceInfo, progress: (line: string) => void): Promise<TuningRecord | undefined> {
  const spec: KernelSpec = normalizeSpec(c.spec);
  const record = await recordedChoice(root, spec, c.shape, gpu);
  if (!record) return undefined;
  try {
    if (record.variant) normalizeVariant(spec, record.variant);
    return record;
  } catch (err) {
    progress(`${c.name}: the recorded choice in ${root} does not fit this version (${(err as Error).message.split('\n')[0]}); taking the default`);
    return undefined;
  }
}

/** The extra variant, normalized for this case's spec, or undefined where the spec cannot take it. */
function alsoFor(c: BenchCase, variant: unknown): CudaVariant | undefined {
  if (variant === undefined) return undefined;
  try {
    return normalizeVariant(normalizeSpec(c.spec), variant);
  } catch (err) {
    if (err instanceof SpecError) return undefined;
    throw err;
  }
}

function jobKey(c: BenchCase, v: CudaVariant | undefined): string {
  return `${c.name}|${JSON.stringify(v ?? null)}`;
}

/** A case's GPU operands: its input (a prefix of the dtype's pool), weights, epilogue operands and output shape. */
function caseOperands(c: BenchCase, def: Kernel, pools: InputPools, seed: number, track: (t: Tensor) => Tensor) {
  const rt = cudaRuntime(readEnvironment());
  const spec = def.spec;
  const { dtype } = spec;
  const inCount = c.shape.reduce((a, b) => a * b, 1);
  const pool = pools.get(dtype, inCount);
  const outShape = def.outputShape(c.shape);
  const outCount = outShape.reduce((a, b) => a * b, 1);
  const p = randomParameters(spec, channelsOf(spec, c.shape), seed ^ 0x5bd1e995);
  const residualSeed = seed ^ 0x2545f491;
  const view = Tensor.view(pool, c.shape); // the pool's prefix as this case's input
  const { w: wt, b: bt, epilogue: params } = parameterTensors(spec, channelsOf(spec, c.shape), p, { device: 'cuda' }, track);
  let residual: Tensor | undefined;
  if (spec.residual !== 'none') {
    residual = track(Tensor.empty(outShape, { dtype, device: 'cuda' }));
    uploadUniform(rt, residual.deviceAddress(), outCount, dtype, residualSeed);
  }
  const bytesMoved = (inCount + outCount * (residual ? 2 : 1)) * DTYPE_BYTES[dtype];
  return { rt, pool, view, wt, bt, p, residualSeed, residual, epilogue: { ...params, ...(residual ? { residual } : {}) }, outShape, outCount, bytesMoved };
}

/** A copy of half a case's bytes (a copy moves twice its size), from its dtype's pool, timed. */
function timeCopy(rt: CudaRuntime, pool: Tensor, bytesMoved: number, reps: number, flush: { address: Address; bytes: number }, track: (t: Tensor) => Tensor): number {
  const copyBytes = Math.floor(bytesMoved / 2);
  const dst = track(Tensor.empty([Math.ceil(copyBytes / 4)], { device: 'cuda' }));
  return timeLaunches(rt, () => rt.copyDeviceToDevice(dst.deviceAddress(), pool.deviceAddress(), copyBytes), reps, flush);
}

/** What measureCase times and checks; runBench adds where the kernel came from and what the case should reach. */
type MeasuredRow = Omit<BenchRow, 'choice' | 'recordedAt' | 'targets' | 'alignedTo' | 'ofAligned' | 'torchExactMs'>;

function measureCase(c: BenchCase, def: Kernel, candidates: Kernel[], pools: InputPools, flushAt: Address, seed: number, reps: number, torchMs: number | undefined, torchCompiledMs: number | undefined): MeasuredRow {
  const spec = def.spec;
  const { dtype } = spec;
  const opts = { dtype, device: 'cuda' } as const;
  const tensors: Tensor[] = [];
  const track = (t: Tensor) => (tensors.push(t), t);
  try {
    const { rt, pool, view, wt, bt, p, residualSeed, residual, epilogue, outShape, outCount, bytesMoved } = caseOperands(c, def, pools, seed, track);
    // A block's output sums C*m depthwise results: its reference costs C*m*kh*kw input reads, so fewer samples.
    const perOutput = spec.pointwise ? channelsOf(spec, c.shape) * spec.channelMultiplier * spec.kernelSize[0] * spec.kernelSize[1] : 1;
    const indices = sampleIndices(outCount, Math.max(200, Math.min(SAMPLE, Math.floor(SEPARABLE_SAMPLE_READS / perOutput))));
    const ref = {
      spec, inputShape: c.shape, input: (i: number) => uniformStored(seed, i, dtype), ...referenceParameters(p),
      ...(residual ? { residual: (i: number) => uniformStored(residualSeed, i, dtype) } : {}),
    };
    const flush = { address: flushAt, bytes: FLUSH_BYTES };
    const timings: VariantTiming[] = [];
    let defMs = Number.NaN;
    let defFailures = 0;
    let checked = 0;
    for (const k of candidates) {
      const out = Tensor.empty(outShape, opts); // NaN-poisoned
      try {
        k.forward(view, wt, bt, { ...epilogue, out });
        rt.synchronize();
        const got = readAt(rt, out.deviceAddress(), indices, dtype);
        const r = verifyOutputs(ref, outShape, indices, (j) => got[j]!, dtype);
        const ms = timeLaunches(rt, () => k.forward(view, wt, bt, { ...epilogue, out }), reps, flush);
        timings.push({ variant: k.provenance.variant, ms, failures: r.failures });
        checked += r.checked;
        if (k.key === def.key) {
          defMs = ms;
          defFailures = r.failures;
        }
      } finally {
        out.dispose();
      }
    }
    if (Number.isNaN(defMs)) {
      const out = track(Tensor.empty(outShape, opts));
      defMs = timeLaunches(rt, () => def.forward(view, wt, bt, { ...epilogue, out }), reps, flush);
    }
    const copyMs = timeCopy(rt, pool, bytesMoved, reps, flush, track);
    return {
      name: c.name, group: c.group, spec: describeSpec(spec), shape: c.shape, bytesMoved, roundsMs: [defMs], variant: def.provenance.variant,
      ...timesOf(bytesMoved, defMs, copyMs, torchMs),
      ...(torchMs !== undefined ? { torchMs } : {}),
      ...(torchCompiledMs !== undefined ? { torchCompiledMs } : {}),
      checked, failures: defFailures + timings.reduce((a, t) => a + t.failures, 0),
      ...(candidates.length > 1 ? { variants: timings } : {}),
    };
  } finally {
    for (const t of tensors) t.dispose();
  }
}

/** A later round of a case: the default kernel (its outputs were checked in the first) and the copy, timed again. */
function retimeCase(c: BenchCase, def: Kernel, pools: InputPools, flushAt: Address, seed: number, reps: number): { ms: number; copyMs: number } {
  const tensors: Tensor[] = [];
  const track = (t: Tensor) => (tensors.push(t), t);
  try {
    const { rt, pool, view, wt, bt, epilogue, outShape, bytesMoved } = caseOperands(c, def, pools, seed, track);
    const flush = { address: flushAt, bytes: FLUSH_BYTES };
    const out = track(Tensor.empty(outShape, { dtype: def.spec.dtype, device: 'cuda' }));
    const ms = timeLaunches(rt, () => def.forward(view, wt, bt, { ...epilogue, out }), reps, flush);
    return { ms, copyMs: timeCopy(rt, pool, bytesMoved, reps, flush, track) };
  } finally {
    for (const t of tensors) t.dispose();
  }
}

/** A kernel's and its copy's times, and what a row derives from them. */
function timesOf(bytesMoved: number, ms: number, copyMs: number, torchMs: number | undefined) {
  return { ms, gbps: bytesMoved / ms / 1e6, copyMs, ofCopy: copyMs / ms, ...(torchMs !== undefined ? { speedup: torchMs / ms } : {}) };
}

/** A row with one more round's times: each keeps its fastest, and what is derived from them follows. */
export function withRound(row: BenchRow, t: { ms: number; copyMs: number }): BenchRow {
  return { ...row, roundsMs: [...row.roundsMs, t.ms], ...timesOf(row.bytesMoved, Math.min(row.ms, t.ms), Math.min(row.copyMs, t.copyMs), row.torchMs) };
}

async function torchTimes(cases: BenchCase[], rounds: number, progress: (l: string) => void): Promise<{ ms: number[]; compiledMs: (number | undefined)[]; exactMs: (number | undefined)[]; detail: string } | { unavailable: string }> {
  const missing = torchScriptMissing();
  if (missing) return { unavailable: missing };
  progress(`timing PyTorch on ${cases.length} cases, ${rounds} round${rounds === 1 ? '' : 's'} (python3)`);
  const dir = await mkdtemp(join(tmpdir(), 'dwconv-torch-'));
  try {
    const file = join(dir, 'cases.json');
    await writeFile(file, JSON.stringify(cases.map((c) => {
      const s = normalizeSpec(c.spec);
      return {
        shape: logicalDims(s, c.shape), kernel: s.kernelSize, stride: s.stride, padding: s.padding, dilation: s.dilation, multiplier: s.channelMultiplier,
        dtype: s.dtype, layout: s.layout, bias: s.bias, batchNorm: s.batchNorm, activation: s.activation, residual: s.residual,
        ...(s.negativeSlope === undefined ? {} : { negativeSlope: s.negativeSlope }),
        ...(s.pointwise ? { pointwise: s.pointwise } : {}),
        // eager PyTorch runs one pass per op; inductor fuses the elementwise tail
        compile: c.group === 'fused' || c.group === 'separable',
        exactFloat32: c.group === 'separable' && s.dtype === 'float32' && !s.pointwise?.tf32,
      };
    })));
    const { execa } = await import('execa'); // loaded by the bench only, not at import
    const r = await execa('python3', [TORCH_SCRIPT, '--cases', file, '--rounds', String(rounds)], { reject: false, timeout: 900_000 * rounds });
    if (r.exitCode !== 0) return { unavailable: (r.stderr || r.message || 'python3 failed').split('\n').slice(-2).join(' ') };
    const list = JSON.parse(r.stdout) as { ms: number; compiledMs?: number; compiledUnavailable?: string; exactMs?: number; detail: string }[];
    for (const [i, t] of list.entries()) if (t.compiledUnavailable) progress(`torch.compile unavailable for ${cases[i]!.name}: ${t.compiledUnavailable}`);
    return { ms: list.map((t) => t.ms), compiledMs: list.map((t) => t.compiledMs), exactMs: list.map((t) => t.exactMs), detail: list[0]?.detail ?? '' };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
