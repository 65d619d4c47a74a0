import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/compile.js';
import { SpecError } from '../../src/errors.js';
import type { Kernel } from '../../src/runtime/kernel.js';
import { Tensor } from '../../src/runtime/tensor.js';
import { hasCxx } from '../helpers/requirements.js';

/** `f` throws a SpecError that names `field`. */
function expectSpecError(f: () => unknown, field: string): void {
  let caught: unknown;
  try {
    f();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(SpecError);
  expect((caught as SpecError).field).toBe(field);
}

/** A host tensor of 0.5s. */
const t = (shape: number[], dtype: 'float32' | 'float16' = 'float32') => Tensor.fromArray(new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.5), shape, { dtype });

describe.skipIf(!hasCxx)('tensor mismatches are typed errors before any launch (needs a C++ compiler)', () => {
  let k: Kernel;
  const cacheDir = mkdtempSync(join(tmpdir(), 'dwconv-errors-'));
  beforeAll(async () => {
    k = await compile({ kernelSize: 3, bias: true, channelMultiplier: 2 }, { target: 'cpu', cacheDir });
  });
  const good = () => ({ x: t([1, 2, 5, 5]), w: t([4, 1, 3, 3]), b: t([4]) });

  const cases: [string, string, () => unknown][] = [
    ['x of the wrong dtype', 'x.dtype', () => { const g = good(); return k.forward(t([1, 2, 5, 5], 'float16'), g.w, g.b); }],
    ['x with 3 dims', 'inputShape', () => { const g = good(); return k.forward(t([2, 5, 5]), g.w, g.b); }],
    ['x too small for the kernel', 'inputShape', () => { const g = good(); return k.forward(t([1, 2, 2, 5]), g.w, g.b); }],
    ['weight of the wrong shape', 'w.shape', () => { const g = good(); return k.forward(g.x, t([2, 1, 3, 3]), g.b); }],
    ['missing bias', 'b', () => { const g = good(); return k.forward(g.x, g.w); }],
    ['bias of the wrong size', 'b.shape', () => { const g = good(); return k.forward(g.x, g.w, t([2])); }],
    ['a disposed input', 'x', () => { const g = good(); g.x.dispose(); return k.forward(g.x, g.w, g.b); }],
    ['an output too small', 'out.shape', () => { const g = good(); return k.forward(g.x, g.w, g.b, { out: t([1, 4, 3, 2]) }); }],
    ['an output of another dtype', 'out.dtype', () => { const g = good(); return k.forward(g.x, g.w, g.b, { out: t([1, 4, 3, 3], 'float16') }); }],
    ['a plain array as input', 'x', () => { const g = good(); return k.forward([1, 2] as unknown as Tensor, g.w, g.b); }],
    ['values of the wrong length', 'values.length', () => Tensor.fromArray(new Float32Array(3), [2, 2])],
    ['a bad tensor dtype', 'dtype', () => Tensor.empty([2], { dtype: 'int8' as 'float32' })],
  ];
  it.each(cases)('%s', (_name, field, f) => expectSpecError(f, field));

  it('run() rejects a missing bias and an input of the wrong length', async () => {
    await expect(k.run(new Float32Array(50), [1, 2, 5, 5], new Float32Array(36))).rejects.toThrow(SpecError);
    await expect(k.run(new Float32Array(49), [1, 2, 5, 5], new Float32Array(36), new Float32Array(4))).rejects.toThrow(SpecError);
  });

  it('run() works on host arrays', async () => {
    const y = await k.run(new Float32Array(50).fill(1), [1, 2, 5, 5], new Float32Array(36).fill(1), Float32Array.of(0, 1, 2, 3));
    expect([...y.subarray(0, 2)]).toEqual([9, 9]);
    expect(y[9]).toBe(10);
    expect(y.length).toBe(36);
  });
});

describe.skipIf(!hasCxx)('epilogue tensors are checked like the others (needs a C++ compiler)', () => {
  let k: Kernel;
  let plain: Kernel;
  const cacheDir = mkdtempSync(join(tmpdir(), 'dwconv-epi-errors-'));
  beforeAll(async () => {
    [k, plain] = await Promise.all([
      compile({ kernelSize: 3, batchNorm: true, activation: 'relu', residual: true }, { target: 'cpu', cacheDir }),
      compile({ kernelSize: 3 }, { target: 'cpu', cacheDir }),
    ]);
  });
  const good = () => ({ x: t([1, 2, 5, 5]), w: t([2, 1, 3, 3]), scale: t([2]), shift: t([2]), residual: t([1, 2, 3, 3]) });
  const epi = ({ scale, shift, residual }: ReturnType<typeof good>) => ({ scale, shift, residual });

  const cases: [string, string, () => unknown][] = [
    ['missing scale', 'scale', () => { const { x, w, shift, residual } = good(); return k.forward(x, w, undefined, { shift, residual }); }],
    ['missing shift', 'shift', () => { const { x, w, scale, residual } = good(); return k.forward(x, w, undefined, { scale, residual }); }],
    ['scale of the wrong size', 'scale.shape', () => { const g = good(); return k.forward(g.x, g.w, undefined, { ...epi(g), scale: t([3]) }); }],
    ['scale in float16 (it is float32)', 'scale.dtype', () => { const g = good(); return k.forward(g.x, g.w, undefined, { ...epi(g), scale: t([2], 'float16') }); }],
    ['missing residual', 'residual', () => { const { x, w, scale, shift } = good(); return k.forward(x, w, undefined, { scale, shift }); }],
    ['residual of the input shape', 'residual.shape', () => { const g = good(); return k.forward(g.x, g.w, undefined, { ...epi(g), residual: t([1, 2, 5, 5]) }); }],
    ['out that is the input', 'out', () => { const g = good(); return k.forward(g.x, g.w, undefined, { ...epi(g), out: Tensor.view(g.x, [1, 2, 3, 3]) }); }],
    ['out over the scale', 'out', () => { const g = good(); const big = t([1, 2, 3, 3]); return k.forward(g.x, g.w, undefined, { ...epi(g), scale: Tensor.view(big, [2]), out: big }); }],
    ['scale given to a spec without batchNorm', 'scale', () => { const g = good(); return plain.forward(g.x, g.w, undefined, { scale: g.scale }); }],
    ['residual given to a spec without one', 'residual', () => { const g = good(); return plain.forward(g.x, g.w, undefined, { residual: g.residual }); }],
  ];
  it.each(cases)('%s', (_name, field, f) => expectSpecError(f, field));

  it('out may be the residual itself: an in-place add', () => {
    const g = good();
    const residual = Tensor.fromArray(Float32Array.from({ length: 18 }, (_, i) => i / 10 - 1), [1, 2, 3, 3]);
    const expected = k.forward(g.x, g.w, undefined, { ...epi(g), residual }).toArray();
    const y = k.forward(g.x, g.w, undefined, { ...epi(g), residual, out: residual });
    expect(y).toBe(residual);
    expect([...residual.toArray()]).toEqual([...expected]);
  });
});

