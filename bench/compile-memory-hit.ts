// How long a second compile() of a spec already loaded in this process takes (the memory tier in
// front of codegen): run with `npx tsx bench/compile-memory-hit.ts [--target cpu|cuda]`.
import { compile } from '../src/index.js';

const target = process.argv.includes('--target') ? (process.argv[process.argv.indexOf('--target') + 1] as 'cpu' | 'cuda') : 'cpu';
const spec = { kernelSize: 3, padding: 1, bias: true } as const;
const first = await compile(spec, { target });
const samples: number[] = [];
for (let i = 0; i < 2000; i++) {
  const t0 = performance.now();
  const k = await compile(spec, { target });
  samples.push((performance.now() - t0) * 1000);
  if (k.provenance.origin !== 'memory') throw new Error(`expected a memory hit, got ${k.provenance.origin}`);
}
samples.sort((a, b) => a - b);
const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!.toFixed(1);
console.log(JSON.stringify({ target, firstOrigin: first.provenance.origin, repeats: samples.length, medianMicroseconds: Number(at(0.5)), p90Microseconds: Number(at(0.9)), p99Microseconds: Number(at(0.99)) }));
