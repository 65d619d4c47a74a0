// Start-up and JIT measurements, printed, never asserted (timings belong in docs/perf.md, not in
// tests). Each figure is the median of fresh processes, so module caches of one run do not flatter the next.
// The child processes import the built package (dist/): `npm run bench:jit` builds it first.
//
//   npm run bench:jit                  all measurements
//   npm run bench:jit -- import        only the ones whose name contains "import"
//   npm run bench:jit -- --json        the figures as JSON on stdout
//   node --import tsx scripts/bench-jit.ts nvrtc     (the same, without npm; dist/ must be built)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const RUNS = 10;
/** An NVRTC cold compile takes about a second: fewer runs. */
const NVRTC_RUNS = 5;

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** Runs `script` (ESM, in the package root) in a fresh node process and returns what it printed on stdout. */
function runFresh(script: string, env: NodeJS.ProcessEnv = process.env): string {
  return execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', env }).trim();
}

/** Runs `script` in `runs` fresh node processes; each prints one number of milliseconds. */
function timeInFreshProcesses(script: string, runs = RUNS): number[] {
  return Array.from({ length: runs }, () => Number(runFresh(script)));
}

/** One figure: its samples in milliseconds. */
interface Figure {
  readonly name: string;
  readonly what: string;
  readonly ms: readonly number[];
}

/** A measurement not taken here, and why (no GPU, no NVRTC). */
interface Skipped {
  readonly name: string;
  readonly what: string;
  readonly skipped: string;
}

interface Measurement {
  readonly name: string;
  readonly what: string;
  /** One or more figures (a measurement may split its time into parts), or why it was skipped. */
  readonly run: () => (Figure | Skipped)[];
}

const figure = (name: string, what: string, ms: readonly number[]): Figure => ({ name, what, ms });

/** The CPU kernel every process asks for: compiled once into a fresh cache, then hit in new processes. */
const CPU_SPEC = JSON.stringify({ kernelSize: 3 });
/** The reference spec of the NVRTC figure: 3x3, padding 1, fp32. */
const NVRTC_SPEC = JSON.stringify({ kernelSize: 3, padding: 1, dtype: 'float32' });

