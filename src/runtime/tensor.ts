import { decode, DTYPE_BYTES, encode } from '../dtype.js';
import type { Environment } from '../env.js';
import { readEnvironment } from '../env.js';
import { DwconvError, SpecError } from '../errors.js';
import { DTYPES, type DType } from '../spec.js';
import { cudaRuntime, type Address } from '../ffi/cudart.js';

export type Device = 'cpu' | 'cuda';

export interface TensorOptions {
  readonly dtype?: DType;
  readonly device?: Device;
  readonly env?: Environment;
}

function elementCount(shape: readonly number[]): number {
  if (!Array.isArray(shape) || shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new SpecError('shape', shape, 'an array of positive integers');
  }
  const n = shape.reduce((a, b) => a * b, 1);
  if (n > Number.MAX_SAFE_INTEGER) throw new SpecError('shape', shape, 'at most 2^53 elements');
  return n;
}

function checkOptions(options: TensorOptions): { dtype: DType; device: Device; env: Environment } {
  const dtype = options.dtype ?? 'float32';
  if (!(DTYPES as readonly string[]).includes(dtype)) throw new SpecError('dtype', dtype, DTYPES.map((d) => `'${d}'`).join(' | '));
  const device = options.device ?? 'cpu';
  if (device !== 'cpu' && device !== 'cuda') throw new SpecError('device', device, "'cpu' | 'cuda'");
  return { dtype, device, env: options.env ?? readEnvironment() };
}

/** A dense tensor in host memory or on the current CUDA device. Knows its dtype and shape; no strides. */
export class Tensor {
  readonly length: number;
  readonly byteLength: number;
  private host: Uint8Array | undefined;
  private address: Address | undefined;
  private released = false;
  /** Set for views: the tensor that owns the memory (a view never frees it). */
  private owner: Tensor | undefined;

  private constructor(
    readonly shape: readonly number[],
    readonly dtype: DType,
    readonly device: Device,
    private readonly env: Environment,
  ) {
    this.length = elementCount(shape);
    this.byteLength = this.length * DTYPE_BYTES[dtype];
  }

  /** Uninitialized memory (filled with NaN bytes so that unwritten outputs never pass as results). */
  static empty(shape: readonly number[], options: TensorOptions = {}): Tensor {
    const { dtype, device, env } = checkOptions(options);
    const t = new Tensor(Object.freeze([...shape]), dtype, device, env);
    if (device === 'cpu') {
      t.host = new Uint8Array(t.byteLength).fill(0xff);
    } else {
      const rt = cudaRuntime(env);
      t.address = rt.malloc(t.byteLength);
      rt.memset(t.address, 0xff, t.byteLength);
    }
    return t;
  }

  /** Float32 values converted to `dtype` (round to nearest even) and placed on `device`. */
  static fromArray(values: Float32Array | readonly number[], shape: readonly number[], options: TensorOptions = {}): Tensor {
    const data = values instanceof Float32Array ? values : Float32Array.from(values);
    const count = elementCount(shape);
    if (data.length !== count) throw new SpecError('values.length', data.length, `${count} (the product of shape ${JSON.stringify(shape)})`);
    const { dtype, device, env } = checkOptions(options);
    const t = new Tensor(Object.freeze([...shape]), dtype, device, env);
    const bytes = encode(data, dtype);
    if (device === 'cpu') {
      t.host = bytes;
    } else {
      const rt = cudaRuntime(env);
      t.address = rt.malloc(t.byteLength);
      rt.copyToDevice(t.address, bytes);
    }
    return t;
  }

  /**
   * A tensor of `shape` over the first elements of `base` (same dtype and device, no copy). The view
   * does not own the memory: disposing it is a no-op, and it is unusable once `base` is disposed.
   */
  static view(base: Tensor, shape: readonly number[]): Tensor {
    const t = new Tensor(Object.freeze([...shape]), base.dtype, base.device, base.env);
    if (t.length > base.length) throw new SpecError('shape', shape, `at most ${base.length} elements (the base tensor's size)`);
    t.owner = base;
    if (base.device === 'cpu') t.host = base.hostBytes().subarray(0, t.byteLength);
    else t.address = base.deviceAddress();
    return t;
  }

  get disposed(): boolean {
    return this.released || (this.owner?.disposed ?? false);
  }

  /** The values as float32 (fp16/bf16 widen exactly). Synchronizes with the device. */
  toArray(): Float32Array {
    if (this.device === 'cpu') return decode(this.hostBytes(), this.dtype);
    const bytes = new Uint8Array(this.byteLength);
    cudaRuntime(this.env).copyToHost(bytes, this.deviceAddress());
    return decode(bytes, this.dtype);
  }

  /** The raw storage of a host tensor. */
  hostBytes(): Uint8Array {
    this.assertLive();
    if (!this.host) throw new DwconvError('hostBytes() needs a host (cpu) tensor');
    return this.host;
  }

  /** The device address of a CUDA tensor. */
  deviceAddress(): Address {
    this.assertLive();
    if (this.address === undefined) throw new DwconvError('deviceAddress() needs a cuda tensor');
    return this.address;
  }

  /** Whether the two tensors share any byte of memory (a view and its base do). */
  overlaps(other: Tensor): boolean {
    const [a, b] = [this.memoryRange(), other.memoryRange()];
    return a.space === b.space && a.start < b.end && b.start < a.end;
  }

  /** Whether the two tensors are the same bytes: same start and the same length. */
  sameMemory(other: Tensor): boolean {
    const [a, b] = [this.memoryRange(), other.memoryRange()];
    return a.space === b.space && a.start === b.start && a.end === b.end;
  }

  private memoryRange(): { space: ArrayBufferLike | 'cuda'; start: bigint; end: bigint } {
    if (this.device === 'cpu') {
      const h = this.hostBytes();
      return { space: h.buffer, start: BigInt(h.byteOffset), end: BigInt(h.byteOffset + h.byteLength) };
    }
    const start = BigInt(this.deviceAddress());
    return { space: 'cuda', start, end: start + BigInt(this.byteLength) };
  }

  /** Frees the memory now; later use is an error. Safe to call twice. */
  dispose(): void {
    if (this.released) return;
    this.released = true;
    if (this.address !== undefined && !this.owner) cudaRuntime(this.env).free(this.address);
    this.address = undefined;
    this.host = undefined;
  }

  private assertLive(): void {
    if (this.disposed) throw new DwconvError(`this ${this.device} tensor of shape ${JSON.stringify(this.shape)} was disposed`);
  }
}
