// An independent fault battery: reproduces, from scratch in a temporary folder, each critical, high
// and medium case of the reliability review against the BUILT package (dist/: the CLI and the public
// API, in child processes, the way an outside battery drives it) and prints one JSON line per case
// and a summary. Not part of `npm test`; it shares no code with the tests.
//
//   npm run build && npx tsx scripts/fault-battery.ts [--only ID,...] [--keep]
//
// A case passes when the package gives the right result or a typed error, nothing untrusted ran (a
// constructor planted in a library would leave a marker file) and no process crashed. Cases that
// need something missing here (root, nvcc, prlimit, mount) are reported as skipped, with the reason.
// Exit status: 1 when any case failed.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { execa } from 'execa';

const repo = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(repo, 'dist/cli/main.js');
const LIB = new URL('../dist/index.js', import.meta.url).href;
if (!existsSync(CLI)) {
  process.stderr.write('dist/ is missing: run `npm run build` first\n');
  process.exit(2);
}
const args = process.argv.slice(2);
const only = args.includes('--only') ? new Set(args[args.indexOf('--only') + 1]!.split(',')) : undefined;
const keep = args.includes('--keep');
const base = mkdtempSync(join(tmpdir(), 'dwconv-battery-'));
chmodSync(base, 0o755);
const isRoot = process.getuid?.() === 0;
const which = (name: string) => {
  try {
    return execFileSync('sh', ['-c', 'command -v "$0"', name], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
};
const CXX = which('g++') ?? which('c++');
const NVCC = which('nvcc') ?? (existsSync('/usr/local/cuda/bin/nvcc') ? '/usr/local/cuda/bin/nvcc' : undefined);
const PRLIMIT = which('prlimit');

// ---------------------------------------------------------------------------------------------
// Helpers: fresh folders, the CLI, child processes on the public API, libraries built by hand.

let counter = 0;
const fresh = (name: string) => {
  const dir = join(base, `${String(++counter).padStart(3, '0')}-${name}`);
  mkdirSync(dir, { mode: 0o755 });
  return dir;
};
const cacheIn = (name: string) => join(fresh(name), 'cache');
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const keysIn = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((n) => /^[0-9a-f]{64}$/.test(n)) : []);
const cleanEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DWCONV_JIT_'))) as Record<string, string>;

interface Ran { code: number | undefined; signal: string | undefined; stdout: string; stderr: string; json: Record<string, unknown> | undefined }
async function dwconv(argv: string[], o: { cwd?: string; env?: Record<string, string>; timeout?: number } = {}): Promise<Ran> {
  const r = await execa(process.execPath, [CLI, ...argv], { reject: false, cwd: o.cwd ?? base, env: { ...cleanEnv(), DWCONV_JIT_TARGET: 'cpu', ...o.env }, extendEnv: false, timeout: o.timeout ?? 300_000 });
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(r.stdout) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { code: r.exitCode, signal: r.signal, stdout: r.stdout, stderr: r.stderr, json };
}

/** Runs an ES module body in a fresh node process with `lib` bound to the built package. */
async function node(body: string, o: { env?: Record<string, string>; timeout?: number; argv?: string[] } = {}): Promise<Ran> {
  const code = `const lib = await import(${JSON.stringify(LIB)});\n${body}`;
  const r = await execa(process.execPath, ['--input-type=module', '-e', code, ...(o.argv ?? [])], { reject: false, env: { ...cleanEnv(), ...o.env }, extendEnv: false, timeout: o.timeout ?? 300_000 });
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '') as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { code: r.exitCode, signal: r.signal, stdout: r.stdout, stderr: r.stderr, json };
}

const SPEC = { kernelSize: 3, padding: 1 };
const SHAPE = [1, 2, 5, 5];
/** compile() in a new process and run the reference problem: origin and outputs. */
async function runKernel(cacheDir: string, o: { precompiled?: string[]; env?: Record<string, string>; spec?: object } = {}): Promise<{ origin?: string; y?: number[]; error?: string; crashed?: string }> {
  const r = await node(`
    try {
      const k = await lib.compile(${JSON.stringify(o.spec ?? SPEC)}, { target: 'cpu', cacheDir: ${JSON.stringify(cacheDir)}, precompiled: ${JSON.stringify(o.precompiled ?? [])} });
      const x = new Float32Array(50).map((_, i) => (i % 7) - 3), w = new Float32Array(18).map((_, i) => (i % 5) - 2);
      console.log(JSON.stringify({ origin: k.provenance.origin, y: Array.from(await k.run(x, ${JSON.stringify(SHAPE)}, w)) }));
    } catch (e) { console.log(JSON.stringify({ error: e.name + ': ' + e.message })); }`, { env: o.env ?? {} });
  if (r.signal || !r.json) return { crashed: `${r.signal ?? `exit ${r.code}`}: ${r.stderr.slice(-300)}` };
  return r.json as { origin?: string; y?: number[]; error?: string };
}

