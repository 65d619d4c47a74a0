/**
 * Counter-based random values: value(seed, i) is computable for any i on its own, so a huge input
 * can be generated in chunks on the host and checked later without keeping it.
 */
export function uniformAt(seed: number, index: number): number {
  // Two rounds of a murmur3-style finalizer over (index, seed); high and low halves of the index both count.
  let h = (Math.imul(index >>> 0, 0x9e3779b1) ^ seed ^ Math.imul(Math.floor(index / 4294967296), 0x85ebca77)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 8) / 8388608 - 1; // 24 random bits → [-1, 1)
}

/**
 * Fills `out` with uniformAt(seed, start + k): uniformAt's arithmetic inlined, with the index's high
 * half mixed once per run of indices that share it (twice as fast; the bench fills gigabytes).
 */
export function fillUniform(out: Float32Array, seed: number, start = 0): Float32Array {
  for (let k = 0; k < out.length; ) {
    const hi = Math.floor((start + k) / 4294967296);
    const lo = start + k - hi * 4294967296;
    const run = Math.min(out.length - k, 4294967296 - lo);
    const mix = seed ^ Math.imul(hi, 0x85ebca77);
    for (let j = 0; j < run; j++) {
      let h = Math.imul((lo + j) | 0, 0x9e3779b1) ^ mix;
      h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
      h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
      h ^= h >>> 16;
      out[k + j] = (h >>> 8) / 8388608 - 1;
    }
    k += run;
  }
  return out;
}

/** A fresh seed per run unless the caller fixes one; print it so that a failure can be replayed. */
export function freshSeed(fixed?: string | number): number {
  if (fixed !== undefined && fixed !== '') return Number(fixed) >>> 0;
  return (Math.random() * 2 ** 32) >>> 0;
}
