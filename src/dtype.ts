import { getFloat16, setFloat16 } from '@petamoriken/float16';
import type { DType } from './spec.js';

export const DTYPE_BYTES: Readonly<Record<DType, number>> = { float32: 4, float16: 2, bfloat16: 2 };

/** Converts float32 values to the storage bytes of `dtype` (round to nearest even), little-endian. */
export function encode(values: Float32Array, dtype: DType): Uint8Array {
  if (dtype === 'float32') return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
  const out = new Uint16Array(values.length);
  if (dtype === 'bfloat16') {
    const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
    for (let i = 0; i < bits.length; i++) out[i] = float32BitsToBfloat16(bits[i]!);
  } else {
    const view = new DataView(out.buffer);
    for (let i = 0; i < values.length; i++) setFloat16(view, 2 * i, values[i]!, true);
  }
  return new Uint8Array(out.buffer);
}

/** Converts storage bytes of `dtype` back to float32 values (exact: every fp16/bf16 value is a float32). */
export function decode(bytes: Uint8Array, dtype: DType): Float32Array {
  const count = bytes.byteLength / DTYPE_BYTES[dtype];
  if (dtype === 'float32') return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const out = new Float32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dtype === 'bfloat16') {
    const outBits = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) outBits[i] = view.getUint16(2 * i, true) << 16;
  } else {
    for (let i = 0; i < count; i++) out[i] = getFloat16(view, 2 * i, true);
  }
  return out;
}

/** The values `dtype` storage would hold for these float32 values. */
export function roundTo(values: Float32Array, dtype: DType): Float32Array {
  return dtype === 'float32' ? values : decode(encode(values, dtype), dtype);
}

function float32BitsToBfloat16(bits: number): number {
  if ((bits & 0x7fffffff) > 0x7f800000) return 0x7fc0; // NaN stays a quiet NaN
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}
