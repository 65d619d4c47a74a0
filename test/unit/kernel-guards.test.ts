// Every refusal in Kernel.prepare and the tensor checks, on a Kernel whose artifact only records what
// it would have been called with: no compiler needed, and a refusal is shown by the launch never
// happening. The mutation script (npm run mutate) removes each guard in turn; these tests must fail then.
import { afterEach, describe, expect, it } from 'vitest';
import { readEnvironment } from '../../src/env.js';
import { DwconvError, SpecError } from '../../src/errors.js';
import { Kernel, type KernelProvenance } from '../../src/runtime/kernel.js';
import type { LoadedArtifact } from '../../src/runtime/library.js';
import { Tensor } from '../../src/runtime/tensor.js';
import { normalizeSpec, type SpecInput } from '../../src/spec.js';

const env = readEnvironment({});
const provenance: KernelProvenance = { key: 'k', symbol: 'fake', artifactPath: '/nowhere', origin: 'compiled', compileMilliseconds: 0, loadMilliseconds: 0, variant: {}, compiler: 'cxx' };

/** A CPU kernel over an artifact that records its calls and launches nothing. */
function fakeKernel(input: SpecInput): { kernel: Kernel; calls: unknown[][] } {
  const calls: unknown[][] = [];
  const artifact: LoadedArtifact = {
    launch: (...args) => (calls.push(args), 0),
    launchAsync: (...args) => (calls.push(args), Promise.resolve(0)),
    info: { abi: 0, symbol: 'fake', target: 'cpu', spec: {} },
  };
  return { kernel: new Kernel(normalizeSpec(input), 'cpu', provenance, artifact, env), calls };
}

function caught(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    return err;
  }
  return undefined;
}

/** `f` throws a SpecError naming `field`, and nothing was launched. */
function expectRefused(f: () => unknown, field: string, calls: unknown[][]): void {
  const err = caught(f);
  expect(err, `expected a SpecError for ${field}`).toBeInstanceOf(SpecError);
  expect((err as SpecError).field).toBe(field);
  expect(calls).toHaveLength(0);
}

/** Transfers the buffer away: every view of it then has length 0. */
const detach = (b: ArrayBuffer) => (structuredClone as (v: unknown, o: { transfer: ArrayBuffer[] }) => unknown)(b, { transfer: [b] });

const filled = (shape: number[], options: { dtype?: 'float32' | 'float16'; layout?: 'NCHW' | 'NHWC' } = {}) =>
  Tensor.fromArray(new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.5), shape, options);

