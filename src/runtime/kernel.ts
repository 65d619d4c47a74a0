import type { Environment } from '../env.js';
import { CudaError, DwconvError, SpecError } from '../errors.js';
import { channelsOf, logicalDims, outputDtypeOf, outputShape, pointwiseWeightShape, weightShape, type DType, type KernelSpec } from '../spec.js';
import { parameterTensors } from './parameter-tensors.js';
import { cudaRuntime, type Address } from '../ffi/cudart.js';
import type { LoadedArtifact, TargetDevice } from './library.js';
import { Tensor } from './tensor.js';

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

/** Host-array forms of the epilogue tensors for Kernel.run. */
export interface EpilogueArrays {
  readonly scale?: Float32Array;
  readonly shift?: Float32Array;
  readonly residual?: Float32Array;
  readonly pointwiseWeight?: Float32Array;
  readonly pointwiseBias?: Float32Array;
}

export interface ForwardOptions extends EpilogueTensors {
  /** A tensor of the output's shape, dtype and device to write into; default: a new one. It may not overlap an input other than the residual. */
  readonly out?: Tensor;
  /** CUDA stream address (from CudaRuntime.streamCreate); default: the legacy default stream. Ignored on the CPU. */
  readonly stream?: Address;
}

/** Where a kernel came from and what it cost to get it, for logs and the demo. */
export interface KernelProvenance {
  readonly key: string;
  readonly symbol: string;
  readonly artifactPath: string;
  readonly origin: 'memory' | 'precompiled' | 'disk' | 'compiled';
  readonly compileMilliseconds: number;
  readonly loadMilliseconds: number;
  readonly variant: Readonly<Record<string, string | number>>;
  /** What built the artifact: nvcc, NVRTC, or the C++ compiler (CPU). */
  readonly compiler: 'nvcc' | 'nvrtc' | 'cxx';
}

/** A compiled, loaded depthwise convolution for one spec. */
export class Kernel {
  constructor(
    readonly spec: KernelSpec,
    readonly target: TargetDevice,
    readonly provenance: KernelProvenance,
    private readonly artifact: LoadedArtifact,
    private readonly env: Environment,
  ) {}

  get key(): string {
    return this.provenance.key;
  }

  /** The same loaded kernel, as a later compile() in this process returns it (origin 'memory', nothing compiled or loaded). */
  fromMemory(): Kernel {
    return new Kernel(this.spec, this.target, { ...this.provenance, origin: 'memory', compileMilliseconds: 0, loadMilliseconds: 0 }, this.artifact, this.env);
  }

  /** [N, C*m, Ho, Wo] for an [N, C, H, W] input; in NHWC order for an NHWC spec. */
  outputShape(inputShape: readonly number[]): [number, number, number, number] {
    return outputShape(this.spec, inputShape);
  }

  /** The weight shape PyTorch uses for this conv: [C*m, 1, kh, kw]. */
  weightShape(channels: number): [number, number, number, number] {
    return weightShape(this.spec, channels);
  }

  /** Launches on tensors already in place; no copies. On CUDA it returns once the launch is queued. */
  forward(x: Tensor, w: Tensor, b?: Tensor, options: ForwardOptions = {}): Tensor {
    const { args, out } = this.prepare(x, w, b, options);
    this.checkStatus(this.artifact.launch(...args));
    return out;
  }

  /**
   * Host arrays in (float32, converted to the spec's dtype; scale and shift stay float32), host array
   * out; waits for the result.
   */
  async run(input: Float32Array, inputShape: readonly number[], weight: Float32Array, bias?: Float32Array, epilogue: EpilogueArrays = {}): Promise<Float32Array> {
    const outShape = this.outputShape(inputShape);
    const channels = channelsOf(this.spec, inputShape);
    if (this.spec.bias && bias === undefined) throw new SpecError('bias', undefined, `a Float32Array of ${channels * this.spec.channelMultiplier} values (this spec has bias: true)`);
    const opts = { dtype: this.spec.dtype, device: this.target, env: this.env } as const;
    const tensors: Tensor[] = [];
    const track = (t: Tensor) => (tensors.push(t), t);
    try {
      const x = track(Tensor.fromArray(input, inputShape, opts));
      const { residual: r, ...params } = epilogue;
      const { w, b, epilogue: tensorsOf } = parameterTensors(this.spec, channels, { w: weight, ...(bias ? { bias } : {}), ...params }, { device: this.target, env: this.env }, track);
      const outOpts = { ...opts, dtype: outputDtypeOf(this.spec) };
      const residual = r === undefined ? undefined : track(Tensor.fromArray(r, outShape, outOpts));
      const out = track(Tensor.empty(outShape, outOpts));
      const { args } = this.prepare(x, w, b, { ...tensorsOf, ...(residual ? { residual } : {}), out });
      if (this.target === 'cuda') {
        this.checkStatus(this.artifact.launch(...args));
        cudaRuntime(this.env).synchronize();
      } else {
        // The CPU loop runs on koffi's worker thread, so the event loop stays free meanwhile.
        this.checkStatus(await (this.artifact.launchAsync ?? ((...a: unknown[]) => Promise.resolve(this.artifact.launch(...a))))(...args));
      }
      return out.toArray();
    } finally {
      for (const t of tensors) t.dispose();
    }
  }

