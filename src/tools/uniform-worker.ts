// Worker thread of uniform-workers.ts: fills one chunk of the bench's random input (uniformAt values
// stored as a dtype) and hands its bytes back without a copy.
import { parentPort } from 'node:worker_threads';
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

parentPort?.on('message', (c: UniformChunk) => {
  const bytes = encode(fillUniform(new Float32Array(c.count), c.seed, c.first), c.dtype);
  parentPort!.postMessage(bytes, [bytes.buffer as ArrayBuffer]);
});