let reference: number[] = [];
let goodCache = '';
let goodKey = '';
let goodSource = '';
let bundleFile = '';

/** A library built by hand from `text` with the flags a cache build uses. */
function libraryOf(text: string): Buffer {
  const dir = fresh('lib');
  writeFileSync(join(dir, 'k.cpp'), text);
  execFileSync(CXX!, ['-shared', '-fPIC', '-O3', '-march=native', '-std=c++17', '-fopenmp', '-Wl,-z,nodelete', '-o', join(dir, 'k.so'), join(dir, 'k.cpp')]);
  return readFileSync(join(dir, 'k.so'));
}
const constructorSource = (source: string, marker: string) =>
  `${source}\n#include <cstdio>\n__attribute__((constructor)) static void planted(void) { FILE* f = std::fopen(${JSON.stringify(marker)}, "w"); if (f) std::fclose(f); }\n`;
const doubledSource = (source: string) => {
  const out = source.replace('to_out(epilogue(a[ow]', 'to_out(2.f * epilogue(a[ow]');
  if (out === source) throw new Error('battery: the doubling edit no longer applies to the generated source');
  return out;
};

/** Replaces an entry's library and updates meta.json's size and sha256, as a swap by hand would. */
function swapArtifact(entryDir: string, library: Buffer, mode = 0o600): void {
  const metaPath = join(entryDir, 'meta.json');
  const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as Record<string, unknown>;
  writeFileSync(join(entryDir, 'kernel.so'), library, { mode });
  writeFileSync(metaPath, JSON.stringify({ ...meta, artifactBytes: library.length, artifactSha256: sha(library) }), { mode });
}

interface BundleJson { entries: { key: string; meta: Record<string, unknown> & { files: { source: string; artifact: string }; artifactBytes: number; artifactSha256: string }; files: Record<string, string> }[] }
const readBundleJson = (file: string) => JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as BundleJson & Record<string, unknown>;
function bundleWith(library: Buffer, edit?: (b: BundleJson) => void): string {
  const b = readBundleJson(bundleFile);
  const e = b.entries[0]!;
  e.files[e.meta.files.artifact] = library.toString('base64');
  e.meta.artifactBytes = library.length;
  e.meta.artifactSha256 = sha(library);
  edit?.(b);
  const file = join(fresh('bundle'), 'b.json.gz');
  writeFileSync(file, gzipSync(JSON.stringify(b)));
  return file;
}

const same = (a: readonly number[] | undefined, b: readonly number[]) => a !== undefined && a.length === b.length && a.every((v, i) => v === b[i]);
class Skip extends Error {}
const need = (ok: unknown, why: string) => {
  if (!ok) throw new Skip(why);
};
function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(what);
}

// ---------------------------------------------------------------------------------------------
// The cases.

interface Case { id: string; severity: 'critical' | 'high' | 'medium'; name: string; run: () => Promise<string> }
const cases: Case[] = [];
const add = (id: string, severity: Case['severity'], name: string, run: () => Promise<string>) => cases.push({ id, severity, name, run });

add('C1.1', 'critical', 'unsigned bundle, artifact rebuilt with a constructor, sha256 updated: import, verify, compile in a new process', async () => {
  const marker = join(fresh('mark'), 'ran');
  const cache = cacheIn('c11');
  const imported = await dwconv(['cache', 'import', bundleWith(libraryOf(constructorSource(goodSource, marker))), '--cache-dir', cache, '--json']);
  const verify = await dwconv(['cache', 'verify', '--cache-dir', cache, '--json']);
  const r = await runKernel(cache);
  check(!existsSync(marker), 'the planted constructor ran');
  check(same(r.y, reference), `wrong or no result: ${JSON.stringify(r)}`);
  return `import exit ${imported.code} (${JSON.stringify(imported.json?.artifacts ?? imported.json?.error)}), verify exit ${verify.code}, compile origin ${r.origin}, outputs right, constructor never ran`;
});

add('C1.2', 'critical', 'unsigned bundle, artifact rebuilt from edited arithmetic (every output doubled, no constructor), sha256 updated', async () => {
  const cache = cacheIn('c12');
  const imported = await dwconv(['cache', 'import', bundleWith(libraryOf(doubledSource(goodSource))), '--cache-dir', cache, '--json']);
  const r = await runKernel(cache);
  check(same(r.y, reference), `served outputs are not the reference (doubled: ${same(r.y, reference.map((v) => 2 * v))})`);
  return `import exit ${imported.code} (artifacts ${String(imported.json?.artifacts)}, differing ${JSON.stringify(imported.json?.differing)}), compile origin ${r.origin}, outputs right`;
});

add('C1.3', 'critical', '--trust-unsigned with a constructor-carrying artifact: refused by the load checks', async () => {
  const marker = join(fresh('mark'), 'ran');
  const cache = cacheIn('c13');
  const imported = await dwconv(['cache', 'import', bundleWith(libraryOf(constructorSource(goodSource, marker))), '--trust-unsigned', '--cache-dir', cache, '--json']);
  const r = await runKernel(cache);
  check(imported.code !== 0, 'import accepted a library with an added constructor');
  check(!existsSync(marker) && same(r.y, reference), 'the constructor ran or the result is wrong');
  return `import exit ${imported.code}: ${String((imported.json?.error as { message?: string } | undefined)?.message).slice(0, 120)}`;
});

