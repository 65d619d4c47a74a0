// The any-width ring's device code as generated, run without a GPU: g++ compiles it with the host
// emulator of test/fixtures/device-emu (a block's threads as fibers switching at barriers and
// shuffles, lanes in forward, reverse or shuffled order between them, shared memory starting as NaN)
// and every output of each launch is checked against float64, on rows of every width residue, part-
// filled and tail strips, tensors of odd size ending inside a 32-bit word, x and y off their natural
// alignment by one element. Every global load must lie inside its operand (nothing past the tensor's
// ends) and be aligned to its size; a misaligned vector store fails -fsanitize=alignment.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { templateContext } from '../../src/codegen/common.js';
import { generate } from '../../src/codegen/generate.js';
import { render } from '../../src/codegen/templates.js';
import { DTYPE_BYTES } from '../../src/dtype.js';
import { chooseEntry } from '../../src/plan/choose.js';
import { writeTileGrid } from '../../src/runtime/tile-grid.js';
import { normalizeSpec, type SpecInput } from '../../src/spec.js';
import { cxxPath, hasCxx } from '../helpers/requirements.js';

const KIND = { float32: 0, float16: 1, bfloat16: 2 } as const;

/** The lab's windows in every dtype, and one with a channel multiplier, a float32 output and an uneven window. */
const SPECS: SpecInput[] = [
  { kernelSize: 3 },
  { kernelSize: 3, dtype: 'float16' },
  { kernelSize: 3, dtype: 'bfloat16' },
  { kernelSize: 7, padding: 3 },
  { kernelSize: 7, padding: 3, dtype: 'float16' },
  { kernelSize: 7, padding: 3, dtype: 'bfloat16' },
  { kernelSize: [3, 5], padding: [1, 0, 2, 1], dtype: 'float16', channelMultiplier: 2, outputDtype: 'float32' },
];

/**
 * [N, C, H, W], x's and y's offsets in elements, the lane order: one strip part-filled, whole, with
 * a tail (Wo % 512 <= 32) or a second part-filled strip; 16- and 64-row segments, partial steps.
 */
const SHAPES: { shape: [number, number, number, number]; xOff: number; yOff: number; order: number }[] = [
  { shape: [1, 3, 41, 509], xOff: 0, yOff: 0, order: 0 },
  { shape: [1, 3, 41, 509], xOff: 1, yOff: 1, order: 2 },
  { shape: [1, 1, 9, 510], xOff: 0, yOff: 0, order: 1 },
  { shape: [1, 1, 9, 511], xOff: 3, yOff: 0, order: 0 },
  { shape: [1, 2, 7, 512], xOff: 1, yOff: 0, order: 0 },
  { shape: [1, 1, 18, 513], xOff: 0, yOff: 1, order: 2 },
  { shape: [1, 1, 7, 514], xOff: 0, yOff: 0, order: 0 },
  { shape: [1, 1, 7, 515], xOff: 1, yOff: 0, order: 1 },
  { shape: [1, 1, 70, 516], xOff: 0, yOff: 0, order: 0 },
  { shape: [2, 1, 5, 600], xOff: 0, yOff: 0, order: 0 },
  { shape: [1, 1, 6, 1030], xOff: 1, yOff: 1, order: 2 },
  { shape: [1, 1, 3, 2051], xOff: 0, yOff: 0, order: 0 },
  { shape: [1, 3, 11, 37], xOff: 1, yOff: 0, order: 2 },
  // Planes smaller than a window row's span (pinned, the ring takes them too): rows read far past W.
  { shape: [1, 16, 5, 11], xOff: 1, yOff: 1, order: 1 },
  { shape: [2, 3, 17, 29], xOff: 0, yOff: 0, order: 2 },
  { shape: [1, 3, 2, 3], xOff: 1, yOff: 0, order: 0 },
];