  /** Every check that must pass before a launch: device, dtype, shapes, liveness. */
  private prepare(x: Tensor, w: Tensor, b: Tensor | undefined, options: ForwardOptions): { args: unknown[]; out: Tensor } {
    const device = this.target;
    const expect = (name: string, t: unknown, shape: readonly number[], dtype: DType = this.spec.dtype): Tensor => {
      if (!(t instanceof Tensor)) throw new SpecError(name, t, `a Tensor of shape ${JSON.stringify(shape)}`);
      if (t.disposed) throw new SpecError(name, 'a disposed tensor', 'a live Tensor');
      if (t.device !== device) throw new SpecError(`${name}.device`, t.device, `'${device}' (this kernel's target)`);
      if (t.dtype !== dtype) throw new SpecError(`${name}.dtype`, t.dtype, `'${dtype}'${dtype === this.spec.dtype ? " (the spec's dtype)" : dtype === outputDtypeOf(this.spec) ? " (the spec's outputDtype)" : ''}`);
      if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) throw new SpecError(`${name}.shape`, t.shape, JSON.stringify(shape));
      return t;
    };
    if (!(x instanceof Tensor)) throw new SpecError('x', x, `a Tensor of shape [${this.spec.layout.split('').join(', ')}]`);
    const outShape = this.outputShape(x.shape);
    const [n, c, h, wid] = logicalDims(this.spec, x.shape as [number, number, number, number]);
    expect('x', x, x.shape);
    expect('w', w, this.weightShape(c));
    const absent = (name: string, t: unknown, why: string) => {
      if (t !== undefined) throw new SpecError(name, `a ${name} tensor`, `none (${why})`);
      return undefined;
    };
    const cOut = c * this.spec.channelMultiplier;
    if (this.spec.bias) expect('b', b, [cOut]);
    else absent('b', b, 'this spec has bias: false');
    const bn = this.spec.batchNorm;
    const scale = bn ? expect('scale', options.scale, [cOut], 'float32') : absent('scale', options.scale, 'this spec has batchNorm: false');
    const shift = bn ? expect('shift', options.shift, [cOut], 'float32') : absent('shift', options.shift, 'this spec has batchNorm: false');
    const outDtype = outputDtypeOf(this.spec);
    const residual = this.spec.residual !== 'none' ? expect('residual', options.residual, outShape, outDtype) : absent('residual', options.residual, "this spec has residual: 'none'");
    const pw = this.spec.pointwise;
    const pointwiseWeight = pw ? expect('pointwiseWeight', options.pointwiseWeight, pointwiseWeightShape(pw, this.spec, c)) : absent('pointwiseWeight', options.pointwiseWeight, 'this spec has no pointwise part');
    const pointwiseBias = pw?.bias ? expect('pointwiseBias', options.pointwiseBias, [pw.outChannels]) : absent('pointwiseBias', options.pointwiseBias, 'this spec has no pointwise bias');
    const out = options.out === undefined ? Tensor.empty(outShape, { dtype: outDtype, device, env: this.env }) : expect('out', options.out, outShape, outDtype);
    const inputs = { x, w, b, scale, shift, pointwiseWeight, pointwiseBias } as const;
    for (const [name, t] of Object.entries(inputs)) {
      if (t && out.overlaps(t)) throw new SpecError('out', `memory shared with ${name}`, 'a tensor that overlaps no input (only the residual may be the output itself)');
    }
    if (residual && out.overlaps(residual) && !out.sameMemory(residual)) throw new SpecError('out', 'memory partly shared with residual', 'the residual tensor itself or memory apart from it');
    return { args: [...this.pointers([x, w, b, scale, shift, residual, pointwiseWeight, pointwiseBias, out]), n, c, h, wid, options.stream ?? 0], out };
  }

  private pointers(tensors: readonly (Tensor | undefined)[]): unknown[] {
    if (this.target === 'cuda') return tensors.map((t) => t?.deviceAddress() ?? 0);
    return tensors.map((t) => t?.hostBytes() ?? null);
  }

  private checkStatus(status: number): void {
    if (status === 0) return;
    if (status < 0) throw new DwconvError(`${this.provenance.symbol} rejected its arguments (status ${status})`);
    if (this.target === 'cuda') cudaRuntime(this.env).check(this.provenance.symbol, status);
    throw new CudaError(this.provenance.symbol, status, 'launch failed');
  }
}