add('C1.4', 'critical', 'entry on disk swapped for a constructor-carrying library, meta.json hashes updated: verify and compile', async () => {
  const marker = join(fresh('mark'), 'ran');
  const cache = cacheIn('c14');
  cpSync(goodCache, cache, { recursive: true });
  swapArtifact(join(cache, goodKey), libraryOf(constructorSource(goodSource, marker)));
  const verify = await dwconv(['cache', 'verify', '--cache-dir', cache, '--json']);
  const r = await runKernel(cache);
  check(verify.code === 1, `verify exit ${verify.code}, not 1`);
  check(!existsSync(marker), 'the planted constructor ran');
  check(same(r.y, reference) && r.origin === 'compiled', `compile did not rebuild it: ${JSON.stringify(r)}`);
  return 'verify exit 1, compile rebuilt it (origin compiled), constructor never ran';
});

add('C1.5', 'critical', 'signed bundle changed after signing: refused under the key', async () => {
  const keyFile = join(fresh('key'), 'k');
  writeFileSync(keyFile, 'a shared secret of enough bytes', { mode: 0o600 });
  const signed = join(fresh('signed'), 's.json.gz');
  const exported = await dwconv(['cache', 'export', signed, '--key-file', keyFile, '--cache-dir', goodCache, '--json']);
  check(exported.code === 0 && exported.json?.signed === true, `export failed: ${exported.stdout}`);
  const good = await dwconv(['cache', 'import', signed, '--key-file', keyFile, '--cache-dir', cacheIn('c15a'), '--json']);
  check(good.code === 0 && good.json?.artifacts === 'signed', `a sound signed bundle was refused: ${good.stdout}`);
  const b = readBundleJson(signed);
  const lib = libraryOf(doubledSource(goodSource));
  b.entries[0]!.files['kernel.so'] = lib.toString('base64');
  b.entries[0]!.meta.artifactBytes = lib.length;
  b.entries[0]!.meta.artifactSha256 = sha(lib);
  writeFileSync(signed, gzipSync(JSON.stringify(b)));
  const cache = cacheIn('c15b');
  const bad = await dwconv(['cache', 'import', signed, '--key-file', keyFile, '--cache-dir', cache, '--json']);
  check(bad.code === 2 && keysIn(cache).length === 0, `tampered signed bundle: exit ${bad.code}, ${keysIn(cache).length} entries written`);
  return 'sound signed bundle imported as signed; changed after signing: exit 2, nothing written';
});

// Layers: a swap needs write access somewhere in the layer; each spoiled mode must make the layer unsearched.
async function layerCase(spoil: (l: { parent: string; layer: string; entry: string }) => void): Promise<string> {
  const parent = fresh('layer-parent');
  const layer = join(parent, 'layer');
  cpSync(goodCache, layer, { recursive: true });
  for (const n of readdirSync(layer).filter((x) => x.startsWith('.'))) rmSync(join(layer, n), { recursive: true, force: true });
  chmodSync(layer, 0o755);
  const entry = join(layer, goodKey);
  chmodSync(entry, 0o755);
  swapArtifact(entry, libraryOf(doubledSource(goodSource)), 0o644);
  spoil({ parent, layer, entry });
  const r = await runKernel(cacheIn('layer-user'), { precompiled: [layer] });
  check(r.origin !== 'precompiled' && same(r.y, reference), `the swapped library was served: ${JSON.stringify(r)}`);
  return `origin ${r.origin}, outputs right`;
}
add('H2.0', 'high', 'control: a sound layer holding a swapped library (no constructor) is served (layers are trusted installs)', async () => {
  const parent = fresh('layer-parent');
  const layer = join(parent, 'layer');
  cpSync(goodCache, layer, { recursive: true });
  chmodSync(layer, 0o755);
  chmodSync(join(layer, goodKey), 0o755);
  swapArtifact(join(layer, goodKey), libraryOf(doubledSource(goodSource)), 0o644);
  const r = await runKernel(cacheIn('layer-user'), { precompiled: [layer] });
  check(r.origin === 'precompiled' && same(r.y, reference.map((v) => 2 * v)), `the control did not load the layer: ${JSON.stringify(r)}`);
  return 'served from the layer, outputs doubled: the cases below are live';
});
add('H2.1', 'high', 'layer entry folder of mode 0777', () => layerCase((l) => chmodSync(l.entry, 0o777)));
add('H2.2', 'high', 'layer kernel.so of mode 0666', () => layerCase((l) => chmodSync(join(l.entry, 'kernel.so'), 0o666)));
add('H2.3', 'high', 'layer meta.json of mode 0666', () => layerCase((l) => chmodSync(join(l.entry, 'meta.json'), 0o666)));
add('H2.4', 'high', 'group-writable layer folder', () => layerCase((l) => chmodSync(l.layer, 0o775)));
add('H2.5', 'high', 'layer inside a world-writable parent without the sticky bit', () => layerCase((l) => chmodSync(l.parent, 0o777)));
add('H2.6', 'high', '(root) layer, entry or kernel.so owned by another uid', async () => {
  need(isRoot, 'needs root (chown)');
  const out: string[] = [];
  for (const pick of ['layer', 'entry', 'artifact'] as const) {
    out.push(`${pick}: ${await layerCase((l) => chownSync(pick === 'layer' ? l.layer : pick === 'entry' ? l.entry : join(l.entry, 'kernel.so'), 65534, 65534))}`);
  }
  return out.join('; ');
});
add('H2.7', 'high', 'layer entry 0777 holding a constructor-carrying library', async () => {
  const marker = join(fresh('mark'), 'ran');
  const parent = fresh('layer-parent');
  const layer = join(parent, 'layer');
  cpSync(goodCache, layer, { recursive: true });
  chmodSync(layer, 0o755);
  swapArtifact(join(layer, goodKey), libraryOf(constructorSource(goodSource, marker)), 0o644);
  chmodSync(join(layer, goodKey), 0o777);
  const r = await runKernel(cacheIn('layer-user'), { precompiled: [layer] });
  check(!existsSync(marker) && same(r.y, reference), `constructor ran or wrong result: ${JSON.stringify(r)}`);
  return `origin ${r.origin}, constructor never ran`;
});

