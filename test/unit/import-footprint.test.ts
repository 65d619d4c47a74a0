// What `import 'dwconv-jit'` loads, module by module (not a timing: docs/perf.md has those). Each
// module costs start-up time, so those that only some calls need are loaded by those calls: the
// template engine when source is generated, the FFI library when a kernel or CUDA is loaded, execa
// when a compiler runs, the Redis client when a remote cache is configured, and each tool (demo,
// bench, doctor, cache maintenance, remote-cache commands) when it is first called.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Runs `script` in a fresh node process (with tsx, so src/ is imported as is); every module it loads, by path relative to the repository. */
async function modulesLoadedBy(script: string): Promise<string[]> {
  const log = join(mkdtempSync(join(tmpdir(), 'dwconv-imports-')), 'modules.txt');
  // ES modules through a load hook (it runs on the loader's thread: it writes to a file); CommonJS ones from require.cache.
  const hook = `data:text/javascript,${encodeURIComponent(`
    import { appendFileSync } from 'node:fs';
    export async function load(url, context, next) {
      if (url.startsWith('file:')) appendFileSync(${JSON.stringify(log)}, url + '\\n');
      return next(url, context);
    }`)}`;
  const register = `import { register } from 'node:module'; register(${JSON.stringify(hook)});`;
  const printCjs = "const { createRequire } = await import('node:module'); for (const p of Object.keys(createRequire(import.meta.url).cache)) console.log(p);";
  const r = await execa(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(register)}`, '--import', 'tsx', '--input-type=module', '-e', `${script}\n${printCjs}`], { cwd: root });
  const esm = readFileSync(log, 'utf8').split('\n').filter(Boolean).map((u) => fileURLToPath(u));
  const cjs = r.stdout.split('\n').filter(Boolean);
  return [...new Set([...esm, ...cjs])].map((p) => p.slice(root.length));
}

const index = pathToFileURL(join(root, 'src/index.ts')).href;
let loaded: string[] = [];

beforeAll(async () => {
  loaded = await modulesLoadedBy(`await import(${JSON.stringify(index)});`);
}, 60_000);

const packageOf = (p: string) => /^node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(p)?.[1];

describe("import 'dwconv-jit'", () => {
  it('loads the package (the check sees what it loads)', () => {
    expect(loaded).toContain('src/index.ts');
    expect(loaded).toContain('src/compile.ts');
    expect(loaded.length).toBeGreaterThan(20);
  });

  it('loads no third-party module but env-paths: handlebars, koffi, execa, ioredis and commander wait for the calls that need them', () => {
    const packages = [...new Set(loaded.map(packageOf).filter((p): p is string => p !== undefined && p !== 'tsx' && p !== 'get-tsconfig' && p !== 'esbuild' && p !== 'resolve-pkg-maps'))];
    expect(packages).toEqual(['env-paths']);
  });

  it.each(['src/tools/demo.ts', 'src/tools/bench.ts', 'src/tools/doctor.ts', 'src/tools/tune.ts', 'src/tools/cache-inspect.ts', 'src/tools/bundle-import.ts', 'src/tools/remote-cache.ts', 'src/cache/bundle.ts', 'src/cache/remote/store.ts', 'src/cache/tiers/remote.ts'])(
    'does not load %s (loaded on first call)', (module) => {
      expect(loaded).not.toContain(module);
    },
  );

  it('a lazily loaded tool still works through the public export (explain loads its module on call)', async () => {
    const after = await modulesLoadedBy(`const m = await import(${JSON.stringify(index)}); const e = await m.explain({ kernelSize: 3 }, { target: 'cpu', cacheDir: ${JSON.stringify(mkdtempSync(join(tmpdir(), 'dwconv-imports-cache-')))} }).catch((err) => err); if (!e.key && e.code !== 'ERR_DWCONV_TOOLCHAIN') throw e;`);
    expect(after).toContain('src/tools/explain.ts');
  }, 60_000);
});
