import type { Environment } from '../env.js';
import { CudaError, DwconvError, SpecError } from '../errors.js';
import { channelsOf, logicalDims, outputDtypeOf, outputShape, pointwiseWeightShape, weightShape, type DType, type KernelSpec } from '../spec.js';
import { parameterTensors } from './parameter-tensors.js';
import { cudaRuntime, type Address } from '../ffi/cudart.js';
import type { LoadedArtifact } from './library.js';
import { targetTraits } from '../backends/traits.js';
import type { Target } from '../target.js';
import { rangesEqual, rangesOverlap, Tensor, tensorState, type TensorState } from './tensor.js';
import { forwardOptions, runArrays } from './arguments.js';
import { checkTensorDevice, type Placement } from './device-guard.js';

/** The tensors a fused epilogue reads, beside the bias. */
export interface EpilogueTensors {
  /** batchNorm: float32 [C*m], multiplies the conv (+ bias). See foldBatchNorm. */
  readonly scale?: Tensor;
  /** batchNorm: float32 [C*m], added after the scale. */
  readonly shift?: Tensor;
  /** residual: the output's shape and dtype (outputDtype when the spec has one); `out` may be this very tensor (an in-place add). */
  readonly residual?: Tensor;
  /** pointwise: the 1x1 weights [outChannels, C*m, 1, 1] in the spec's dtype. */
  readonly pointwiseWeight?: Tensor;
  /** pointwise.bias: [outChannels] in the spec's dtype. */
  readonly pointwiseBias?: Tensor;
}

/** Values Kernel.run takes: float32 or float64 elements, or plain numbers (other typed arrays are refused). */
export type HostValues = Float32Array | Float64Array | readonly number[];

/** Host-array forms of the epilogue tensors for Kernel.run. */
export interface EpilogueArrays {
  readonly scale?: HostValues;
  readonly shift?: HostValues;
  readonly residual?: HostValues;
  readonly pointwiseWeight?: HostValues;
  readonly pointwiseBias?: HostValues;
}

export interface ForwardOptions extends EpilogueTensors {
  /** A tensor of the output's shape, dtype and device to write into; default: a new one. It may not overlap an input other than the residual. */
  readonly out?: Tensor;
  /**
   * CUDA stream address (from CudaRuntime.streamCreate, or another library's stream), of the kernel's
   * device; default: that device's legacy default stream. Checked, then ignored, on the CPU.
   */
  readonly stream?: Address;
}

/** Where a kernel came from and what it cost to get it, for logs and the demo. */
export interface KernelProvenance {
  readonly key: string;
  readonly symbol: string;
  readonly artifactPath: string;
  readonly origin: 'memory' | 'precompiled' | 'disk' | 'remote' | 'compiled';
  readonly compileMilliseconds: number;
  readonly loadMilliseconds: number;
  readonly variant: Readonly<Record<string, string | number>>;
  /** What built the artifact: nvcc, NVRTC, or the C++ compiler (CPU). */
  readonly compiler: 'nvcc' | 'nvrtc' | 'cxx';
  /**
   * Entry points whose programs were still compiling when compile() returned (an NVRTC compile of a
   * source with programs that compile later): see Kernel.whenComplete. Empty for a kernel loaded whole.
   */
  readonly compiledLater?: readonly string[];
}

/** A compiled, loaded depthwise convolution for one spec, on one device. */
export class Kernel {
  /**
   * @param deviceIndex CUDA: the device the artifact was loaded on (its context holds the module);
   * undefined for the CPU.
   */
  constructor(
    readonly spec: KernelSpec,
    readonly target: Target,
    readonly provenance: KernelProvenance,
    private readonly artifact: LoadedArtifact,
    private readonly env: Environment,
    readonly deviceIndex: number | undefined = undefined,
  ) {
    this.onDevice = targetTraits(target).hasDevices;
    if (this.onDevice !== (deviceIndex !== undefined)) throw new DwconvError(`internal: a ${target} kernel ${this.onDevice ? 'needs' : 'has no'} a device index`);
    this.placement = { device: target, deviceIndex };
  }

  /** Where the kernel runs (`device`: its target), as the device guard compares it with a tensor. */
  private readonly placement: Placement;

  /** The target's kernels run on a CUDA device (TargetTraits.hasDevices): device addresses, queued launches, CUDA statuses. */
  private readonly onDevice: boolean;

  get key(): string {
    return this.provenance.key;
  }

  /** The same loaded kernel, as a later compile() in this process returns it (origin 'memory', nothing compiled or loaded). */
  fromMemory(): Kernel {
    return new Kernel(this.spec, this.target, { ...this.provenance, origin: 'memory', compileMilliseconds: 0, loadMilliseconds: 0 }, this.artifact, this.env, this.deviceIndex);
  }

