import type { DemoResult } from '../index.js';

/** The demo's human-readable summary. */
export function printDemo(r: DemoResult, out: (line: string) => void): void {
  const ms = (v: number) => `${v.toFixed(3)} ms`;
  out(`dwconv-jit demo: ${r.spec}`);
  out(`  target      ${r.target}${r.deviceIndex === undefined ? '' : `:${r.deviceIndex}`}: ${r.device}`);
  out(`  input       ${r.shape.join('x')} -> output ${r.outputShape.join('x')} (seed ${r.seed})`);
  const complete = r.coldCompleteMs > r.coldCompileMs + 0.5 ? ` (every program loaded at ${r.coldCompleteMs.toFixed(0)} ms)` : '';
  out(`  compile     cold ${r.coldCompileMs.toFixed(0)} ms with ${r.compiler}${complete}; cache hit in a second process: ${r.cacheHit.origin}, load ${r.cacheHit.loadMs.toFixed(1)} ms (process ${r.cacheHit.processMs.toFixed(0)} ms)`);
  const c = r.check;
  out(`  check       ${c.failures === 0 ? 'PASS' : 'FAIL'}: ${c.checked} outputs (${c.mode === 'all' ? 'all of them' : 'random sample'}) vs float64, max error ${c.maxRelativeError.toExponential(2)} of the term magnitude, ${c.failures} failures`);
  for (const f of c.firstFailures) out(`              output ${f.index}: got ${f.got}, expected ${f.expected}`);
  out(`  kernel      ${ms(r.kernelMs)} median, ${r.kernelGBps.toFixed(0)} GB/s (${(r.bytesMoved / 1e9).toFixed(2)} GB moved)`);
  const how = r.copyThreads ? `memcpy on ${r.copyThreads} threads` : 'device to device';
  const single = r.singleThreadCopyGBps ? `; one thread ${r.singleThreadCopyGBps.toFixed(0)} GB/s` : '';
  out(`  copy        ${ms(r.copyMs)} for the input's bytes (${how}), ${r.copyGBps.toFixed(0)} GB/s read+write${single}: kernel at ${((100 * r.kernelGBps) / r.copyGBps).toFixed(0)}% of copy bandwidth`);
  if (r.torch && 'ms' in r.torch) out(`  pytorch     ${ms(r.torch.ms)} (${r.torch.detail}): ${(r.torch.ms / r.kernelMs).toFixed(2)}x`);
  else if (r.torch) out(`  pytorch     not measured: ${r.torch.unavailable}`);
}
