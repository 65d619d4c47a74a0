// Mutation check: plants one realistic bug at a time in a temporary copy of the repository and runs
// the unit and toolchain tests that should notice it. A mutant the tests do not kill is a gap in
// them. Not part of `npm test` (each mutant costs a test run); `npm run mutate [-- --json] [-- ids]`.
//
// Mutants are located by pattern, not by line, so the list survives refactoring; a mutant whose
// pattern is no longer found anywhere is reported "not applicable" (fix its pattern, or drop it).
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { copyRepo, replaceInSources } from '../test/helpers/repo-copy.js';

interface Mutant {
  readonly id: string;
  readonly bug: string;
  /** Where to look: a file relative to the root, or every .ts file under src/. */
  readonly file?: string;
  readonly pattern: RegExp;
  readonly replacement: string;
  /** Test files (relative to the root) that should kill it. */
  readonly tests: readonly string[];
}

const GUARDS = ['test/unit/kernel-guards.test.ts', 'test/unit/tensor.test.ts'];
const KEYS = ['test/toolchain/key-parts.test.ts'];
const KEY_UNIT = ['test/unit/cache.test.ts'];
/** Runs the planned launches of the device code on the host against the plan's footprints. */
const DEVICE = ['test/toolchain/device-footprint.test.ts'];

