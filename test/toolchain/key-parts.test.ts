// Each part of the cache key, fed from the real thing and varied end to end through the public API:
// the compiler's version (a wrapper script whose --version we control), the flags the compiler is
// actually run with, the arch, the source, the package version and the cache format version. Each
// change gives another key, and an entry made under one is never served under another (the second
// build compiles rather than hitting the first's entry).
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { build, compile } from '../../src/compile.js';
import { readEnvironment } from '../../src/env.js';
import { cxxCandidates, nvccCandidates } from '../../src/compiler/toolchain.js';
import { copyRepo, replaceInSources } from '../helpers/repo-copy.js';
import { executable, hasCxx, hasNvcc } from '../helpers/requirements.js';
const env = readEnvironment();
const realCxx = cxxCandidates(env).find(executable);
const realNvcc = nvccCandidates(env).find(executable);

/**
 * A compiler wrapper: answers --version with `version`, logs every other argument list (one per line)
 * to `log`, and runs the real compiler. The version is in the script's text, so rewriting it changes
 * the file as an upgrade in place would.
 */
function wrapper(dir: string, name: string, real: string, version: string): { path: string; log: string } {
  const path = join(dir, name);
  const log = `${path}.log`;
  writeFileSync(path, [
    '#!/bin/sh',
    `if [ "$1" = "--version" ]; then echo '${version}'; echo 'Cuda compilation tools, release ${version}'; exit 0; fi`,
    `printf '%s\\n' "$*" >> '${log}'`,
    `exec '${real}' "$@"`,
    '',
  ].join('\n'));
  chmodSync(path, 0o755);
  return { path, log };
}

const spec = { kernelSize: 3 };
const cpuOptions = (cacheDir: string, cxx: string) => ({ target: 'cpu' as const, cacheDir, precompiled: [], env: { ...process.env, CXX: cxx } });