  /**
   * Resolves once every entry point is loaded and the artifact is in the cache: at once for a kernel
   * loaded whole (a cache hit, an nvcc build, the CPU). An NVRTC compile returns as soon as all but
   * its slowest, shape-specific programs are compiled (provenance.compiledLater: the any-width ring,
   * for rows whose width is not a multiple of the vector width); until they are loaded, the calls
   * they would take go to the direct kernel, correct but slower. Await this before timing a kernel
   * or where every call must run the same machine code. Rejects if that later part failed: the
   * kernel keeps working without it, and the next process compiles it again.
   */
  whenComplete(): Promise<void> {
    return this.artifact.complete ?? Promise.resolve();
  }

  /** [N, C*m, Ho, Wo] for an [N, C, H, W] input; in NHWC order for an NHWC spec. */
  outputShape(inputShape: readonly number[]): [number, number, number, number] {
    return outputShape(this.spec, inputShape);
  }

  /** The weight shape PyTorch uses for this conv: [C*m, 1, kh, kw]. */
  weightShape(channels: number): [number, number, number, number] {
    return weightShape(this.spec, channels);
  }

  /**
   * Launches on tensors already in place; no copies. On CUDA it returns once the launch is queued. On
   * the CPU the convolution runs to completion on this thread, blocking the event loop meanwhile: use
   * forwardAsync to keep it free.
   */
  forward(x: Tensor, w: Tensor, b?: Tensor, options: ForwardOptions = {}): Tensor {
    const { args, out } = this.prepare(x, w, b, options);
    this.checkStatus(this.launchHere(args));
    return out;
  }

  /**
   * forward() that keeps the event loop free: on the CPU the convolution runs on koffi's worker thread
   * and the promise settles when it is done; on CUDA the launch is queued (as forward() does). Leave the
   * tensors alone until it settles: the kernel reads and writes them meanwhile.
   */
  async forwardAsync(x: Tensor, w: Tensor, b?: Tensor, options: ForwardOptions = {}): Promise<Tensor> {
    const { args, out } = this.prepare(x, w, b, options);
    this.checkStatus(await this.launchOffThread(args));
    return out;
  }

  /**
   * Host arrays in (float32, converted to the spec's dtype; scale and shift stay float32), host array
   * out; waits for the result.
   */
  async run(input: HostValues, inputShape: readonly number[], weight: HostValues, bias?: HostValues, epilogue: EpilogueArrays = {}): Promise<Float32Array> {
    const outShape = this.outputShape(inputShape);
    const channels = channelsOf(this.spec, inputShape);
    const arrays = runArrays(this.spec, { input, inputShape, weight, bias, epilogue, channels, outShape });
    const device = this.deviceIndex ?? 'cpu';
    const opts = { dtype: this.spec.dtype, device, env: this.env } as const;
    const tensors: Tensor[] = [];
    const track = (t: Tensor) => (tensors.push(t), t);
    try {
      const x = track(Tensor.fromArray(arrays.input, inputShape, opts));
      const { w, b, epilogue: tensorsOf } = parameterTensors(this.spec, channels, arrays.parameters, { device, env: this.env }, track);
      const outOpts = { ...opts, dtype: outputDtypeOf(this.spec) };
      const residual = arrays.residual === undefined ? undefined : track(Tensor.fromArray(arrays.residual, outShape, outOpts));
      const out = track(Tensor.empty(outShape, outOpts));
      const { args } = this.prepare(x, w, b, { ...tensorsOf, ...(residual ? { residual } : {}), out });
      if (this.onDevice) {
        this.checkStatus(this.launchHere(args));
        const rt = cudaRuntime(this.env);
        rt.onDevice(this.deviceIndex!, () => rt.synchronize());
      } else {
        this.checkStatus(await this.launchOffThread(args));
      }
      return out.toArray();
    } finally {
      for (const t of tensors) t.dispose();
    }
  }

  /**
   * The native call, on this thread. A CUDA launch runs with the kernel's device current (then the
   * caller's is put back): an nvcc library launches on the runtime's current device, and the default
   * stream it names is that device's. A cubin's launcher also makes its own context current.
   */
  private launchHere(args: unknown[]): number {
    if (!this.onDevice) return this.artifact.launch(...args);
    const rt = cudaRuntime(this.env);
    return rt.onDevice(this.deviceIndex!, () => this.artifact.launch(...args));
  }

  /** The CPU loop on koffi's worker thread, so the event loop stays free meanwhile; CUDA launches are only queued. */
  private launchOffThread(args: unknown[]): Promise<number> {
    if (this.onDevice || !this.artifact.launchAsync) return Promise.resolve(this.launchHere(args));
    return this.artifact.launchAsync(...args);
  }