const TENSOR_ATTACKS: Record<string, string> = {
  'double the input shape': `x.shape = [64, 2, 64, 64]; k.forward(x, w);`,
  'double the output shape': `const out = lib.Tensor.empty([1, 2, 64, 64]); out.shape = [64, 2, 64, 64]; x.shape = [64, 2, 64, 64]; k.forward(x, w, undefined, { out });`,
  'relabel a float16 tensor float32': `const h = lib.Tensor.fromArray(new Float32Array(2 * 64 * 64), [1, 2, 64, 64], { dtype: 'float16' }); h.dtype = 'float32'; k.forward(h, w);`,
  'a tensor made with Object.create(Tensor.prototype)': `const f = Object.create(lib.Tensor.prototype, { shape: { value: [64, 2, 64, 64] }, dtype: { value: 'float32' }, device: { value: 'cpu' } }); k.forward(f, w);`,
  'an input whose byte length is smaller than its shape (a view over a short buffer)': `const b = new ArrayBuffer(16); const t = lib.Tensor.fromBytes(b, [1, 2, 64, 64]); k.forward(t, w);`,
};
for (const [i, [name, attack]] of Object.entries(TENSOR_ATTACKS).entries()) {
  add(`H3.${i + 1}`, 'high', `forward() with ${name}`, async () => {
    const r = await node(`
      const k = await lib.compile({ kernelSize: 3, padding: 1 }, { target: 'cpu', cacheDir: ${JSON.stringify(goodCache)} });
      const x = lib.Tensor.fromArray(new Float32Array(2 * 64 * 64).fill(1), [1, 2, 64, 64]);
      const w = lib.Tensor.fromArray(new Float32Array(18).fill(1), [2, 1, 3, 3]);
      try { ${attack} console.log(JSON.stringify({ outcome: 'ran' })); }
      catch (e) { console.log(JSON.stringify({ outcome: 'refused', error: e.name, code: e.code ?? null })); }`);
    check(!r.signal && r.code === 0, `the process died: ${r.signal ?? `exit ${r.code}`} ${r.stderr.slice(-200)}`);
    check(r.json?.outcome === 'refused', `the call ran: ${r.stdout}`);
    return `refused with ${String(r.json?.error)}${r.json?.code ? ` (${String(r.json.code)})` : ''}`;
  });
}

add('H4.1', 'high', 'CPATH / CPLUS_INCLUDE_PATH headers with a constructor; then a process without them loads from the disk cache', async () => {
  const marker = join(fresh('mark'), 'ran');
  const evil = fresh('headers');
  for (const h of ['cmath', 'cstdint', 'cstring', 'vector']) writeFileSync(join(evil, h), `#include_next <${h}>\n#include <cstdio>\n__attribute__((constructor)) static void planted_${h}(void) { FILE* f = std::fopen(${JSON.stringify(marker)}, "w"); if (f) std::fclose(f); }\n`);
  const cache = cacheIn('h41');
  const first = await runKernel(cache, { env: { CPATH: evil, CPLUS_INCLUDE_PATH: evil, C_INCLUDE_PATH: evil } });
  const second = await runKernel(cache);
  check(!existsSync(marker), 'a planted header reached the compiler (its constructor ran)');
  check(same(first.y, reference) && same(second.y, reference) && second.origin === 'disk', `results: ${JSON.stringify({ first, second })}`);
  return `compile with the variables: ${first.origin}; without: ${second.origin}; no header read`;
});