describe.skipIf(!hasCxx || !realCxx)('every key part changes the key and keeps entries apart (needs a C++ compiler)', () => {
  it('the compiler version: two compilers that differ only in --version', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dwconv-key-cxx-'));
    const cacheDir = join(dir, 'cache');
    const a = wrapper(dir, 'cxx-a', realCxx!, 'fake-c++ 1.0');
    const b = wrapper(dir, 'cxx-b', realCxx!, 'fake-c++ 2.0');
    const first = await build(spec, cpuOptions(cacheDir, a.path));
    const second = await build(spec, cpuOptions(cacheDir, b.path));
    expect(first.parts.compiler.version).toContain('fake-c++ 1.0');
    expect(second.parts.compiler.version).toContain('fake-c++ 2.0');
    expect(second.key).not.toBe(first.key);
    expect(second.origin).toBe('compiled');
    expect(readFileSync(b.log, 'utf8')).not.toBe(''); // b really compiled it
    expect((await build(spec, cpuOptions(cacheDir, a.path))).key).toBe(first.key);
  });

  it('the compiler version: one compiler upgraded in place, seen by a new process', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dwconv-key-upgrade-'));
    const cacheDir = join(dir, 'cache');
    const child = new URL('../fixtures/compile-key.ts', import.meta.url).pathname;
    const runWith = async (cxx: string) => JSON.parse((await execa(process.execPath, ['--import', 'tsx', child, JSON.stringify(spec), cacheDir], { env: { CXX: cxx } })).stdout) as { key: string; origin: string };
    const cxx = wrapper(dir, 'c++', realCxx!, 'fake-c++ 11.1');
    const before = await runWith(cxx.path);
    wrapper(dir, 'c++', realCxx!, 'fake-c++ 12.0');
    const after = await runWith(cxx.path);
    expect(after.key).not.toBe(before.key);
    expect(after.origin).toBe('compiled');
  });

  it('the flags: the key holds exactly the flags the compiler was run with', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dwconv-key-flags-'));
    const cxx = wrapper(dir, 'c++', realCxx!, 'fake-c++ flags');
    const artifact = await build(spec, cpuOptions(join(dir, 'cache'), cxx.path));
    const ran = readFileSync(cxx.log, 'utf8').trim().split('\n');
    expect(ran).toHaveLength(1);
    const args = ran[0]!.split(' ');
    const o = args.indexOf('-o');
    // What the compiler got, less the output and source paths (private folders, not parts of the key).
    const flags = [...args.slice(0, o), ...args.slice(o + 3)];
    expect(artifact.parts.flags).toEqual(flags);
    // The package version is fed from the package itself (the source header carries it too, so the
    // key would change without it: this checks the part, not only its effect).
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(artifact.parts.package).toBe(pkg.version);
  });

  it('the source: two specs never share an entry, and each kernel computes its own spec', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'dwconv-key-source-'));
    const a = await compile({ kernelSize: 3 }, { target: 'cpu', cacheDir, precompiled: [] });
    const b = await compile({ kernelSize: 3, padding: 1 }, { target: 'cpu', cacheDir, precompiled: [] });
    expect(b.key).not.toBe(a.key);
    expect(b.provenance.origin).toBe('compiled');
    const ones = new Float32Array(25).fill(1);
    expect((await a.run(ones, [1, 1, 5, 5], new Float32Array(9).fill(1))).length).toBe(9);
    const y = await b.run(ones, [1, 1, 5, 5], new Float32Array(9).fill(1));
    expect([y.length, y[0], y[6]]).toEqual([25, 4, 9]);
  });

  it('the package version and the cache format version: a copy of the package with each changed', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'dwconv-key-versions-'));
    const childIn = async (root: string) => JSON.parse((await execa(process.execPath, ['--import', 'tsx', join(root, 'test/fixtures/compile-key.ts'), JSON.stringify(spec), cacheDir], { cwd: root })).stdout) as { key: string; origin: string; centre: number };
    const base = copyRepo();
    const original = await childIn(base);
    expect((await childIn(base)).origin).toBe('disk'); // the same package finds its entry
    const bumpedPackage = copyRepo();
    expect(replaceInSources(bumpedPackage, /(PACKAGE_VERSION\s*=\s*')([^']+)'/, "$1$2-keytest'"), 'PACKAGE_VERSION found under src/').toBeDefined();
    const bumpedFormat = copyRepo();
    expect(replaceInSources(bumpedFormat, /(CACHE_FORMAT_VERSION\s*=\s*)(\d+)/, '$1999'), 'CACHE_FORMAT_VERSION found under src/').toBeDefined();
    const seen = new Set([original.key]);
    for (const root of [bumpedPackage, bumpedFormat]) {
      const r = await childIn(root);
      expect(seen.has(r.key)).toBe(false);
      seen.add(r.key);
      expect(r.origin).toBe('compiled');
      expect(r.centre).toBe(9);
    }
  });
});

describe.skipIf(!hasNvcc || !realNvcc)('the CUDA arch and nvcc version are key parts (needs nvcc; no GPU)', () => {
  it('two archs, then another nvcc version: three keys, each compiled', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dwconv-key-arch-'));
    const cacheDir = join(dir, 'cache');
    const nvcc = wrapper(dir, 'nvcc', realNvcc!, 'fake nvcc A');
    const other = wrapper(dir, 'nvcc-b', realNvcc!, 'fake nvcc B');
    const options = (arch: string, path: string) => ({ target: 'cuda' as const, compiler: 'nvcc' as const, arch, cacheDir, env: { ...process.env, DWCONV_JIT_NVCC: path } });
    const sm80 = await build(spec, options('sm_80', nvcc.path));
    const sm90 = await build(spec, options('sm_90', nvcc.path));
    const sm90b = await build(spec, options('sm_90', other.path));
    expect(new Set([sm80.key, sm90.key, sm90b.key]).size).toBe(3);
    expect([sm80.parts.arch, sm90.parts.arch]).toEqual(['sm_80', 'sm_90']);
    expect([sm90.origin, sm90b.origin]).toEqual(['compiled', 'compiled']);
    const ran = readFileSync(nvcc.log, 'utf8').trim().split('\n');
    expect(ran.map((line) => line.includes('arch=compute_80'))).toEqual([true, false]);
    expect(ran[1]!.startsWith(sm90.parts.flags.join(' '))).toBe(true);
  });
});
