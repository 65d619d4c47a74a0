import fc from 'fast-check';
import { roundTo } from '../../src/dtype.js';
import type { Kernel } from '../../src/runtime/kernel.js';
import { Tensor } from '../../src/runtime/tensor.js';
import { outputExtent, type KernelSpec, type SpecInput } from '../../src/spec.js';
import { Comparer, type Comparison } from '../../src/verify/compare.js';
import { reference } from '../../src/verify/reference.js';
import { fillUniform } from '../../src/verify/random.js';

/** Fresh each run unless DWCONV_TEST_SEED is set; tests print it so that a failure can be replayed. */
export const SEED = process.env.DWCONV_TEST_SEED ? Number(process.env.DWCONV_TEST_SEED) >>> 0 : (Math.random() * 2 ** 31) >>> 0;

const small = fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 1, max: 7 }) }, { weight: 1, arbitrary: fc.integer({ min: 8, max: 31 }) });
const pairOrOne = (a: fc.Arbitrary<number>) => fc.oneof(a, fc.tuple(a, a));

/** Specs over every field: rectangular kernels, stride, padding incl. 'same', dilation, multiplier, bias, all dtypes. */
export const specArbitrary: fc.Arbitrary<SpecInput> = fc
  .record({
    kernelSize: pairOrOne(small),
    stride: pairOrOne(fc.integer({ min: 1, max: 3 })),
    padding: fc.oneof(pairOrOne(fc.integer({ min: 0, max: 4 })), fc.constant('same' as const)),
    dilation: pairOrOne(fc.oneof({ weight: 3, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.integer({ min: 2, max: 3 }) })),
    channelMultiplier: fc.oneof({ weight: 3, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.integer({ min: 2, max: 3 }) }),
    dtype: fc.constantFrom('float32' as const, 'float16' as const, 'bfloat16' as const),
    bias: fc.boolean(),
  })
  .map((s) => (s.padding === 'same' ? { ...s, stride: 1 } : s));

export function randomSpecs(count: number, seed = SEED): SpecInput[] {
  return fc.sample(specArbitrary, { seed, numRuns: count });
}

/** Random input shapes with non-empty outputs, odd sizes included, some smaller than a CUDA tile. */
export function randomShapes(spec: KernelSpec, count: number, seed: number): [number, number, number, number][] {
  const extent = (k: number, d: number, padTotal: number) => Math.max(1, d * (k - 1) + 1 - padTotal);
  const [kh, kw] = spec.kernelSize;
  const shapeArb = fc.tuple(
    fc.integer({ min: 1, max: 2 }),
    fc.integer({ min: 1, max: 5 }),
    fc.integer({ min: 0, max: 13 }).map((e) => extent(kh, spec.dilation[0], spec.padding[0] + spec.padding[1]) + e),
    fc.integer({ min: 0, max: 41 }).map((e) => extent(kw, spec.dilation[1], spec.padding[2] + spec.padding[3]) + e),
  );
  return fc.sample(shapeArb, { seed, numRuns: count }).filter(([, , h, w]) =>
    outputExtent(h, kh, spec.stride[0], spec.padding[0] + spec.padding[1], spec.dilation[0]) >= 1 &&
    outputExtent(w, kw, spec.stride[1], spec.padding[2] + spec.padding[3], spec.dilation[1]) >= 1);
}

/** Runs the kernel on fresh random inputs (output poisoned with NaN first) and compares all outputs with float64. */
export function checkOnShape(kernel: Kernel, shape: readonly [number, number, number, number], seed: number): Comparison {
  const { dtype } = kernel.spec;
  const device = kernel.target;
  const count = shape.reduce((a, b) => a * b, 1);
  const x = roundTo(fillUniform(new Float32Array(count), seed), dtype);
  const wShape = kernel.weightShape(shape[1]);
  const w = roundTo(fillUniform(new Float32Array(wShape.reduce((a, b) => a * b, 1)), seed + 1), dtype);
  const b = kernel.spec.bias ? roundTo(fillUniform(new Float32Array(wShape[0]), seed + 2), dtype) : undefined;
  const opts = { dtype, device } as const;
  const tensors = [Tensor.fromArray(x, shape, opts), Tensor.fromArray(w, wShape, opts), ...(b ? [Tensor.fromArray(b, [b.length], opts)] : [])];
  const out = Tensor.empty(kernel.outputShape(shape), opts); // 0xff bytes: NaN in every dtype
  try {
    kernel.forward(tensors[0]!, tensors[1]!, tensors[2], { out });
    const got = out.toArray(); // synchronizes on CUDA
    const ref = reference({ spec: kernel.spec, inputShape: shape, input: (i) => x[i]!, weight: w, ...(b ? { bias: b } : {}) });
    const comparer = new Comparer(dtype);
    for (let i = 0; i < got.length; i++) comparer.add(i, got[i]!, ref.values[i]!, ref.magnitudes[i]!);
    if (got.length !== ref.values.length) throw new Error(`output length ${got.length} != reference ${ref.values.length}`);
    return comparer.result();
  } finally {
    for (const t of [...tensors, out]) t.dispose();
  }
}

export { inParallel } from '../../src/parallel.js';
