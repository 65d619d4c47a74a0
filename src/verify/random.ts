/**
 * Counter-based random values: value(seed, i) is computable for any i on its own, so a huge input
 * can be generated in chunks on the host and checked later without keeping it.
 */
export function uniformAt(seed: number, index: number): number {
  return uniformOf(index >>> 0, highMix(seed, Math.floor(index / 4294967296)));
}

/** The seed and an index's high 32 bits, as uniformOf takes them: the same for every index of a run that shares them. */
function highMix(seed: number, high: number): number {
  return seed ^ Math.imul(high, 0x85ebca77);
}

/**
 * The value at an index whose low 32 bits are `low` (any int32 or uint32 reading of them), `mix`
 * from highMix: two rounds of a murmur3-style finalizer, so high and low halves of the index both count.
 */
function uniformOf(low: number, mix: number): number {
  let h = Math.imul(low, 0x9e3779b1) ^ mix;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 8) / 8388608 - 1; // 24 random bits → [-1, 1)
}

/**
 * Fills `out` with uniformAt(seed, start + k), the index's high half mixed once per run of indices
 * that share it (the bench fills gigabytes).
 */
export function fillUniform(out: Float32Array, seed: number, start = 0): Float32Array {
  for (let k = 0; k < out.length; ) {
    const hi = Math.floor((start + k) / 4294967296);
    const lo = start + k - hi * 4294967296;
    const run = Math.min(out.length - k, 4294967296 - lo);
    const mix = highMix(seed, hi);
    for (let j = 0; j < run; j++) out[k + j] = uniformOf((lo + j) | 0, mix);
    k += run;
  }
  return out;
}

/** A fresh seed per run unless the caller fixes one; print it so that a failure can be replayed. */
export function freshSeed(fixed?: string | number): number {
  if (fixed !== undefined && fixed !== '') return Number(fixed) >>> 0;
  return (Math.random() * 2 ** 32) >>> 0;
}
