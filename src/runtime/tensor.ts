import { decode, DTYPE_BYTES, encode } from '../dtype.js';
import type { Environment } from '../env.js';
import { readEnvironment } from '../env.js';
import { DwconvError, SpecError } from '../errors.js';
import { DTYPES, LAYOUTS, type DType, type Layout } from '../spec.js';
import { cudaRuntime, type Address, type CudaRuntime } from '../ffi/cudart.js';
import { checkDeviceIndex, deviceName, parseDevice, type Device, type DeviceChoice } from '../device.js';

export type { Device, DeviceChoice } from '../device.js';

export interface TensorOptions {
  /** Element type of the storage; default 'float32'. */
  readonly dtype?: DType;
  /**
   * Where the memory lives; default 'cpu'. A CUDA device by index (1), as 'cuda:1', or as 'cuda': the
   * calling thread's current device (0 unless cudaSetDevice chose another). The tensor keeps it as
   * `device` ('cuda') and `deviceIndex` (1); a kernel of another device refuses the tensor.
   */
  readonly device?: DeviceChoice;
  /**
   * The order of a 4-D tensor's dims ('NCHW' | 'NHWC'). Default: none, and a kernel takes the
   * tensor in its own layout; when given, a kernel of the other layout refuses the tensor.
   */
  readonly layout?: Layout;
  readonly env?: Environment;
}

export interface DevicePointerOptions extends TensorOptions {
  /**
   * Bytes the memory at the address holds; default: exactly shape × dtype. A shape that needs more
   * than this is refused, here and at every call.
   */
  readonly byteLength?: number;
}

/**
 * What a native call may be given for one tensor, read from the tensor's private state (never from
 * its public fields, which a caller can shadow or fake). Kernel.prepare checks and launches from this.
 */
export interface TensorState {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly device: Device;
  readonly layout: Layout | undefined;
  /** CUDA device ordinal of the memory; undefined on the host. */
  readonly deviceIndex: number | undefined;
  /** shape × dtype: what a kernel reads or writes. */
  readonly byteLength: number;
  /** Host tensors: exactly the bytes a kernel may touch (checked against the buffer's live length). */
  readonly host: Uint8Array | undefined;
  /** CUDA tensors: the address, as given to the kernel. */
  readonly address: Address | undefined;
  /** For overlap checks: one memory space and a byte range in it. */
  readonly space: ArrayBufferLike | 'cuda';
  readonly start: bigint;
  readonly end: bigint;
}

/**
 * Node's typed arrays stop at 2^32 bytes (V8's limit on Node 20); larger host tensors are refused
 * with this in the message rather than a RangeError from deep inside.
 */
const HOST_LIMIT_NOTE = 'host (cpu) tensors are single Node.js buffers: at most 4 GiB on Node 20';

function elementCount(field: string, shape: unknown): number {
  if (!Array.isArray(shape) || shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new SpecError(field, shape, 'an array of positive integers');
  }
  const n = (shape as number[]).reduce((a, b) => a * b, 1);
  if (n > Number.MAX_SAFE_INTEGER) throw new SpecError(field, shape, 'at most 2^53 elements');
  return n;
}

interface Checked {
  dtype: DType;
  device: Device;
  /** CUDA: the index asked for, or 'current' (resolved when the memory is placed). */
  cudaIndex: number | 'current' | undefined;
  layout: Layout | undefined;
  env: Environment;
}

function checkOptions(options: unknown): Checked {
  if (typeof options !== 'object' || options === null) throw new SpecError('options', options, 'an object such as { dtype, device, layout }');
  const o = options as TensorOptions;
  const dtype = o.dtype ?? 'float32';
  if (!(DTYPES as readonly string[]).includes(dtype)) throw new SpecError('dtype', dtype, DTYPES.map((d) => `'${d}'`).join(' | '));
  const placed = parseDevice('device', o.device ?? 'cpu');
  if (o.layout !== undefined && !(LAYOUTS as readonly string[]).includes(o.layout)) throw new SpecError('layout', o.layout, LAYOUTS.map((l) => `'${l}'`).join(' | '));
  return { dtype, device: placed.kind, cudaIndex: placed.kind === 'cuda' ? placed.index : undefined, layout: o.layout, env: o.env ?? readEnvironment() };
}

