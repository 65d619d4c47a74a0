import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { CompileUnit } from '../../src/codegen/common.js';
import { generate } from '../../src/codegen/generate.js';
import { compileNvrtc } from '../../src/compiler/compilers.js';
import { unpackCubins, type EarlyCubins } from '../../src/compiler/cubin-set.js';
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
    const out = await compileNvrtc(nvrtc, 'whole', [], mkdtempSync(join(tmpdir(), 'dwconv-order-')), { units: () => units });
    expect(asked).toEqual(['C', 'B', 'D', 'A']);
    const images = unpackCubins(readFileSync(out.artifactPath), out.artifactPath);
    expect(images.map((i) => [i.entries, i.image.toString()])).toEqual(units.map((u) => [u.entries, u.source]));
  });

  it('the reference spec\'s any-width ring, its slowest program, starts first', async () => {
    const g = generate(normalizeSpec({ kernelSize: 3, padding: 1 }), 'cuda');
    const { nvrtc, asked } = recordingNvrtc();
    await compileNvrtc(nvrtc, g.source, [], mkdtempSync(join(tmpdir(), 'dwconv-order-')), { units: g.units });
    const first = g.units!().find((u) => u.source === asked[0])!;
    expect(first.entries.map((n) => n.slice(g.symbol.length))).toEqual(['_ring_any']);
    expect(asked).toHaveLength(6);
  });
});

describe('NVRTC programs that compile later (CompileUnit.later)', () => {
  /** An NVRTC whose program `later` compiles only when the test opens its gate; the others at once. */
  function gatedNvrtc(later: string) {
    const asked: string[] = [];
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const nvrtc = {
      version: '13.0',
      compile: async (source: string) => {
        asked.push(source);
        if (source === later) await gate;
        return { cubin: Buffer.from(source), log: '', milliseconds: 0 };
      },
    } as unknown as Nvrtc;
    return { nvrtc, asked, open: () => open() };
  }
  const units: CompileUnit[] = [
    { entries: ['a'], source: 'A', weight: 1 }, { entries: ['r'], source: 'R', weight: 1.6, later: true }, { entries: ['b'], source: 'B', weight: 1 },
  ];

  it('start after the others; onEarly hears the others\' cubins before the later ones are done; the artifact holds all, in the units\' order', async () => {
    const { nvrtc, asked, open } = gatedNvrtc('R');
    const heard: EarlyCubins[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'dwconv-later-'));
    const done = compileNvrtc(nvrtc, 'whole', [], dir, { units: () => units, onEarly: (e) => heard.push(e) });
    await vi.waitFor(() => expect(heard).toHaveLength(1));
    expect(asked).toEqual(['A', 'B', 'R']);
    expect(heard[0]!.cubins.map((c) => [c.entries, c.cubin.toString()])).toEqual([[['a'], 'A'], [['b'], 'B']]);
    expect(heard[0]!.laterEntries).toEqual(['r']);
    expect(existsSync(join(dir, 'kernel.cubin')), 'nothing written before the later programs are done').toBe(false);
    open();
    expect((await heard[0]!.later).map((c) => [c.entries, c.cubin.toString()])).toEqual([[['r'], 'R']]);
    const out = await done;
    expect(unpackCubins(readFileSync(out.artifactPath), out.artifactPath).map((i) => [i.entries, i.image.toString()])).toEqual(units.map((u) => [u.entries, u.source]));
  });

  it('without onEarly, they start heaviest first like any other and nothing is heard early', async () => {
    const { nvrtc, asked, open } = gatedNvrtc('none');
    open();
    await compileNvrtc(nvrtc, 'whole', [], mkdtempSync(join(tmpdir(), 'dwconv-later-')), { units: () => units });
    expect(asked).toEqual(['R', 'A', 'B']);
  });

  it('an abort before the first cubins are ready stops the compile (nothing heard, nothing written); one after it lets the rest complete', async () => {
    // A first program still compiling when the signal aborts.
    const before = gatedNvrtc('A');
    const aborted = new AbortController();
    const heard: EarlyCubins[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'dwconv-later-'));
    const stopped = compileNvrtc(before.nvrtc, 'whole', [], dir, { units: () => units, signal: aborted.signal, onEarly: (e) => heard.push(e) });
    await vi.waitFor(() => expect(before.asked).toHaveLength(3));
    aborted.abort();
    before.open();
    await expect(stopped).rejects.toMatchObject({ code: 'ERR_DWCONV_ABORTED' });
    expect(heard).toHaveLength(0);
    expect(existsSync(join(dir, 'kernel.cubin'))).toBe(false);

    const after = gatedNvrtc('R');
    const later = new AbortController();
    const laterDir = mkdtempSync(join(tmpdir(), 'dwconv-later-'));
    const done = compileNvrtc(after.nvrtc, 'whole', [], laterDir, { units: () => units, signal: later.signal, onEarly: () => later.abort() });
    await vi.waitFor(() => expect(later.signal.aborted).toBe(true));
    after.open();
    const out = await done;
    expect(unpackCubins(readFileSync(out.artifactPath), out.artifactPath)).toHaveLength(3);
  });
});
