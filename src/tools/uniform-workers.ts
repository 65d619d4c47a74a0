// The bench's random inputs generated on several host threads: a pool holds gigabytes (uniformAt
// values stored as a dtype), which one thread fills at about 200 M values a second, the GPU's upload
// of them being far faster. Chunks go to worker threads and come back to `sink` as each is done, in
// any order, each with its first element's offset.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { encode } from '../dtype.js';
import type { DType } from '../spec.js';
import { fillUniform } from '../verify/random.js';

/** One chunk: `count` values from index `first` of the stream `seed`, as `dtype`. */
export interface UniformChunk {
  readonly seed: number;
  readonly first: number;
  readonly count: number;
  readonly dtype: DType;
}

/** A chunk's bytes: uniformAt's values stored as the dtype (what a worker hands back). */
export function uniformChunkBytes(c: UniformChunk): Uint8Array {
  return encode(fillUniform(new Float32Array(c.count), c.seed, c.first), c.dtype);
}

/** Values a chunk holds: 16 MB of float32, so that threads x chunks in flight stay well under a gigabyte. */
export const UNIFORM_CHUNK = 1 << 22;

export interface UniformOptions {
  /** Index of the first value in the stream (a piece of a larger array). Default 0. */
  readonly first?: number;
  /** Worker threads, at most; 1 fills on the calling thread. Default: the host's parallelism, up to 16. */
  readonly threads?: number;
  /** Values a chunk holds (tests make it small). Default UNIFORM_CHUNK. */
  readonly chunk?: number;
}

/**
 * Calls sink(offset, bytes) for every chunk of `count` values of uniformAt(seed, first + i) stored as
 * `dtype` (offset in values from the first), and resolves when all are sunk; rejects (workers ended)
 * if a worker fails or the sink throws.
 */
export async function generateUniform(count: number, dtype: DType, seed: number, sink: (offset: number, bytes: Uint8Array) => void, o: UniformOptions = {}): Promise<void> {
  const first = o.first ?? 0, chunk = o.chunk ?? UNIFORM_CHUNK;
  const chunks = Math.ceil(count / chunk);
  const threads = Math.min(o.threads ?? Math.min(16, availableParallelism()), chunks);
  const job = (k: number): UniformChunk => ({ seed, dtype, first: first + k * chunk, count: Math.min(chunk, count - k * chunk) });
  if (threads <= 1) {
    for (let k = 0; k < chunks; k++) sink(k * chunk, uniformChunkBytes(job(k)));
    return;
  }
  const workers = Array.from({ length: threads }, () => spawn());
  try {
    let next = 0;
    await Promise.all(workers.map((w) => new Promise<void>((resolve, reject) => {
      let k = -1;
      const give = () => {
        if (next >= chunks) return resolve();
        k = next++;
        w.postMessage(job(k));
      };
      w.on('message', (bytes: Uint8Array) => {
        try {
          sink(k * chunk, bytes);
        } catch (e) {
          return reject(e);
        }
        give();
      });
      w.on('error', reject);
      w.on('exit', (code) => reject(new Error(`a random-input worker exited (code ${code}) before its chunks were done`)));
      give();
    })));
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/**
 * A worker on the compiled module, or, where the TypeScript source is what runs (the tests), on the
 * source through tsx's loader, registered in the worker first (a worker does not take `--import`).
 */
function spawn(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./uniform-worker.js', import.meta.url));
  const source = new URL('./uniform-worker.ts', import.meta.url).href;
  return new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(source)}); });`, { eval: true });
}
