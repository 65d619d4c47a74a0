// Runs a generated CUDA source's device code on the host emulator of test/fixtures/device-emu: g++
// compiles it (the block's threads as fibers switching at barriers and shuffles, shared memory
// starting as NaN), and every output of each launch is checked against float64 there: the
// toolchain tests' check of kernels' values where no GPU is present (the rings, whose outputs depend
// on several threads' shared-memory work; the tiled kernel's stride and dilation arithmetic).
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { expect } from 'vitest';
import { templateContext } from '../../src/codegen/common.js';
import { generate } from '../../src/codegen/generate.js';
import { render } from '../../src/codegen/templates.js';
import type { CudaVariant } from '../../src/codegen/variant.js';
import { DTYPE_BYTES } from '../../src/dtype.js';
import { chooseEntry } from '../../src/plan/choose.js';
import { writeTileGrid } from '../../src/runtime/tile-grid.js';
import { normalizeSpec, type KernelSpec, type SpecInput } from '../../src/spec.js';

const KIND = { float32: 0, float16: 1, bfloat16: 2 } as const;

/** One launch: [N, C, H, W], x's and y's offsets in elements from a 256-byte boundary, the lane order (0 forward, 1 reverse, 2 shuffled). */
export interface EmuShape {
  readonly shape: [number, number, number, number];
  readonly xOff: number;
  readonly yOff: number;
  readonly order: number;
}

/** Copies the emulator's headers into `dir` (once per directory). */
export function prepareEmu(dir: string): void {
  for (const f of ['device-emu/emu.h', 'device-emu/dtype.h', 'device-emu/words.h', 'device-emu/driver.h', 'host-builtins.h']) copyFileSync(new URL(`../fixtures/${f}`, import.meta.url), join(dir, basename(f)));
}

/** Whether a shape has an output for the spec's window (others are refused, not launched). */
export function hasOutput(spec: KernelSpec, [, , H, W]: readonly [number, number, number, number]): boolean {
  const [kh, kw] = spec.kernelSize;
  const [dh, dw] = spec.dilation;
  return H + spec.padding[0] + spec.padding[1] >= (kh - 1) * dh + 1 && W + spec.padding[2] + spec.padding[3] >= (kw - 1) * dw + 1;
}

/**
 * Compiles the spec's source (with `variant`) for the emulator in `dir` as unit `name`, runs each
 * shape on the entry the plan chooses (`checkEntry` is given its scope), and expects every output within
 * tolerance of float64, every load inside its operand and aligned.
 */
export function runOnEmu(cxx: string, dir: string, name: string, spec: KernelSpec, variant: CudaVariant | undefined, shapes: readonly EmuShape[], checkEntry: (scope: string, shape: EmuShape) => void): void {
  const g = generate(spec, 'cuda', variant);
  const plan = g.plan!;
  const ctx = templateContext(spec, 'cuda');
  const dtype = render('cuda/dtype.hbs', ctx);
  expect(g.source, 'the dtype helpers as the source holds them').toContain(dtype);
  const words = render('cuda/words.hbs', ctx);
  let device = g.source.replace(dtype, `#define STORAGE_KIND ${KIND[spec.dtype]}\n#define OUT_KIND ${KIND[ctx.outputDtype]}\n#include "dtype.h"\n`);
  // The raw vector accesses (inline PTX): the emulator's checked stand-ins instead.
  if (device.includes(words)) device = device.replace(words, '#include "words.h"\n');
  const kernels = plan.entries.map((e) => `${e.scope}::${e.name}`);
  const unit = [
    ...(spec.layout === 'NHWC' ? ['#define EMU_NHWC 1'] : []), '#include "emu.h"', device,
    'typedef void (*Kernel)(const storage_t*, const storage_t*, const EpiArgs, out_t*, int, int, int, int, int, TileGrid);',
    `const Kernel kernels[] = {${kernels.join(', ')}};`, '#include "driver.h"', '',
  ].join('\n');
  const src = join(dir, `${name}.cpp`), exe = join(dir, name);
  writeFileSync(src, unit);
  execFileSync(cxx, ['-std=c++17', '-O1', '-w', '-D__CUDACC_RTC__', '-fsanitize=alignment', '-fno-sanitize-recover=all', '-o', exe, src], { cwd: dir });
  const bytes = DTYPE_BYTES[spec.dtype], outBytes = DTYPE_BYTES[ctx.outputDtype];
  const lines = shapes.map((s, k) => {
    const [N, C, H, W] = s.shape;
    const x = 256n * 4096n + BigInt(s.xOff * bytes), y = 256n * 16384n + BigInt(s.yOff * outBytes), a = 1024n;
    const chosen = chooseEntry(plan, { pointers: { x, w: a, b: a, scale: a, shift: a, r: a, pw: a, pb: a, y }, N, C, H, W, multiprocessors: 132 })!;
    checkEntry(chosen.entry.scope, s);
    const view = new DataView(new ArrayBuffer(64));
    writeTileGrid(view, 0, chosen.grid.tilesW, chosen.grid.tilesH, chosen.grid.channels, chosen.grid.images);
    const hex = Buffer.from(view.buffer).toString('hex');
    return [plan.entries.indexOf(chosen.entry), N, C, H, W, chosen.Ho, chosen.Wo, ...chosen.blocks, chosen.threads, chosen.sharedBytes, chosen.entry.tilesPerBlock, s.xOff * bytes, s.yOff * outBytes, s.order, 11 + k, hex].join(' ');
  });
  const output = execFileSync(exe, { input: lines.join('\n') + '\n', maxBuffer: 64 << 20 }).toString();
  const results = output.split('\n').filter((l) => l.startsWith('R '));
  expect(results, `${g.symbol}: ${output.slice(0, 2000)}`).toHaveLength(shapes.length);
  for (const [k, r] of results.entries()) {
    const [, outputs, bad, , errors] = r.split(' ');
    const s = shapes[k]!;
    const label = `${g.symbol} ${s.shape.join('x')} x+${s.xOff} y+${s.yOff} order ${s.order}`;
    expect(Number(outputs), label).toBeGreaterThan(0);
    expect({ label, bad: Number(bad), errors: Number(errors) }, output.split('\n').filter((l) => /^[EM] /.test(l)).slice(0, 6).join('\n')).toEqual({ label, bad: 0, errors: 0 });
  }
}

/**
 * Every spec on every shape it has an output for (others are refused, not launched), once for each of
 * its variants, in a fresh folder: runOnEmu, with the plan expected to choose an entry of `scope`.
 */
export function runEmuMatrix(cxx: string, specs: readonly SpecInput[], shapes: readonly EmuShape[], variants: (spec: KernelSpec) => readonly CudaVariant[], scope: string): void {
  const dir = mkdtempSync(join(tmpdir(), 'dwconv-emu-'));
  try {
    prepareEmu(dir);
    for (const [i, input] of specs.entries()) {
      const spec = normalizeSpec(input);
      const fit = shapes.filter(({ shape }) => hasOutput(spec, shape));
      for (const [k, variant] of variants(spec).entries()) {
        runOnEmu(cxx, dir, `emu${i}_${k}`, spec, variant, fit, (chosen, s) => expect(chosen, `${JSON.stringify(input)} ${JSON.stringify(variant)} ${s.shape.join('x')}`).toBe(scope));
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
