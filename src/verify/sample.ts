import type { DType } from '../spec.js';
import { Comparer, toleranceOf, type Comparison } from './compare.js';
import { outputCoords, referenceAt, type ReferenceInputs } from './reference.js';

/** Distinct sorted flat output indices: all of them when count >= total, else a uniform random sample. */
export function sampleIndices(total: number, count: number, random: () => number = Math.random): number[] {
  if (count >= total) return Array.from({ length: total }, (_, i) => i);
  const picked = new Set<number>();
  while (picked.size < count) picked.add(Math.floor(random() * total));
  return [...picked].sort((a, b) => a - b);
}

/**
 * Checks the outputs at `indices` against the float64 reference; `outputAt(k)` gives the kernel's value
 * for indices[k] (so outputs may come from device memory in chunks).
 */
export function verifyOutputs(
  ref: ReferenceInputs,
  outShape: readonly [number, number, number, number],
  indices: readonly number[],
  outputAt: (k: number) => number,
  dtype: DType,
): Comparison {
  const comparer = new Comparer(dtype, toleranceOf(ref.spec));
  indices.forEach((flat, k) => {
    const [n, c, oh, ow] = outputCoords(ref.spec, outShape, flat);
    const { value, magnitude } = referenceAt(ref, n, c, oh, ow);
    comparer.add(flat, outputAt(k), value, magnitude);
  });
  return comparer.result();
}
