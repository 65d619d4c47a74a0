#!/usr/bin/env node
import { writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { DwconvError, SpecError } from '../errors.js';
import { PACKAGE_VERSION } from '../version.js';
import { cacheRoot, cacheStats, clearCache, findEntry, listEntries, verifyCache, type EntryRow } from './cache-command.js';
import { compileCommand, parseSpecJson } from './compile-command.js';
import { printBench, runBench, type BenchResult } from './bench.js';
import { runDemo } from './demo.js';
import { PACKAGE_CACHE_DIR } from '../compile.js';
import { precompile } from '../precompile.js';
import { explain } from '../explain.js';
import { exportBundle, importBundle } from '../jit/bundle.js';
import { parseDuration, parseSize, pruneCache } from '../jit/prune.js';
import { runDoctor } from './doctor.js';
import { printDemo } from './demo-report.js';
import { addSpecFlags, parseShape, specFromFlags, type SpecFlags } from './spec-flags.js';

/** Exit codes: 0 success, 1 a check failed or an operation errored, 2 invalid usage or input. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

const targetOption = () => new Option('--target <target>', 'where to run').choices(['auto', 'cuda', 'cpu']).default('auto');

function errorJson(err: unknown): object {
  if (err instanceof SpecError) return { name: err.name, message: err.message, field: err.field, allowed: err.allowed };
  if (err instanceof Error) return { name: err.name, message: err.message };
  return { name: 'Error', message: String(err) };
}

/** Runs an action; prints errors as text or JSON and sets the exit code. */
function action<A extends unknown[]>(fn: (...args: A) => Promise<number>) {
  return async (...args: A) => {
    const opts = args.find((a): a is { json?: boolean } => typeof a === 'object' && a !== null && !Array.isArray(a) && 'json' in a);
    try {
      process.exitCode = await fn(...args);
    } catch (err) {
      if (opts?.json) process.stdout.write(`${JSON.stringify({ error: errorJson(err) }, null, 2)}\n`);
      else process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = err instanceof SpecError ? EXIT.usage : EXIT.failed;
      if (!(err instanceof DwconvError) && !opts?.json && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    }
  };
}

const program = new Command('dwconv-jit')
  .description('Generate, JIT-compile, cache and run specialized depthwise conv kernels')
  .version(PACKAGE_VERSION)
  .showHelpAfterError()
  .exitOverride();

addSpecFlags(
  program
    .command('demo')
    .description('compile a kernel on the default target, check it against a float64 reference, print timings')
    .addOption(targetOption())
    .option('--shape <N,C,H,W>', 'input shape (default: 64,128,256,512 on CUDA, 8,32,128,256 on the CPU)')
    .option('--reps <n>', 'timed repetitions', '20')
    .option('--seed <n>', 'random seed (default: fresh each run)')
    .option('--no-torch', 'skip the PyTorch comparison')
    .option('--json', 'print the result as JSON'),
).action(
  action(async (o: SpecFlags & { target: 'auto' | 'cuda' | 'cpu'; shape?: string; reps: string; seed?: string; torch: boolean; json?: boolean }) => {
    const reps = Number(o.reps);
    if (!Number.isInteger(reps) || reps < 1 || reps > 10_000) throw new SpecError('--reps', o.reps, 'an integer from 1 to 10000');
    if (o.seed !== undefined && !/^\d+$/.test(o.seed)) throw new SpecError('--seed', o.seed, 'a non-negative integer');
    const result = await runDemo({
      spec: specFromFlags(o),
      target: o.target,
      ...(o.shape ? { shape: parseShape(o.shape) } : {}),
      reps,
      ...(o.seed !== undefined ? { seed: Number(o.seed) } : {}),
      torch: o.torch,
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
    .option('--arch <sm_XX>', 'CUDA arch (default: the current GPU)')
    .option('--cache-dir <dir>', 'cache directory (default: DWCONV_JIT_CACHE_DIR or the user cache)')
    .option('--no-cache', 'compile into a temporary folder, bypassing the cache')
    .option('--tune-for <N,C,H,W>', 'CUDA: time every variant on this input shape, keep the fastest (recorded in the cache)')
    .option('--json', 'print the result as JSON'),
).action(
  action(async (o: SpecFlags & { target: 'auto' | 'cuda' | 'cpu'; specJson?: string; arch?: string; cacheDir?: string; cache: boolean; tuneFor?: string; json?: boolean }) => {
    const spec = o.specJson !== undefined ? parseSpecJson(o.specJson) : specFromFlags(o);
    const r = await compileCommand(
      { spec, target: o.target, ...(o.arch ? { arch: o.arch } : {}), ...(o.cacheDir ? { cacheDir: o.cacheDir } : {}), cache: o.cache, ...(o.tuneFor ? { tuneFor: parseShape(o.tuneFor) } : {}) },
      (line) => process.stderr.write(`${line}\n`),
    );
    if (o.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    else {
      const variant = Object.entries(r.variant).map(([k, v]) => `${k}=${v}`).join(', ');
      process.stdout.write(`${r.origin === 'compiled' ? 'compiled' : 'cache hit'}: ${r.spec} (${r.target})\n  key      ${r.key}\n  artifact ${r.artifact}\n  variant  ${variant || '-'}\n  compile  ${r.compileMs.toFixed(0)} ms, load ${r.loadMs.toFixed(1)} ms, total ${r.totalMs.toFixed(0)} ms\n`);
      if (r.tuning) process.stdout.write(`  tuning   ${r.tuning.tuned ? 'timed now' : 'recorded choice reused'}: ${Object.entries(r.tuning.timings).map(([k, v]) => `${k} ${v.toFixed(3)} ms`).join('; ')}\n`);
    }
    return EXIT.ok;
  }),
);

program
  .command('bench')
  .description('time kernels against PyTorch and a device copy on the GPU (not part of npm test)')
  .option('--filter <text>', 'only cases whose name contains the text, or a group: reference, kernel-size, stride, mobilenet')
  .option('--variants', 'time every generated variant of each case, not only the default')
  .option('--reps <n>', 'timed repetitions per kernel', '30')
  .option('--no-torch', 'skip the PyTorch comparison')
  .option('--json [file]', 'write the results as JSON to the file (or stdout without one)')
  .action(
    action(async (o: { filter?: string; variants?: boolean; reps: string; torch: boolean; json?: string | boolean }) => {
      const reps = Number(o.reps);
      if (!Number.isInteger(reps) || reps < 1 || reps > 10_000) throw new SpecError('--reps', o.reps, 'an integer from 1 to 10000');
      const started = performance.now();
      const progress = (line: string) => process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(1)}s] ${line}\n`);
      const partial = typeof o.json === 'string' ? (r: BenchResult) => writeFileSync(o.json as string, `${JSON.stringify(r, null, 2)}\n`) : undefined;
      const result = await runBench({ ...(o.filter ? { filter: o.filter } : {}), variants: !!o.variants, reps, torch: o.torch, progress, ...(partial ? { partial } : {}) });
      if (o.json === true) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      else {
        printBench(result, (line) => process.stdout.write(`${line}\n`));
        if (typeof o.json === 'string') await writeFile(o.json, `${JSON.stringify(result, null, 2)}\n`);
      }
      return result.rows.every((r) => r.failures === 0) ? EXIT.ok : EXIT.failed;
    }),
  );

const cacheCmd = program.command('cache').description('inspect and maintain the kernel cache');
const cacheDirOption = () => new Option('--cache-dir <dir>', 'cache directory (default: DWCONV_JIT_CACHE_DIR or the user cache)');
const print = (json: boolean | undefined, value: unknown, text: () => string) =>
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`);

program
  .command('precompile <manifest>')
  .description('build every config of a JSON manifest into a cache directory (CUDA without a GPU: SASS per arch + PTX)')
  .option('--out <dir>', "output cache directory (default: the package's cache/, searched read-only at run time)")
  .option('--jobs <n>', 'compiles at once (default: the number of cores)')
  .option('--json', 'print the summary as JSON')
  .action(action(async (file: string, o: { out?: string; jobs?: string; json?: boolean }) => {
    let manifest: unknown;
    try {
      manifest = JSON.parse(await readFile(file, 'utf8'));
    } catch (cause) {
      throw new SpecError('manifest', file, `a readable JSON file (${(cause as Error).message})`);
    }
    const jobs = o.jobs === undefined ? undefined : Number(o.jobs);
    const tty = process.stderr.isTTY && !o.json;
    const summary = await precompile(manifest, {
      out: o.out ?? PACKAGE_CACHE_DIR,
      ...(jobs !== undefined ? { jobs } : {}),
      onResult: (r, done, total) => {
        const line = `[${done}/${total}] ${r.status.padEnd(6)} ${r.target} ${r.spec}${r.error ? `: ${r.error}` : ''}`;
        if (!tty) process.stderr.write(`${line}\n`);
        else if (r.status === 'failed') process.stderr.write(`\r\x1b[K${line}\n`);
        else {
          const width = 30;
          const filled = Math.round((width * done) / total);
          process.stderr.write(`\r\x1b[K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${r.spec}${done === total ? '\n' : ''}`);
        }
      },
    });
    print(o.json, summary, () => `precompiled into ${summary.out} for ${summary.targets.map((t) => (t === 'cuda' ? `cuda (${summary.archs.join(', ')}${summary.ptx ? ' + PTX' : ''})` : t)).join(' and ')}: ${summary.built} built, ${summary.reused} reused, ${summary.failed} failed, ${(summary.milliseconds / 1000).toFixed(1)} s`);
    return summary.failed === 0 ? EXIT.ok : EXIT.failed;
  }));

cacheCmd
  .command('path')
  .description('print the cache directory')
  .addOption(cacheDirOption())
  .option('--json', 'print JSON')
  .action(action(async (o: { cacheDir?: string; json?: boolean }) => {
    const root = cacheRoot(o.cacheDir);
    print(o.json, { path: root }, () => root);
    return EXIT.ok;
  }));

cacheCmd
  .command('ls')
  .description('one row per entry: key, spec, target, compiler, arch, size, created, state')
  .addOption(cacheDirOption())
  .option('--target <target>', 'only entries for this target (cuda or cpu)')
  .option('--json', 'print JSON')
  .action(action(async (o: { cacheDir?: string; target?: string; json?: boolean }) => {
    const rows = (await listEntries(cacheRoot(o.cacheDir))).filter((r) => !o.target || r.target === o.target);
    print(o.json, rows, () => formatEntries(rows));
    return EXIT.ok;
  }));

cacheCmd
  .command('show <key-prefix>')
  .description("an entry's metadata, key parts and files")
  .addOption(cacheDirOption())
  .option('--source', 'print the generated source')
  .option('--json', 'print JSON')
  .action(action(async (prefix: string, o: { cacheDir?: string; source?: boolean; json?: boolean }) => {
    const e = await findEntry(cacheRoot(o.cacheDir), prefix);
    if (o.source) {
      process.stdout.write(await readFile(join(e.dir, e.meta.files.source), 'utf8'));
      return EXIT.ok;
    }
    print(o.json, e, () => `${e.key}\n  folder  ${e.dir}\n  state   ${e.problem ?? 'ok'}\n${JSON.stringify(e.meta, null, 2).replace(/^/gm, '  ')}`);
    return EXIT.ok;
  }));

cacheCmd
  .command('stats')
  .description('entries, bytes, broken entries, compile-time distribution')
  .addOption(cacheDirOption())
  .option('--json', 'print JSON')
  .action(action(async (o: { cacheDir?: string; json?: boolean }) => {
    const s = await cacheStats(cacheRoot(o.cacheDir));
    print(o.json, s, () => [
      `cache ${s.root}`,
      `  entries    ${s.entries} (${Object.entries(s.byTarget).map(([t, n]) => `${n} ${t}`).join(', ') || 'none'}), ${s.broken} broken, ${s.leftovers} leftovers of interrupted writes`,
      `  size       ${(s.bytes / 2 ** 20).toFixed(1)} MiB`,
      `  use        ${s.hits} hits, ${s.misses} misses (compiles)`,
      `  compile    ${s.compileMs ? `min ${s.compileMs.min.toFixed(0)} ms, median ${s.compileMs.median.toFixed(0)} ms, max ${s.compileMs.max.toFixed(0)} ms` : '-'}`,
    ].join('\n'));
    return EXIT.ok;
  }));

cacheCmd
  .command('verify')
  .description('check every entry (whole, artifact matches its hash); exit 1 when any is broken')
  .addOption(cacheDirOption())
  .option('--fix', 'move broken entries to .quarantine/ and remove leftovers of interrupted writes')
  .option('--json', 'print JSON')
  .action(action(async (o: { cacheDir?: string; fix?: boolean; json?: boolean }) => {
    const r = await verifyCache(cacheRoot(o.cacheDir), !!o.fix);
    print(o.json, r, () => [`${r.checked} entries checked, ${r.broken.length} broken${o.fix ? `, ${r.removed} removed` : ''}`, ...r.broken.map((b) => `  ${b.key.slice(0, 12)}  ${b.problem}`)].join('\n'));
    return r.broken.length === 0 || o.fix ? EXIT.ok : EXIT.failed;
  }));

addSpecFlags(
  cacheCmd
    .command('explain')
    .description('whether a spec is cached; on a miss, the nearest entry and which key parts differ')
    .addOption(targetOption())
    .option('--arch <sm_XX>', 'CUDA arch (default: the current GPU)')
    .addOption(cacheDirOption())
    .option('--json', 'print JSON'),
).action(action(async (o: SpecFlags & { target: 'auto' | 'cuda' | 'cpu'; arch?: string; cacheDir?: string; json?: boolean }) => {
  const r = await explain(specFromFlags(o), { target: o.target, ...(o.arch ? { arch: o.arch } : {}), ...(o.cacheDir ? { cacheDir: o.cacheDir } : {}) });
  print(o.json, r, () => [
    `${r.spec} (${r.target}): key ${r.key.slice(0, 12)}`,
    r.cached ? `  cached: ${r.cached === 'disk' ? 'in the cache' : 'in a precompiled layer'}` : '  not cached: compile() would compile it',
    ...(r.nearest ? [`  nearest entry ${r.nearest.key.slice(0, 12)} (${r.nearest.spec}) differs in: ${r.nearest.differs.join(', ')}`] : []),
  ].join('\n'));
  return EXIT.ok;
}));

cacheCmd
  .command('prune')
  .description('remove broken entries, old leftovers of interrupted writes, and entries past an age or size limit (least recently used first)')
  .addOption(cacheDirOption())
  .option('--max-size <size>', 'keep at most this much, e.g. 500M or 2G')
  .option('--older-than <age>', 'remove entries unused for this long, e.g. 30d or 12h')
  .option('--json', 'print JSON')
  .action(action(async (o: { cacheDir?: string; maxSize?: string; olderThan?: string; json?: boolean }) => {
    const r = await pruneCache(cacheRoot(o.cacheDir), {
      ...(o.maxSize ? { maxBytes: parseSize('--max-size', o.maxSize) } : {}),
      ...(o.olderThan ? { olderThanMs: parseDuration('--older-than', o.olderThan) } : {}),
    });
    print(o.json, r, () => [
      `${r.removed.length} entries removed, ${r.leftoversRemoved} leftovers; ${(r.bytesBefore / 2 ** 20).toFixed(1)} MiB -> ${(r.bytesAfter / 2 ** 20).toFixed(1)} MiB`,
      ...r.removed.map((e) => `  ${e.key.slice(0, 12)}  ${e.reason}`),
    ].join('\n'));
    return EXIT.ok;
  }));

cacheCmd
  .command('export <file>')
  .description('write entries (all, or those whose key starts with --key) into one bundle file')
  .addOption(cacheDirOption())
  .option('--key <prefix...>', 'only entries whose key starts with one of these')
  .option('--json', 'print JSON')
  .action(action(async (file: string, o: { cacheDir?: string; key?: string[]; json?: boolean }) => {
    const root = cacheRoot(o.cacheDir);
    const keys = (await listEntries(root)).map((r) => r.key).filter((k) => !o.key || o.key.some((p) => k.startsWith(p)));
    const r = await exportBundle(root, keys, file);
    print(o.json, { file, ...r }, () => `${r.exported} entries written to ${file}${r.skipped.length ? `; ${r.skipped.length} broken ones skipped` : ''}`);
    return EXIT.ok;
  }));

cacheCmd
  .command('import <file>')
  .description('add the entries of a bundle, every one checked before anything is written')
  .addOption(cacheDirOption())
  .option('--json', 'print JSON')
  .action(action(async (file: string, o: { cacheDir?: string; json?: boolean }) => {
    const r = await importBundle(cacheRoot(o.cacheDir), file);
    print(o.json, { file, ...r }, () => `${r.imported} entries imported, ${r.present} already present`);
    return EXIT.ok;
  }));

cacheCmd
  .command('clear')
  .description('remove every entry')
  .addOption(cacheDirOption())
  .option('--json', 'print JSON')
  .action(action(async (o: { cacheDir?: string; json?: boolean }) => {
    const r = await clearCache(cacheRoot(o.cacheDir));
    print(o.json, r, () => `${r.removed} entries removed`);
    return EXIT.ok;
  }));

program
  .command('doctor')
  .description('what this machine offers: compilers, CUDA runtime and GPUs, the FFI library, the cache directory')
  .addOption(cacheDirOption())
  .option('--json', 'print JSON')
  .action(action(async (o: { cacheDir?: string; json?: boolean }) => {
    const r = await runDoctor(o.cacheDir);
    print(o.json, r, () => [
      `dwconv-jit ${r.version}`,
      ...r.checks.map((c) => `  ${c.ok ? 'ok     ' : 'missing'}  ${c.name}: ${c.detail}${c.fix ? `\n           fix: ${c.fix}` : ''}`),
      r.usable ? 'usable: kernels can be compiled and run here' : 'not usable: see the fixes above',
    ].join('\n'));
    return r.usable ? EXIT.ok : EXIT.failed;
  }));

function formatEntries(rows: readonly EntryRow[]): string {
  if (rows.length === 0) return '(no entries)';
  const head = ['key', 'spec', 'target', 'compiler', 'arch', 'size', 'created', 'last used', 'hits', 'state'];
  const cut = (t: string, n: number) => (t.length > n ? `${t.slice(0, n - 3)}...` : t);
  const body = rows.map((r) => [
    r.key.slice(0, 12), r.spec, r.target, cut(r.compiler, 18), cut(r.arch, 24), `${(r.bytes / 1024).toFixed(0)} KiB`,
    r.createdAt.slice(0, 19), r.lastUsed.slice(0, 19), String(r.hits), r.problem ?? 'ok',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  return [head, ...body].map((row) => row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  else throw err;
}
