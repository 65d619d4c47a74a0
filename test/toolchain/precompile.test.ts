import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/compile.js';
import { SpecError } from '../../src/errors.js';
import { embeddedCode } from '../../src/compiler/fatbin.js';
import { embeddedArchs, runsOn } from '../../src/compiler/arch.js';
import { expandManifest, precompile } from '../../src/tools/precompile.js';
import { hasCxx, hasNvcc } from '../helpers/requirements.js';

const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const fresh = (name: string) => join(mkdtempSync(join(tmpdir(), `dwconv-${name}-`)), 'cache');
const entries = (dir: string) => readdirSync(dir).filter((n) => /^[0-9a-f]{64}$/.test(n));

// 3 x 2 x 2 x 2 = 24 configs, plus one that cannot be built.
const GRID_MANIFEST = {
  targets: ['cpu'],
  specs: [{ kernelSize: 40 }],
  grids: [{ kernelSize: [1, 3, 5], stride: [1, 2], dtype: ['float32', 'float16'], bias: [false, true] }],
};

describe('precompile manifests', () => {
  it('expands grids as cross products and checks the structure', () => {
    expect(expandManifest(GRID_MANIFEST).jobs).toHaveLength(25);
    expect(expandManifest({ grids: [{ kernelSize: [3, [3, 5]], dtype: ['float16'] }] }).jobs.map((j) => j.spec)).toEqual([
      { kernelSize: 3, dtype: 'float16' }, { kernelSize: [3, 5], dtype: 'float16' },
    ]);
    for (const [bad, field] of [
      [[], 'manifest'], [{}, 'manifest'], [{ specs: {} }, 'manifest.specs'], [{ grids: [{ kernelSize: [] }] }, 'manifest.grids[0].kernelSize'],
      [{ specs: [{ kernelSize: 3 }], targets: ['tpu'] }, 'manifest.targets'], [{ specs: [{ kernelSize: 3 }], archs: ['sm_9;x'] }, 'arch'],
      [{ specs: [{ kernelSize: 3 }], extra: 1 }, 'manifest.extra'],
    ] as const) {
      let caught: unknown;
      try {
        expandManifest(bad);
      } catch (err) {
        caught = err;
      }
      expect(caught, JSON.stringify(bad)).toBeInstanceOf(SpecError);
      expect((caught as SpecError).field).toBe(field);
    }
  });

  it('knows which GPUs an entry runs on', () => {
    const a = embeddedArchs('sm_80+sm_90+ptx');
    expect(a).toEqual({ sass: ['sm_80', 'sm_90'], ptx: 'compute_90' });
    expect(runsOn(a, 'sm_90')).toBe(true);
    expect(runsOn(a, 'sm_86')).toBe(true); // sm_80 SASS runs on the same major
    expect(runsOn(a, 'sm_100')).toBe(true); // through PTX
    expect(runsOn(a, 'sm_75')).toBe(false);
    expect(runsOn(embeddedArchs('sm_90'), 'sm_100')).toBe(false);
    expect(runsOn(embeddedArchs('sm_90a'), 'sm_90')).toBe(false);
  });
});

describe.skipIf(!hasCxx)('precompile (needs a C++ compiler)', () => {
  it('builds a grid of 24 configs in parallel; one bad config fails alone; a rerun reuses everything', async () => {
    const out = fresh('precompile');
    const seen: string[] = [];
    const first = await precompile(GRID_MANIFEST, { out, jobs: 2, onResult: (r, done, total) => seen.push(`${done}/${total} ${r.status}`) });
    expect(first).toMatchObject({ built: 24, reused: 0, failed: 1 });
    expect(first.results.find((r) => r.status === 'failed')?.error).toMatch(/kernelSize/);
    expect(seen).toHaveLength(25);
    expect(entries(out)).toHaveLength(24);
    const second = await precompile(GRID_MANIFEST, { out, jobs: 2 });
    expect(second).toMatchObject({ built: 0, reused: 24, failed: 1 });
  });

  it('a precompiled directory serves compile() without compiling, and nothing is written to the user cache', async () => {
    const out = fresh('layer');
    await precompile({ targets: ['cpu'], specs: [{ kernelSize: 3, padding: 'same', bias: true }] }, { out });
    const userCache = fresh('user');
    const k = await compile({ kernelSize: 3, padding: 'same', bias: true }, { target: 'cpu', precompiled: [out], cacheDir: userCache });
    expect(k.provenance.origin).toBe('precompiled');
    expect(k.provenance.artifactPath.startsWith(out)).toBe(true);
    const y = await k.run(new Float32Array(9).fill(1), [1, 1, 3, 3], new Float32Array(9).fill(1), Float32Array.of(0.5));
    expect(y[4]).toBe(9.5);
    expect(y[0]).toBe(4.5);
    const other = await compile({ kernelSize: 5 }, { target: 'cpu', precompiled: [out], cacheDir: userCache });
    expect(other.provenance.origin).toBe('compiled');
  });

  it('the CLI prints a summary, --json, and exits 1 when a config failed', async () => {
    const out = fresh('precompile-cli');
    const manifest = join(mkdtempSync(join(tmpdir(), 'dwconv-manifest-')), 'm.json');
    writeFileSync(manifest, JSON.stringify({ targets: ['cpu'], specs: [{ kernelSize: 3 }, { kernelSize: 0 }] }));
    const r = await execa(process.execPath, [cli, 'precompile', manifest, '--out', out, '--json'], { reject: false });
    expect(r.exitCode).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ built: 1, failed: 1, out });
    const bad = await execa(process.execPath, [cli, 'precompile', join(out, 'missing.json'), '--json'], { reject: false });
    expect(bad.exitCode).toBe(2);
  });
});

describe.skipIf(!hasNvcc)('precompile for CUDA without a GPU (needs nvcc)', () => {
  it('embeds SASS for every listed arch plus PTX of the newest in one artifact', async () => {
    const out = fresh('precompile-cuda');
    const r = await precompile({ archs: ['sm_80', 'sm_90'], specs: [{ kernelSize: 3, dtype: 'bfloat16' }] }, { out });
    expect(r).toMatchObject({ built: 1, failed: 0 });
    const meta = (await import(join(out, r.results[0]!.key!, 'meta.json'), { with: { type: 'json' } })).default as { parts: { arch: string; flags: string[] } };
    expect(meta.parts.arch).toBe('sm_80+sm_90+ptx');
    expect(meta.parts.flags).toEqual(expect.arrayContaining(['-gencode=arch=compute_80,code=sm_80', '-gencode=arch=compute_90,code=sm_90', '-gencode=arch=compute_90,code=compute_90']));
    // What the artifact itself embeds, read from its fatbins: the layer lookup trusts this, not meta.json.
    const code = embeddedCode(readFileSync(join(out, r.results[0]!.key!, 'kernel.so')));
    expect(code).toEqual({ sass: ['sm_80', 'sm_90'], ptx: 'compute_90' });
    expect(runsOn(code, 'sm_90') && runsOn(code, 'sm_86') && !runsOn(code, 'sm_75')).toBe(true);
  });
});
