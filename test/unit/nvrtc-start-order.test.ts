import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CompileUnit } from '../../src/codegen/common.js';
import { generate } from '../../src/codegen/generate.js';
import { compileNvrtc } from '../../src/compiler/compilers.js';
import { unpackCubins } from '../../src/compiler/cubin-set.js';
import type { Nvrtc } from '../../src/ffi/nvrtc.js';
import { normalizeSpec } from '../../src/spec.js';

/** An NVRTC that compiles side by side and answers each program with its own text as the "cubin", recording the order it was asked in. */
function recordingNvrtc(): { nvrtc: Nvrtc; asked: string[] } {
  const asked: string[] = [];
  const nvrtc = { version: '13.0', compile: async (source: string) => (asked.push(source), { cubin: Buffer.from(source), log: '', milliseconds: 0 }) };
  return { nvrtc: nvrtc as unknown as Nvrtc, asked };
}

describe('NVRTC programs compiled apart', () => {
  it('start heaviest first, and the cubin set keeps the units\' order', async () => {
    const units: CompileUnit[] = [
      { entries: ['a'], source: 'A', weight: 0.7 }, { entries: ['b'], source: 'B', weight: 1 },
      { entries: ['c'], source: 'C', weight: 1.6 }, { entries: ['d'], source: 'D', weight: 1 },
    ];
    const { nvrtc, asked } = recordingNvrtc();
    const out = await compileNvrtc(nvrtc, 'whole', [], mkdtempSync(join(tmpdir(), 'dwconv-order-')), () => units);
    expect(asked).toEqual(['C', 'B', 'D', 'A']);
    const images = unpackCubins(readFileSync(out.artifactPath), out.artifactPath);
    expect(images.map((i) => [i.entries, i.image.toString()])).toEqual(units.map((u) => [u.entries, u.source]));
  });

  it('the reference spec\'s any-width ring, its slowest program, starts first', async () => {
    const g = generate(normalizeSpec({ kernelSize: 3, padding: 1 }), 'cuda');
    const { nvrtc, asked } = recordingNvrtc();
    await compileNvrtc(nvrtc, g.source, [], mkdtempSync(join(tmpdir(), 'dwconv-order-')), g.units);
    const first = g.units!().find((u) => u.source === asked[0])!;
    expect(first.entries.map((n) => n.slice(g.symbol.length))).toEqual(['_ring_any']);
    expect(asked).toHaveLength(5);
  });
});