function cpuHit(): (Figure | Skipped)[] {
  const what = 'a CPU-target disk-cache hit in a fresh process';
  const cacheDir = mkdtempSync(join(tmpdir(), 'dwconv-bench-jit-'));
  try {
    // precompiled: [] so that the hit is the disk cache's (the package's own cache/ may hold a CPU entry too).
    const options = `{ target: 'cpu', cacheDir: ${JSON.stringify(cacheDir)}, precompiled: [] }`;
    const fill = JSON.parse(runFresh(`const { compile } = await import('./dist/index.js'); const k = await compile(${CPU_SPEC}, ${options}); console.log(JSON.stringify(k.provenance.origin));`)) as string;
    if (fill !== 'compiled' && fill !== 'disk') return [{ name: 'cpu-hit', what, skipped: `the fill compile came from ${fill}` }];
    const hitIn = (forget: boolean) => {
      // Without the remembered hit (cache/verified-hits.ts) every process checks the entry in full.
      if (forget) rmSync(join(cacheDir, '.hits.json'), { force: true });
      return hitSample();
    };
    const hitSample = () => JSON.parse(runFresh([
      'const t0 = performance.now();',
      "const { compile } = await import('./dist/index.js');",
      'const t1 = performance.now();',
      `const k = await compile(${CPU_SPEC}, ${options});`,
      'const t2 = performance.now();',
      'console.log(JSON.stringify({ origin: k.provenance.origin, importMs: t1 - t0, hitMs: t2 - t1, totalMs: t2 - t0 }));',
    ].join('\n'))) as { origin: string; importMs: number; hitMs: number; totalMs: number };
    const fullChecks = Array.from({ length: RUNS }, () => hitIn(true));
    hitIn(false); // remembers the hit (its files are older than the racy margin by now)
    const samples = Array.from({ length: RUNS }, () => hitIn(false));
    const misses = [...samples, ...fullChecks].filter((s) => s.origin !== 'disk');
    if (misses.length) return [{ name: 'cpu-hit', what, skipped: `${misses.length} of ${samples.length} runs were no disk hit (${misses[0]!.origin})` }];
    return [
      figure('cpu-hit', `${what}: compile() alone (the import excluded)`, samples.map((s) => s.hitMs)),
      figure('cpu-hit-with-import', `${what}: import('dwconv-jit') + compile()`, samples.map((s) => s.totalMs)),
      figure('cpu-hit-full-check', `${what}, the entry checked in full (no remembered hit): compile() alone`, fullChecks.map((s) => s.hitMs)),
    ];
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

/** One fresh process's NVRTC cold compile. */
interface Sample {
  readonly wallMs: number;
  readonly completeMs: number;
  readonly later: readonly string[];
  readonly compileMs: number;
  readonly gpu: string;
}

function nvrtcCold(): (Figure | Skipped)[] {
  const what = `an NVRTC cold compile of ${NVRTC_SPEC} in a fresh process (cache: false)`;
  const run = () => JSON.parse(runFresh([
    "const { compile, probeGpu, readEnvironment } = await import('./dist/index.js');",
    'const gpu = probeGpu(readEnvironment());',
    'if (!gpu.ok) { console.log(JSON.stringify({ skipped: `no usable GPU (${gpu.reason})` })); process.exit(0); }',
    'const t0 = performance.now();',
    'let k;',
    `try { k = await compile(${NVRTC_SPEC}, { target: 'cuda', compiler: 'nvrtc', cache: false }); }`,
    "catch (err) { if (err.code === 'ERR_DWCONV_TOOLCHAIN') { console.log(JSON.stringify({ skipped: `NVRTC not usable (${err.message.split('\\n')[0]})` })); process.exit(0); } throw err; }",
    'const wallMs = performance.now() - t0;',
    'await k.whenComplete();',
    'const completeMs = performance.now() - t0;',
    'console.log(JSON.stringify({ wallMs, completeMs, later: k.provenance.compiledLater ?? [], compileMs: k.provenance.compileMilliseconds, gpu: `${gpu.device.name} ${gpu.device.arch}` }));',
  ].join('\n'))) as { skipped: string } | Sample;
  const first = run();
  if ('skipped' in first) return [{ name: 'nvrtc-cold', what, skipped: first.skipped }];
  const samples = [first, ...Array.from({ length: NVRTC_RUNS - 1 }, run)] as Sample[];
  const later = first.later.length ? ` (${first.later.length} entry point(s) compiled after it returned)` : '';
  return [
    figure('nvrtc-cold', `${what} on ${first.gpu}: NVRTC's compile until compile() could return${later} (provenance.compileMilliseconds)`, samples.map((s) => s.compileMs)),
    figure('nvrtc-cold-compile-call', `${what} on ${first.gpu}: the whole compile() call (libnvrtc load, CUDA init, codegen, compile, load)`, samples.map((s) => s.wallMs)),
    figure('nvrtc-cold-complete', `${what} on ${first.gpu}: until kernel.whenComplete() (every program compiled and loaded)`, samples.map((s) => s.completeMs)),
  ];
}

const measurements: Measurement[] = [
  {
    name: 'import',
    what: "import('dwconv-jit') (dist/index.js) in a fresh process",
    run: () => [figure('import', "import('dwconv-jit') (dist/index.js) in a fresh process", timeInFreshProcesses("const t = performance.now(); await import('./dist/index.js'); console.log(performance.now() - t);"))],
  },
  {
    name: 'import-cli',
    what: 'the CLI entry (dist/cli/main.js --version), whole process',
    run: () => [figure('import-cli', 'the CLI entry (dist/cli/main.js --version), whole process', Array.from({ length: RUNS }, () => {
      const t = performance.now();
      execFileSync(process.execPath, ['dist/cli/main.js', '--version'], { cwd: root });
      return performance.now() - t;
    }))],
  },
  {
    name: 'import-node-baseline',
    what: 'a fresh node process importing nothing (the floor under both)',
    run: () => [figure('import-node-baseline', 'a fresh node process importing nothing (the floor under both)', timeInFreshProcesses("const t = performance.now(); await import('node:fs/promises'); console.log(performance.now() - t);"))],
  },
  { name: 'cpu-hit', what: 'a CPU-target cache hit in a fresh process', run: cpuHit },
  { name: 'nvrtc-cold', what: 'an NVRTC cold compile of the reference spec (GPU only)', run: nvrtcCold },
];

const args = process.argv.slice(2);
const json = args.includes('--json');
const filter = args.find((a) => !a.startsWith('--'));
const results: (Figure | Skipped)[] = [];
for (const m of measurements.filter((x) => !filter || x.name.includes(filter))) {
  for (const r of m.run()) {
    results.push(r);
    if (json) continue;
    if ('skipped' in r) console.log(`${r.name.padEnd(24)} skipped: ${r.skipped} (${r.what})`);
    else console.log(`${r.name.padEnd(24)} median ${median(r.ms).toFixed(1)} ms, min ${Math.min(...r.ms).toFixed(1)}, max ${Math.max(...r.ms).toFixed(1)} (${r.ms.length} runs): ${r.what}`);
  }
}
if (json) {
  const rows = results.map((r) => ('skipped' in r ? r : { name: r.name, what: r.what, medianMs: median(r.ms), minMs: Math.min(...r.ms), maxMs: Math.max(...r.ms), runs: r.ms.length, samplesMs: r.ms }));
  process.stdout.write(`${JSON.stringify({ node: process.version, platform: `${process.platform}-${process.arch}`, results: rows }, null, 2)}\n`);
}
