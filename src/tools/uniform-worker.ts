// Worker thread of uniform-workers.ts: fills one chunk of the bench's random input (uniformAt values
// stored as a dtype) and hands its bytes back without a copy.
import { parentPort } from 'node:worker_threads';
import { uniformChunkBytes, type UniformChunk } from './uniform-workers.js';

parentPort?.on('message', (c: UniformChunk) => {
  const bytes = uniformChunkBytes(c);
  parentPort!.postMessage(bytes, [bytes.buffer as ArrayBuffer]);
});