add('H4.2', 'high', 'COMPILER_PATH / GCC_EXEC_PREFIX naming a folder with a planted as and ld', async () => {
  const marker = join(fresh('mark'), 'ran');
  const tools = fresh('tools');
  for (const t of ['as', 'ld', 'collect2']) writeFileSync(join(tools, t), `#!/bin/sh\n: > ${JSON.stringify(marker)}\nexec /usr/bin/${t === 'collect2' ? 'ld' : t} "$@"\n`, { mode: 0o755 });
  const r = await runKernel(cacheIn('h42'), { env: { COMPILER_PATH: tools, GCC_EXEC_PREFIX: `${tools}/` } });
  check(!existsSync(marker), 'a planted tool ran');
  check(same(r.y, reference), JSON.stringify(r));
  return 'built with the system tools only';
});

add('H4.3', 'high', 'NVCC_PREPEND_FLAGS / NVCC_APPEND_FLAGS pre-including a header (nvcc build for sm_90, no GPU needed)', async () => {
  need(NVCC, 'needs nvcc');
  const evil = join(fresh('nvcc-header'), 'planted.h');
  const tag = 'dwconv_battery_planted_string';
  writeFileSync(evil, `static const char* volatile ${tag} = "${tag}";\n__attribute__((constructor)) static void planted(void) { (void)${tag}; }\n`);
  const cwd = fresh('nvcc');
  writeFileSync(join(cwd, 'm.json'), JSON.stringify({ targets: ['cuda'], archs: ['sm_90'], specs: [{ kernelSize: 3 }] }));
  const flags = `--pre-include ${evil}`;
  const r = await dwconv(['precompile', 'm.json', '--out', 'out', '--jobs', '1', '--json'], { cwd, env: { NVCC_PREPEND_FLAGS: flags, NVCC_APPEND_FLAGS: flags, PATH: `${join(NVCC!, '..')}:${process.env.PATH ?? ''}` } });
  check(r.code === 0, `precompile failed: ${r.stdout.slice(-300)} ${r.stderr.slice(-300)}`);
  const [key] = keysIn(join(cwd, 'out'));
  const bytes = readFileSync(join(cwd, 'out', key!, 'kernel.so'));
  check(!bytes.includes(tag), 'the pre-included header is in the artifact');
  return 'built without the flags';
});

const PAYLOAD = '1); } __attribute__((constructor)) static void evil() { system("id"); } //';
add('H5.1', 'high', 'exported generate() given spec fields carrying code', async () => {
  const fields = ['kernelSize', 'stride', 'padding', 'dilation', 'channelMultiplier', 'dtype', 'layout', 'activation', 'negativeSlope', 'bias', 'residual', 'evil'];
  const r = await node(`
    const payload = ${JSON.stringify(PAYLOAD)};
    const out = {};
    for (const field of ${JSON.stringify(fields)}) for (const target of ['cpu', 'cuda']) {
      const spec = { ...lib.normalizeSpec({ kernelSize: 3, activation: 'leaky_relu' }), [field]: field === 'kernelSize' || field === 'dilation' ? [payload, 3] : payload };
      try { const g = lib.generate(spec, target); out[field + '/' + target] = g.source.includes('system(') ? 'PAYLOAD IN SOURCE' : 'generated'; }
      catch (e) { out[field + '/' + target] = e.name; }
    }
    console.log(JSON.stringify(out));`);
  const verdicts = Object.entries(r.json ?? {});
  check(verdicts.length === fields.length * 2, `no verdicts: ${r.stderr.slice(-200)}`);
  const bad = verdicts.filter(([, v]) => v !== 'SpecError');
  check(bad.length === 0, `not refused: ${JSON.stringify(bad)}`);
  return `${verdicts.length} payloads, each a SpecError`;
});

add('M6.1', 'medium', 'relative cache directories, ones starting with "-", and precompile --out relative', async () => {
  const cwd = fresh('cwd');
  const out: string[] = [];
  for (const dir of ['rel/cache', '-x', '-fplugin=p']) {
    const r = await dwconv(['compile', '--kernel-size', '3', `--cache-dir=${dir}`, '--json'], { cwd });
    check(r.code === 0 && keysIn(join(cwd, dir)).length === 1, `--cache-dir=${dir}: exit ${r.code} ${r.stdout.slice(-200)}`);
    out.push(dir);
  }
  writeFileSync(join(cwd, 'm.json'), JSON.stringify({ targets: ['cpu'], specs: [{ kernelSize: 3 }] }));
  for (const dir of ['out', '-xout']) {
    const r = await dwconv(['precompile', 'm.json', `--out=${dir}`, '--json'], { cwd });
    check(r.code === 0 && keysIn(join(cwd, dir)).length === 1, `precompile --out=${dir}: exit ${r.code} ${r.stdout.slice(-200)}`);
    out.push(`precompile --out=${dir}`);
  }
  return `all worked: ${out.join(', ')}`;
});

