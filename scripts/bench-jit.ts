// Start-up and JIT measurements, printed, never asserted (timings belong in docs/perf.md, not in
// tests). Each figure is the median of fresh processes, so module caches of one run do not flatter the next.
//
//   npm run bench:jit              all measurements
//   npm run bench:jit -- import    only the ones whose name contains "import"
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const RUNS = 10;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** Runs `script` (ESM, in the package root) in `runs` fresh node processes; each prints one number of milliseconds. */
function timeInFreshProcesses(script: string, runs = RUNS): number[] {
  return Array.from({ length: runs }, () => Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' }).trim()));
}

interface Measurement {
  readonly name: string;
  readonly what: string;
  readonly run: () => number[];
}

const measurements: Measurement[] = [
  {
    name: 'import',
    what: "import('dwconv-jit') (dist/index.js) in a fresh process",
    run: () => timeInFreshProcesses("const t = performance.now(); await import('./dist/index.js'); console.log(performance.now() - t);"),
  },
  {
    name: 'import-cli',
    what: 'the CLI entry (dist/cli/main.js --version), whole process',
    run: () => Array.from({ length: RUNS }, () => {
      const t = performance.now();
      execFileSync(process.execPath, ['dist/cli/main.js', '--version'], { cwd: root });
      return performance.now() - t;
    }),
  },
  {
    name: 'import-node-baseline',
    what: 'a fresh node process importing nothing (the floor under both)',
    run: () => timeInFreshProcesses("const t = performance.now(); await import('node:fs/promises'); console.log(performance.now() - t);"),
  },
];

const filter = process.argv[2];
for (const m of measurements.filter((x) => !filter || x.name.includes(filter))) {
  const ms = m.run();
  console.log(`${m.name.padEnd(22)} median ${median(ms).toFixed(1)} ms, min ${Math.min(...ms).toFixed(1)}, max ${Math.max(...ms).toFixed(1)} (${ms.length} runs): ${m.what}`);
}
