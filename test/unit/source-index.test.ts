// The source index (cache/source-index.ts) and the generator identity it is keyed by
// (cache/generator-identity.ts): what invalidates a record, and what is never taken from one.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sourceIndex } from '../../src/cache/source-index.js';
import { generateCpu } from '../../src/codegen/cpu.js';
import { symbolOf } from '../../src/codegen/common.js';
import { codegenIdentity, codegenInputs, GENERATOR_MODULES } from '../../src/cache/generator-identity.js';
import { canonicalJson, normalizeSpec } from '../../src/spec.js';
import { sha256 } from '../../src/cache/key.js';

const src = fileURLToPath(new URL('../../src/', import.meta.url));
const spec = normalizeSpec({ kernelSize: 3 });
const generated = generateCpu(spec);
const query = { target: 'cpu' as const, specJson: canonicalJson(spec), symbol: symbolOf(spec, 'cpu'), variant: undefined };
/** A generator whose files last changed long ago (records may be written). */
const settled = (identity: string) => () => ({ identity, newestChangeMs: 0 });
const freshDir = () => mkdtempSync(join(tmpdir(), 'dwconv-source-index-'));

describe('the source index', () => {
  it('remembers what a source is for the generator that made it', async () => {
    const index = sourceIndex(freshDir(), '0.1.0', settled('A'));
    expect(await index.get(query)).toBeUndefined();
    await index.put(query, generated);
    expect(await index.get(query)).toEqual({ target: 'cpu', symbol: generated.symbol, language: 'c++', specJson: generated.specJson, variant: {}, sourceSha256: sha256(generated.source) });
  });

  it('another generator (changed files, another package version) finds nothing', async () => {
    const dir = freshDir();
    await sourceIndex(dir, '0.1.0', settled('A')).put(query, generated);
    expect(await sourceIndex(dir, '0.1.0', settled('B')).get(query)).toBeUndefined();
    // The package version is part of the identity itself.
    const inputs = () => codegenInputs('cpu').slice(0, 3);
    expect(codegenIdentity('0.1.0', 'cpu', inputs)!.identity).not.toBe(codegenIdentity('0.2.0', 'cpu', inputs)!.identity);
    expect(codegenIdentity('0.1.0', 'cpu', inputs)!.identity).not.toBe(codegenIdentity('0.1.0', 'cuda', inputs)!.identity);
  });

  it('keeps a few generators side by side, so copies sharing a cache do not evict each other', async () => {
    const dir = freshDir();
    await sourceIndex(dir, '0.1.0', settled('A')).put(query, generated);
    await sourceIndex(dir, '0.1.0', settled('B')).put(query, generated);
    expect(await sourceIndex(dir, '0.1.0', settled('A')).get(query)).toBeDefined();
  });

  it('a file filled by other generators sheds their oldest records first, never going over its 1 MiB limit or losing the current generator\'s', async () => {
    const dir = freshDir();
    const path = join(dir, '.sources.json');
    await sourceIndex(dir, '0.1.0', settled('C')).put(query, generated);
    const real = JSON.parse(readFileSync(path, 'utf8')) as { generators: { identity: string; sources: Record<string, unknown> }[] };
    const [[realKey, realRecord]] = Object.entries(real.generators[0]!.sources) as [[string, Record<string, unknown>]];
    // Three older generators whose records (fillers of another spec, then C's real one) leave the file just under the limit.
    const filler = (g: string, i: number): [string, unknown] => [`cpu|null|{"filler":"${g}${i}"}`, { ...realRecord, specJson: `{"filler":"${g}${i}"}` }];
    const file = { generators: ['A', 'B', 'C'].map((identity) => ({ identity, sources: {} as Record<string, unknown> })) };
    const LIMIT = 1 << 20;
    const size = () => Buffer.byteLength(JSON.stringify(file));
    for (let i = 0; size() < LIMIT - 2_000; i++) for (const g of file.generators) Object.assign(g.sources, Object.fromEntries([filler(g.identity, i)]));
    file.generators[2]!.sources[realKey] = realRecord;
    expect(size()).toBeLessThan(LIMIT);
    writeFileSync(path, JSON.stringify(file));
    // A fourth generator adds a few records: together over the limit.
    const d = sourceIndex(dir, '0.1.0', settled('D'));
    const others = [5, 7, 9, 11].map((k) => normalizeSpec({ kernelSize: k }));
    for (const o of others) await d.put({ ...query, specJson: canonicalJson(o), symbol: symbolOf(o, 'cpu') }, generateCpu(o));
    await d.put(query, generated);
    expect(readFileSync(path).length).toBeLessThanOrEqual(LIMIT);
    const after = JSON.parse(readFileSync(path, 'utf8')) as typeof file;
    expect(after.generators.map((g) => g.identity)).toEqual(['A', 'B', 'C', 'D']);
    // The current generator keeps every record; only the oldest generator's oldest records went.
    expect(await d.get(query)).toBeDefined();
    for (const o of others) expect(await d.get({ ...query, specJson: canonicalJson(o), symbol: symbolOf(o, 'cpu') })).toBeDefined();
    expect(await sourceIndex(dir, '0.1.0', settled('C')).get(query)).toBeDefined();
    const a = Object.keys(after.generators[0]!.sources);
    expect(a.length).toBeLessThan(Object.keys(file.generators[0]!.sources).length);
    expect(a[0]).not.toBe(filler('A', 0)[0]);
    expect(a.at(-1)).toBe(Object.keys(file.generators[0]!.sources).at(-1));
    expect(Object.keys(after.generators[1]!.sources)).toEqual(Object.keys(file.generators[1]!.sources));
  });

  it('writes nothing while the generator files are too fresh to trust (changed around the process start)', async () => {
    const dir = freshDir();
    await sourceIndex(dir, '0.1.0', () => ({ identity: 'A', newestChangeMs: Date.now() })).put(query, generated);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('another spec, target or variant is another record', async () => {
    const dir = freshDir();
    const index = sourceIndex(dir, '0.1.0', settled('A'));
    await index.put(query, generated);
    const other = normalizeSpec({ kernelSize: 5 });
    expect(await index.get({ ...query, specJson: canonicalJson(other), symbol: symbolOf(other, 'cpu') })).toBeUndefined();
    expect(await index.get({ ...query, target: 'cuda', symbol: symbolOf(spec, 'cuda') })).toBeUndefined();
    expect(await index.get({ ...query, variant: { family: 'direct' } })).toBeUndefined();
  });

  it('never takes a symbol, spec or malformed sha256 from a record: such records are no records', async () => {
    const dir = freshDir();
    const index = sourceIndex(dir, '0.1.0', settled('A'));
    await index.put(query, generated);
    const path = join(dir, '.sources.json');
    const good = readFileSync(path, 'utf8');
    const edit = (f: (r: Record<string, unknown>) => void) => {
      const file = JSON.parse(good) as { generators: { sources: Record<string, Record<string, unknown>> }[] };
      for (const r of Object.values(file.generators[0]!.sources)) f(r);
      writeFileSync(path, JSON.stringify(file));
    };
    edit((r) => { r.sourceSha256 = 'not a sha'; });
    expect(await index.get(query)).toBeUndefined();
    edit((r) => { r.symbol = 'dwconv_cpu_other'; });
    expect(await index.get(query)).toBeUndefined();
    edit((r) => { r.variant = { x: [] }; });
    expect(await index.get(query)).toBeUndefined();
    // A CUDA source is never summarized here (its plan and units are code): a record that says so is forged.
    edit((r) => { r.language = 'cuda'; });
    expect(await index.get(query)).toBeUndefined();
    writeFileSync(path, '[1, 2');
    expect(await index.get(query)).toBeUndefined();
    writeFileSync(path, good);
    expect(await index.get(query)).toBeDefined();
  });

  it('does not summarize a source with a launch plan (the CUDA target): those are generated every time', async () => {
    const dir = freshDir();
    await sourceIndex(dir, '0.1.0', settled('A')).put(query, { ...generated, plan: {} as never });
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('the generator identity', () => {
  it.each([['cpu', 'codegen/cpu.ts'], ['cuda', 'codegen/cuda.ts']] as const)('lists every module the %s generator runs: its backend and the import closure of %s', (target, entry) => {
    const closure = new Set<string>([`backends/${target}`]);
    const walk = (file: string) => {
      const rel = relative(src, file).replace(/\.ts$/, '');
      if (closure.has(rel)) return;
      closure.add(rel);
      for (const m of readFileSync(file, 'utf8').matchAll(/^(?:import|export)\s(?!type\s)[^'"]*?from\s+'(\.[^']+)'/gm)) {
        walk(resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts')));
      }
    };
    walk(join(src, entry));
    expect([...GENERATOR_MODULES[target]].sort()).toEqual([...closure].sort());
    // The backend hands the spec to that module's generator and to nothing else.
    expect(readFileSync(join(src, `backends/${target}.ts`), 'utf8')).toMatch(new RegExp(`generate: \\([^)]*\\) => generate${target === 'cpu' ? 'Cpu' : 'Cuda'}\\(`));
  });

  it("names every template of the target's folder and the template engine, and changes when one of them does", () => {
    const inputs = codegenInputs('cpu');
    expect(inputs.filter((p) => p.endsWith('.hbs')).map((p) => relative(fileURLToPath(new URL('../../templates/', import.meta.url)), p)).sort())
      .toEqual(readdirSync(fileURLToPath(new URL('../../templates/cpu/', import.meta.url))).filter((f) => f.endsWith('.hbs')).map((f) => `cpu/${f}`).sort());
    expect(inputs.at(-1)).toMatch(/node_modules\/handlebars\/package\.json$/);
    const before = codegenIdentity('0.1.0', 'cpu', () => inputs)!;
    const copy = join(freshDir(), 'copy.hbs');
    writeFileSync(copy, readFileSync(inputs.find((p) => p.endsWith('.hbs'))!));
    expect(codegenIdentity('0.1.0', 'cpu', () => [...inputs.slice(0, -2), copy, inputs.at(-1)!])!.identity).not.toBe(before.identity);
    expect(codegenIdentity('0.1.0', 'cpu', () => [join(freshDir(), 'missing.hbs')])).toBeUndefined();
  });
});