describe.skipIf(!hasCxx)('the any-width ring on the host emulator', () => {
  it('computes every output of every width, alignment and lane order, reading only inside its operands', () => {
    const cxx = cxxPath!;
    const dir = mkdtempSync(join(tmpdir(), 'dwconv-ring-any-emu-'));
    try {
      for (const f of ['device-emu/emu.h', 'device-emu/dtype.h', 'device-emu/driver.h', 'host-builtins.h']) copyFileSync(new URL(`../fixtures/${f}`, import.meta.url), join(dir, basename(f)));
      for (const [i, input] of SPECS.entries()) {
        const spec = normalizeSpec(input);
        const g = generate(spec, 'cuda', { kernel: 'ringAny', tileH: 4 });
        const plan = g.plan!;
        const ctx = templateContext(spec, 'cuda');
        const dtype = render('cuda/dtype.hbs', ctx);
        expect(g.source, 'the dtype helpers as the source holds them').toContain(dtype);
        const device = g.source.replace(dtype, `#define STORAGE_KIND ${KIND[spec.dtype]}\n#define OUT_KIND ${KIND[ctx.outputDtype]}\n#include "dtype.h"\n`);
        const kernels = plan.entries.map((e) => `${e.scope}::${e.name}`);
        const unit = [
          '#include "emu.h"', device,
          'typedef void (*Kernel)(const storage_t*, const storage_t*, const EpiArgs, out_t*, int, int, int, int, int, TileGrid);',
          `const Kernel kernels[] = {${kernels.join(', ')}};`, '#include "driver.h"', '',
        ].join('\n');
        const src = join(dir, `emu${i}.cpp`), exe = join(dir, `emu${i}`);
        writeFileSync(src, unit);
        execFileSync(cxx, ['-std=c++17', '-O1', '-w', '-D__CUDACC_RTC__', '-fsanitize=alignment', '-fno-sanitize-recover=all', '-o', exe, src], { cwd: dir });
        const bytes = DTYPE_BYTES[spec.dtype], outBytes = DTYPE_BYTES[ctx.outputDtype];
        // Shapes with no output for this window (3x3 unpadded on 2 rows) are refused, not launched.
        const shapes = SHAPES.filter(({ shape: [, , H, W] }) => H + spec.padding[0] + spec.padding[1] >= spec.kernelSize[0] && W + spec.padding[2] + spec.padding[3] >= spec.kernelSize[1]);
        const lines = shapes.map(({ shape: [N, C, H, W], xOff, yOff, order }, k) => {
          const x = 256n * 4096n + BigInt(xOff * bytes), y = 256n * 16384n + BigInt(yOff * outBytes), a = 1024n;
          const chosen = chooseEntry(plan, { pointers: { x, w: a, b: a, scale: a, shift: a, r: a, pw: a, pb: a, y }, N, C, H, W, multiprocessors: 132 })!;
          expect(chosen.entry.scope, `${g.symbol} ${W}`).toBe('ring_any');
          const view = new DataView(new ArrayBuffer(64));
          writeTileGrid(view, 0, chosen.grid.tilesW, chosen.grid.tilesH, chosen.grid.channels, chosen.grid.images);
          const hex = Buffer.from(view.buffer).toString('hex');
          return [plan.entries.indexOf(chosen.entry), N, C, H, W, chosen.Ho, chosen.Wo, ...chosen.blocks, chosen.threads, chosen.sharedBytes, chosen.entry.tilesPerBlock, xOff * bytes, yOff * outBytes, order, 11 + k, hex].join(' ');
        });
        const output = execFileSync(exe, { input: lines.join('\n') + '\n', maxBuffer: 64 << 20 }).toString();
        const results = output.split('\n').filter((l) => l.startsWith('R '));
        expect(results, `${g.symbol}: ${output.slice(0, 2000)}`).toHaveLength(shapes.length);
        for (const [k, r] of results.entries()) {
          const [, outputs, bad, , errors] = r.split(' ');
          const label = `${g.symbol} ${shapes[k]!.shape.join('x')} x+${shapes[k]!.xOff} y+${shapes[k]!.yOff} order ${shapes[k]!.order}`;
          expect(Number(outputs), label).toBeGreaterThan(0);
          expect({ label, bad: Number(bad), errors: Number(errors) }, output.split('\n').filter((l) => /^[EM] /.test(l)).slice(0, 6).join('\n')).toEqual({ label, bad: 0, errors: 0 });
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 900_000);
});