describe('Kernel.prepare refuses every bad tensor before the native call', () => {
  // x [1, 2, 5, 5], 3x3, bias, batchNorm, residual: w [2, 1, 3, 3], b/scale/shift [2], out [1, 2, 3, 3].
  const full = () => fakeKernel({ kernelSize: 3, bias: true, batchNorm: true, residual: true });
  const good = () => ({ x: filled([1, 2, 5, 5]), w: filled([2, 1, 3, 3]), b: filled([2]), scale: filled([2]), shift: filled([2]), residual: filled([1, 2, 3, 3]) });
  const call = (k: Kernel, g: ReturnType<typeof good>, extra: Record<string, unknown> = {}) => k.forward(g.x, g.w, g.b, { scale: g.scale, shift: g.shift, residual: g.residual, ...extra });

  it('a good call reaches the artifact with the tensors\' own bytes and dims', () => {
    const { kernel, calls } = full();
    const g = good();
    const out = call(kernel, g);
    expect(calls).toHaveLength(1);
    const args = calls[0]!;
    expect(args[0]).toBe(g.x.hostBytes());
    expect((args[8] as Uint8Array).byteLength).toBe(out.byteLength);
    expect(args.slice(9)).toEqual([1, 2, 5, 5, 0]);
  });

  const bad: [string, string, (k: Kernel, g: ReturnType<typeof good>) => unknown][] = [
    // brand: nothing but a real Tensor reaches a native call
    ['x made by Object.create(Tensor.prototype)', 'x', (k, g) => k.forward(Object.create(Tensor.prototype) as Tensor, g.w, g.b)],
    ['w a structural lookalike', 'w', (k, g) => k.forward(g.x, { shape: [2, 1, 3, 3], dtype: 'float32', device: 'cpu', disposed: false, hostBytes: () => new Uint8Array(36) } as unknown as Tensor, g.b)],
    ['out a forged tensor', 'out', (k, g) => call(k, g, { out: Object.create(Tensor.prototype) })],
    // liveness
    ['a disposed x', 'x', (k, g) => (g.x.dispose(), call(k, g))],
    ['a disposed w', 'w', (k, g) => (g.w.dispose(), call(k, g))],
    ['a view of a disposed base as scale', 'scale', (k, g) => { const base = filled([4]); const v = Tensor.view(base, [2]); base.dispose(); return call(k, { ...g, scale: v }); }],
    // dtype
    ['x in float16', 'x.dtype', (k, g) => call(k, { ...g, x: filled([1, 2, 5, 5], { dtype: 'float16' }) })],
    ['w in float16', 'w.dtype', (k, g) => call(k, { ...g, w: filled([2, 1, 3, 3], { dtype: 'float16' }) })],
    ['b in float16', 'b.dtype', (k, g) => call(k, { ...g, b: filled([2], { dtype: 'float16' }) })],
    ['scale in float16', 'scale.dtype', (k, g) => call(k, { ...g, scale: filled([2], { dtype: 'float16' }) })],
    ['shift in float16', 'shift.dtype', (k, g) => call(k, { ...g, shift: filled([2], { dtype: 'float16' }) })],
    ['residual in float16', 'residual.dtype', (k, g) => call(k, { ...g, residual: filled([1, 2, 3, 3], { dtype: 'float16' }) })],
    ['out in float16', 'out.dtype', (k, g) => call(k, g, { out: filled([1, 2, 3, 3], { dtype: 'float16' }) })],
    // shape
    ['w of another shape', 'w.shape', (k, g) => call(k, { ...g, w: filled([2, 1, 3, 2]) })],
    ['b of another size', 'b.shape', (k, g) => call(k, { ...g, b: filled([3]) })],
    ['scale of another size', 'scale.shape', (k, g) => call(k, { ...g, scale: filled([3]) })],
    ['shift of another size', 'shift.shape', (k, g) => call(k, { ...g, shift: filled([1]) })],
    ['residual of the input shape', 'residual.shape', (k, g) => call(k, { ...g, residual: filled([1, 2, 5, 5]) })],
    ['out twice the output', 'out.shape', (k, g) => call(k, g, { out: filled([2, 2, 3, 3]) })],
    // layout, where a tensor names one
    ['x labelled NHWC for an NCHW kernel', 'x.layout', (k, g) => call(k, { ...g, x: filled([1, 2, 5, 5], { layout: 'NHWC' }) })],
    ['out labelled NHWC', 'out.layout', (k, g) => call(k, g, { out: filled([1, 2, 3, 3], { layout: 'NHWC' }) })],
    ['residual labelled NHWC', 'residual.layout', (k, g) => call(k, { ...g, residual: filled([1, 2, 3, 3], { layout: 'NHWC' }) })],
    // missing tensors
    ['no bias', 'b', (k, g) => k.forward(g.x, g.w, undefined, { scale: g.scale, shift: g.shift, residual: g.residual })],
    ['no scale', 'scale', (k, g) => k.forward(g.x, g.w, g.b, { shift: g.shift, residual: g.residual })],
    ['no shift', 'shift', (k, g) => k.forward(g.x, g.w, g.b, { scale: g.scale, residual: g.residual })],
    ['no residual', 'residual', (k, g) => k.forward(g.x, g.w, g.b, { scale: g.scale, shift: g.shift })],
    // overlaps: the output may share memory with no input, and with the residual only wholly
    ['out over x', 'out', (k, g) => call(k, g, { out: Tensor.view(g.x, [1, 2, 3, 3]) })],
    ['out over w', 'out', (k, g) => { const big = filled([1, 2, 3, 3]); return call(k, { ...g, w: Tensor.view(big, [2, 1, 3, 3]) }, { out: big }); }],
    ['out over b', 'out', (k, g) => { const big = filled([1, 2, 3, 3]); return call(k, { ...g, b: Tensor.view(big, [2]) }, { out: big }); }],
    ['out over scale', 'out', (k, g) => { const big = filled([1, 2, 3, 3]); return call(k, { ...g, scale: Tensor.view(big, [2]) }, { out: big }); }],
    ['out over shift', 'out', (k, g) => { const big = filled([1, 2, 3, 3]); return call(k, { ...g, shift: Tensor.view(big, [2]) }, { out: big }); }],
    ['out partly over the residual', 'out', (k, g) => { const bytes = new Uint8Array(4 * 22); const r = Tensor.fromBytes(bytes.subarray(0, 72), [1, 2, 3, 3]); const o = Tensor.fromBytes(bytes.subarray(16, 88), [1, 2, 3, 3]); return call(k, { ...g, residual: r }, { out: o }); }],
    // options
    ['options null', 'options', (k, g) => k.forward(g.x, g.w, g.b, null as never)],
    ['an unknown option', 'options.residul', (k, g) => call(k, g, { residul: g.residual })],
    ['stream "abc"', 'options.stream', (k, g) => call(k, g, { stream: 'abc' })],
    ['stream -1', 'options.stream', (k, g) => call(k, g, { stream: -1 })],
    ['stream 2^64', 'options.stream', (k, g) => call(k, g, { stream: 1n << 64n })],
  ];
  it.each(bad)('%s', (_name, field, f) => {
    const { kernel, calls } = full();
    expectRefused(() => f(kernel, good()), field, calls);
  });

  it('out may be the residual itself (an in-place add), and a stream passes through', () => {
    const { kernel, calls } = full();
    const g = good();
    expect(call(kernel, g, { out: g.residual, stream: 7n })).toBe(g.residual);
    expect(calls[0]![5]).toBe(calls[0]![8]);
    expect(calls[0]![13]).toBe(7n);
  });

  it('tensors given to a spec that does not use them are refused', () => {
    const { kernel, calls } = fakeKernel({ kernelSize: 3 });
    const g = good();
    expectRefused(() => kernel.forward(g.x, g.w, g.b), 'b', calls);
    expectRefused(() => kernel.forward(g.x, g.w, undefined, { scale: g.scale }), 'scale', calls);
    expectRefused(() => kernel.forward(g.x, g.w, undefined, { shift: g.shift }), 'shift', calls);
    expectRefused(() => kernel.forward(g.x, g.w, undefined, { residual: g.residual }), 'residual', calls);
    expectRefused(() => kernel.forward(g.x, g.w, undefined, { pointwiseWeight: filled([2, 2, 1, 1]) }), 'pointwiseWeight', calls);
  });
});

