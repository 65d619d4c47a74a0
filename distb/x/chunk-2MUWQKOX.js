import {
  checkDeviceIndex,
  deviceName,
  parseDevice,
  resolveOptions
} from "./chunk-Z4MKRN3J.js";
import {
  cudaRuntime
} from "./chunk-63VYGLLB.js";
import {
  DTYPE_BYTES,
  decode,
  encode,
  symbolOf
} from "./chunk-6BRGTZ7M.js";
import {
  DTYPES,
  LAYOUTS,
  canonicalJson,
  channelsOf,
  logicalDims,
  outputDtypeOf,
  outputShape,
  pointwiseWeightShape,
  weightShape
} from "./chunk-J66XVRM2.js";
import {
  targetTraits
} from "./chunk-HLZTAT3W.js";
import {
  PACKAGE_VERSION
} from "./chunk-X43GYYD5.js";
import {
  readEnvironment
} from "./chunk-CIU4BLIU.js";
import {
  debug
} from "./chunk-SMP3MV7C.js";
import {
  abortedElsewhere,
  throwIfAborted,
  untilAborted
} from "./chunk-UGFPPU7J.js";
import {
  CudaError,
  DeviceMismatchError,
  DwconvError,
  SpecError
} from "./chunk-3MZWLH6H.js";

