import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/compile.js';
import { hasCxx } from '../helpers/requirements.js';

const child = fileURLToPath(new URL('../fixtures/compile-and-check.ts', import.meta.url));
const entries = (dir: string) => readdirSync(dir).filter((n) => /^[0-9a-f]{64}$/.test(n));

interface ChildResult { origin: string; key: string; failures: number; checked: number }
const runChild = async (spec: object, root: string, seed: number) =>
  JSON.parse((await execa(process.execPath, ['--import', 'tsx', child, JSON.stringify(spec), root, String(seed)])).stdout) as ChildResult;

describe.skipIf(!hasCxx)('concurrency (needs a C++ compiler)', () => {
  it('100 concurrent compile() calls of one spec share one compile and leave the event loop free', async () => {
    const cacheDir = join(mkdtempSync(join(tmpdir(), 'dwconv-100-')), 'cache');
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    const kernels = await Promise.all(Array.from({ length: 100 }, () => compile({ kernelSize: 5, bias: true }, { target: 'cpu', cacheDir })));
    clearInterval(timer);
    expect(kernels.filter((k) => k.provenance.origin === 'compiled')).toHaveLength(1);
    expect(kernels.filter((k) => k.provenance.origin === 'memory')).toHaveLength(99);
    expect(ticks).toBeGreaterThan(5); // the compiler ran as a child process; timers kept firing meanwhile
    expect(entries(cacheDir)).toHaveLength(1);
  });

  it('16 processes on one key and 16 on different keys, into one empty cache, twice: all correct, exactly the valid entries, no leftovers', async () => {
    for (const round of [0, 1]) {
      const root = join(mkdtempSync(join(tmpdir(), `dwconv-16-${round}-`)), 'cache');
      const same = { kernelSize: 3, padding: 1, dtype: 'float16' };
      const different = Array.from({ length: 16 }, (_, i) => ({ kernelSize: [1 + (i % 4), 1 + (i >> 2)], bias: round === 1 }));
      const results = await Promise.all([
        ...Array.from({ length: 16 }, (_, i) => runChild(same, root, i)),
        ...different.map((spec, i) => runChild(spec, root, 100 + i)),
      ]);
      for (const r of results) expect(r).toMatchObject({ failures: 0 });
      expect(results.slice(0, 16).filter((r) => r.origin === 'compiled')).toHaveLength(1);
      expect(new Set(results.map((r) => r.key)).size).toBe(17);
      expect(entries(root).sort()).toEqual([...new Set(results.map((r) => r.key))].sort());
      expect(readdirSync(join(root, '.tmp'))).toEqual([]);
      expect(readdirSync(join(root, '.locks'))).toEqual([]);
    }
  });
});
