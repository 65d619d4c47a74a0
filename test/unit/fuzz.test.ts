import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SpecError } from '../../src/errors.js';
import { Tensor } from '../../src/runtime/tensor.js';
import { canonicalJson, normalizeSpec, outputShape } from '../../src/spec.js';
import { expandManifest } from '../../src/tools/precompile.js';

// Any value at all: the public entry points either accept it or throw a SpecError naming a field.
const anything = fc.anything({ withBigInt: true, withNullPrototype: true, withObjectString: true, withBoxedValues: true, withSparseArray: true, withTypedArray: true });
const fieldValues = fc.oneof(anything, fc.integer({ min: -5, max: 70 }), fc.double(), fc.tuple(fc.integer({ min: -2, max: 40 }), fc.integer({ min: -2, max: 40 })), fc.constantFrom('same', 'float16', 'NCHW', '__proto__'));
const specLike = fc.dictionary(fc.constantFrom('kernelSize', 'stride', 'padding', 'dilation', 'channelMultiplier', 'dtype', 'layout', 'bias', '__proto__', 'constructor', 'extra'), fieldValues);

function onlySpecErrors(f: () => unknown): void {
  try {
    f();
  } catch (err) {
    if (!(err instanceof SpecError)) throw err;
    expect(err.field.length).toBeGreaterThan(0);
  }
}

describe('fuzzing the public entry points (bounded)', () => {
  it('normalizeSpec: a frozen canonical spec, or a SpecError, for any input', () => {
    fc.assert(fc.property(fc.oneof(anything, specLike), (input) => {
      onlySpecErrors(() => {
        const spec = normalizeSpec(input);
        expect(Object.isFrozen(spec)).toBe(true);
        expect(canonicalJson(normalizeSpec(spec))).toBe(canonicalJson(spec)); // idempotent
      });
    }), { numRuns: 3000 });
  });

  it('outputShape and Tensor.fromArray: a result or a SpecError for any shape', () => {
    const spec = normalizeSpec({ kernelSize: 3, padding: 1 });
    fc.assert(fc.property(fc.oneof(anything, fc.array(fc.oneof(fc.integer({ min: -3, max: 9 }), fc.double()), { maxLength: 6 })), (shape) => {
      onlySpecErrors(() => outputShape(spec, shape));
      onlySpecErrors(() => Tensor.fromArray(new Float32Array(8), shape as number[]).dispose());
    }), { numRuns: 2000 });
  });

  it('expandManifest: jobs or a SpecError for any manifest', () => {
    fc.assert(fc.property(fc.oneof(anything, fc.record({ targets: anything, archs: anything, specs: anything, grids: anything }, { requiredKeys: [] })), (m) => {
      onlySpecErrors(() => expandManifest(m));
    }), { numRuns: 2000 });
  });
});