describe('separable tensors', () => {
  const sep = () => fakeKernel({ kernelSize: 3, channelMultiplier: 2, pointwise: { outChannels: 5, bias: true } });
  const good = () => ({ x: filled([1, 2, 5, 5]), w: filled([4, 1, 3, 3]), pointwiseWeight: filled([5, 4, 1, 1]), pointwiseBias: filled([5]) });
  const bad: [string, string, (k: Kernel, g: ReturnType<typeof good>) => unknown][] = [
    ['1x1 weights of the wrong shape', 'pointwiseWeight.shape', (k, g) => k.forward(g.x, g.w, undefined, { pointwiseBias: g.pointwiseBias, pointwiseWeight: filled([5, 2, 1, 1]) })],
    ['1x1 weights in float16', 'pointwiseWeight.dtype', (k, g) => k.forward(g.x, g.w, undefined, { pointwiseBias: g.pointwiseBias, pointwiseWeight: filled([5, 4, 1, 1], { dtype: 'float16' }) })],
    ['1x1 bias of the wrong size', 'pointwiseBias.shape', (k, g) => k.forward(g.x, g.w, undefined, { pointwiseWeight: g.pointwiseWeight, pointwiseBias: filled([4]) })],
    ['no 1x1 bias', 'pointwiseBias', (k, g) => k.forward(g.x, g.w, undefined, { pointwiseWeight: g.pointwiseWeight })],
    ['out over the 1x1 weights', 'out', (k, g) => { const big = filled([1, 5, 3, 3]); return k.forward(g.x, g.w, undefined, { pointwiseBias: g.pointwiseBias, pointwiseWeight: Tensor.view(big, [5, 4, 1, 1]), out: big }); }],
    ['out over the 1x1 bias', 'out', (k, g) => { const big = filled([1, 5, 3, 3]); return k.forward(g.x, g.w, undefined, { pointwiseWeight: g.pointwiseWeight, pointwiseBias: Tensor.view(big, [5]), out: big }); }],
  ];
  it.each(bad)('%s', (_name, field, f) => {
    const { kernel, calls } = sep();
    expectRefused(() => f(kernel, good()), field, calls);
  });
});

