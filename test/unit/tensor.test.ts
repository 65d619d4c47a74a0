import { describe, expect, it } from 'vitest';
import { SpecError } from '../../src/errors.js';
import { float32BitsToFloat16 } from '../../src/dtype.js';
import { Tensor } from '../../src/runtime/tensor.js';

function specError(f: () => unknown): SpecError {
  let caught: unknown;
  try {
    f();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(SpecError);
  return caught as SpecError;
}

const halfBits = (v: number) => float32BitsToFloat16(new Uint32Array(Float32Array.of(v).buffer)[0]!);

describe('Tensor.fromArray takes values only', () => {
  it.each([
    ['a string', '12'],
    ['null', null],
    ['an array-like', { length: 4 }],
  ])('refuses %s, naming values', (_name, values) => {
    expect(specError(() => Tensor.fromArray(values as never, [4])).field).toBe('values');
  });

  it.each([Uint16Array, Int32Array, Uint8Array, BigInt64Array])('refuses a %o and points at fromBytes', (Kind) => {
    const e = specError(() => Tensor.fromArray(new Kind(2) as never, [2]));
    expect(e.field).toBe('values');
    expect(e.message).toContain('fromBytes');
  });

  it('refuses a non-number element, naming it', () => {
    expect(specError(() => Tensor.fromArray([1, '2', 3] as never, [3])).field).toBe('values[1]');
  });

  it('takes Float64Array and number[] as values', () => {
    expect([...Tensor.fromArray(Float64Array.of(1.5, -2), [2]).toArray()]).toEqual([1.5, -2]);
    expect([...Tensor.fromArray([0.25, 4], [2], { dtype: 'float16' }).toArray()]).toEqual([0.25, 4]);
  });
});

describe('Tensor.fromBytes: raw storage, no conversion', () => {
  it('reads a Uint16Array of float16 bits as float16 values (not as integers)', () => {
    const bits = Uint16Array.of(0x3c00, 0x4000, halfBits(-0.5));
    expect([...Tensor.fromBytes(bits, [3], { dtype: 'float16' }).toArray()]).toEqual([1, 2, -0.5]);
  });

  it('reads bfloat16 and float32 storage', () => {
    expect([...Tensor.fromBytes(Uint16Array.of(0x3f80, 0xc000), [2], { dtype: 'bfloat16' }).toArray()]).toEqual([1, -2]);
    expect([...Tensor.fromBytes(Float32Array.of(3, 4).buffer, [2]).toArray()]).toEqual([3, 4]);
  });

  it('is a view of the bytes on the host: writes through the tensor are seen in them', () => {
    const storage = new Float32Array(4);
    const t = Tensor.fromBytes(storage, [2, 2]);
    t.hostBytes().set(new Uint8Array(Float32Array.of(7).buffer), 4);
    expect(storage[1]).toBe(7);
  });

  it('refuses a length other than shape × dtype, misaligned bytes and non-buffers', () => {
    expect(specError(() => Tensor.fromBytes(new Uint8Array(6), [2])).field).toBe('bytes.byteLength');
    expect(specError(() => Tensor.fromBytes(new Uint8Array(10).subarray(1, 9), [2])).field).toBe('bytes.byteOffset');
    expect(specError(() => Tensor.fromBytes('abcd' as never, [1])).field).toBe('bytes');
    expect(specError(() => Tensor.fromBytes(new Uint8Array(8), [2], { dtype: 'float64' as never })).field).toBe('dtype');
  });

  it('takes a layout for 4-D shapes only', () => {
    expect(Tensor.fromBytes(new Float32Array(4), [1, 1, 2, 2], { layout: 'NHWC' }).layout).toBe('NHWC');
    expect(specError(() => Tensor.fromBytes(new Float32Array(4), [4], { layout: 'NHWC' })).field).toBe('layout');
    expect(specError(() => Tensor.empty([1, 1, 2, 2], { layout: 'HWCN' as never })).field).toBe('layout');
  });
});

describe('the other constructors name their bad arguments', () => {
  it('Tensor.view of something that is not a tensor', () => {
    expect(specError(() => Tensor.view({} as never, [1])).field).toBe('base');
    expect(specError(() => Tensor.view(Object.create(Tensor.prototype) as never, [1])).field).toBe('base');
  });

  it('Tensor.view larger than its base', () => {
    expect(specError(() => Tensor.view(Tensor.empty([4]), [5])).field).toBe('shape');
  });

  it('Tensor.empty over 4 GiB on the host is a clear error, not a RangeError', () => {
    const e = specError(() => Tensor.empty([2 ** 31 + 1], { dtype: 'float32' }));
    expect(e.field).toBe('shape');
    expect(e.message).toContain('4 GiB');
  });

  it('Tensor.empty with absurd sizes and options', () => {
    expect(specError(() => Tensor.empty([2 ** 30, 2 ** 30, 2 ** 30])).field).toBe('shape');
    expect(specError(() => Tensor.empty([2, -1])).field).toBe('shape');
    expect(specError(() => Tensor.empty('12' as never)).field).toBe('shape');
    expect(specError(() => Tensor.empty([2], null as never)).field).toBe('options');
    expect(specError(() => Tensor.empty([2], { device: 'gpu' as never })).field).toBe('device');
  });

  it('fromDevicePointer checks its address, size and device before asking CUDA', () => {
    expect(specError(() => Tensor.fromDevicePointer(0, [2])).field).toBe('address');
    expect(specError(() => Tensor.fromDevicePointer('0x1000' as never, [2])).field).toBe('address');
    expect(specError(() => Tensor.fromDevicePointer(-5, [2])).field).toBe('address');
    expect(specError(() => Tensor.fromDevicePointer(0x1000, [2], { byteLength: 4 })).field).toBe('byteLength');
    expect(specError(() => Tensor.fromDevicePointer(0x1000, [2], { device: 'cpu' })).field).toBe('device');
  });
});

describe('tensor fields and disposal', () => {
  it('Tensor.isTensor tells real tensors from lookalikes', () => {
    expect(Tensor.isTensor(Tensor.empty([1]))).toBe(true);
    expect(Tensor.isTensor(Object.create(Tensor.prototype))).toBe(false);
    expect(Tensor.isTensor({ shape: [1], dtype: 'float32', device: 'cpu' })).toBe(false);
  });

  it('[Symbol.dispose] disposes (so `using` works), and views go with their base', () => {
    const t = Tensor.empty([4]);
    const v = Tensor.view(t, [2]);
    t[Symbol.dispose]();
    expect(t.disposed).toBe(true);
    expect(v.disposed).toBe(true);
    expect(() => v.toArray()).toThrow(SpecError);
    t.dispose(); // twice is fine
  });

  it('overlaps and sameMemory compare byte ranges', () => {
    const bytes = new Uint8Array(16);
    const a = Tensor.fromBytes(bytes.subarray(0, 8), [2]);
    const b = Tensor.fromBytes(bytes.subarray(4, 12), [2]);
    const c = Tensor.fromBytes(bytes.subarray(8, 16), [2]);
    expect(a.overlaps(b)).toBe(true);
    expect(a.overlaps(c)).toBe(false);
    expect(a.sameMemory(Tensor.fromBytes(bytes.subarray(0, 8), [2]))).toBe(true);
    expect(a.sameMemory(b)).toBe(false);
  });
});