describe.skipIf(!hasCxx)('separable-block tensors are checked like the others (needs a C++ compiler)', () => {
  let k: Kernel;
  let plain: Kernel;
  const cacheDir = mkdtempSync(join(tmpdir(), 'dwconv-sep-errors-'));
  beforeAll(async () => {
    [k, plain] = await Promise.all([
      compile({ kernelSize: 3, channelMultiplier: 2, pointwise: { outChannels: 5, bias: true } }, { target: 'cpu', cacheDir }),
      compile({ kernelSize: 3 }, { target: 'cpu', cacheDir }),
    ]);
  });
  // x [1, 2, 5, 5], m = 2: 4 depthwise channels; the 1x1 takes them to 5.
  const good = () => ({ x: t([1, 2, 5, 5]), w: t([4, 1, 3, 3]), pointwiseWeight: t([5, 4, 1, 1]), pointwiseBias: t([5]) });
  const epi = ({ pointwiseWeight, pointwiseBias }: ReturnType<typeof good>) => ({ pointwiseWeight, pointwiseBias });

  const cases: [string, string, () => unknown][] = [
    ['missing 1x1 weights', 'pointwiseWeight', () => { const { x, w, pointwiseBias } = good(); return k.forward(x, w, undefined, { pointwiseBias }); }],
    ['1x1 weights sized for the input channels, not C*m', 'pointwiseWeight.shape', () => { const g = good(); return k.forward(g.x, g.w, undefined, { ...epi(g), pointwiseWeight: t([5, 2, 1, 1]) }); }],
    ['1x1 weights in another dtype', 'pointwiseWeight.dtype', () => { const g = good(); return k.forward(g.x, g.w, undefined, { ...epi(g), pointwiseWeight: t([5, 4, 1, 1], 'float16') }); }],
    ['missing 1x1 bias', 'pointwiseBias', () => { const { x, w, pointwiseWeight } = good(); return k.forward(x, w, undefined, { pointwiseWeight }); }],
    ['1x1 bias of the depthwise size', 'pointwiseBias.shape', () => { const g = good(); return k.forward(g.x, g.w, undefined, { ...epi(g), pointwiseBias: t([4]) }); }],
    ['out of the depthwise output shape', 'out.shape', () => { const g = good(); return k.forward(g.x, g.w, undefined, { ...epi(g), out: t([1, 4, 3, 3]) }); }],
    ['out over the 1x1 weights', 'out', () => { const g = good(); const big = t([1, 5, 3, 3]); return k.forward(g.x, g.w, undefined, { ...epi(g), pointwiseWeight: Tensor.view(big, [5, 4, 1, 1]), out: big }); }],
    ['1x1 weights given to a plain depthwise spec', 'pointwiseWeight', () => { const g = good(); return plain.forward(g.x, t([2, 1, 3, 3]), undefined, { pointwiseWeight: g.pointwiseWeight }); }],
  ];
  it.each(cases)('%s', (_name, field, f) => expectSpecError(f, field));

  it('outputs [N, outChannels, Ho, Wo] and run() takes the 1x1 as host arrays', async () => {
    const g = good();
    expect(k.forward(g.x, g.w, undefined, { pointwiseWeight: g.pointwiseWeight, pointwiseBias: g.pointwiseBias }).shape).toEqual([1, 5, 3, 3]);
    // Every input 0.5: each depthwise output is 9 * 0.25 = 2.25; the 1x1 sums 4 of them * 0.5, plus 0.5.
    const y = await k.run(new Float32Array(50).fill(0.5), [1, 2, 5, 5], new Float32Array(36).fill(0.5), undefined, { pointwiseWeight: new Float32Array(20).fill(0.5), pointwiseBias: new Float32Array(5).fill(0.5) });
    expect([...new Set(y)]).toEqual([4 * 2.25 * 0.5 + 0.5]);
  });
});