for (const [i, [name, spoil]] of ([
  ['JSON null', (dir: string) => writeFileSync(join(dir, 'meta.json'), 'null')],
  ['a directory', (dir: string) => { rmSync(join(dir, 'meta.json')); mkdirSync(join(dir, 'meta.json')); }],
] as const).entries()) {
  add(`M7.${i + 1}`, 'medium', `meta.json that is ${name}: compile, ls, verify --fix, prune`, async () => {
    const results: string[] = [];
    for (const command of [['compile', '--kernel-size', '3', '--padding', '1'], ['cache', 'ls'], ['cache', 'verify', '--fix'], ['cache', 'prune']]) {
      const cache = cacheIn('m7');
      cpSync(goodCache, cache, { recursive: true });
      spoil(join(cache, goodKey));
      const r = await dwconv([...command, '--cache-dir', cache, '--json']);
      check(r.code === 0 && !/TypeError/.test(r.stdout + r.stderr), `${command.join(' ')}: exit ${r.code} ${r.stdout.slice(-200)}`);
      results.push(`${command.join(' ')} ok`);
    }
    const cache = cacheIn('m7-twice');
    cpSync(goodCache, cache, { recursive: true });
    spoil(join(cache, goodKey));
    const r = await runKernel(cache);
    const again = await runKernel(cache);
    check(same(r.y, reference) && again.origin === 'disk', `not rebuilt for good: ${JSON.stringify({ r, again })}`);
    return `${results.join(', ')}; rebuilt once, then a disk hit`;
  });
}

add('M8.1', 'medium', "entry holding another kernel's library (hashes updated): verify, compile", async () => {
  const cache = cacheIn('m81');
  cpSync(goodCache, cache, { recursive: true });
  const other = await dwconv(['compile', '--kernel-size', '5', '--cache-dir', cacheIn('m81-other'), '--json']);
  swapArtifact(join(cache, goodKey), readFileSync(String(other.json?.artifact)));
  const verify = await dwconv(['cache', 'verify', '--cache-dir', cache, '--json']);
  const r = await runKernel(cache);
  check(verify.code === 1, `verify exit ${verify.code}`);
  check(same(r.y, reference), JSON.stringify(r));
  return `verify exit 1, compile ${r.origin}, outputs right`;
});

add('M8.2', 'medium', 'bundle with two copies of one key, the wrong one (another kernel\'s library) first', async () => {
  const other = await dwconv(['compile', '--kernel-size', '5', '--cache-dir', cacheIn('m82-other'), '--json']);
  const wrong = readFileSync(String(other.json?.artifact));
  const file = bundleWith(wrong, (b) => {
    const good = readBundleJson(bundleFile).entries[0]!;
    b.entries.push(good);
  });
  const out: string[] = [];
  for (const trust of [[], ['--trust-unsigned']]) {
    const cache = cacheIn('m82');
    const imported = await dwconv(['cache', 'import', file, ...trust, '--cache-dir', cache, '--json']);
    const r = await runKernel(cache);
    check(same(r.y, reference), `after import (exit ${imported.code}): ${JSON.stringify(r)}`);
    out.push(`import${trust.length ? ' --trust-unsigned' : ''} exit ${imported.code}, then compile ${r.origin} and right`);
  }
  return out.join('; ');
});

add('M8.3', 'medium', "precompiled layer entry holding another kernel's library", async () => {
  const parent = fresh('layer-parent');
  const layer = join(parent, 'layer');
  cpSync(goodCache, layer, { recursive: true });
  chmodSync(layer, 0o755);
  chmodSync(join(layer, goodKey), 0o755);
  const other = await dwconv(['compile', '--kernel-size', '5', '--cache-dir', cacheIn('m83-other'), '--json']);
  swapArtifact(join(layer, goodKey), readFileSync(String(other.json?.artifact)), 0o644);
  const r = await runKernel(cacheIn('m83-user'), { precompiled: [layer] });
  check(same(r.y, reference) && r.origin === 'compiled', JSON.stringify(r));
  return 'skipped, compiled instead';
});

add('M8.4', 'medium', 'two leaky_relu specs differing only in slope', async () => {
  const r = await node(`console.log(JSON.stringify([0.1, 0.2].map((negativeSlope) => lib.generate(lib.normalizeSpec({ kernelSize: 3, activation: 'leaky_relu', negativeSlope }), 'cpu').symbol)));`);
  const symbols = (r.json as unknown as string[] | undefined) ?? [];
  check(symbols.length === 2 && symbols[0] !== symbols[1], `symbols ${JSON.stringify(symbols)}`);
  const a = await runKernel(cacheIn('m84'), { spec: { kernelSize: 3, padding: 1, activation: 'leaky_relu', negativeSlope: 0.1 } });
  return `${symbols.join(' / ')} (first run: ${a.origin})`;
});

