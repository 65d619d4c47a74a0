// A cache hit in a new process: the source index (cache/source-index.ts) names the source without
// rendering it, and a hit checked in full is remembered by its files' identities
// (cache/verified-hits.ts). Each test runs fresh processes and reads their NODE_DEBUG trace; every
// kernel served is run and checked against float64.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { SEED } from '../helpers/property.js';
import { hasCxx } from '../helpers/requirements.js';

const child = fileURLToPath(new URL('../fixtures/compile-and-check.ts', import.meta.url));
const SPEC = { kernelSize: 3, padding: 1 };
const OTHER_SPEC = { kernelSize: 5, padding: 2 };

interface ChildResult { origin: string; key: string; failures: number; checked: number; templateEngineLoaded: boolean; trace: string }

async function runChild(cacheDir: string, spec: object = SPEC, env: NodeJS.ProcessEnv = {}): Promise<ChildResult> {
  const r = await execa(process.execPath, ['--import', 'tsx', child, JSON.stringify(spec), cacheDir, String(SEED)], { env: { ...env, NODE_DEBUG: 'dwconv-jit' } });
  return { ...(JSON.parse(r.stdout) as Omit<ChildResult, 'trace'>), trace: r.stderr };
}

/** The CacheError line a child that failed printed (its uncaught error), or the child's output when it did not fail. */
async function failureOf(cacheDir: string): Promise<string> {
  const r = await execa(process.execPath, ['--import', 'tsx', child, JSON.stringify(SPEC), cacheDir, String(SEED)], { env: { NODE_DEBUG: 'dwconv-jit' }, reject: false });
  if (r.exitCode === 0) return `served: ${r.stdout}`;
  return r.stderr.split('\n').find((l) => l.startsWith('CacheError: ')) ?? r.stderr;
}

/** Identities younger than the racy margin (100 ms) are not remembered: let the files settle. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 250));

const entries = (root: string) => readdirSync(root).filter((n) => !n.startsWith('.'));

/** A cache where SPEC was compiled, then hit once (which remembers the hit): the next process is a remembered hit. */
async function warmCache(): Promise<string> {
  const root = join(mkdtempSync(join(tmpdir(), 'dwconv-remembered-')), 'cache');
  expect((await runChild(root)).origin).toBe('compiled');
  await settle();
  expect((await runChild(root)).origin).toBe('disk');
  await settle();
  return root;
}

