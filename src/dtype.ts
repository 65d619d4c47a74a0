import type { DType } from './spec.js';

export const DTYPE_BYTES: Readonly<Record<DType, number>> = { float32: 4, float16: 2, bfloat16: 2 };

// Bit-level conversions over typed-array views: the demo converts 2^30 values, so per-element
// DataView calls are too slow, and their arithmetic stays within int32 (V8 then keeps it in
// registers; sums past 2^31 were doubles). A unit test checks them against @petamoriken/float16.

/** float32 bits → float16 bits, round to nearest even (the same algorithm as the CPU template). */
export function float32BitsToFloat16(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  let x = bits & 0x7fffffff;
  if (x > 0x7f800000) return sign | 0x7e00; // NaN
  if (x >= 0x47800000) return sign | 0x7c00; // at least 2^16: infinity
  if (x < 0x38800000) {
    // Subnormal or zero half: adding 0.5 aligns the mantissa and lets float32 rounding do the work.
    scratchF32[0] = f32FromBits(x) + 0.5;
    return sign | (scratchU32[0]! - 0x3f000000);
  }
  x = (x - 0x37fff001 + ((x >>> 13) & 1)) | 0; // rebias the exponent (-112 << 23) and round: 0xc8000fff mod 2^32, as int32
  return sign | (x >>> 13);
}

/** float16 bits → float32 bits (exact). */
export function float16BitsToFloat32(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  const man = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (man << 13)) >>> 0;
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (man << 13)) >>> 0;
  if (man === 0) return sign >>> 0;
  scratchF32[0] = man * 5.960464477539063e-8; // 2^-24: subnormal halves are exact float32s
  return (sign | scratchU32[0]!) >>> 0;
}

/** float32 bits → bfloat16 bits, round to nearest even; NaN stays a quiet NaN. */
export function float32BitsToBfloat16(bits: number): number {
  if ((bits & 0x7fffffff) > 0x7f800000) return 0x7fc0;
  // In 32-bit integer arithmetic (| 0), which V8 keeps in registers: on the uint32 values a negative
  // float's bits are (past 2^31) the sum was a double, 9x slower. Only NaN bits would carry past bit 31.
  return (((bits | 0) + 0x7fff + ((bits >>> 16) & 1)) | 0) >>> 16;
}

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);
function f32FromBits(bits: number): number {
  scratchU32[0] = bits;
  return scratchF32[0]!;
}

/** Converts float32 values to the storage bytes of `dtype` (round to nearest even), little-endian. */
export function encode(values: Float32Array, dtype: DType): Uint8Array {
  if (dtype === 'float32') return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
  // Read as int32, not uint32: the converters mask what they use, and V8 keeps int32 values in registers.
  const bits = new Int32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  const convert = dtype === 'bfloat16' ? float32BitsToBfloat16 : float32BitsToFloat16;
  for (let i = 0; i < bits.length; i++) out[i] = convert(bits[i]!);
  return new Uint8Array(out.buffer);
}

/** Converts storage bytes of `dtype` back to float32 values (exact: every fp16/bf16 value is a float32). */
export function decode(bytes: Uint8Array, dtype: DType): Float32Array {
  if (dtype === 'float32') return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const halves = new Uint16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const out = new Float32Array(halves.length);
  const outBits = new Uint32Array(out.buffer);
  if (dtype === 'bfloat16') for (let i = 0; i < halves.length; i++) outBits[i] = halves[i]! << 16;
  else for (let i = 0; i < halves.length; i++) outBits[i] = float16BitsToFloat32(halves[i]!);
  return out;
}

/** The values `dtype` storage would hold for these float32 values. */
export function roundTo(values: Float32Array, dtype: DType): Float32Array {
  return dtype === 'float32' ? values : decode(encode(values, dtype), dtype);
}