add('M9.1', 'medium', 'compile lock left by pid 1 (a day old; and from another boot), and one naming pid 0', async () => {
  const explained = await dwconv(['cache', 'explain', '--kernel-size', '3', '--padding', '1', '--cache-dir', goodCache, '--json']);
  const key = String(explained.json?.key);
  check(/^[0-9a-f]{64}$/.test(key), `no key: ${explained.stdout}`);
  const out: string[] = [];
  for (const [name, holder, ageMs] of [
    ['pid 1, a day old', { pid: 1, host: hostname(), token: 't', since: '' }, 86_400_000],
    ['pid 1, another boot', { pid: 1, start: '1', boot: 'another-boot', host: hostname(), token: 't', since: '' }, 0],
    ['pid 0', { pid: 0, host: hostname(), token: 't', since: '' }, 0],
  ] as const) {
    const cache = cacheIn('m9');
    mkdirSync(join(cache, '.locks'), { recursive: true, mode: 0o700 });
    chmodSync(cache, 0o700);
    const lock = join(cache, '.locks', `${key}.lock`);
    writeFileSync(lock, JSON.stringify(holder));
    if (ageMs) utimesSync(lock, new Date(Date.now() - ageMs), new Date(Date.now() - ageMs));
    // With a 60 s lock timeout, a lock taken for live would fail the compile with a CacheError.
    const r = await runKernel(cache, { env: { DWCONV_JIT_LOCK_TIMEOUT: '60000' } });
    check(same(r.y, reference), `${name}: ${JSON.stringify(r)}`);
    out.push(`${name}: taken over`);
  }
  return out.join('; ');
});

add('M10.1', 'medium', 'DWCONV_JIT_CACHE_MAX_SIZE=1 with 6 processes compiling 6 specs at once, twice', async () => {
  const cache = cacheIn('m10');
  const specs = [3, 5, 7].flatMap((k) => [{ kernelSize: k }, { kernelSize: k, bias: true }]);
  const failures: string[] = [];
  for (let round = 0; round < 2; round++) {
    const results = await Promise.all(specs.map((s) => dwconv(['compile', '--spec-json', JSON.stringify(s), '--cache-dir', cache, '--json'], { env: { DWCONV_JIT_CACHE_MAX_SIZE: '1' } })));
    results.forEach((r, i) => r.code !== 0 && failures.push(`round ${round} ${JSON.stringify(specs[i])}: ${r.stdout.slice(-200)}`));
  }
  check(failures.length === 0, failures.join('; '));
  return '12 of 12 compiles loaded their kernel';
});

