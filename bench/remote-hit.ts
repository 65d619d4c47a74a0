// What a remote-cache hit costs against a local disk hit and a cold compile, on a loopback Redis,
// for a CPU artifact and a CUDA one. Not a test: prints JSON (figures go in docs/perf.md). Runs over
// the built package.
//
//   npm run bench:remote                  (builds, starts a private redis-server, runs this)
//   npm run bench:remote -- --runs 40 --spec '{"kernelSize":5}' --cuda-spec '{"kernelSize":7,"padding":"same"}'
//   npm run bench:remote -- --targets cpu (or cuda; default both)
//
// Each figure is for the same spec and compiler:
//   disk hit     a cache directory holding the entry (what every later process on a machine pays)
//   remote hit   an empty cache directory and the entry in Redis: the fetch, its checks, the commit
//                into the disk cache (what a new machine's first process pays)
//   cold compile an empty cache directory and no remote (what the remote saves)
// twice: in one warm process (modules loaded, the Redis connection open; a fresh cache directory
// each time) and in fresh processes (the import of the package reported apart, the Redis client's
// import and the connection counted in the remote hit, as a new worker pays them). Every remote hit
// and disk hit starts with the toolchain fingerprint already known, as on a machine that has compiled
// before; a machine that never has also runs `c++ --version` (or nvcc's) once.
//
// CPU: from the compile() call to the loaded kernel (the load included). CUDA: from the build() call
// (`--arch`, default sm_90, built with nvcc) to the artifact in the disk cache: the same tiers and
// checks as compile(), without the load, which needs a GPU (a CUDA library's load maps it and binds
// it to the CUDA runtime; it costs the same after either hit). No GPU is needed here.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, cpSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const redis = process.env.DWCONV_JIT_TEST_REDIS;
if (!redis) {
  console.error('bench/remote-hit: DWCONV_JIT_TEST_REDIS is not set; run it as `npm run bench:remote` (scripts/with-redis.sh)');
  process.exit(2);
}
const arg = (name: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const RUNS = Number(arg('--runs') ?? 30);
const PROCESS_RUNS = Math.max(3, Math.round(RUNS / 3));
const COLD_RUNS = Math.max(3, Math.round(RUNS / 6));
const cpuSpecJson = arg('--spec') ?? '{"kernelSize":3,"padding":1,"bias":true}';
// The reference problem's spec (README): 3x3, stride 1, no padding, float32.
const cudaSpecJson = arg('--cuda-spec') ?? '{"kernelSize":3}';
const arch = arg('--arch') ?? 'sm_90';
const targets = (arg('--targets') ?? 'cpu,cuda').split(',') as ('cpu' | 'cuda')[];
if (targets.some((t) => t !== 'cpu' && t !== 'cuda')) {
  console.error(`bench/remote-hit: --targets takes cpu, cuda or cpu,cuda, not ${targets.join(',')}`);
  process.exit(2);
}

// The built package, typed as its source: the figures are what a user of the package gets.
const dist = new URL('../dist/index.js', import.meta.url).href;
const api = (await import(dist)) as typeof import('../src/index.js');
const worker = fileURLToPath(new URL('./remote-hit-worker.mjs', import.meta.url));

const secret = randomBytes(32).toString('hex');
const url = `${redis}?prefix=bench-remote-${randomBytes(4).toString('hex')}`;
const noRemote = { ...process.env, DWCONV_JIT_REMOTE_CACHE: '', DWCONV_JIT_REMOTE_KEY: '', DWCONV_JIT_REMOTE_KEY_FILE: '', NODE_DEBUG: '' };
const withRemote = { ...noRemote, DWCONV_JIT_REMOTE_CACHE: url, DWCONV_JIT_REMOTE_KEY: secret };
const scratch = mkdtempSync(join(tmpdir(), 'dwconv-bench-remote-hit-'));
let n = 0;
const dir = () => mkdtempSync(join(scratch, `${n++}-`));

interface Figure { readonly medianMs: number; readonly p90Ms: number; readonly minMs: number; readonly runs: number }
function figure(ms: readonly number[]): Figure {
  const s = [...ms].sort((a, b) => a - b);
  return { medianMs: round(s[s.length >> 1]!), p90Ms: round(s[Math.min(s.length - 1, Math.floor(0.9 * s.length))]!), minMs: round(s[0]!), runs: s.length };
}
const round = (x: number) => Math.round(x * 100) / 100;

/** One lookup of `spec` for `target` into `cacheDir`: the origin it came from. CPU loads the kernel; CUDA stops at the artifact. */
async function lookUp(target: 'cpu' | 'cuda', spec: SpecInput, cacheDir: string, env: NodeJS.ProcessEnv) {
  if (target === 'cuda') {
    const a = await api.build(spec, { target, arch, cacheDir, precompiled: [], env });
    return { origin: a.origin, artifactPath: a.path, key: a.key };
  }
  const k = await api.compile(spec, { target, cacheDir, precompiled: [], env });
  return { origin: k.provenance.origin, artifactPath: k.provenance.artifactPath, key: k.key };
}
type SpecInput = import('../src/index.js').SpecInput;

async function measure(target: 'cpu' | 'cuda', specJson: string) {
  const spec = JSON.parse(specJson) as SpecInput;
  // The entry: compiled once, published to the remote.
  const seed = dir();
  const first = await lookUp(target, spec, seed, withRemote);
  if (first.origin !== 'compiled') throw new Error(`the seed compile was a ${first.origin}`);
  const entry = join(seed, first.key);
  const artifactBytes = statSync(first.artifactPath).size;
  /** A cache directory holding the entry (with `entry`) or nothing but the toolchain fingerprints. */
  const cacheDir = (withEntry: boolean) => {
    const d = dir();
    copyFileSync(join(seed, '.toolchains.json'), join(d, '.toolchains.json'));
    if (withEntry) cpSync(entry, join(d, first.key), { recursive: true });
    return d;
  };

  const timeIn = async (withEntry: boolean, env: NodeJS.ProcessEnv, want: string) => {
    const cacheDirNow = cacheDir(withEntry);
    const t0 = performance.now();
    const { origin } = await lookUp(target, spec, cacheDirNow, env);
    const ms = performance.now() - t0;
    if (origin !== want) throw new Error(`expected origin ${want}, got ${origin}`);
    return ms;
  };
  const warm = { disk: [] as number[], remote: [] as number[], cold: [] as number[] };
  for (let i = 0; i < 3; i++) {
    await timeIn(true, withRemote, 'disk');
    await timeIn(false, withRemote, 'remote');
  }
  for (let i = 0; i < RUNS; i++) {
    warm.disk.push(await timeIn(true, withRemote, 'disk'));
    warm.remote.push(await timeIn(false, withRemote, 'remote'));
  }
  for (let i = 0; i < COLD_RUNS; i++) warm.cold.push(await timeIn(false, noRemote, 'compiled'));

  const fresh = { disk: [] as number[], remote: [] as number[], cold: [] as number[], importMs: [] as number[], processMs: { disk: [] as number[], remote: [] as number[], cold: [] as number[] } };
  const inProcess = (withEntry: boolean, env: NodeJS.ProcessEnv, want: 'disk' | 'remote' | 'cold') => {
    const t0 = performance.now();
    const out = JSON.parse(execFileSync(process.execPath, [worker, cacheDir(withEntry), specJson, target, arch], { env, encoding: 'utf8' })) as { origin: string; importMs: number; compileMs: number };
    const wall = performance.now() - t0;
    if (out.origin !== (want === 'cold' ? 'compiled' : want)) throw new Error(`expected ${want}, got ${out.origin}`);
    fresh[want].push(out.compileMs);
    fresh.processMs[want].push(wall);
    fresh.importMs.push(out.importMs);
  };
  for (let i = 0; i < PROCESS_RUNS; i++) {
    inProcess(true, withRemote, 'disk');
    inProcess(false, withRemote, 'remote');
  }
  for (let i = 0; i < COLD_RUNS; i++) inProcess(false, noRemote, 'cold');

  return {
    target,
    spec: api.describeSpec(api.normalizeSpec(spec)),
    ...(target === 'cuda' ? { arch, timed: 'build() to the artifact in the disk cache; the load (needs a GPU) excluded' } : { timed: 'compile() to the loaded kernel' }),
    artifactBytes,
    warmProcess: { diskHit: figure(warm.disk), remoteHit: figure(warm.remote), coldCompile: figure(warm.cold) },
    freshProcess: {
      diskHit: figure(fresh.disk), remoteHit: figure(fresh.remote), coldCompile: figure(fresh.cold),
      importMs: figure(fresh.importMs),
      wholeProcessMs: { diskHit: figure(fresh.processMs.disk), remoteHit: figure(fresh.processMs.remote), coldCompile: figure(fresh.processMs.cold) },
    },
  };
}

const loadBefore = loadavg()[0]!;
try {
  const cases = [];
  for (const target of targets) cases.push(await measure(target, target === 'cuda' ? cudaSpecJson : cpuSpecJson));
  const report = {
    remote: 'redis-server on loopback',
    // The figures scale with how busy the machine was: the 1-minute load average before and after.
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? '?', loadAverage: [round(loadBefore), round(loadavg()[0]!)] },
    cases,
  };
  console.log(JSON.stringify(report, null, 2));
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