describe('nothing a caller can reassign or fake reaches the native call', () => {
  const saved = Object.getOwnPropertyDescriptors(Tensor.prototype);
  afterEach(() => {
    for (const name of ['shape', 'dtype', 'device', 'layout'] as const) Object.defineProperty(Tensor.prototype, name, saved[name]!);
  });

  it('shape, dtype, device, layout and strides cannot be reassigned or shadowed', () => {
    const t = filled([1, 2, 5, 5]);
    for (const field of ['shape', 'dtype', 'device', 'layout', 'strides', 'byteLength', 'length']) {
      expect(() => { (t as unknown as Record<string, unknown>)[field] = 1; }, field).toThrow(TypeError);
      expect(() => Object.defineProperty(t, field, { value: 1 }), field).toThrow(TypeError);
    }
    expect(() => { (t.shape as number[])[0] = 4; }).toThrow(TypeError);
    expect(() => { (t.strides as number[])[0] = 4; }).toThrow(TypeError);
    expect(t.shape).toEqual([1, 2, 5, 5]);
    expect(t.strides).toEqual([50, 25, 5, 1]);
  });

  it('a getter replaced on the prototype changes nothing prepare reads', () => {
    const { kernel, calls } = fakeKernel({ kernelSize: 3 });
    const x = filled([1, 2, 5, 5], { dtype: 'float16' });
    const w = filled([2, 1, 3, 3]);
    Object.defineProperty(Tensor.prototype, 'dtype', { get: () => 'float32', configurable: true });
    Object.defineProperty(Tensor.prototype, 'shape', { get: () => [4, 2, 5, 5], configurable: true });
    // The private dtype (float16) is what is checked: relabelling does not get a float16 buffer read as float32.
    expectRefused(() => kernel.forward(x, w), 'x.dtype', calls);
    const x32 = filled([1, 2, 5, 5]);
    kernel.forward(x32, w);
    expect(calls[0]!.slice(9, 13)).toEqual([1, 2, 5, 5]);
  });

  it('a host buffer detached or shrunk after wrapping is refused at the call', () => {
    const { kernel, calls } = fakeKernel({ kernelSize: 3 });
    const w = filled([2, 1, 3, 3]);
    const detached = new ArrayBuffer(200);
    const x = Tensor.fromBytes(detached, [1, 2, 5, 5]);
    detach(detached);
    expectRefused(() => kernel.forward(x, w), 'x', calls);
    const resizable = new (ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer & { resize(n: number): void })(200, { maxByteLength: 400 });
    const x2 = Tensor.fromBytes(resizable, [1, 2, 5, 5]);
    resizable.resize(100);
    expectRefused(() => kernel.forward(x2, w), 'x', calls);
    const o = new ArrayBuffer(72);
    const out = Tensor.fromBytes(o, [1, 2, 3, 3]);
    detach(o);
    expectRefused(() => kernel.forward(filled([1, 2, 5, 5]), w, undefined, { out }), 'out', calls);
  });
});