add('M11.1', 'medium', 'ENOSPC while the compiler writes (a tiny tmpfs as the cache): CacheError, not CompileError with the source', async () => {
  need(isRoot && which('mount'), 'needs root and mount (tmpfs)');
  const outcomes: string[] = [];
  let cacheErrors = 0;
  for (const kb of [16, 48, 96, 160, 256, 512, 1024]) {
    const mnt = fresh(`tmpfs-${kb}k`);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${kb}k,mode=0700`, 'tmpfs', mnt]);
    } catch (err) {
      throw new Skip(`mount failed: ${(err as Error).message.split('\n')[0]}`);
    }
    try {
      const r = await dwconv(['compile', '--kernel-size', '3', '--cache-dir', mnt, '--json']);
      const error = r.json?.error as { code?: string; message?: string } | undefined;
      if (r.code === 0) outcomes.push(`${kb}k: compiled`);
      else {
        check(error?.code === 'ERR_DWCONV_CACHE', `${kb}k: ${error?.code ?? r.signal}: ${String(error?.message).slice(0, 160)}`);
        check(!/\n\s*1 \| /.test(error?.message ?? ''), `${kb}k: the error carries the numbered source`);
        cacheErrors++;
        outcomes.push(`${kb}k: CacheError (${String(error?.message).replace(/ \(\/.*$/, '').slice(0, 90)})`);
      }
      check(readdirSync(mnt).every((n) => n.startsWith('.') || /^[0-9a-f]{64}$/.test(n)), `${kb}k: stray files ${readdirSync(mnt).join(',')}`);
      check(!existsSync(join(mnt, '.tmp')) || readdirSync(join(mnt, '.tmp')).length === 0, `${kb}k: a temporary folder was left`);
    } finally {
      execFileSync('umount', [mnt]);
    }
  }
  check(cacheErrors > 0 && cacheErrors < outcomes.length, `no size both ran out of space and fitted: ${outcomes.join(', ')}`);
  return outcomes.join(', ');
});

add('M11.2', 'medium', 'CPU kernel whose per-thread row buffers cannot be allocated (address space capped with prlimit)', async () => {
  need(PRLIMIT, 'needs prlimit');
  const cache = cacheIn('m112');
  const child = execa(process.execPath, ['--input-type=module', '-e', `
    const lib = await import(${JSON.stringify(LIB)});
    const { writeSync } = await import('node:fs');
    const say = (v) => writeSync(1, JSON.stringify(v) + '\\n');
    const k = await lib.compile({ kernelSize: 1, dtype: 'float16' }, { target: 'cpu', cacheDir: ${JSON.stringify(cache)} });
    const make = (w) => ({ x: lib.Tensor.fromArray(new Float32Array(w).fill(1), [1, 1, 1, w], { dtype: 'float16' }), w: lib.Tensor.fromArray([1], [1, 1, 1, 1], { dtype: 'float16' }), out: lib.Tensor.empty([1, 1, 1, w], { dtype: 'float16' }) });
    const call = (t) => { try { k.forward(t.x, t.w, undefined, { out: t.out }); return { outcome: 'ran' }; } catch (e) { return { outcome: 'refused', error: e.name, message: e.message }; } };
    call(make(64));
    const big = make(64 << 20);
    say({ step: 'ready', pid: process.pid });
    process.stdin.once('data', () => { say({ step: 'capped', ...call(big) }); process.exit(0); });`], { reject: false, env: cleanEnv(), extendEnv: false, stdin: 'pipe' });
  let capped: Record<string, unknown> | undefined;
  let buffered = '';
  child.stdout!.on('data', (d: Buffer) => {
    buffered += d.toString();
    for (const line of buffered.split('\n').slice(0, -1)) {
      const step = JSON.parse(line) as Record<string, unknown>;
      if (step.step === 'ready') {
        const vm = Number(/VmSize:\s+(\d+) kB/.exec(readFileSync(`/proc/${String(step.pid)}/status`, 'utf8'))![1]);
        execFileSync(PRLIMIT!, ['--pid', String(step.pid), `--as=${vm * 1024 + (128 << 20)}:`]);
        child.stdin!.write('go\n');
      } else if (step.step === 'capped') capped = step;
    }
    buffered = buffered.slice(buffered.lastIndexOf('\n') + 1);
  });
  const r = await child;
  check(!r.signal && r.exitCode === 0, `the process died: ${r.signal ?? `exit ${r.exitCode}`} ${r.stderr.slice(-200)}`);
  check(capped?.outcome === 'refused', `not refused: ${JSON.stringify(capped)}`);
  return `${String(capped?.error)}: ${String(capped?.message)}`;
});

add('M11.3', 'medium', 'a 40 KB manifest whose grid expands to 10^8 configs', async () => {
  const cwd = fresh('grid');
  // 10^4 values in each of two fields: about 40 KB of JSON, 10^8 configs.
  const grid = { kernelSize: new Array<number>(10_000).fill(3), stride: new Array<number>(10_000).fill(1) };
  writeFileSync(join(cwd, 'm.json'), JSON.stringify({ targets: ['cpu'], grids: [grid] }));
  const r = await dwconv(['precompile', 'm.json', '--out', 'out', '--json'], { cwd, timeout: 120_000 });
  const error = r.json?.error as { name?: string; message?: string } | undefined;
  check(!r.signal && r.code === 2 && error?.name === 'SpecError', `exit ${r.code} ${r.signal ?? ''}: ${r.stdout.slice(-200)} ${r.stderr.slice(-200)}`);
  return `${readFileSync(join(cwd, 'm.json')).length} bytes: ${String(error?.message).slice(0, 120)}`;
});

// ---------------------------------------------------------------------------------------------

async function setup(): Promise<void> {
  need(CXX, 'no C++ compiler');
  goodCache = cacheIn('reference');
  const r = await runKernel(goodCache);
  if (!r.y || r.origin !== 'compiled') throw new Error(`the reference compile failed: ${JSON.stringify(r)}`);
  reference = r.y;
  goodKey = keysIn(goodCache)[0] ?? '';
  goodSource = readFileSync(join(goodCache, goodKey!, 'kernel.cpp'), 'utf8');
  bundleFile = join(fresh('bundle'), 'good.json.gz');
  const exported = await dwconv(['cache', 'export', bundleFile, '--cache-dir', goodCache, '--json']);
  if (exported.code !== 0) throw new Error(`export failed: ${exported.stdout}`);
}

const results: { id: string; severity: string; case: string; result: 'pass' | 'fail' | 'skipped'; detail: string }[] = [];
try {
  await setup();
  for (const c of cases) {
    if (only && !only.has(c.id)) continue;
    let result: 'pass' | 'fail' | 'skipped';
    let detail: string;
    try {
      detail = await c.run();
      result = 'pass';
    } catch (err) {
      result = err instanceof Skip ? 'skipped' : 'fail';
      detail = (err as Error).message;
    }
    const line = { id: c.id, severity: c.severity, case: c.name, result, detail };
    results.push(line);
    process.stdout.write(`${JSON.stringify(line)}\n`);
  }
} finally {
  if (!keep) rmSync(base, { recursive: true, force: true });
}
const count = (r: string) => results.filter((x) => x.result === r).length;
process.stdout.write(`${JSON.stringify({ summary: { cases: results.length, pass: count('pass'), fail: count('fail'), skipped: count('skipped') }, failed: results.filter((x) => x.result === 'fail').map((x) => x.id), ...(keep ? { kept: base } : {}) })}\n`);
process.exitCode = count('fail') > 0 ? 1 : 0;
