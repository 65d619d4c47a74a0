// The commands that run kernels: demo, compile, bench.
import { writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import {
  BENCH_GROUPS, chartsBeside, COMPILERS, formatMetric, listBenchCases, METRIC_LABELS, parseChartInput, printBench, runBench, runDemo, SpecError, writeBenchCharts,
  type BenchResult, type CompilerChoice, type Metric, type Targets,
} from '../index.js';
import { action, cacheDirOption, checkOutputFolder, deviceOption, EXIT, parseDeviceFlag, targetOption } from './common.js';
import { compileCommand, parseSpecJson } from './compile-command.js';
import { printDemo } from './demo-report.js';
import { addSpecFlags, parseShape, specFlagsGiven, specFromFlags, type SpecFlags } from './spec-flags.js';

export function registerRunCommands(program: Command): void {
  addSpecFlags(
    program
      .command('demo')
      .description('compile a kernel on the default target, check it against a float64 reference, print timings')
      .addOption(targetOption())
      .addOption(deviceOption())
      .option('--shape <N,C,H,W>', 'input shape (default: 64,128,256,512 on CUDA, 8,32,128,256 on the CPU)')
      .option('--reps <n>', 'timed repetitions', '20')
      .option('--seed <n>', 'random seed (default: fresh each run)')
      .option('--no-torch', 'skip the PyTorch comparison')
      .addOption(new Option('--cache-dir <dir>', 'cache directory to compile into (default: a fresh temporary one, so the first compile is cold)'))
      .option('--json', 'print the result as JSON'),
  ).action(
    action(async (o: SpecFlags & { target: 'auto' | 'cuda' | 'cpu'; device?: string; shape?: string; reps: string; seed?: string; torch: boolean; cacheDir?: string; json?: boolean }) => {
      const reps = Number(o.reps);
      if (!Number.isInteger(reps) || reps < 1 || reps > 10_000) throw new SpecError('--reps', o.reps, 'an integer from 1 to 10000');
      if (o.seed !== undefined && !/^\d+$/.test(o.seed)) throw new SpecError('--seed', o.seed, 'a non-negative integer');
      const result = await runDemo({
        spec: specFromFlags(o),
        target: o.target,
        ...(o.device !== undefined ? { device: parseDeviceFlag(o.device) } : {}),
        ...(o.shape ? { shape: parseShape(o.shape) } : {}),
        reps,
        ...(o.seed !== undefined ? { seed: Number(o.seed) } : {}),
        torch: o.torch,
        ...(o.cacheDir ? { cacheDir: o.cacheDir } : {}),
        progress: (line) => process.stderr.write(`${line}\n`),
      });
      if (o.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      else printDemo(result, (line) => process.stdout.write(`${line}\n`));
      return result.check.failures === 0 && result.check.checked > 0 ? EXIT.ok : EXIT.failed;
    }),
  );

  addSpecFlags(
    program
      .command('compile')
      .description('generate, compile (or find in the cache) and load one kernel')
      .addOption(targetOption())
      .option('--spec-json <json>', 'the whole spec as JSON (instead of the spec flags)')
      .option('--arch <sm_XX>', 'CUDA arch (default: the GPU in use)')
      .addOption(deviceOption())
      .addOption(new Option('--compiler <compiler>', "CUDA compiler (default: DWCONV_JIT_COMPILER, else 'auto': NVRTC when libnvrtc loads)").choices([...COMPILERS]))
      .addOption(cacheDirOption())
      .option('--no-cache', 'compile into a temporary folder, bypassing the cache')
      .option('--tune-for <N,C,H,W>', 'CUDA: time every variant on this input shape, keep the fastest (recorded in the cache)')
      .option('--json', 'print the result as JSON'),
  ).action(
    action(async (o: SpecFlags & { target: 'auto' | 'cuda' | 'cpu'; specJson?: string; arch?: string; device?: string; compiler?: CompilerChoice; cacheDir?: string; cache: boolean; tuneFor?: string; json?: boolean }, cmd: Command) => {
      const spec = o.specJson !== undefined ? parseSpecJson(o.specJson, specFlagsGiven(cmd)) : specFromFlags(o);
      const r = await compileCommand(
        { spec, target: o.target, ...(o.arch ? { arch: o.arch } : {}), ...(o.device !== undefined ? { device: parseDeviceFlag(o.device) } : {}), ...(o.compiler ? { compiler: o.compiler } : {}), ...(o.cacheDir ? { cacheDir: o.cacheDir } : {}), cache: o.cache, ...(o.tuneFor ? { tuneFor: parseShape(o.tuneFor) } : {}) },
        (line) => process.stderr.write(`${line}\n`),
      );
      if (o.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      else {
        const variant = Object.entries(r.variant).map(([k, v]) => `${k}=${v}`).join(', ');
        process.stdout.write(`${r.origin === 'compiled' ? 'compiled' : `cache hit (${r.origin})`}: ${r.spec} (${r.device}, ${r.compiler})\n  key      ${r.key}\n  artifact ${r.artifact}\n  variant  ${variant || '-'}\n  compile  ${r.compileMs.toFixed(0)} ms, load ${r.loadMs.toFixed(1)} ms, total ${r.totalMs.toFixed(0)} ms\n`);
        if (r.tuning) process.stdout.write(`  tuning   ${r.tuning.tuned ? 'timed now' : 'recorded choice reused'}: ${Object.entries(r.tuning.timings).map(([k, v]) => `${k} ${v.toFixed(3)} ms`).join('; ')}\n`);
      }
      return EXIT.ok;
    }),
  );

  program
    .command('bench')
    .description('time kernels against PyTorch and a device copy on the GPU (not part of npm test)')
    .option('--filter <text>', `only the cases of a group (${BENCH_GROUPS.join(', ')}), or whose name contains the text; several, comma-separated, take the cases of any`)
    .option('--list', 'print the cases the filter selects (shape, spec, targets) and exit; needs no GPU')
    .option('--variants', 'time every generated variant of each case, not only the default')
    .option('--also-variant <json>', 'a variant to time beside each default where the case can take it, e.g. \'{"kernel":"ringAny","tileH":4}\' (pinned-only kernels included)')
    .option('--reps <n>', 'timed repetitions per kernel', '30')
    .option('--rounds <n>', 'passes over the cases; each time keeps its fastest pass (a slow stretch of GPU time rarely hits a case twice)', '2')
    .option('--no-torch', 'skip the PyTorch comparison')
    .addOption(new Option('--cache-dir <dir>', 'cache directory to compile into (default: a fresh temporary one, removed afterwards)'))
    .option('--tuning-dir <dir>', "cache directory whose recorded tuning choices (compile --tune-for) replace a case's default kernel on this GPU model (default: --cache-dir, else the user cache)")
    .option('--no-tuning', 'every case takes the default kernel, whatever the tuner recorded')
    .option('--json [file]', 'write the results as JSON to the file (or stdout without one)')
    .option('--svg-dir <dir>', 'write one SVG chart per group into this folder (default: beside the --json file, named after it)')
    .option('--no-svg', 'write no charts')
    .option('--svg-from <file>', 'write the charts of a saved --json result (to --svg-dir, else beside it) and exit; needs no GPU')
    .action(
      action(async (o: { filter?: string; list?: boolean; variants?: boolean; alsoVariant?: string; reps: string; rounds: string; torch: boolean; cacheDir?: string; tuningDir?: string; tuning: boolean; json?: string | boolean; svgDir?: string; svg: boolean; svgFrom?: string }) => {
        const print = (line: string) => process.stdout.write(`${line}\n`);
        if (o.list) {
          const cases = listBenchCases(o.filter);
          if (o.json !== undefined) print(JSON.stringify(cases, null, 2));
          else for (const c of cases) print(`${c.name} | ${c.group} | ${c.shape.join('x')} | ${c.spec} | ${describeTargets(c.targets)}${c.torch ? '' : ' | no PyTorch'}`);
          return EXIT.ok;
        }
        if (o.svgFrom !== undefined) {
          const input = parseChartInput(await readFile(o.svgFrom, 'utf8'), '--svg-from');
          const beside = chartsBeside(o.svgFrom);
          for (const file of await writeBenchCharts(input, o.svgDir ?? beside.dir, beside.stem)) print(file);
          return EXIT.ok;
        }
        let alsoVariant: unknown;
        if (o.alsoVariant !== undefined) {
          try {
            alsoVariant = JSON.parse(o.alsoVariant);
          } catch {
            throw new SpecError('--also-variant', o.alsoVariant, 'a JSON object such as {"kernel":"ringAny","tileH":4}');
          }
        }
        const reps = Number(o.reps);
        if (!Number.isInteger(reps) || reps < 1 || reps > 10_000) throw new SpecError('--reps', o.reps, 'an integer from 1 to 10000');
        if (typeof o.json === 'string') checkOutputFolder('--json', o.json);
        const rounds = Number(o.rounds);
        if (!Number.isInteger(rounds) || rounds < 1 || rounds > 10) throw new SpecError('--rounds', o.rounds, 'an integer from 1 to 10');
        // Charts beside the JSON file unless told where (or not to); without a JSON file, only with --svg-dir.
        const charts = !o.svg ? undefined : o.svgDir !== undefined ? { dir: o.svgDir, stem: typeof o.json === 'string' ? chartsBeside(o.json).stem : 'bench' } : typeof o.json === 'string' ? chartsBeside(o.json) : undefined;
        const started = performance.now();
        const progress = (line: string) => process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(1)}s] ${line}\n`);
        const partial = typeof o.json === 'string' ? (r: BenchResult) => writeFileSync(o.json as string, `${JSON.stringify(r, null, 2)}\n`) : undefined;
        const result = await runBench({
          ...(o.filter ? { filter: o.filter } : {}), variants: !!o.variants, ...(alsoVariant === undefined ? {} : { alsoVariant }), reps, rounds, torch: o.torch, progress,
          ...(o.cacheDir ? { cacheDir: o.cacheDir } : {}), ...(partial ? { partial } : {}),
          ...(!o.tuning ? { tuningDir: false } : o.tuningDir ? { tuningDir: o.tuningDir } : {}),
        });
        if (o.json === true) print(JSON.stringify(result, null, 2));
        else {
          printBench(result, print);
          if (typeof o.json === 'string') await writeFile(o.json, `${JSON.stringify(result, null, 2)}\n`);
        }
        if (charts) for (const file of await writeBenchCharts(result, charts.dir, charts.stem)) progress(`chart: ${file}`);
        return result.rows.every((r) => r.failures === 0) ? EXIT.ok : EXIT.failed;
      }),
    );

}

/** A case's targets in words, for bench --list. */
function describeTargets(targets: Targets): string {
  const parts = (Object.entries(targets) as [Metric, number][]).map(([m, v]) => `${METRIC_LABELS[m]} >= ${formatMetric(m, v)}`);
  return parts.length ? parts.join(', ') : 'no target';
}
