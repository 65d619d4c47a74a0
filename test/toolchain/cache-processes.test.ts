import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { SEED } from '../helpers/property.js';
import { hasCxx } from '../helpers/requirements.js';

const child = fileURLToPath(new URL('../fixtures/compile-and-check.ts', import.meta.url));
const spec = JSON.stringify({ kernelSize: [3, 5], padding: 'same', channelMultiplier: 2, bias: true, dtype: 'float16' });

interface ChildResult { origin: string; key: string; compileMs: number; checked: number; failures: number }

async function runChild(cacheDir: string, seed: number): Promise<ChildResult> {
  const { stdout } = await execa(process.execPath, ['--import', 'tsx', child, spec, cacheDir, String(seed)]);
  return JSON.parse(stdout) as ChildResult;
}

const entries = (root: string) => readdirSync(root).filter((n) => !n.startsWith('.'));

describe.skipIf(!hasCxx)('cache across processes (needs a C++ compiler)', () => {
  const root = join(mkdtempSync(join(tmpdir(), 'dwconv-procs-')), 'cache');

  it('8 processes compiling one spec into an empty cache at once: one compile, one valid entry, all correct', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => runChild(root, SEED + i)));
    expect(new Set(results.map((r) => r.key)).size).toBe(1);
    for (const r of results) expect(r).toMatchObject({ failures: 0 });
    for (const r of results) expect(r.checked).toBeGreaterThan(0);
    expect(results.filter((r) => r.origin === 'compiled')).toHaveLength(1); // the others waited on the compile lock
    expect(results.filter((r) => r.origin === 'disk')).toHaveLength(7);
    expect(entries(root)).toEqual([results[0]!.key]);
    expect(readdirSync(join(root, '.tmp'))).toEqual([]);
  });

  it('a later process reuses the entry without compiling', async () => {
    const r = await runChild(root, SEED + 100);
    expect(r.origin).toBe('disk');
    expect(r.failures).toBe(0);
    console.log(`cache hit in a new process: ${r.compileMs.toFixed(1)} ms from compile() call to loaded kernel`);
  });

  it('a corrupted artifact is detected, rebuilt, and the rebuilt kernel is correct', async () => {
    const [key] = entries(root);
    const artifact = join(root, key!, 'kernel.so');
    const bytes = readFileSync(artifact);
    const middle = bytes.length >> 1;
    bytes[middle] = bytes[middle]! ^ 0xff;
    writeFileSync(artifact, bytes);
    const r = await runChild(root, SEED + 200);
    expect(r.origin).toBe('compiled');
    expect(r.failures).toBe(0);
    expect(entries(root)).toEqual([key]);
    const again = await runChild(root, SEED + 300);
    expect(again.origin).toBe('disk');
  });
});