describe.skipIf(!hasCxx)('a cache hit in a new process (needs a C++ compiler)', () => {
  it('compiles, then checks in full, then serves a remembered hit: no source generated, no template engine loaded', async () => {
    const root = join(mkdtempSync(join(tmpdir(), 'dwconv-remembered-')), 'cache');
    const fill = await runChild(root);
    expect(fill).toMatchObject({ origin: 'compiled', failures: 0, templateEngineLoaded: true });
    expect(fill.trace).toContain('generating source');
    await settle();
    const second = await runChild(root);
    expect(second).toMatchObject({ origin: 'disk', key: fill.key, failures: 0, templateEngineLoaded: false });
    expect(second.trace).toContain('summary lookup: served from disk');
    expect(second.trace).not.toContain('generating source');
    await settle();
    const third = await runChild(root);
    expect(third).toMatchObject({ origin: 'disk', key: fill.key, failures: 0, templateEngineLoaded: false });
    expect(third.trace).toContain('remembered disk hit');
    expect(third.trace).not.toContain('generating source');
    expect(third.checked).toBeGreaterThan(0);
  });

  it('a source index record with a wrong sha256 falls back to generating, serves the right entry and is repaired', async () => {
    const root = await warmCache();
    const indexPath = join(root, '.sources.json');
    const index = JSON.parse(readFileSync(indexPath, 'utf8')) as { generators: { sources: Record<string, { sourceSha256: string }> }[] };
    const [key] = entries(root);
    const realSha = (JSON.parse(readFileSync(join(root, key!, 'meta.json'), 'utf8')) as { parts: { sourceSha256: string } }).parts.sourceSha256;
    for (const g of index.generators) for (const r of Object.values(g.sources)) r.sourceSha256 = 'f'.repeat(64);
    writeFileSync(indexPath, JSON.stringify(index));
    const r = await runChild(root);
    expect(r).toMatchObject({ origin: 'disk', key, failures: 0 });
    expect(r.trace).toContain('generating source');
    expect(entries(root)).toEqual([key]);
    const repaired = JSON.parse(readFileSync(indexPath, 'utf8')) as typeof index;
    expect(repaired.generators.flatMap((g) => Object.values(g.sources)).map((s) => s.sourceSha256)).toContain(realSha);
  });

  it('a record naming another spec\'s source is refused without removing that sound entry', async () => {
    const root = await warmCache();
    const other = await runChild(root, OTHER_SPEC);
    expect(other.origin).toBe('compiled');
    const otherSha = (JSON.parse(readFileSync(join(root, other.key, 'meta.json'), 'utf8')) as { parts: { sourceSha256: string } }).parts.sourceSha256;
    const indexPath = join(root, '.sources.json');
    const index = JSON.parse(readFileSync(indexPath, 'utf8')) as { generators: { sources: Record<string, { sourceSha256: string; specJson: string }> }[] };
    for (const g of index.generators) for (const r of Object.values(g.sources)) if (!r.specJson.includes('"kernelSize":[5,5]')) r.sourceSha256 = otherSha;
    writeFileSync(indexPath, JSON.stringify(index));
    const r = await runChild(root);
    expect(r).toMatchObject({ origin: 'disk', failures: 0 });
    expect(r.key).not.toBe(other.key);
    expect(r.trace).toContain('left to the full lookup');
    expect(r.trace).toContain('generating source');
    expect(existsSync(join(root, other.key, 'kernel.so'))).toBe(true);
    expect((await runChild(root, OTHER_SPEC)).origin).toBe('disk');
  });

  it('unreadable index files are ignored: the full lookup serves the entry', async () => {
    const root = await warmCache();
    writeFileSync(join(root, '.sources.json'), 'not json');
    writeFileSync(join(root, '.hits.json'), '{"x": 1');
    const r = await runChild(root);
    expect(r).toMatchObject({ origin: 'disk', failures: 0 });
    expect(r.trace).toContain('generating source');
  });

  it('a FIFO at any hint file is no hint: the call finishes and the full lookup serves the entry', async () => {
    const root = await warmCache();
    for (const name of ['.sources.json', '.hits.json', '.toolchains.json']) {
      rmSync(join(root, name));
      execFileSync('mkfifo', [join(root, name)]);
    }
    // A blocking read of a FIFO with no writer never returns: the child would be killed at the timeout.
    const r = await execa(process.execPath, ['--import', 'tsx', child, JSON.stringify(SPEC), root, String(SEED)], { env: { NODE_DEBUG: 'dwconv-jit' }, reject: false, timeout: 20_000 });
    expect(r.timedOut, 'compile() hung on a FIFO').toBe(false);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ origin: 'disk', failures: 0 });
    expect(r.stderr).toContain('generating source');
  }, 60_000);

  it('an artifact changed behind the record, its size and mtime kept, is caught by the full check and rebuilt', async () => {
    const root = await warmCache();
    const [key] = entries(root);
    const artifact = join(root, key!, 'kernel.so');
    const before = statSync(artifact);
    const bytes = readFileSync(artifact);
    bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0xff;
    writeFileSync(artifact, bytes);
    utimesSync(artifact, before.atime, before.mtime); // only the ctime tells: it cannot be set back
    const r = await runChild(root);
    expect(r.trace).toContain('no remembered hit');
    expect(r).toMatchObject({ origin: 'compiled', failures: 0 });
  });

  it('a precompiled layer that appears after the hit was remembered is searched again', async () => {
    const base = mkdtempSync(join(tmpdir(), 'dwconv-remembered-layer-'));
    const layer = join(base, 'layer');
    const root = join(base, 'cache');
    const env = { DWCONV_JIT_PRECOMPILED: layer };
    expect((await runChild(root, SPEC, env)).origin).toBe('compiled');
    await settle();
    expect((await runChild(root, SPEC, env)).origin).toBe('disk');
    await settle();
    expect((await runChild(root, SPEC, env)).trace).toContain('remembered disk hit');
    mkdirSync(layer, { mode: 0o700 });
    const r = await runChild(root, SPEC, env);
    expect(r.trace).toContain('no remembered hit');
    expect(r).toMatchObject({ origin: 'disk', failures: 0 });
    rmSync(base, { recursive: true, force: true });
  });

  it('a template whose file changed (its ctime moved) is a new generator: the source is generated again', async () => {
    const root = await warmCache();
    const template = fileURLToPath(new URL('../../templates/cpu/dwconv.cpp.hbs', import.meta.url));
    const st = statSync(template);
    utimesSync(template, st.atime, st.mtime); // same bytes, same times: only the ctime moves
    const r = await runChild(root);
    expect(r.trace).toContain('generating source');
    expect(r).toMatchObject({ origin: 'disk', failures: 0, templateEngineLoaded: true });
  });

  it('a remembered hit in a root that may not be used is refused with the full lookup\'s CacheError: group-writable, symlinked', async () => {
    // What the full lookup says about such a root, where nothing is remembered.
    const fresh = join(mkdtempSync(join(tmpdir(), 'dwconv-remembered-')), 'cache');
    mkdirSync(fresh, { mode: 0o700 });
    chmodSync(fresh, 0o777);
    const fullPath = await failureOf(fresh);
    expect(fullPath).toMatch(/^CacheError: the cache directory is writable by group or others/);
    const root = await warmCache();
    chmodSync(root, 0o777);
    expect(await failureOf(root)).toBe(fullPath.replace(fresh, root));
    chmodSync(root, 0o700);
    expect((await runChild(root)).trace).toContain('remembered disk hit'); // the record is still good once the root is

    const linkFresh = `${fresh}.link`;
    chmodSync(fresh, 0o700);
    symlinkSync(fresh, linkFresh);
    const fullLink = await failureOf(linkFresh);
    expect(fullLink).toMatch(/^CacheError: the cache path is a symlink/);
    renameSync(root, `${root}.real`);
    symlinkSync(`${root}.real`, root);
    expect(await failureOf(root)).toBe(fullLink.replace(linkFresh, root));
  });
});
