// Issue 5's comparison, one GPU run: cold compile time of k=3 with nvcc and NVRTC (fresh cache each
// repetition, alternating), and the kernel time of each build on the reference problem, timed in
// interleaved rounds with a device-to-device copy of the same bytes. Each build is checked first.
// Usage: node --import tsx bench/compare-compilers.ts [--reps N] [--json FILE]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { timeLaunches, readAt, uniformStored, uploadUniform } from '../src/tools/device-data.js';
import { compile } from '../src/compile.js';
import { readEnvironment } from '../src/env.js';
import { cudaRuntime } from '../src/ffi/cudart.js';
import { Tensor } from '../src/runtime/tensor.js';
import { randomParameters } from '../src/verify/operands.js';
import { sampleIndices, verifyOutputs } from '../src/verify/sample.js';

const args = process.argv.slice(2);
const reps = args.includes('--reps') ? Number(args[args.indexOf('--reps') + 1]) : 5;
const jsonPath = args.includes('--json') ? args[args.indexOf('--json') + 1] : undefined;
const compilers = ['nvcc', 'nvrtc'] as const;
const spec = { kernelSize: 3 };

const cold: Record<string, number[]> = { nvcc: [], nvrtc: [] };
for (let i = 0; i < reps; i++) {
  for (const compiler of compilers) {
    const cacheDir = mkdtempSync(join(tmpdir(), `dwconv-cold-${compiler}-`));
    const t = performance.now();
    const k = await compile(spec, { target: 'cuda', compiler, cacheDir, precompiled: [] });
    // Cold until every program is loaded: an NVRTC compile returns before its any-width ring is.
    await k.whenComplete();
    cold[compiler]!.push(performance.now() - t);
    if (k.provenance.compiler !== compiler || k.provenance.origin !== 'compiled') throw new Error(`expected a fresh ${compiler} build, got ${JSON.stringify(k.provenance)}`);
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

const rt = cudaRuntime(readEnvironment());
const shape = [64, 128, 256, 512] as const;
const kernels = await Promise.all(compilers.map((compiler) => compile(spec, { target: 'cuda', compiler, cacheDir: mkdtempSync(join(tmpdir(), 'dwconv-cmp-')), precompiled: [] })));
await Promise.all(kernels.map((k) => k.whenComplete())); // timed whole
const seed = 20261124;
const x = Tensor.empty(shape, { device: 'cuda' });
uploadUniform(rt, x.deviceAddress(), x.length, 'float32', seed);
const p = randomParameters(kernels[0]!.spec, shape[1], seed);
const w = Tensor.fromArray(p.w, kernels[0]!.weightShape(shape[1]), { device: 'cuda' });
const outShape = kernels[0]!.outputShape(shape);
const outCount = outShape.reduce((a, b) => a * b, 1);
const checks = kernels.map((k) => {
  const out = Tensor.empty(outShape, { device: 'cuda' }); // NaN-poisoned
  k.forward(x, w, undefined, { out });
  rt.synchronize();
  const idx = sampleIndices(outCount, 20_000);
  const got = readAt(rt, out.deviceAddress(), idx, 'float32');
  const r = verifyOutputs({ spec: k.spec, inputShape: shape, input: (i) => uniformStored(seed, i, 'float32'), weight: p.w }, outShape, idx, (j) => got[j]!, 'float32');
  out.dispose();
  return { compiler: k.provenance.compiler, checked: r.checked, failures: r.failures };
});
const out = Tensor.empty(outShape, { device: 'cuda' });
const copyDst = Tensor.empty(shape, { device: 'cuda' });
const rounds: Record<string, number[]> = { nvcc: [], nvrtc: [], copy: [] };
for (let round = 0; round < 5; round++) {
  kernels.forEach((k) => rounds[k.provenance.compiler]!.push(timeLaunches(rt, () => k.forward(x, w, undefined, { out }), 20)));
  rounds.copy!.push(timeLaunches(rt, () => rt.copyDeviceToDevice(copyDst.deviceAddress(), x.deviceAddress(), x.byteLength), 20));
}
const median = (a: number[]) => [...a].sort((p1, p2) => p1 - p2)[a.length >> 1]!;
const result = {
  coldCompileMs: Object.fromEntries(compilers.map((c) => [c, { median: median(cold[c]!), all: cold[c] }])),
  kernelMs: Object.fromEntries(Object.entries(rounds).map(([k, v]) => [k, { median: median(v), rounds: v }])),
  nvrtcVsNvcc: median(rounds.nvrtc!) / median(rounds.nvcc!),
  checks,
};
console.log(JSON.stringify(result, null, 2));
if (jsonPath) writeFileSync(jsonPath, `${JSON.stringify(result, null, 2)}\n`);
for (const t of [x, w, out, copyDst]) t.dispose();
process.exit(checks.every((c) => c.failures === 0 && c.checked > 0) ? 0 : 1);