  /**
   * Every check that must pass before a launch: brand, liveness, device, dtype, layout, shapes, byte
   * lengths and overlaps, all read from the tensors' private state (tensorState), which is also what
   * the pointers come from: nothing a caller can reassign or fake reaches the native call.
   */
  private prepare(x: Tensor, w: Tensor, b: Tensor | undefined, options: ForwardOptions): { args: unknown[]; out: Tensor } {
    const opts = forwardOptions(options);
    const expect = (name: string, t: unknown, shape: readonly number[], dtype: DType = this.spec.dtype): TensorState => {
      const s = tensorState(t, name);
      checkTensorDevice(name, s, this.placement);
      if (s.dtype !== dtype) throw new SpecError(`${name}.dtype`, s.dtype, `'${dtype}'${dtype === this.spec.dtype ? " (the spec's dtype)" : dtype === outputDtypeOf(this.spec) ? " (the spec's outputDtype)" : ''}`);
      if (s.shape.length !== shape.length || s.shape.some((d, i) => d !== shape[i])) throw new SpecError(`${name}.shape`, s.shape, JSON.stringify(shape));
      return s;
    };
    const activation = (name: string, s: TensorState) => {
      if (s.layout !== undefined && s.layout !== this.spec.layout) throw new SpecError(`${name}.layout`, s.layout, `'${this.spec.layout}' (the spec's layout)`);
      return s;
    };
    const xs = activation('x', tensorState(x, 'x'));
    const outShape = this.outputShape(xs.shape);
    const [n, c, h, wid] = logicalDims(this.spec, xs.shape as [number, number, number, number]);
    expect('x', x, xs.shape);
    const ws = expect('w', w, this.weightShape(c));
    const absent = (name: string, t: unknown, why: string) => {
      if (t !== undefined) throw new SpecError(name, `a ${name} tensor`, `none (${why})`);
      return undefined;
    };
    const cOut = c * this.spec.channelMultiplier;
    const bs = this.spec.bias ? expect('b', b, [cOut]) : absent('b', b, 'this spec has bias: false');
    const bn = this.spec.batchNorm;
    const scale = bn ? expect('scale', opts.scale, [cOut], 'float32') : absent('scale', opts.scale, 'this spec has batchNorm: false');
    const shift = bn ? expect('shift', opts.shift, [cOut], 'float32') : absent('shift', opts.shift, 'this spec has batchNorm: false');
    const outDtype = outputDtypeOf(this.spec);
    const residual = this.spec.residual !== 'none' ? activation('residual', expect('residual', opts.residual, outShape, outDtype)) : absent('residual', opts.residual, "this spec has residual: 'none'");
    const pw = this.spec.pointwise;
    const pointwiseWeight = pw ? expect('pointwiseWeight', opts.pointwiseWeight, pointwiseWeightShape(pw, this.spec, c)) : absent('pointwiseWeight', opts.pointwiseWeight, 'this spec has no pointwise part');
    const pointwiseBias = pw?.bias ? expect('pointwiseBias', opts.pointwiseBias, [pw.outChannels]) : absent('pointwiseBias', opts.pointwiseBias, 'this spec has no pointwise bias');
    const given = opts.out === undefined ? undefined : activation('out', expect('out', opts.out, outShape, outDtype));
    const inputs = { x: xs, w: ws, b: bs, scale, shift, pointwiseWeight, pointwiseBias } as const;
    for (const [name, s] of Object.entries(inputs)) {
      if (s && given && rangesOverlap(given, s)) throw new SpecError('out', `memory shared with ${name}`, 'a tensor that overlaps no input (only the residual may be the output itself)');
    }
    if (residual && given && rangesOverlap(given, residual) && !rangesEqual(given, residual)) throw new SpecError('out', 'memory partly shared with residual', 'the residual tensor itself or memory apart from it');
    // A fresh output only once every check has passed, so a refused call allocates nothing.
    const out = (opts.out as Tensor | undefined) ?? Tensor.empty(outShape, { dtype: outDtype, device: this.deviceIndex ?? 'cpu', env: this.env });
    const outs = given ?? tensorState(out, 'out');
    const states = [xs, ws, bs, scale, shift, residual, pointwiseWeight, pointwiseBias, outs];
    return { args: [...this.pointers(states), n, c, h, wid, opts.stream ?? 0], out };
  }

  private pointers(states: readonly (TensorState | undefined)[]): unknown[] {
    if (this.onDevice) return states.map((s) => s?.address ?? 0);
    return states.map((s) => s?.host ?? null);
  }

  private checkStatus(status: number): void {
    if (status === 0) return;
    if (status < 0) throw new DwconvError(`${this.provenance.symbol} rejected its arguments (status ${status})`);
    if (this.onDevice) cudaRuntime(this.env).check(this.provenance.symbol, status);
    throw new CudaError(this.provenance.symbol, status, 'launch failed');
  }
}
