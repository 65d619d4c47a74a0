import { cpus } from 'node:os';
import { Worker } from 'node:worker_threads';
import { median } from './stats.js';

// Each worker copies its slice of a shared buffer when told to: the CPU's all-core memcpy bandwidth,
// the floor the CPU kernel (which also runs on every core) is compared with.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { src, dst, start, end } = workerData;
const from = new Uint8Array(src, start, end - start);
const to = new Uint8Array(dst, start, end - start);
parentPort.on('message', () => { to.set(from); parentPort.postMessage(0); });
`;

/** Median milliseconds of copying `source` (its bytes put in shared memory first) with one worker per core. */
export async function parallelCopyMs(source: Uint8Array, reps: number, threads = cpus().length): Promise<{ ms: number; threads: number }> {
  const src = new SharedArrayBuffer(source.byteLength);
  new Uint8Array(src).set(source); // real data, never zeros
  const dst = new SharedArrayBuffer(source.byteLength);
  const slice = Math.ceil(source.byteLength / threads / 64) * 64;
  const workers = Array.from({ length: threads }, (_, i) => {
    const start = Math.min(i * slice, source.byteLength);
    return new Worker(WORKER, { eval: true, workerData: { src, dst, start, end: Math.min(start + slice, source.byteLength) } });
  });
  try {
    const round = () => Promise.all(workers.map((w) => new Promise<void>((resolve, reject) => {
      const done = () => {
        w.off('error', fail);
        resolve();
      };
      const fail = (err: unknown) => {
        w.off('message', done);
        reject(err);
      };
      w.once('message', done);
      w.once('error', fail);
      w.postMessage(0);
    })));
    await round(); // warm-up: page faults of the destination
    const ms: number[] = [];
    for (let i = 0; i < reps; i++) {
      const t = performance.now();
      await round();
      ms.push(performance.now() - t);
    }
    return { ms: median(ms), threads };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
