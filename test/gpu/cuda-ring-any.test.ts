import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileWhole } from '../helpers/compile-whole.js';
import type { CudaVariant } from '../../src/codegen/variant.js';
import { normalizeSpec, type SpecInput } from '../../src/spec.js';
import { entryFor } from '../helpers/family-parts.js';
import { checkOnShape, SEED } from '../helpers/property.js';
import { gpuReason, hasGpu } from '../helpers/requirements.js';

/**
 * The any-width ring, pinned (so it takes every call), on the calls default launchers
 * would give it (rows not whole 16-byte vectors, Wo filling enough of its strips): every dtype, 3x3 unpadded and 7x7 'same', odd and even widths of
 * every residue, a tail (Wo % 512 <= 32) and a part-filled second strip, 16- and 64-row segments cut
 * short, 16-bit tensors of odd size (ending inside a 32-bit word), every epilogue operand, a channel
 * multiplier and an output cast; with both compilers (the nvcc build runs the C++ launcher), each
 * checked against float64 on fresh random inputs after a NaN poison of the output.
 */
const cases: [SpecInput, [number, number, number, number]][] = [
  [{ kernelSize: 3 }, [2, 3, 41, 509]],
  [{ kernelSize: 3 }, [1, 2, 70, 1030]],
  [{ kernelSize: 3, dtype: 'float16' }, [1, 3, 41, 509]],
  [{ kernelSize: 3, dtype: 'float16' }, [1, 2, 35, 515]],
  [{ kernelSize: 3, dtype: 'bfloat16' }, [1, 3, 41, 511]],
  [{ kernelSize: 3, dtype: 'bfloat16' }, [1, 1, 20, 2050]],
  [{ kernelSize: 7, padding: 3 }, [1, 2, 70, 515]],
  [{ kernelSize: 7, padding: 3 }, [1, 3, 41, 601]],
  [{ kernelSize: 7, padding: 3, dtype: 'float16' }, [1, 3, 41, 509]],
  [{ kernelSize: 7, padding: 3, dtype: 'float16' }, [1, 1, 67, 2049]],
  [{ kernelSize: 7, padding: 3, dtype: 'bfloat16' }, [1, 3, 41, 1023]],
  [{ kernelSize: 3, padding: 1, dtype: 'float16', bias: true, batchNorm: true, activation: 'relu6', residual: true }, [1, 2, 20, 514]],
  [{ kernelSize: [3, 5], padding: [1, 0, 2, 1], dtype: 'float16', outputDtype: 'float32', channelMultiplier: 2 }, [1, 2, 30, 777]],
  [{ kernelSize: 5, padding: 2, bias: true, residual: 'after-activation', activation: 'silu' }, [1, 2, 66, 530]],
];

describe.skipIf(!hasGpu)(`CUDA any-width row ring (needs a GPU: ${gpuReason})`, () => {
  const variant: CudaVariant = { kernel: 'ringAny', tileH: 4 };
  it.each(cases)('%j on %j: the any-width ring matches float64 with nvcc and NVRTC', async (input, shape) => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'dwconv-ring-any-'));
    expect(entryFor(normalizeSpec(input), variant, shape)).toMatch(/_ring_any$/);
    for (const compiler of ['nvrtc', 'nvcc'] as const) {
      const kernel = await compileWhole(input, { cacheDir, compiler, variant });
      const r = checkOnShape(kernel, shape, SEED);
      expect(r.failures, `${compiler} seed ${SEED}: ${JSON.stringify(r.firstFailures)}`).toBe(0);
      expect(r.checked).toBeGreaterThan(0);
    }
  });

  // Default sources: the aligned ring yields rows whose last strip would hold 1-32 columns, and windows
  // over 9 taps try the any-width ring before the tiled kernel; each call checked on the entry it takes.
  const routed: [SpecInput, [number, number, number, number], RegExp][] = [
    [{ kernelSize: 7, padding: 3 }, [1, 2, 70, 516], /_ring_any$/],
    [{ kernelSize: 7, padding: 3 }, [1, 2, 70, 548], /_ring$/],
    [{ kernelSize: 5, padding: 2, bias: true }, [1, 2, 40, 1028], /_ring_any$/],
    [{ kernelSize: 7, padding: 3, dtype: 'float16' }, [1, 3, 41, 528], /_ring_any$/],
    [{ kernelSize: 3, padding: 1, dtype: 'bfloat16' }, [1, 2, 20, 1544], /_tiled/],
    [{ kernelSize: 3, padding: 1, dtype: 'bfloat16' }, [1, 2, 20, 1576], /_ring$/],
    [{ kernelSize: 3, padding: 1 }, [1, 2, 20, 1544], /_tiled/],
    [{ kernelSize: 3, padding: 1, bias: true }, [1, 2, 20, 1576], /_ring$/],
  ];
  it.each(routed)('default source, %j on %j: takes the entry its rule names and matches float64', async (input, shape, entry) => {
    expect(entryFor(normalizeSpec(input), undefined, shape)).toMatch(entry);
    const kernel = await compileWhole(input, { cacheDir: mkdtempSync(join(tmpdir(), 'dwconv-ring-any-')) });
    const r = checkOnShape(kernel, shape, SEED);
    expect(r.failures, JSON.stringify(r.firstFailures)).toBe(0);
    expect(r.checked).toBeGreaterThan(0);
  });

  it('pinned, it takes narrow rows too', async () => {
    for (const [input, shape] of [[{ kernelSize: 3, dtype: 'bfloat16' }, [2, 3, 17, 29]], [{ kernelSize: 7, padding: 3 }, [1, 2, 9, 13]]] as const) {
      expect(entryFor(normalizeSpec(input), variant, shape)).toMatch(/_ring_any$/);
      const kernel = await compileWhole(input, { cacheDir: mkdtempSync(join(tmpdir(), 'dwconv-ring-any-')), variant });
      const r = checkOnShape(kernel, shape, SEED);
      expect(r.failures, JSON.stringify(r.firstFailures)).toBe(0);
      expect(r.checked).toBeGreaterThan(0);
    }
  });
});
