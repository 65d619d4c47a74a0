import { DTYPE_BYTES, float16BitsToFloat32, float32BitsToBfloat16, float32BitsToFloat16 } from '../dtype.js';
import type { Address, CudaRuntime } from '../ffi/cudart.js';
import type { DType } from '../spec.js';
import { uniformAt } from '../verify/random.js';
import { median } from './stats.js';
import { generateUniform, uniformChunkBytes, type UniformOptions } from './uniform-workers.js';

const CHUNK_ELEMENTS = 1 << 24;
/** Indices further apart than this are read with separate copies rather than one copy spanning the gap. */
const MAX_GAP = 1 << 14;

/**
 * Fills device memory with uniformAt(seed, first + i) values stored as `dtype`, one host chunk at a
 * time (`first`: where this piece starts in a larger array, as when a batch is split over devices).
 */
export function uploadUniform(rt: CudaRuntime, dst: Address, count: number, dtype: DType, seed: number, first = 0): void {
  const base = BigInt(dst);
  const bytes = DTYPE_BYTES[dtype];
  for (let start = 0; start < count; start += CHUNK_ELEMENTS) {
    rt.copyToDevice(base + BigInt(start * bytes), uniformChunkBytes({ seed, dtype, first: first + start, count: Math.min(CHUNK_ELEMENTS, count - start) }));
  }
}

/**
 * uploadUniform on several host threads (generateUniform): the same bytes at the same places, each
 * chunk copied to the device as it comes back.
 */
export async function uploadUniformParallel(rt: CudaRuntime, dst: Address, count: number, dtype: DType, seed: number, o: UniformOptions = {}): Promise<void> {
  const base = BigInt(dst);
  const bytes = DTYPE_BYTES[dtype];
  await generateUniform(count, dtype, seed, (offset, chunk) => rt.copyToDevice(base + BigInt(offset * bytes), chunk), o);
}

// One float32 and its bits, reused: rounding one value through encode/decode allocated five typed
// arrays a call (23 us each, 80x the float32 path), and a 7x7 16-bit case's reference reads a million.
const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/** The value uploadUniform stored at index i, as the kernel reads it. */
export function uniformStored(seed: number, i: number, dtype: DType): number {
  return storedValue(uniformAt(seed, i), dtype);
}

/** The value stored at byte `offset` of `view` as `dtype` (little-endian, as the device stores it). */
function storedAt(view: DataView, offset: number, dtype: DType): number {
  if (dtype === 'float32') return view.getFloat32(offset, true);
  const half = view.getUint16(offset, true);
  scratchBits[0] = dtype === 'bfloat16' ? half << 16 : float16BitsToFloat32(half);
  return scratch[0]!;
}

/** v as `dtype` storage holds it: per value what roundTo (encode, then decode) gives. */
export function storedValue(v: number, dtype: DType): number {
  scratch[0] = v;
  if (dtype === 'float32') return scratch[0];
  const bits = scratchBits[0]!;
  scratchBits[0] = dtype === 'bfloat16' ? float32BitsToBfloat16(bits) << 16 : float16BitsToFloat32(float32BitsToFloat16(bits));
  return scratch[0];
}

/** Reads device values at sorted flat indices: nearby indices share one copy, far ones get their own. */
export function readAt(rt: CudaRuntime, src: Address, indices: readonly number[], dtype: DType): Float32Array {
  const base = BigInt(src);
  const bytes = DTYPE_BYTES[dtype];
  const values = new Float32Array(indices.length);
  let k = 0;
  while (k < indices.length) {
    const first = indices[k]!;
    let last = k;
    while (last + 1 < indices.length && indices[last + 1]! - first < CHUNK_ELEMENTS && indices[last + 1]! - indices[last]! < MAX_GAP) last++;
    const count = indices[last]! - first + 1;
    const chunk = new Uint8Array(count * bytes);
    rt.copyToHost(chunk, base + BigInt(first * bytes));
    // Only the sampled values are decoded, in place: decoding each copy whole allocated four arrays a
    // copy, 70 us for a copy of one value (a bench case reads 20,000 of them).
    const view = new DataView(chunk.buffer);
    for (; k < indices.length && indices[k]! < first + count; k++) values[k] = storedAt(view, (indices[k]! - first) * bytes, dtype);
  }
  return values;
}

/** GPU time spent warming up before the timed launches of one kernel. */
const WARMUP_MS = 25;

/**
 * Median milliseconds of `launch` over `reps` repetitions, each between two CUDA events, after a
 * warm-up; with `flush`, a 256 MB memset before each repetition (outside the timed region) empties
 * the L2 so small problems are timed from DRAM, as triton's do_bench does. Like do_bench, every
 * repetition is queued before the first is waited for: waiting on each one left the GPU idle between
 * them and timed the host's launch call too (a 0.05 ms block once timed at 0.18 ms; docs/perf.md).
 */
export function timeLaunches(rt: CudaRuntime, launch: () => void, reps: number, flush?: { address: Address; bytes: number }): number {
  const events: Address[] = [];
  try {
    const [start, end] = [rt.eventCreate(), rt.eventCreate()];
    events.push(start, end);
    // Warm up for a while, not a few launches: after the host-side work between cases the GPU has idled
    // and its clocks dropped, and a 15 us kernel timed at once ran 10x slow (C960 7x7 on the H100; docs/perf.md).
    rt.eventRecord(start);
    for (let i = 0; ; i++) {
      if (flush) rt.memset(flush.address, i & 0xff, flush.bytes);
      launch();
      rt.eventRecord(end);
      if (i >= 2 && rt.eventElapsedMs(start, end) >= WARMUP_MS) break;
    }
    const pairs = Array.from({ length: reps }, () => {
      const pair = [rt.eventCreate(), rt.eventCreate()] as const;
      events.push(...pair);
      return pair;
    });
    for (const [i, [before, after]] of pairs.entries()) {
      if (flush) rt.memset(flush.address, i & 0xff, flush.bytes);
      rt.eventRecord(before);
      launch();
      rt.eventRecord(after);
    }
    return median(pairs.map(([before, after]) => rt.eventElapsedMs(before, after)));
  } finally {
    for (const e of events) rt.eventDestroy(e);
  }
}