/** The device a CUDA tensor's memory goes to: the index asked for (checked to exist here), else the thread's current device. */
function deviceIndexFor(rt: CudaRuntime, requested: number | 'current'): number {
  if (requested === 'current') return rt.currentDevice();
  checkDeviceIndex('device', requested, rt.deviceCount());
  return requested;
}

function checkLayout(shape: readonly number[], layout: Layout | undefined): void {
  if (layout !== undefined && shape.length !== 4) throw new SpecError('layout', layout, `none: a layout names 4 dims and the shape has ${shape.length}`);
}

/**
 * Host values as float32. Only arrays whose elements are values are taken: any other typed array
 * (a Uint16Array of float16 bits, a BigInt64Array) would be read as integers, so it is refused.
 */
export function hostValues(name: string, values: unknown, count?: number): Float32Array {
  let data: Float32Array;
  if (values instanceof Float32Array) data = values;
  else if (values instanceof Float64Array) data = Float32Array.from(values);
  else if (Array.isArray(values)) {
    const bad = values.findIndex((v) => typeof v !== 'number');
    if (bad >= 0) throw new SpecError(`${name}[${bad}]`, values[bad], 'a number');
    data = Float32Array.from(values as number[]);
  } else if (ArrayBuffer.isView(values)) {
    throw new SpecError(name, `a ${values.constructor.name}`, 'a Float32Array, Float64Array or number[] of values (for raw float32/float16/bfloat16 storage, such as a Uint16Array of float16 bits, use Tensor.fromBytes)');
  } else {
    throw new SpecError(name, values, 'a Float32Array, Float64Array or number[] of values');
  }
  if (count !== undefined && data.length !== count) throw new SpecError(`${name}.length`, data.length, `${count}`);
  return data;
}

/** A fixed-length Uint8Array over the bytes of `bytes` (an ArrayBuffer or any view). */
function bytesOf(bytes: unknown): Uint8Array {
  if (bytes instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && bytes instanceof SharedArrayBuffer)) return new Uint8Array(bytes, 0, bytes.byteLength);
  if (ArrayBuffer.isView(bytes)) return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  throw new SpecError('bytes', bytes, 'an ArrayBuffer, Buffer or typed array holding the raw storage');
}

function allocateHost(shape: readonly number[], bytes: number): Uint8Array {
  try {
    return new Uint8Array(bytes);
  } catch (cause) {
    if (!(cause instanceof RangeError)) throw cause;
    throw new SpecError('shape', shape, `a tensor this process can allocate (${bytes} bytes failed: ${cause.message}; ${HOST_LIMIT_NOTE})`);
  }
}

/** Where device memory came from: our cudaMalloc (freed by dispose) or another library (never freed). */
type DeviceMemory = { readonly address: Address; readonly capacity: number; readonly deviceIndex: number; readonly owned: boolean };

let stateOf: (value: unknown, name: string) => TensorState;

/**
 * A dense tensor in host memory or on a CUDA device. Knows its dtype, shape, device and (optionally)
 * layout; its fields are read-only and the memory is checked against them at every native call.
 */
export class Tensor {
  readonly #shape: readonly number[];
  readonly #dtype: DType;
  readonly #device: Device;
  readonly #cudaIndex: number | 'current' | undefined;
  readonly #layout: Layout | undefined;
  readonly #env: Environment;
  readonly #byteLength: number;
  #host: Uint8Array | undefined;
  #memory: DeviceMemory | undefined;
  #released = false;
  /** Set for views: the tensor that owns the memory (a view never frees it). */
  readonly #owner: Tensor | undefined;