const MUTANTS: readonly Mutant[] = [
  // The four an outside mutation check found surviving (the grid one as the launch plan now has it).
  { id: 'key-compiler-version', bug: "the compiler's version dropped from the cache key", pattern: /version:\s*tool\.version/, replacement: "version: ''", tests: KEYS },
  { id: 'residual-partial-overlap', bug: 'an output partly overlapping the residual allowed', file: 'src/runtime/kernel.ts', pattern: /rangesOverlap\(given, residual\) && !rangesEqual\(given, residual\)/, replacement: 'false', tests: GUARDS },
  // The NVRTC launcher's grid now comes from the launch plan, which both launchers read: the tile count.
  { id: 'grid-floor', bug: "the plan's tile count along an axis rounded down (the last partial tile column never launched)", file: 'src/plan/plan.ts', pattern: /: ceilDiv\(axis\.extent, axis\.size\)\)/, replacement: ": ({ op: 'div', a: axis.extent, b: { op: 'const', value: axis.size } } as Expr))", tests: ['test/unit/launch-coverage.test.ts'] },
  { id: 'ring-nhwc-row-offset', bug: "the NHWC ring's first input row at +PT instead of -PT", file: 'templates/cuda/ring-nhwc.hbs', pattern: /ih_begin = oh_begin - PT;/, replacement: 'ih_begin = oh_begin + PT;', tests: DEVICE },
  // Device code against the plan's footprints: the rings' first input row and column.
  { id: 'ring-nhwc-col-offset', bug: "the NHWC ring's first input element of a strip at +a instead of -a", file: 'templates/cuda/ring-nhwc.hbs', pattern: /c0 = e0 - g\.a;/, replacement: 'c0 = e0 + g.a;', tests: DEVICE },
  { id: 'ring-nhwc-col-rounding', bug: "the NHWC ring's strip start rounded down to a vector instead of up (its first lanes' windows start before their row)", file: 'templates/cuda/ring-nhwc.hbs', pattern: /const int a = \(PL \* C \+ VEC - 1\) \/ VEC \* VEC;/, replacement: 'const int a = PL * C / VEC * VEC;', tests: DEVICE },
  { id: 'ring-row-offset', bug: "the NCHW ring's first input row at +PT instead of -PT", file: 'templates/cuda/ring.hbs', pattern: /ih_begin = oh_begin - PT;/, replacement: 'ih_begin = oh_begin + PT;', tests: DEVICE },
  { id: 'ring-col-offset', bug: "the NCHW ring's first input column of a strip at +A instead of -A", file: 'templates/cuda/ring.hbs', pattern: /c0 = ow0 - A;/, replacement: 'c0 = ow0 + A;', tests: DEVICE },
  { id: 'nhwc-col-offset', bug: "the NHWC kernel's first input column at +PL instead of -PL", file: 'templates/cuda/nhwc.hbs', pattern: /iw0 = ow0 \* SW - PL;/, replacement: 'iw0 = ow0 * SW + PL;', tests: DEVICE },
  // The plan's footprints against the spec's windows.
  { id: 'footprint-ring-nhwc-rows', bug: "the NHWC ring's footprint starting PT rows below its first output row instead of above", file: 'src/codegen/cuda-ring-nhwc.ts', pattern: /tileAxis\(1, ring\.segment, -spec\.padding\[0\]/, replacement: 'tileAxis(1, ring.segment, spec.padding[0]', tests: ['test/unit/launch-coverage.test.ts'] },
  { id: 'footprint-ring-cols', bug: "the NCHW ring's footprint one vector short of its ring row", file: 'src/codegen/cuda-ring.ts', pattern: /cols: tileAxis\(0, cols, -a, row,/, replacement: 'cols: tileAxis(0, cols, -a, row - vec,', tests: ['test/unit/launch-coverage.test.ts'] },
  // Key parts.
  { id: 'key-order-flags', bug: 'the flags left out of the hashed key parts', pattern: /(PART_ORDER = \[[^\]]*)'flags', /, replacement: '$1', tests: [...KEYS, ...KEY_UNIT] },
  { id: 'key-order-arch', bug: 'the arch left out of the hashed key parts', pattern: /(PART_ORDER = \[[^\]]*), 'arch'\]/, replacement: '$1]', tests: [...KEYS, ...KEY_UNIT] },
  { id: 'key-source', bug: 'the source hash dropped from the cache key', pattern: /sourceSha256: sha256\(generated\.source\),\n(\s*)compiler:/, replacement: "sourceSha256: '',\n$1compiler:", tests: KEYS },
  { id: 'key-package', bug: 'the package version dropped from the cache key', pattern: /package: PACKAGE_VERSION,/, replacement: "package: '',", tests: KEYS },
  { id: 'key-format', bug: 'the cache format version dropped from the cache key', pattern: /format: CACHE_FORMAT_VERSION,/, replacement: 'format: 0,', tests: KEYS },
  // Each guard in Kernel.prepare and the tensor checks.
  { id: 'guard-brand', bug: 'forged tensors (no private state) accepted', file: 'src/runtime/tensor.ts', pattern: /value === null \|\| !\(#shape in value\)\)/, replacement: 'value === null)', tests: GUARDS },
  { id: 'guard-liveness', bug: 'disposed tensors accepted', file: 'src/runtime/tensor.ts', pattern: /if \(t\.disposed\) throw/, replacement: 'if (false) throw', tests: GUARDS },
  { id: 'guard-host-bytes', bug: "a host buffer shorter than shape × dtype passed (detached or shrunk)", file: 'src/runtime/tensor.ts', pattern: /if \(host\.byteLength < t\.#byteLength\)/, replacement: 'if (false)', tests: GUARDS },
  { id: 'guard-device-capacity', bug: 'device memory smaller than shape × dtype passed', file: 'src/runtime/tensor.ts', pattern: /if \(!Number\.isSafeInteger\(capacity\) \|\| capacity < t\.#byteLength\)/, replacement: 'if (!Number.isSafeInteger(capacity))', tests: ['test/toolchain/cuda-tensor-paths.test.ts', ...GUARDS] },
  { id: 'guard-device', bug: "a host tensor given to a CUDA kernel (or the reverse) accepted", file: 'src/runtime/device-guard.ts', pattern: /tensor\.device === kernel\.device && /, replacement: '', tests: ['test/unit/device.test.ts', 'test/toolchain/cuda-tensor-paths.test.ts'] },
  { id: 'guard-device-index', bug: 'a tensor on another CUDA device accepted', file: 'src/runtime/device-guard.ts', pattern: /\|\| tensor\.deviceIndex === kernel\.deviceIndex\)/, replacement: '|| true)', tests: ['test/unit/device.test.ts', 'test/toolchain/fake-devices.test.ts', 'test/toolchain/cuda-tensor-paths.test.ts'] },
  { id: 'launch-off-device', bug: "a CUDA kernel launched on whatever device the caller has current, not its own", file: 'src/runtime/kernel.ts', pattern: /return rt\.onDevice\(this\.deviceIndex!, \(\) => this\.artifact\.launch\(\.\.\.args\)\);/, replacement: 'return this.artifact.launch(...args);', tests: ['test/toolchain/fake-devices.test.ts'] },
  { id: 'copy-off-device', bug: "a tensor read back with another device current (the copy is ordered against the wrong device's default stream)", file: 'src/runtime/tensor.ts', pattern: /rt\.onDevice\(s\.deviceIndex!, \(\) => rt\.copyToHost\(bytes, s\.address!\)\);/, replacement: 'rt.copyToHost(bytes, s.address!);', tests: ['test/toolchain/fake-devices.test.ts'] },
  { id: 'cubin-launch-context', bug: "a cubin launched in whatever context is current, not its own device's", file: 'src/runtime/library.ts', pattern: /launch: \(\.\.\.args\) => driver\.inContext\(context, \(\) => \(launch as \(\.\.\.a: unknown\[\]\) => number\)\(\.\.\.args\)\)/, replacement: 'launch: (...args) => (launch as (...a: unknown[]) => number)(...args)', tests: ['test/toolchain/fake-driver.test.ts'] },
  { id: 'device-not-restored', bug: "the caller's current device not put back after work on another", file: 'src/ffi/current.ts', pattern: /  calls\.set\(previous\);\n  return result;/, replacement: '  return result;', tests: ['test/unit/device.test.ts', 'test/toolchain/fake-devices.test.ts'] },
  { id: 'guard-dtype', bug: 'a tensor of another dtype accepted', file: 'src/runtime/kernel.ts', pattern: /if \(s\.dtype !== dtype\) throw/, replacement: 'if (false) throw', tests: GUARDS },
  { id: 'guard-shape', bug: 'a tensor of another shape accepted', file: 'src/runtime/kernel.ts', pattern: /if \(s\.shape\.length !== shape\.length \|\| s\.shape\.some\(\(d, i\) => d !== shape\[i\]\)\) throw/, replacement: 'if (s.shape.length !== shape.length) throw', tests: GUARDS },
  { id: 'guard-layout', bug: 'a tensor labelled with the other layout accepted', file: 'src/runtime/kernel.ts', pattern: /if \(s\.layout !== undefined && s\.layout !== this\.spec\.layout\) throw/, replacement: 'if (false) throw', tests: GUARDS },
  { id: 'guard-out-overlaps-input', bug: 'an output overlapping an input accepted', file: 'src/runtime/kernel.ts', pattern: /if \(s && given && rangesOverlap\(given, s\)\) throw/, replacement: 'if (false) throw', tests: GUARDS },
  { id: 'guard-unused-tensor', bug: 'a tensor the spec does not use silently ignored', file: 'src/runtime/kernel.ts', pattern: /if \(t !== undefined\) throw new SpecError\(name, `a \$\{name\} tensor`/, replacement: 'if (false) throw new SpecError(name, `a ${name} tensor`', tests: GUARDS },
  { id: 'guard-stream', bug: 'a stream that is not an address passed to the native call', file: 'src/runtime/arguments.ts', pattern: /throw new SpecError\('options\.stream', stream, STREAM_ALLOWED\);/, replacement: 'return stream as Address;', tests: GUARDS },
  { id: 'guard-typed-array', bug: 'fromArray reads a Uint16Array of float16 bits as integers', file: 'src/runtime/tensor.ts', pattern: /\} else if \(ArrayBuffer\.isView\(values\)\) \{\n/, replacement: '} else if (ArrayBuffer.isView(values)) {\n    data = Float32Array.from(values as unknown as ArrayLike<number>);\n  } else if (false) {\n', tests: GUARDS },
  { id: 'foreign-freed', bug: 'dispose frees memory another library owns', file: 'src/runtime/tensor.ts', pattern: /if \(memory\?\.owned && !this\.#owner\)/, replacement: 'if (memory && !this.#owner)', tests: ['test/toolchain/cuda-tensor-paths.test.ts'] },
  { id: 'run-extra-array', bug: 'run() ignores an array the spec has no use for (a pointwise weight for a plain spec)', file: 'src/runtime/arguments.ts', pattern: /if \(value !== undefined\) throw new SpecError\(name, value, `none/, replacement: 'if (false) throw new SpecError(name, value, `none', tests: GUARDS },
  { id: 'hardswish-neg-inf', bug: 'hardswish(-inf) is 0 where PyTorch gives NaN', file: 'src/codegen/epilogue.ts', pattern: /z <= -3\.f \? z \* 0\.f :/, replacement: 'z <= -3.f ? 0.f :', tests: ['test/toolchain/hardswish.test.ts'] },
  // The cache's hash check and the lock.
  { id: 'cache-hash-check', bug: "an entry whose artifact does not match its sha256 is loaded", pattern: /if \(sha256\(bytes\) !== meta\.artifactSha256\)/, replacement: 'if (false)', tests: ['test/unit'] },
  { id: 'lock-exclusive', bug: 'the compile lock is not created exclusively (two holders at once)', pattern: /flag: 'wx'/, replacement: "flag: 'w'", tests: ['test/toolchain/compile-lock.test.ts', 'test/toolchain/concurrency.test.ts', 'test/toolchain/cache-processes.test.ts'] },
  { id: 'lock-in-process', bug: 'concurrent compile() calls for one key in one process no longer share one promise', pattern: /const pending = inFlight\.get\(memoKey\);/, replacement: 'const pending = undefined as Promise<Artifact> | undefined;', tests: ['test/toolchain/concurrency.test.ts', 'test/toolchain/compile-lock.test.ts'] },
];

/** Both test groups in one project, without the toolchain group's dist build (the tests run here need none). */
const CONFIG = `import { defineConfig } from 'vitest/config';
export default defineConfig({ test: { include: ['test/unit/**/*.test.ts', 'test/toolchain/**/*.test.ts'], testTimeout: 600_000, hookTimeout: 600_000 } });
`;

type Outcome = 'killed' | 'survived' | 'timeout' | 'not applicable' | 'broken';

interface Result { readonly id: string; readonly bug: string; readonly outcome: Outcome; readonly where?: string; readonly seconds: number; readonly detail?: string }

function runMutant(m: Mutant, timeoutMs: number, plant = true): Result {
  const started = Date.now();
  const root = copyRepo('dwconv-mutant-');
  try {
    const where = plant ? replaceInSources(root, m.pattern, m.replacement, m.file) : '(unchanged)';
    if (!where) return { id: m.id, bug: m.bug, outcome: 'not applicable', seconds: 0, detail: `pattern ${m.pattern} not found` };
    writeFileSync(join(root, 'vitest.mutate.config.ts'), CONFIG);
    const r = spawnSync(process.execPath, [join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--config', 'vitest.mutate.config.ts', ...m.tests], { cwd: root, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, CI: '1' } });
    const seconds = (Date.now() - started) / 1000;
    if (r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') return { id: m.id, bug: m.bug, outcome: 'timeout', where, seconds };
    const out = `${r.stdout}${r.stderr}`;
    // No test ran at all (a mutant that breaks module loading): killed, but say so.
    if (r.status !== 0 && !/Tests\s+.*\d+ (passed|failed)/.test(out)) return { id: m.id, bug: m.bug, outcome: 'killed', where, seconds, detail: 'the tests did not load' };
    return { id: m.id, bug: m.bug, outcome: r.status === 0 ? 'survived' : 'killed', where, seconds };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function main(): void {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const timeoutArg = args.find((a) => a.startsWith('--timeout='));
  const timeoutMs = timeoutArg ? Number(timeoutArg.slice('--timeout='.length)) * 1000 : 600_000;
  const only = args.filter((a) => !a.startsWith('--'));
  const chosen = only.length ? MUTANTS.filter((m) => only.includes(m.id)) : MUTANTS;
  // The tests must pass on the unchanged copy, or a "killed" would mean nothing.
  const baseline = runMutant({ id: 'baseline', bug: 'none', pattern: /$^/, replacement: '', tests: [...new Set(chosen.flatMap((m) => m.tests))] }, timeoutMs, false);
  if (baseline.outcome !== 'survived') {
    process.stderr.write(`the selected tests fail on an unchanged copy (${baseline.outcome}${baseline.detail ? `: ${baseline.detail}` : ''}); fix them first\n`);
    process.exitCode = 2;
    return;
  }
  if (!json) process.stdout.write(`baseline: the selected tests pass on an unchanged copy (${baseline.seconds.toFixed(0)} s)\n`);
  const results: Result[] = [];
  for (const m of chosen) {
    if (!json) process.stdout.write(`${m.id}: `);
    const r = runMutant(m, timeoutMs);
    results.push(r);
    if (!json) process.stdout.write(`${r.outcome} (${r.seconds.toFixed(0)} s${r.detail ? `; ${r.detail}` : ''})\n`);
  }
  const applicable = results.filter((r) => r.outcome !== 'not applicable');
  // A timeout counts as killed: the tests did not pass.
  const killed = applicable.filter((r) => r.outcome === 'killed' || r.outcome === 'timeout').length;
  const summary = { killed, applicable: applicable.length, notApplicable: results.length - applicable.length, survived: applicable.filter((r) => r.outcome === 'survived').map((r) => r.id) };
  if (json) process.stdout.write(`${JSON.stringify({ ...summary, results }, null, 2)}\n`);
  else process.stdout.write(`\nkilled ${killed} of ${applicable.length} applicable mutants${summary.notApplicable ? ` (${summary.notApplicable} not applicable)` : ''}${summary.survived.length ? `; survived: ${summary.survived.join(', ')}` : ''}\n`);
  process.exitCode = summary.survived.length ? 1 : 0;
}

main();
