import fc from 'fast-check';
import type { Address } from '../../src/ffi/cudart.js';
import type { Kernel } from '../../src/runtime/kernel.js';
import { Tensor } from '../../src/runtime/tensor.js';
import { ACTIVATIONS, channelsOf, describeSpec, inLayout, LAYOUTS, outputDtypeOf, outputExtent, RESIDUALS, type KernelSpec, type SpecInput } from '../../src/spec.js';
import { randomOperands, referenceParameters } from '../../src/verify/operands.js';
import { parameterTensors } from '../../src/runtime/parameter-tensors.js';
import { Comparer, toleranceOf, type Comparison } from '../../src/verify/compare.js';
import { reference } from '../../src/verify/reference.js';

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
    batchNorm: fc.boolean(),
    activation: fc.oneof({ weight: 3, arbitrary: fc.constant('none' as const) }, { weight: 5, arbitrary: fc.constantFrom(...ACTIVATIONS) }),
    negativeSlope: fc.double({ min: -2, max: 2, noNaN: true }),
    residual: fc.constantFrom(...RESIDUALS),
    layout: fc.constantFrom(...LAYOUTS),
    // A quarter of the specs store their output (and residual) in another type than the input.
    outputDtype: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom('float32' as const, 'float16' as const, 'bfloat16' as const) }),
  })
  .map(({ negativeSlope, outputDtype, ...s }) => ({
    ...s,
    ...(outputDtype ? { outputDtype } : {}),
    ...(s.padding === 'same' ? { stride: 1 } : {}),
    ...(s.activation === 'leaky_relu' ? { negativeSlope } : {}),
  }));

export function randomSpecs(count: number, seed = SEED): SpecInput[] {
  return fc.sample(specArbitrary, { seed, numRuns: count });
}

/**
 * Random input shapes (in the spec's layout) with non-empty outputs, odd sizes included, some smaller
 * than a CUDA tile; channel counts include multiples of 8 so NHWC's channel vectors are exercised.
 */
export function randomShapes(spec: KernelSpec, count: number, seed: number): [number, number, number, number][] {
  const extent = (k: number, d: number, padTotal: number) => Math.max(1, d * (k - 1) + 1 - padTotal);
  const [kh, kw] = spec.kernelSize;
  const shapeArb = fc.tuple(
    fc.integer({ min: 1, max: 2 }),
    fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 1, max: 5 }) }, { weight: 1, arbitrary: fc.constantFrom(8, 16, 24) }),
    fc.integer({ min: 0, max: 13 }).map((e) => extent(kh, spec.dilation[0], spec.padding[0] + spec.padding[1]) + e),
    fc.integer({ min: 0, max: 41 }).map((e) => extent(kw, spec.dilation[1], spec.padding[2] + spec.padding[3]) + e),
  );
  return fc.sample(shapeArb, { seed, numRuns: count }).filter(([, , h, w]) =>
    outputExtent(h, kh, spec.stride[0], spec.padding[0] + spec.padding[1], spec.dilation[0]) >= 1 &&
    outputExtent(w, kw, spec.stride[1], spec.padding[2] + spec.padding[3], spec.dilation[1]) >= 1).map((nchw) => inLayout(spec, nchw));
}

/** A change to the random input (non-finite values planted, say), and the outputs it leaves comparable. */
export interface InputEdit {
  readonly input: (x: Float32Array) => void;
  readonly checks: (flat: number) => boolean;
}

/** One check of a kernel in three steps, so that several can be in flight at once (on several streams or devices). */
export interface StagedCheck {
  /** Queues the kernel on `stream` (default: its device's default stream). */
  launch(stream?: Address): void;
  /** Reads the output (synchronizing with the device's default stream) and compares it with float64. */
  verify(): Comparison;
  dispose(): void;
}

/**
 * Fresh random inputs on the kernel's own device (the CPU, or its GPU) and an output poisoned with NaN,
 * ready to launch; with an edit, the edited input and only the outputs it names are compared.
 */
export function stageCheck(kernel: Kernel, shape: readonly [number, number, number, number], seed: number, edit?: InputEdit): StagedCheck {
  const { spec } = kernel;
  const device = kernel.deviceIndex ?? 'cpu';
  const o = randomOperands(spec, shape, seed);
  edit?.input(o.x);
  const outShape = kernel.outputShape(shape);
  const opts = { dtype: spec.dtype, device } as const;
  const tensors: Tensor[] = [];
  const track = (t: Tensor) => (tensors.push(t), t);
  try {
    const x = track(Tensor.fromArray(o.x, shape, opts));
    const { w, b, epilogue } = parameterTensors(spec, channelsOf(spec, shape), o, { device }, track);
    const outOpts = { ...opts, dtype: outputDtypeOf(spec) };
    const residual = o.residual ? track(Tensor.fromArray(o.residual, outShape, outOpts)) : undefined;
    const out = track(Tensor.empty(outShape, outOpts)); // 0xff bytes: NaN in every dtype
    return {
      launch: (stream) => void kernel.forward(x, w, b, { out, ...epilogue, ...(residual ? { residual } : {}), ...(stream === undefined ? {} : { stream }) }),
      verify: () => {
        const got = out.toArray(); // synchronizes on CUDA
        const r = o.residual;
        const ref = reference({
          spec, inputShape: shape, input: (i) => o.x[i]!, ...referenceParameters(o),
          ...(r ? { residual: (i: number) => r[i]! } : {}),
        });
        const comparer = new Comparer(outputDtypeOf(spec), toleranceOf(spec));
        for (let i = 0; i < got.length; i++) if (!edit || edit.checks(i)) comparer.add(i, got[i]!, ref.values[i]!, ref.magnitudes[i]!);
        if (got.length !== ref.values.length) throw new Error(`output length ${got.length} != reference ${ref.values.length}`);
        return comparer.result();
      },
      dispose: () => {
        for (const t of tensors) t.dispose();
      },
    };
  } catch (err) {
    for (const t of tensors) t.dispose();
    throw err;
  }
}

/**
 * Runs the kernel on fresh random inputs (output poisoned with NaN first) and compares all outputs with
 * float64; with an edit, the edited input and only the outputs it names.
 */
export function checkOnShape(kernel: Kernel, shape: readonly [number, number, number, number], seed: number, edit?: InputEdit): Comparison {
  const staged = stageCheck(kernel, shape, seed, edit);
  try {
    staged.launch();
    return staged.verify();
  } finally {
    staged.dispose();
  }
}

/**
 * Checks each kernel on `shapesPerSpec` random shapes, seeded by the index of its spec (so every variant
 * of a spec meets the same shapes and inputs). A failure is a line naming the spec, `label` and shape.
 */
export function checkKernels(runs: readonly { readonly kernel: Kernel; readonly index: number; readonly label: string }[], shapesPerSpec: number): { checked: number; failures: string[] } {
  const failures: string[] = [];
  let checked = 0;
  for (const { kernel, index, label } of runs) {
    for (const [j, shape] of randomShapes(kernel.spec, shapesPerSpec, SEED + index).entries()) {
      const r = checkOnShape(kernel, shape, SEED + 1000 * index + j);
      checked += r.checked;
      if (r.failures > 0 || r.checked === 0) {
        failures.push(`${describeSpec(kernel.spec)}${label} on ${shape.join('x')}: ${r.failures}/${r.checked} wrong, e.g. ${JSON.stringify(r.firstFailures[0])}`);
      }
    }
  }
  return { checked, failures };
}

export { inParallel } from '../../src/parallel.js';
