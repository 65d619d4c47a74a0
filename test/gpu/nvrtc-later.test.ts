import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/compile.js';
import { compilesApart } from '../../src/compiler/compilers.js';
import { unpackCubins } from '../../src/compiler/cubin-set.js';
import { generate } from '../../src/codegen/generate.js';
import { readEnvironment } from '../../src/env.js';
import { probeNvrtc } from '../../src/ffi/nvrtc.js';
import { loadCubin } from '../../src/runtime/library.js';
import { normalizeSpec } from '../../src/spec.js';
import { entryFor } from '../helpers/family-parts.js';
import { checkOnShape, SEED } from '../helpers/property.js';
import { gpuReason, hasGpu, hasNvrtc, nvrtcReason } from '../helpers/requirements.js';

/**
 * An NVRTC compile of the reference spec returns before its any-width ring (CompileUnit.later) is
 * compiled. Calls are right before and after it is loaded (float64 reference, fresh random inputs, a
 * NaN poison before each launch), and the cache entry it commits holds every entry point.
 */
const nvrtcFound = probeNvrtc(readEnvironment());
// Before 12.3 NVRTC compiles one program at a time, so a source is one program and nothing comes later.
const apart = nvrtcFound.ok && compilesApart(nvrtcFound.version);

describe.skipIf(!hasGpu || !hasNvrtc || !apart)(`NVRTC programs compiled after the kernel is returned (needs a GPU: ${gpuReason}; libnvrtc: ${nvrtcReason}; from NVRTC 12.3)`, () => {
  const input = { kernelSize: 3, padding: 1 } as const;
  const spec = normalizeSpec(input);
  const g = generate(spec, 'cuda');
  // An odd width (the any-width ring's, once loaded) and an aligned one (the aligned ring's).
  const shapes: [number, number, number, number][] = [[2, 8, 19, 509], [1, 4, 9, 512]];

  it('the reference spec: the ring joins later; every call matches float64 before and after; the entry is whole', async () => {
    expect(entryFor(spec, undefined, shapes[0]!)).toBe(`${g.symbol}_ring_any`);
    const cacheDir = mkdtempSync(join(tmpdir(), 'dwconv-nvrtc-later-'));
    const kernel = await compile(input, { target: 'cuda', compiler: 'nvrtc', cacheDir, precompiled: [] });
    expect(kernel.provenance.origin).toBe('compiled');
    expect(kernel.provenance.compiledLater).toEqual([`${g.symbol}_ring_any`]);
    const check = (when: string) => {
      for (const shape of shapes) {
        const r = checkOnShape(kernel, shape, SEED);
        expect(r.failures, `${when}, ${shape.join('x')}, seed ${SEED}: ${JSON.stringify(r.firstFailures)}`).toBe(0);
        expect(r.checked).toBeGreaterThan(0);
      }
    };
    check('before the ring is loaded (or as it loads)');
    await kernel.whenComplete();
    check('after');
    const path = kernel.provenance.artifactPath;
    const images = unpackCubins(readFileSync(path), path);
    expect(images.flatMap((i) => i.entries ?? []).sort()).toEqual([...new Set(g.plan!.entries.map((e) => e.name))].sort());
    // The committed set loads whole, as a later process's hit does.
    const env = readEnvironment();
    expect(() => loadCubin(path, env, g.plan!, spec, g.symbol, 'test', kernel.deviceIndex!)).not.toThrow();
  });

  it('a second compile() in the process is the same kernel, complete once the first is', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'dwconv-nvrtc-later-'));
    const first = await compile(input, { target: 'cuda', compiler: 'nvrtc', cacheDir, precompiled: [] });
    const second = await compile(input, { target: 'cuda', compiler: 'nvrtc', cacheDir, precompiled: [] });
    expect(second.provenance.origin).toBe('memory');
    await Promise.all([first.whenComplete(), second.whenComplete()]);
    const r = checkOnShape(second, shapes[0]!, SEED);
    expect(r.failures, `seed ${SEED}: ${JSON.stringify(r.firstFailures)}`).toBe(0);
  });
});