// dist/runtime/tensor.js
var HOST_LIMIT_NOTE = "host (cpu) tensors are single Node.js buffers: at most 4 GiB on Node 20";
function elementCount(field, shape) {
  if (!Array.isArray(shape) || shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new SpecError(field, shape, "an array of positive integers");
  }
  const n = shape.reduce((a, b) => a * b, 1);
  if (n > Number.MAX_SAFE_INTEGER)
    throw new SpecError(field, shape, "at most 2^53 elements");
  return n;
}
function checkOptions(options) {
  if (typeof options !== "object" || options === null)
    throw new SpecError("options", options, "an object such as { dtype, device, layout }");
  const o = options;
  const dtype = o.dtype ?? "float32";
  if (!DTYPES.includes(dtype))
    throw new SpecError("dtype", dtype, DTYPES.map((d) => `'${d}'`).join(" | "));
  const placed = parseDevice("device", o.device ?? "cpu");
  if (o.layout !== void 0 && !LAYOUTS.includes(o.layout))
    throw new SpecError("layout", o.layout, LAYOUTS.map((l) => `'${l}'`).join(" | "));
  return { dtype, device: placed.kind, cudaIndex: placed.kind === "cuda" ? placed.index : void 0, layout: o.layout, env: o.env ?? readEnvironment() };
}
function deviceIndexFor(rt, requested) {
  if (requested === "current")
    return rt.currentDevice();
  checkDeviceIndex("device", requested, rt.deviceCount());
  return requested;
}
function checkLayout(shape, layout) {
  if (layout !== void 0 && shape.length !== 4)
    throw new SpecError("layout", layout, `none: a layout names 4 dims and the shape has ${shape.length}`);
}
function hostValues(name, values, count2) {
  let data;
  if (values instanceof Float32Array)
    data = values;
  else if (values instanceof Float64Array)
    data = Float32Array.from(values);
  else if (Array.isArray(values)) {
    const bad = values.findIndex((v) => typeof v !== "number");
    if (bad >= 0)
      throw new SpecError(`${name}[${bad}]`, values[bad], "a number");
    data = Float32Array.from(values);
  } else if (ArrayBuffer.isView(values)) {
    throw new SpecError(name, `a ${values.constructor.name}`, "a Float32Array, Float64Array or number[] of values (for raw float32/float16/bfloat16 storage, such as a Uint16Array of float16 bits, use Tensor.fromBytes)");
  } else {
    throw new SpecError(name, values, "a Float32Array, Float64Array or number[] of values");
  }
  if (count2 !== void 0 && data.length !== count2)
    throw new SpecError(`${name}.length`, data.length, `${count2}`);
  return data;
}
function bytesOf(bytes) {
  if (bytes instanceof ArrayBuffer || typeof SharedArrayBuffer !== "undefined" && bytes instanceof SharedArrayBuffer)
    return new Uint8Array(bytes, 0, bytes.byteLength);
  if (ArrayBuffer.isView(bytes))
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  throw new SpecError("bytes", bytes, "an ArrayBuffer, Buffer or typed array holding the raw storage");
}
function allocateHost(shape, bytes) {
  try {
    return new Uint8Array(bytes);
  } catch (cause) {
    if (!(cause instanceof RangeError))
      throw cause;
    throw new SpecError("shape", shape, `a tensor this process can allocate (${bytes} bytes failed: ${cause.message}; ${HOST_LIMIT_NOTE})`);
  }
}
var stateOf;
var Tensor = class _Tensor {
  #shape;
  #dtype;
  #device;
  #cudaIndex;
  #layout;
  #env;
  #byteLength;
  #host;
  #memory;
  #released = false;
  /** Set for views: the tensor that owns the memory (a view never frees it). */
  #owner;
  constructor(shape, checked, owner) {
    const count2 = elementCount("shape", shape);
    this.#shape = Object.freeze([...shape]);
    checkLayout(this.#shape, checked.layout);
    this.#dtype = checked.dtype;
    this.#device = checked.device;
    this.#cudaIndex = checked.cudaIndex;
    this.#layout = checked.layout;
    this.#env = checked.env;
    this.#byteLength = count2 * DTYPE_BYTES[checked.dtype];
    this.#owner = owner;
    Object.freeze(this);
  }
  static {
    stateOf = (value, name) => {
      if (typeof value !== "object" || value === null || !(#shape in value)) {
        throw new SpecError(name, value, "a Tensor (from Tensor.empty, fromArray, fromBytes, fromDevicePointer or view)");
      }
      const t = value;
      if (t.disposed)
        throw new SpecError(name, "a disposed tensor", "a live Tensor");
      const base = { shape: t.#shape, dtype: t.#dtype, device: t.#device, layout: t.#layout, byteLength: t.#byteLength };
      if (t.#device === "cpu") {
        const host = t.#host;
        if (host.byteLength < t.#byteLength)
          throw new SpecError(name, `a host buffer of ${host.byteLength} bytes`, `${t.#byteLength} bytes (shape ${JSON.stringify(t.#shape)} of ${t.#dtype}); was its ArrayBuffer detached or resized?`);
        return { ...base, deviceIndex: void 0, host, address: void 0, space: host.buffer, start: BigInt(host.byteOffset), end: BigInt(host.byteOffset + t.#byteLength) };
      }
      const memory = t.#memory;
      if (memory.capacity < t.#byteLength)
        throw new SpecError(name, `device memory of ${memory.capacity} bytes`, `${t.#byteLength} bytes (shape ${JSON.stringify(t.#shape)} of ${t.#dtype})`);
      const start = BigInt(memory.address);
      return { ...base, deviceIndex: memory.deviceIndex, host: void 0, address: memory.address, space: "cuda", start, end: start + BigInt(t.#byteLength) };
    };
  }
  /** Whether `value` is a tensor made by this class (not a lookalike or an Object.create of the prototype). */
  static isTensor(value) {
    return typeof value === "object" && value !== null && #shape in value;
  }
  get shape() {
    return this.#shape;
  }
  get dtype() {
    return this.#dtype;
  }
  get device() {
    return this.#device;
  }
  /** 'NCHW' | 'NHWC' where the tensor was given one; undefined: taken in the kernel's layout. */
  get layout() {
    return this.#layout;
  }
  /** The CUDA device ordinal of the memory (what `device: n` and 'cuda:n' name); undefined for host tensors. */
  get deviceIndex() {
    return this.#memory?.deviceIndex;
  }
  /** Element strides of the dense row-major storage (the last dim is 1). */
  get strides() {
    const strides = this.#shape.map(() => 1);
    for (let i = strides.length - 2; i >= 0; i--)
      strides[i] = strides[i + 1] * this.#shape[i + 1];
    return Object.freeze(strides);
  }
  get length() {
    return this.#byteLength / DTYPE_BYTES[this.#dtype];
  }
  get byteLength() {
    return this.#byteLength;
  }
  /** Uninitialized memory (filled with NaN bytes so that unwritten outputs never pass as results). */
  static empty(shape, options = {}) {
    const t = new _Tensor(shape, checkOptions(options));
    if (t.#device === "cpu") {
      t.#host = allocateHost(t.#shape, t.#byteLength).fill(255);
    } else {
      const rt = cudaRuntime(t.#env);
      const memory = t.#memory = t.#allocateDevice(rt);
      rt.onDevice(memory.deviceIndex, () => rt.memset(memory.address, 255, t.#byteLength));
    }
    return t;
  }
  /**
   * Values converted to `dtype` (round to nearest even) and placed on `device`: a Float32Array,
   * Float64Array or number[]. Raw storage (float16 bits in a Uint16Array, say) goes through fromBytes.
   */
  static fromArray(values, shape, options = {}) {
    const count2 = elementCount("shape", shape);
    const data = hostValues("values", values);
    if (data.length !== count2)
      throw new SpecError("values.length", data.length, `${count2} (the product of shape ${JSON.stringify(shape)})`);
    const t = new _Tensor(shape, checkOptions(options));
    return t.#place(encode(data, t.#dtype));
  }
  /**
   * A tensor over raw storage: `bytes` holds exactly shape × dtype bytes of float32, float16 or
   * bfloat16, little-endian. On the host the tensor is a view of those bytes (no copy: a kernel's
   * output written there is seen through `bytes`); on 'cuda' they are copied to the device.
   */
  static fromBytes(bytes, shape, options = {}) {
    const view = bytesOf(bytes);
    const t = new _Tensor(shape, checkOptions(options));
    if (view.byteLength !== t.#byteLength)
      throw new SpecError("bytes.byteLength", view.byteLength, `${t.#byteLength} (shape ${JSON.stringify(t.#shape)} of ${t.#dtype})`);
    const size = DTYPE_BYTES[t.#dtype];
    if (view.byteOffset % size !== 0)
      throw new SpecError("bytes.byteOffset", view.byteOffset, `a multiple of ${size} (${t.#dtype} elements must be aligned)`);
    return t.#place(view);
  }
  /**
   * Wraps device memory that another library owns (a CUDA pointer from PyTorch, CuPy, ...): no copy,
   * never freed here; dispose() only detaches. The memory must stay allocated while the tensor is in
   * use, and work queued on another stream must be ordered with the kernel's (pass that stream to
   * forward). The pointer is checked to be device (or managed) memory of a CUDA device; the tensor's
   * deviceIndex is the one the runtime reports for it, and a `device` naming another is refused.
   */
  static fromDevicePointer(address, shape, options = {}) {
    const checked = checkOptions({ device: "cuda", ...options });
    if (checked.device !== "cuda")
      throw new SpecError("device", checked.device, "'cuda' (fromDevicePointer wraps device memory)");
    if (!(typeof address === "number" && Number.isSafeInteger(address) && address > 0 || typeof address === "bigint" && address > 0n && address < 1n << 64n)) {
      throw new SpecError("address", address, "a non-zero device address (a number or bigint)");
    }
    const t = new _Tensor(shape, checked);
    const capacity = options.byteLength ?? t.#byteLength;
    if (!Number.isSafeInteger(capacity) || capacity < t.#byteLength) {
      throw new SpecError("byteLength", capacity, `at least ${t.#byteLength} (shape ${JSON.stringify(t.#shape)} of ${t.#dtype})`);
    }
    const rt = cudaRuntime(checked.env);
    const where = rt.pointerAttributes(address);
    if (where.type !== "device" && where.type !== "managed")
      throw new SpecError("address", address, `device or managed memory (the CUDA runtime says: ${where.type} memory)`);
    if (checked.cudaIndex !== void 0 && checked.cudaIndex !== "current" && checked.cudaIndex !== where.device) {
      throw new SpecError("device", deviceName("cuda", checked.cudaIndex), `'${deviceName("cuda", where.device)}' (the CUDA runtime says the memory at this address is there), or 'cuda'`);
    }
    t.#memory = { address, capacity, deviceIndex: where.device, owned: false };
    return t;
  }
  /**
   * A tensor of `shape` over the first elements of `base` (same dtype, device and layout, no copy). The
   * view does not own the memory: disposing it is a no-op, and it is unusable once `base` is disposed.
   */
  static view(base, shape, options = {}) {
    const b = stateOf(base, "base");
    const owner = base;
    const t = new _Tensor(shape, { dtype: b.dtype, device: b.device, cudaIndex: b.deviceIndex, layout: options.layout ?? (shape.length === 4 ? b.layout : void 0), env: owner.#env }, owner);
    if (t.#byteLength > b.byteLength)
      throw new SpecError("shape", shape, `at most ${b.byteLength / DTYPE_BYTES[b.dtype]} elements (the base tensor's size)`);
    if (b.host)
      t.#host = b.host.subarray(0, t.#byteLength);
    else
      t.#memory = { ...owner.#memory, owned: false };
    return t;
  }
  get disposed() {
    return this.#released || (this.#owner?.disposed ?? false);
  }
  /** The values as float32 (fp16/bf16 widen exactly). Synchronizes with the device. */
  toArray() {
    const s = stateOf(this, "tensor");
    if (s.host)
      return decode(s.host, s.dtype);
    const bytes = new Uint8Array(s.byteLength);
    const rt = cudaRuntime(this.#env);
    rt.onDevice(s.deviceIndex, () => rt.copyToHost(bytes, s.address));
    return decode(bytes, s.dtype);
  }
  /** The raw storage of a host tensor. */
  hostBytes() {
    this.#assertLive();
    if (!this.#host)
      throw new DwconvError("hostBytes() needs a host (cpu) tensor");
    return this.#host;
  }
  /** The device address of a CUDA tensor. */
  deviceAddress() {
    this.#assertLive();
    if (this.#memory === void 0)
      throw new DwconvError("deviceAddress() needs a cuda tensor");
    return this.#memory.address;
  }
  /** Whether the two tensors share any byte of memory (a view and its base do). */
  overlaps(other) {
    return rangesOverlap(stateOf(this, "tensor"), stateOf(other, "other"));
  }
  /** Whether the two tensors are the same bytes: same start and the same length. */
  sameMemory(other) {
    return rangesEqual(stateOf(this, "tensor"), stateOf(other, "other"));
  }
  /** Frees memory we allocated now; memory from fromDevicePointer is only detached. Later use is an error. Safe to call twice. */
  dispose() {
    if (this.#released)
      return;
    this.#released = true;
    const memory = this.#memory;
    this.#memory = void 0;
    this.#host = void 0;
    if (memory?.owned && !this.#owner) {
      const rt = cudaRuntime(this.#env);
      rt.onDevice(memory.deviceIndex, () => rt.free(memory.address));
    }
  }
  /** `using t = Tensor.empty(...)` disposes at the end of the block. */
  [Symbol.dispose]() {
    this.dispose();
  }
  #place(bytes) {
    if (this.#device === "cpu") {
      this.#host = bytes;
    } else {
      const rt = cudaRuntime(this.#env);
      const memory = this.#memory = this.#allocateDevice(rt);
      rt.onDevice(memory.deviceIndex, () => rt.copyToDevice(memory.address, bytes, this.#byteLength));
    }
    return this;
  }
  #allocateDevice(rt) {
    const deviceIndex = deviceIndexFor(rt, this.#cudaIndex ?? "current");
    return { address: rt.onDevice(deviceIndex, () => rt.malloc(this.#byteLength)), capacity: this.#byteLength, deviceIndex, owned: true };
  }
  #assertLive() {
    if (this.disposed)
      throw new DwconvError(`this ${this.#device} tensor of shape ${JSON.stringify(this.#shape)} was disposed`);
  }
};
function tensorState(value, name) {
  return stateOf(value, name);
}
function rangesOverlap(a, b) {
  return a.space === b.space && a.start < b.end && b.start < a.end;
}
function rangesEqual(a, b) {
  return a.space === b.space && a.start === b.start && a.end === b.end;
}

// dist/runtime/parameter-tensors.js
function parameterTensors(spec, inputChannels, p, place, track = (t) => t) {
  const cOut = inputChannels * spec.channelMultiplier;
  const opts = { ...place, dtype: spec.dtype };
  const f32 = { ...place, dtype: "float32" };
  return {
    w: track(Tensor.fromArray(p.w, weightShape(spec, inputChannels), opts)),
    b: p.bias ? track(Tensor.fromArray(p.bias, [cOut], opts)) : void 0,
    epilogue: {
      ...p.scale ? { scale: track(Tensor.fromArray(p.scale, [cOut], f32)) } : {},
      ...p.shift ? { shift: track(Tensor.fromArray(p.shift, [cOut], f32)) } : {},
      ...p.pointwiseWeight && spec.pointwise ? { pointwiseWeight: track(Tensor.fromArray(p.pointwiseWeight, pointwiseWeightShape(spec.pointwise, spec, inputChannels), opts)) } : {},
      ...p.pointwiseBias && spec.pointwise ? { pointwiseBias: track(Tensor.fromArray(p.pointwiseBias, [spec.pointwise.outChannels], opts)) } : {}
    }
  };
}

// dist/runtime/arguments.js
var FORWARD_OPTIONS = ["out", "stream", "scale", "shift", "residual", "pointwiseWeight", "pointwiseBias"];
var EPILOGUE_ARRAYS = ["scale", "shift", "residual", "pointwiseWeight", "pointwiseBias"];
var STREAM_ALLOWED = "a CUDA stream address (a non-negative integer number or bigint), or undefined for the default stream";
function bag(name, value, known) {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new SpecError(name, value, `an object with some of: ${known.join(", ")}`);
  for (const key of Object.keys(value))
    if (!known.includes(key))
      throw new SpecError(`${name}.${key}`, value[key], `known fields: ${known.join(", ")}`);
  return value;
}
function checkStream(stream) {
  if (stream === void 0)
    return void 0;
  if (typeof stream === "number" && Number.isSafeInteger(stream) && stream >= 0)
    return stream;
  if (typeof stream === "bigint" && stream >= 0n && stream < 1n << 64n)
    return stream;
  throw new SpecError("options.stream", stream, STREAM_ALLOWED);
}
function forwardOptions(options) {
  const o = bag("options", options, FORWARD_OPTIONS);
  return { ...o, stream: checkStream(o.stream) };
}
var count = (shape) => shape.reduce((a, b) => a * b, 1);
function runArrays(spec, r) {
  const cOut = r.channels * spec.channelMultiplier;
  const input = hostValues("input", r.input, count(r.inputShape));
  const w = hostValues("weight", r.weight, count(weightShape(spec, r.channels)));
  const optional = (name, value, wanted, length, unused) => {
    if (!wanted) {
      if (value !== void 0)
        throw new SpecError(name, value, `none (${unused})`);
      return void 0;
    }
    if (value === void 0)
      throw new SpecError(name, void 0, `a Float32Array of ${length} values (this spec needs it)`);
    return hostValues(name, value, length);
  };
  const e = bag("epilogue", r.epilogue, EPILOGUE_ARRAYS);
  const pw = spec.pointwise;
  const bias = optional("bias", r.bias, spec.bias, cOut, "this spec has bias: false");
  const scale = optional("epilogue.scale", e.scale, spec.batchNorm, cOut, "this spec has batchNorm: false");
  const shift = optional("epilogue.shift", e.shift, spec.batchNorm, cOut, "this spec has batchNorm: false");
  const residual = optional("epilogue.residual", e.residual, spec.residual !== "none", count(r.outShape), "this spec has residual: 'none'");
  const pointwiseWeight = optional("epilogue.pointwiseWeight", e.pointwiseWeight, pw !== void 0, pw ? count(pointwiseWeightShape(pw, spec, r.channels)) : 0, "this spec has no pointwise part");
  const pointwiseBias = optional("epilogue.pointwiseBias", e.pointwiseBias, pw?.bias === true, pw?.outChannels ?? 0, "this spec has no pointwise bias");
  return {
    input,
    parameters: { w, ...bias ? { bias } : {}, ...scale ? { scale } : {}, ...shift ? { shift } : {}, ...pointwiseWeight ? { pointwiseWeight } : {}, ...pointwiseBias ? { pointwiseBias } : {} },
    residual
  };
}

// dist/runtime/device-guard.js
function checkTensorDevice(argument, tensor, kernel) {
  if (tensor.device === kernel.device && (tensor.device === "cpu" || tensor.deviceIndex === kernel.deviceIndex))
    return;
  throw new DeviceMismatchError(argument, deviceName(tensor.device, tensor.deviceIndex), deviceName(kernel.device, kernel.deviceIndex));
}

// dist/runtime/kernel.js
var Kernel = class _Kernel {
  spec;
  target;
  provenance;
  artifact;
  env;
  deviceIndex;
  /**
   * @param deviceIndex CUDA: the device the artifact was loaded on (its context holds the module);
   * undefined for the CPU.
   */
  constructor(spec, target, provenance, artifact, env, deviceIndex = void 0) {
    this.spec = spec;
    this.target = target;
    this.provenance = provenance;
    this.artifact = artifact;
    this.env = env;
    this.deviceIndex = deviceIndex;
    this.onDevice = targetTraits(target).hasDevices;
    if (this.onDevice !== (deviceIndex !== void 0))
      throw new DwconvError(`internal: a ${target} kernel ${this.onDevice ? "needs" : "has no"} a device index`);
    this.placement = { device: target, deviceIndex };
  }
  /** Where the kernel runs (`device`: its target), as the device guard compares it with a tensor. */
  placement;
  /** The target's kernels run on a CUDA device (TargetTraits.hasDevices): device addresses, queued launches, CUDA statuses. */
  onDevice;
  get key() {
    return this.provenance.key;
  }
  /** The same loaded kernel, as a later compile() in this process returns it (origin 'memory', nothing compiled or loaded). */
  fromMemory() {
    return new _Kernel(this.spec, this.target, { ...this.provenance, origin: "memory", compileMilliseconds: 0, loadMilliseconds: 0 }, this.artifact, this.env, this.deviceIndex);
  }
  /** [N, C*m, Ho, Wo] for an [N, C, H, W] input; in NHWC order for an NHWC spec. */
  outputShape(inputShape) {
    return outputShape(this.spec, inputShape);
  }
  /** The weight shape PyTorch uses for this conv: [C*m, 1, kh, kw]. */
  weightShape(channels) {
    return weightShape(this.spec, channels);
  }
  /**
   * Launches on tensors already in place; no copies. On CUDA it returns once the launch is queued. On
   * the CPU the convolution runs to completion on this thread, blocking the event loop meanwhile: use
   * forwardAsync to keep it free.
   */
  forward(x, w, b, options = {}) {
    const { args, out } = this.prepare(x, w, b, options);
    this.checkStatus(this.launchHere(args));
    return out;
  }
  /**
   * forward() that keeps the event loop free: on the CPU the convolution runs on koffi's worker thread
   * and the promise settles when it is done; on CUDA the launch is queued (as forward() does). Leave the
   * tensors alone until it settles: the kernel reads and writes them meanwhile.
   */
  async forwardAsync(x, w, b, options = {}) {
    const { args, out } = this.prepare(x, w, b, options);
    this.checkStatus(await this.launchOffThread(args));
    return out;
  }
  /**
   * Host arrays in (float32, converted to the spec's dtype; scale and shift stay float32), host array
   * out; waits for the result.
   */
  async run(input, inputShape, weight, bias, epilogue = {}) {
    const outShape = this.outputShape(inputShape);
    const channels = channelsOf(this.spec, inputShape);
    const arrays = runArrays(this.spec, { input, inputShape, weight, bias, epilogue, channels, outShape });
    const device = this.deviceIndex ?? "cpu";
    const opts = { dtype: this.spec.dtype, device, env: this.env };
    const tensors = [];
    const track = (t) => (tensors.push(t), t);
    try {
      const x = track(Tensor.fromArray(arrays.input, inputShape, opts));
      const { w, b, epilogue: tensorsOf } = parameterTensors(this.spec, channels, arrays.parameters, { device, env: this.env }, track);
      const outOpts = { ...opts, dtype: outputDtypeOf(this.spec) };
      const residual = arrays.residual === void 0 ? void 0 : track(Tensor.fromArray(arrays.residual, outShape, outOpts));
      const out = track(Tensor.empty(outShape, outOpts));
      const { args } = this.prepare(x, w, b, { ...tensorsOf, ...residual ? { residual } : {}, out });
      if (this.onDevice) {
        this.checkStatus(this.launchHere(args));
        const rt = cudaRuntime(this.env);
        rt.onDevice(this.deviceIndex, () => rt.synchronize());
      } else {
        this.checkStatus(await this.launchOffThread(args));
      }
      return out.toArray();
    } finally {
      for (const t of tensors)
        t.dispose();
    }
  }
  /**
   * The native call, on this thread. A CUDA launch runs with the kernel's device current (then the
   * caller's is put back): an nvcc library launches on the runtime's current device, and the default
   * stream it names is that device's. A cubin's launcher also makes its own context current.
   */
  launchHere(args) {
    if (!this.onDevice)
      return this.artifact.launch(...args);
    const rt = cudaRuntime(this.env);
    return rt.onDevice(this.deviceIndex, () => this.artifact.launch(...args));
  }
  /** The CPU loop on koffi's worker thread, so the event loop stays free meanwhile; CUDA launches are only queued. */
  launchOffThread(args) {
    if (this.onDevice || !this.artifact.launchAsync)
      return Promise.resolve(this.launchHere(args));
    return this.artifact.launchAsync(...args);
  }
  /**
   * Every check that must pass before a launch: brand, liveness, device, dtype, layout, shapes, byte
   * lengths and overlaps, all read from the tensors' private state (tensorState), which is also what
   * the pointers come from: nothing a caller can reassign or fake reaches the native call.
   */
  prepare(x, w, b, options) {
    const opts = forwardOptions(options);
    const expect = (name, t, shape, dtype = this.spec.dtype) => {
      const s = tensorState(t, name);
      checkTensorDevice(name, s, this.placement);
      if (s.dtype !== dtype)
        throw new SpecError(`${name}.dtype`, s.dtype, `'${dtype}'${dtype === this.spec.dtype ? " (the spec's dtype)" : dtype === outputDtypeOf(this.spec) ? " (the spec's outputDtype)" : ""}`);
      if (s.shape.length !== shape.length || s.shape.some((d, i) => d !== shape[i]))
        throw new SpecError(`${name}.shape`, s.shape, JSON.stringify(shape));
      return s;
    };
    const activation = (name, s) => {
      if (s.layout !== void 0 && s.layout !== this.spec.layout)
        throw new SpecError(`${name}.layout`, s.layout, `'${this.spec.layout}' (the spec's layout)`);
      return s;
    };
    const xs = activation("x", tensorState(x, "x"));
    const outShape = this.outputShape(xs.shape);
    const [n, c, h, wid] = logicalDims(this.spec, xs.shape);
    expect("x", x, xs.shape);
    const ws = expect("w", w, this.weightShape(c));
    const absent = (name, t, why) => {
      if (t !== void 0)
        throw new SpecError(name, `a ${name} tensor`, `none (${why})`);
      return void 0;
    };
    const cOut = c * this.spec.channelMultiplier;
    const bs = this.spec.bias ? expect("b", b, [cOut]) : absent("b", b, "this spec has bias: false");
    const bn = this.spec.batchNorm;
    const scale = bn ? expect("scale", opts.scale, [cOut], "float32") : absent("scale", opts.scale, "this spec has batchNorm: false");
    const shift = bn ? expect("shift", opts.shift, [cOut], "float32") : absent("shift", opts.shift, "this spec has batchNorm: false");
    const outDtype = outputDtypeOf(this.spec);
    const residual = this.spec.residual !== "none" ? activation("residual", expect("residual", opts.residual, outShape, outDtype)) : absent("residual", opts.residual, "this spec has residual: 'none'");
    const pw = this.spec.pointwise;
    const pointwiseWeight = pw ? expect("pointwiseWeight", opts.pointwiseWeight, pointwiseWeightShape(pw, this.spec, c)) : absent("pointwiseWeight", opts.pointwiseWeight, "this spec has no pointwise part");
    const pointwiseBias = pw?.bias ? expect("pointwiseBias", opts.pointwiseBias, [pw.outChannels]) : absent("pointwiseBias", opts.pointwiseBias, "this spec has no pointwise bias");
    const given = opts.out === void 0 ? void 0 : activation("out", expect("out", opts.out, outShape, outDtype));
    const inputs = { x: xs, w: ws, b: bs, scale, shift, pointwiseWeight, pointwiseBias };
    for (const [name, s] of Object.entries(inputs)) {
      if (s && given && rangesOverlap(given, s))
        throw new SpecError("out", `memory shared with ${name}`, "a tensor that overlaps no input (only the residual may be the output itself)");
    }
    if (residual && given && rangesOverlap(given, residual) && !rangesEqual(given, residual))
      throw new SpecError("out", "memory partly shared with residual", "the residual tensor itself or memory apart from it");
    const out = opts.out ?? Tensor.empty(outShape, { dtype: outDtype, device: this.deviceIndex ?? "cpu", env: this.env });
    const outs = given ?? tensorState(out, "out");
    const states = [xs, ws, bs, scale, shift, residual, pointwiseWeight, pointwiseBias, outs];
    return { args: [...this.pointers(states), n, c, h, wid, opts.stream ?? 0], out };
  }
  pointers(states) {
    if (this.onDevice)
      return states.map((s) => s?.address ?? 0);
    return states.map((s) => s?.host ?? null);
  }
  checkStatus(status) {
    if (status === 0)
      return;
    if (status < 0)
      throw new DwconvError(`${this.provenance.symbol} rejected its arguments (status ${status})`);
    if (this.onDevice)
      cudaRuntime(this.env).check(this.provenance.symbol, status);
    throw new CudaError(this.provenance.symbol, status, "launch failed");
  }
};

// dist/compile.js
import { rm } from "node:fs/promises";
import { dirname } from "node:path";
function buildOptionsOf(r) {
  return {
    env: r.env,
    ...r.arch ? { archs: [r.arch], deviceArch: r.arch } : {},
    precompiled: r.precompiled,
    cacheDir: r.cacheDir,
    cache: r.cache,
    log: r.log,
    compiler: r.compiler,
    remote: r.remote,
    ...r.signal ? { signal: r.signal } : {}
  };
}
var hitModulesLoading;
var loadHitModules = () => Promise.all([import("./source-index-FBJRBSA4.js"), import("./key-plan-KM7WQMRR.js"), import("./verified-hits-JZG6D5MF.js")]);
var hitModules = () => hitModulesLoading ??= loadHitModules();
async function buildFor(r) {
  const opts = buildOptionsOf(r);
  if (!r.cache) {
    const generated2 = generateFor(r);
    return { generated: generated2, artifact: await (await import("./artifact-ZRA4I3FF.js")).buildArtifact(generated2, opts) };
  }
  const [{ sourceIndex }, { cacheRootOf }, { rememberedArtifact }] = await hitModules();
  const index = sourceIndex(cacheRootOf(opts), PACKAGE_VERSION);
  const query = { target: r.target, specJson: canonicalJson(r.spec), symbol: symbolOf(r.spec, r.target), variant: r.variant };
  const summary = await index.get(query);
  if (summary) {
    const remembered = await rememberedArtifact(summary, opts);
    debug("%s: source index hit, %s", summary.symbol, remembered ? "remembered disk hit" : "no remembered hit");
    if (remembered)
      return { generated: summary, artifact: remembered };
  }
  const { buildArtifact, findCached } = await import("./artifact-ZRA4I3FF.js");
  if (summary) {
    const found = await findCached(summary, opts);
    debug("%s: summary lookup: %s", summary.symbol, found ? `served from ${found.origin}` : "no local entry: generating");
    if (found)
      return { generated: summary, artifact: found };
  }
  const generated = generateFor(r);
  const artifact = await buildArtifact(generated, opts);
  await index.put(query, generated);
  return { generated, artifact };
}
function generateFor(r) {
  debug("%s: generating source", symbolOf(r.spec, r.target));
  return r.backend.generate(r.spec, r.variant);
}
var loaded = /* @__PURE__ */ new Map();
function memoKey(r) {
  return JSON.stringify([canonicalJson(r.spec), r.target, r.arch ?? "", r.device ?? null, r.compiler, r.variant ?? null, r.cacheDir ?? "", r.precompiled, r.env]);
}
async function load(r) {
  const { generated, artifact } = await buildFor(r);
  if (r.signal?.aborted) {
    if (!r.cache)
      await rm(dirname(artifact.path), { recursive: true, force: true });
    throwIfAborted(r.signal, "compile");
  }
  r.backend.prepare(r.env, r.device);
  const started = performance.now();
  const artifactLoaded = r.backend.load(artifact.path, generated, r.spec, r.env, artifact.parts.compiler.version, r.device);
  const loadMilliseconds = performance.now() - started;
  if (!r.cache)
    await rm(dirname(artifact.path), { recursive: true, force: true });
  return new Kernel(r.spec, r.target, {
    key: artifact.key,
    symbol: generated.symbol,
    artifactPath: artifact.path,
    origin: artifact.origin,
    compileMilliseconds: artifact.compileMilliseconds,
    loadMilliseconds,
    variant: generated.variant,
    compiler: artifact.parts.compiler.kind
  }, artifactLoaded, r.env, r.device);
}
async function compile(specInput, options = {}) {
  if (options.cache !== false)
    hitModules().catch(() => void 0);
  const r = resolveOptions(specInput, options, "load");
  if (!r.cache)
    return load(r);
  const key = memoKey(r);
  for (; ; ) {
    const known = loaded.get(key);
    if (!known)
      break;
    try {
      return (await untilAborted(known, r.signal, "compile")).fromMemory();
    } catch (err) {
      if (!abortedElsewhere(err, r.signal))
        throw err;
    }
  }
  const pending = load(r);
  loaded.set(key, pending);
  pending.catch(() => loaded.delete(key));
  return pending;
}
async function build(specInput, options = {}) {
  return (await buildFor(resolveOptions(specInput, options, "build"))).artifact;
}

export {
  Tensor,
  parameterTensors,
  Kernel,
  compile,
  build
};