describe('run() checks its host arrays and names each', () => {
  const plain = () => fakeKernel({ kernelSize: 3 });
  const w = new Float32Array(18);
  const cases: [string, string, (k: Kernel) => Promise<unknown>][] = [
    ['input null', 'input', (k) => k.run(null as never, [1, 2, 5, 5], w)],
    ['input a string', 'input', (k) => k.run('7'.repeat(50) as never, [1, 2, 5, 5], w)],
    ['input an array-like', 'input', (k) => k.run({ length: 50 } as never, [1, 2, 5, 5], w)],
    ['input a BigInt64Array', 'input', (k) => k.run(new BigInt64Array(50) as never, [1, 2, 5, 5], w)],
    ['input a Uint16Array', 'input', (k) => k.run(new Uint16Array(50) as never, [1, 2, 5, 5], w)],
    ['input with a string element', 'input[3]', (k) => k.run([0, 0, 0, '1', ...new Array<number>(46).fill(0)] as never, [1, 2, 5, 5], w)],
    ['input of the wrong length', 'input.length', (k) => k.run(new Float32Array(49), [1, 2, 5, 5], w)],
    ['weight of the wrong length', 'weight.length', (k) => k.run(new Float32Array(50), [1, 2, 5, 5], new Float32Array(9))],
    ['a bias for a spec without one', 'bias', (k) => k.run(new Float32Array(50), [1, 2, 5, 5], w, new Float32Array(2))],
    ['a pointwise weight for a non-separable spec', 'epilogue.pointwiseWeight', (k) => k.run(new Float32Array(50), [1, 2, 5, 5], w, undefined, { pointwiseWeight: new Float32Array(4) })],
    ['a scale for a spec without batchNorm', 'epilogue.scale', (k) => k.run(new Float32Array(50), [1, 2, 5, 5], w, undefined, { scale: new Float32Array(2) })],
    ['an unknown epilogue field', 'epilogue.bogus', (k) => k.run(new Float32Array(50), [1, 2, 5, 5], w, undefined, { bogus: 1 } as never)],
    ['epilogue null', 'epilogue', (k) => k.run(new Float32Array(50), [1, 2, 5, 5], w, undefined, null as never)],
  ];
  it.each(cases)('%s', async (_name, field, f) => {
    const { kernel, calls } = plain();
    const err = await f(kernel).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(SpecError);
    expect((err as SpecError).field).toBe(field);
    expect(calls).toHaveLength(0);
  });

  it('a spec that needs an array names the missing one', async () => {
    const { kernel } = fakeKernel({ kernelSize: 3, bias: true, batchNorm: true });
    await expect(kernel.run(new Float32Array(50), [1, 2, 5, 5], w)).rejects.toMatchObject({ field: 'bias' });
    await expect(kernel.run(new Float32Array(50), [1, 2, 5, 5], w, new Float32Array(2), { scale: new Float32Array(2) })).rejects.toMatchObject({ field: 'epilogue.shift' });
  });

  it('number[] and Float64Array are taken (as float32), and the CPU call goes through launchAsync', async () => {
    const { kernel, calls } = plain();
    await kernel.run(Array.from({ length: 50 }, () => 1), [1, 2, 5, 5], new Float64Array(18));
    expect(calls).toHaveLength(1);
  });
});

describe('forwardAsync', () => {
  it('runs the CPU call through the artifact\'s async launch and checks like forward', async () => {
    const calls: string[] = [];
    const artifact: LoadedArtifact = {
      launch: () => (calls.push('sync'), 0),
      launchAsync: () => (calls.push('async'), Promise.resolve(0)),
      info: { abi: 0, symbol: 'fake', target: 'cpu', spec: {} },
    };
    const kernel = new Kernel(normalizeSpec({ kernelSize: 3 }), 'cpu', provenance, artifact, env);
    const out = await kernel.forwardAsync(filled([1, 2, 5, 5]), filled([2, 1, 3, 3]));
    expect(out.shape).toEqual([1, 2, 3, 3]);
    expect(calls).toEqual(['async']);
    await expect(kernel.forwardAsync(filled([1, 2, 5, 5]), filled([2, 1, 3, 2]))).rejects.toMatchObject({ field: 'w.shape' });
    expect(calls).toEqual(['async']);
  });

  it('a failing status is an error', async () => {
    const artifact: LoadedArtifact = { launch: () => -1, launchAsync: () => Promise.resolve(-1), info: { abi: 0, symbol: 'fake', target: 'cpu', spec: {} } };
    const kernel = new Kernel(normalizeSpec({ kernelSize: 3 }), 'cpu', provenance, artifact, env);
    await expect(kernel.forwardAsync(filled([1, 2, 5, 5]), filled([2, 1, 3, 3]))).rejects.toBeInstanceOf(DwconvError);
  });
});