  private constructor(shape: readonly number[], checked: Checked, owner?: Tensor) {
    const count = elementCount('shape', shape);
    this.#shape = Object.freeze([...shape]);
    checkLayout(this.#shape, checked.layout);
    this.#dtype = checked.dtype;
    this.#device = checked.device;
    this.#cudaIndex = checked.cudaIndex;
    this.#layout = checked.layout;
    this.#env = checked.env;
    this.#byteLength = count * DTYPE_BYTES[checked.dtype];
    this.#owner = owner;
    // No own properties may shadow the getters (a forged `shape` on the instance).
    Object.freeze(this);
  }

  static {
    stateOf = (value, name) => {
      if (typeof value !== 'object' || value === null || !(#shape in value)) {
        throw new SpecError(name, value, 'a Tensor (from Tensor.empty, fromArray, fromBytes, fromDevicePointer or view)');
      }
      const t = value as Tensor;
      if (t.disposed) throw new SpecError(name, 'a disposed tensor', 'a live Tensor');
      const base = { shape: t.#shape, dtype: t.#dtype, device: t.#device, layout: t.#layout, byteLength: t.#byteLength };
      if (t.#device === 'cpu') {
        const host = t.#host!;
        // The buffer's own length, now: a detached or shrunk ArrayBuffer reads 0 here.
        if (host.byteLength < t.#byteLength) throw new SpecError(name, `a host buffer of ${host.byteLength} bytes`, `${t.#byteLength} bytes (shape ${JSON.stringify(t.#shape)} of ${t.#dtype}); was its ArrayBuffer detached or resized?`);
        return { ...base, deviceIndex: undefined, host, address: undefined, space: host.buffer, start: BigInt(host.byteOffset), end: BigInt(host.byteOffset + t.#byteLength) };
      }
      const memory = t.#memory!;
      if (memory.capacity < t.#byteLength) throw new SpecError(name, `device memory of ${memory.capacity} bytes`, `${t.#byteLength} bytes (shape ${JSON.stringify(t.#shape)} of ${t.#dtype})`);
      const start = BigInt(memory.address);
      return { ...base, deviceIndex: memory.deviceIndex, host: undefined, address: memory.address, space: 'cuda', start, end: start + BigInt(t.#byteLength) };
    };
  }

  /** Whether `value` is a tensor made by this class (not a lookalike or an Object.create of the prototype). */
  static isTensor(value: unknown): value is Tensor {
    return typeof value === 'object' && value !== null && #shape in value;
  }

  get shape(): readonly number[] {
    return this.#shape;
  }
  get dtype(): DType {
    return this.#dtype;
  }
  get device(): Device {
    return this.#device;
  }
  /** 'NCHW' | 'NHWC' where the tensor was given one; undefined: taken in the kernel's layout. */
  get layout(): Layout | undefined {
    return this.#layout;
  }
  /** The CUDA device ordinal of the memory (what `device: n` and 'cuda:n' name); undefined for host tensors. */
  get deviceIndex(): number | undefined {
    return this.#memory?.deviceIndex;
  }
  /** Element strides of the dense row-major storage (the last dim is 1). */
  get strides(): readonly number[] {
    const strides = this.#shape.map(() => 1);
    for (let i = strides.length - 2; i >= 0; i--) strides[i] = strides[i + 1]! * this.#shape[i + 1]!;
    return Object.freeze(strides);
  }
  get length(): number {
    return this.#byteLength / DTYPE_BYTES[this.#dtype];
  }
  get byteLength(): number {
    return this.#byteLength;
  }

  /** Uninitialized memory (filled with NaN bytes so that unwritten outputs never pass as results). */
  static empty(shape: readonly number[], options: TensorOptions = {}): Tensor {
    const t = new Tensor(shape, checkOptions(options));
    if (t.#device === 'cpu') {
      t.#host = allocateHost(t.#shape, t.#byteLength).fill(0xff);
    } else {
      const rt = cudaRuntime(t.#env);
      const memory = (t.#memory = t.#allocateDevice(rt));
      rt.onDevice(memory.deviceIndex, () => rt.memset(memory.address, 0xff, t.#byteLength));
    }
    return t;
  }

  /**
   * Values converted to `dtype` (round to nearest even) and placed on `device`: a Float32Array,
   * Float64Array or number[]. Raw storage (float16 bits in a Uint16Array, say) goes through fromBytes.
   */
  static fromArray(values: Float32Array | Float64Array | readonly number[], shape: readonly number[], options: TensorOptions = {}): Tensor {
    const count = elementCount('shape', shape);
    const data = hostValues('values', values);
    if (data.length !== count) throw new SpecError('values.length', data.length, `${count} (the product of shape ${JSON.stringify(shape)})`);
    const t = new Tensor(shape, checkOptions(options));
    return t.#place(encode(data, t.#dtype));
  }

  /**
   * A tensor over raw storage: `bytes` holds exactly shape × dtype bytes of float32, float16 or
   * bfloat16, little-endian. On the host the tensor is a view of those bytes (no copy: a kernel's
   * output written there is seen through `bytes`); on 'cuda' they are copied to the device.
   */
  static fromBytes(bytes: ArrayBuffer | ArrayBufferView, shape: readonly number[], options: TensorOptions = {}): Tensor {
    const view = bytesOf(bytes);
    const t = new Tensor(shape, checkOptions(options));
    if (view.byteLength !== t.#byteLength) throw new SpecError('bytes.byteLength', view.byteLength, `${t.#byteLength} (shape ${JSON.stringify(t.#shape)} of ${t.#dtype})`);
    const size = DTYPE_BYTES[t.#dtype];
    if (view.byteOffset % size !== 0) throw new SpecError('bytes.byteOffset', view.byteOffset, `a multiple of ${size} (${t.#dtype} elements must be aligned)`);
    return t.#place(view);
  }

  /**
   * Wraps device memory that another library owns (a CUDA pointer from PyTorch, CuPy, ...): no copy,
   * never freed here; dispose() only detaches. The memory must stay allocated while the tensor is in
   * use, and work queued on another stream must be ordered with the kernel's (pass that stream to
   * forward). The pointer is checked to be device (or managed) memory of a CUDA device; the tensor's
   * deviceIndex is the one the runtime reports for it, and a `device` naming another is refused.
   */
  static fromDevicePointer(address: Address, shape: readonly number[], options: DevicePointerOptions = {}): Tensor {
    const checked = checkOptions({ device: 'cuda', ...options });
    if (checked.device !== 'cuda') throw new SpecError('device', checked.device, "'cuda' (fromDevicePointer wraps device memory)");
    if (!((typeof address === 'number' && Number.isSafeInteger(address) && address > 0) || (typeof address === 'bigint' && address > 0n && address < 1n << 64n))) {
      throw new SpecError('address', address, 'a non-zero device address (a number or bigint)');
    }
    const t = new Tensor(shape, checked);
    const capacity = options.byteLength ?? t.#byteLength;
    if (!Number.isSafeInteger(capacity) || capacity < t.#byteLength) {
      throw new SpecError('byteLength', capacity, `at least ${t.#byteLength} (shape ${JSON.stringify(t.#shape)} of ${t.#dtype})`);
    }
    const rt = cudaRuntime(checked.env);
    const where = rt.pointerAttributes(address);
    if (where.type !== 'device' && where.type !== 'managed') throw new SpecError('address', address, `device or managed memory (the CUDA runtime says: ${where.type} memory)`);
    if (checked.cudaIndex !== undefined && checked.cudaIndex !== 'current' && checked.cudaIndex !== where.device) {
      throw new SpecError('device', deviceName('cuda', checked.cudaIndex), `'${deviceName('cuda', where.device)}' (the CUDA runtime says the memory at this address is there), or 'cuda'`);
    }
    t.#memory = { address, capacity, deviceIndex: where.device, owned: false };
    return t;
  }

  /**
   * A tensor of `shape` over the first elements of `base` (same dtype, device and layout, no copy). The
   * view does not own the memory: disposing it is a no-op, and it is unusable once `base` is disposed.
   */
  static view(base: Tensor, shape: readonly number[], options: { readonly layout?: Layout } = {}): Tensor {
    const b = stateOf(base, 'base');
    const owner = base;
    const t = new Tensor(shape, { dtype: b.dtype, device: b.device, cudaIndex: b.deviceIndex, layout: options.layout ?? (shape.length === 4 ? b.layout : undefined), env: owner.#env }, owner);
    if (t.#byteLength > b.byteLength) throw new SpecError('shape', shape, `at most ${b.byteLength / DTYPE_BYTES[b.dtype]} elements (the base tensor's size)`);
    if (b.host) t.#host = b.host.subarray(0, t.#byteLength);
    else t.#memory = { ...owner.#memory!, owned: false };
    return t;
  }

  get disposed(): boolean {
    return this.#released || (this.#owner?.disposed ?? false);
  }

  /** The values as float32 (fp16/bf16 widen exactly). Synchronizes with the device. */
  toArray(): Float32Array {
    const s = stateOf(this, 'tensor');
    if (s.host) return decode(s.host, s.dtype);
    const bytes = new Uint8Array(s.byteLength);
    const rt = cudaRuntime(this.#env);
    // On its own device: the copy waits for that device's default stream (where the kernel ran unless given another).
    rt.onDevice(s.deviceIndex!, () => rt.copyToHost(bytes, s.address!));
    return decode(bytes, s.dtype);
  }

  /** The raw storage of a host tensor. */
  hostBytes(): Uint8Array {
    this.#assertLive();
    if (!this.#host) throw new DwconvError('hostBytes() needs a host (cpu) tensor');
    return this.#host;
  }

  /** The device address of a CUDA tensor. */
  deviceAddress(): Address {
    this.#assertLive();
    if (this.#memory === undefined) throw new DwconvError('deviceAddress() needs a cuda tensor');
    return this.#memory.address;
  }

  /** Whether the two tensors share any byte of memory (a view and its base do). */
  overlaps(other: Tensor): boolean {
    return rangesOverlap(stateOf(this, 'tensor'), stateOf(other, 'other'));
  }

  /** Whether the two tensors are the same bytes: same start and the same length. */
  sameMemory(other: Tensor): boolean {
    return rangesEqual(stateOf(this, 'tensor'), stateOf(other, 'other'));
  }

  /** Frees memory we allocated now; memory from fromDevicePointer is only detached. Later use is an error. Safe to call twice. */
  dispose(): void {
    if (this.#released) return;
    this.#released = true;
    const memory = this.#memory;
    this.#memory = undefined;
    this.#host = undefined;
    if (memory?.owned && !this.#owner) {
      const rt = cudaRuntime(this.#env);
      rt.onDevice(memory.deviceIndex, () => rt.free(memory.address));
    }
  }

  /** `using t = Tensor.empty(...)` disposes at the end of the block. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  #place(bytes: Uint8Array): this {
    if (this.#device === 'cpu') {
      this.#host = bytes;
    } else {
      const rt = cudaRuntime(this.#env);
      const memory = (this.#memory = this.#allocateDevice(rt));
      rt.onDevice(memory.deviceIndex, () => rt.copyToDevice(memory.address, bytes, this.#byteLength));
    }
    return this;
  }

  #allocateDevice(rt: CudaRuntime): DeviceMemory {
    const deviceIndex = deviceIndexFor(rt, this.#cudaIndex ?? 'current');
    // The size recorded here, not the shape, is what later calls are checked against.
    return { address: rt.onDevice(deviceIndex, () => rt.malloc(this.#byteLength)), capacity: this.#byteLength, deviceIndex, owned: true };
  }

  #assertLive(): void {
    if (this.disposed) throw new DwconvError(`this ${this.#device} tensor of shape ${JSON.stringify(this.#shape)} was disposed`);
  }
}

/** The checked state of a tensor argument named `name`: brand, liveness and live buffer length (see TensorState). */
export function tensorState(value: unknown, name: string): TensorState {
  return stateOf(value, name);
}

export function rangesOverlap(a: TensorState, b: TensorState): boolean {
  return a.space === b.space && a.start < b.end && b.start < a.end;
}

export function rangesEqual(a: TensorState, b: TensorState): boolean {
  return a.space === b.space && a.start === b.start && a.end === b.end;
}
