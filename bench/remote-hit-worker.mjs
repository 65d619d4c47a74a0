// One fresh worker for bench/remote-hit.ts: imports the built package, looks one spec up in the
// given cache directory (the remote, if any, from DWCONV_JIT_REMOTE_CACHE and DWCONV_JIT_REMOTE_KEY)
// and prints {origin, importMs, compileMs}. CPU: compileMs from the compile() call to the loaded
// kernel. CUDA: from the build() call to the artifact on disk (loading it needs a GPU).
// argv: cache directory, spec JSON, target ('cpu' | 'cuda'), arch (CUDA).
const [cacheDir, specJson, target = 'cpu', arch] = process.argv.slice(2);
const t0 = performance.now();
const { build, compile } = await import('../dist/index.js');
const t1 = performance.now();
const spec = JSON.parse(specJson);
const origin = target === 'cuda'
  ? (await build(spec, { target, arch, cacheDir, precompiled: [] })).origin
  : (await compile(spec, { target, cacheDir, precompiled: [] })).provenance.origin;
const t2 = performance.now();
process.stdout.write(`${JSON.stringify({ origin, importMs: t1 - t0, compileMs: t2 - t1 })}\n`);
