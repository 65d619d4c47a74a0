// One fresh worker for bench/remote-hit.ts: imports the built package, compiles one spec into the
// given cache directory (the remote, if any, from DWCONV_JIT_REMOTE_CACHE and DWCONV_JIT_REMOTE_KEY)
// and prints {origin, importMs, compileMs}: compileMs from the compile() call to the loaded kernel.
// argv: cache directory, spec JSON.
const [cacheDir, specJson] = process.argv.slice(2);
const t0 = performance.now();
const { compile } = await import('../dist/index.js');
const t1 = performance.now();
const kernel = await compile(JSON.parse(specJson), { target: 'cpu', cacheDir, precompiled: [] });
const t2 = performance.now();
process.stdout.write(`${JSON.stringify({ origin: kernel.provenance.origin, importMs: t1 - t0, compileMs: t2 - t1 })}\n`);
