import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileWhole } from '../helpers/compile-whole.js';
import { normalizeSpec, type SpecInput } from '../../src/spec.js';
import { entryFor } from '../helpers/family-parts.js';
import { checkOnShape, SEED } from '../helpers/property.js';
import { gpuReason, hasGpu } from '../helpers/requirements.js';

/**
 * The NHWC kernel's two grid orders in a default 7x7 source: channel vectors fastest, with the
 * weights staged in shared memory, for fewer output channels, the tiles along W fastest for more
 * (NHWC_PIXELS_FIRST_MIN_CHANNELS; the shapes sit clear of it on either side); each dtype,
 * an epilogue with a residual, a row narrower than a warp's tiles and one wider, partial tiles at the
 * row's and the plane's ends; with both compilers (the nvcc build runs the C++ launcher), each call
 * checked on the entry its rule names against float64 on fresh random inputs after a NaN poison.
 */
const cases: [SpecInput, [number, number, number, number], RegExp][] = [
  [{ kernelSize: 7, padding: 3, layout: 'NHWC', dtype: 'float16' }, [2, 96, 14, 14], /_nhwc_8$/],
  [{ kernelSize: 7, padding: 3, layout: 'NHWC', dtype: 'float16' }, [2, 256, 9, 13], /_nhwc_4_wfirst$/],
  [{ kernelSize: 7, padding: 3, layout: 'NHWC', dtype: 'bfloat16', bias: true }, [1, 256, 7, 7], /_nhwc_4_wfirst$/],
  [{ kernelSize: 7, padding: 3, layout: 'NHWC', bias: true, activation: 'gelu', residual: true }, [1, 264, 11, 150], /_nhwc_4_wfirst$/],
  [{ kernelSize: 7, padding: 3, layout: 'NHWC' }, [3, 148, 10, 10], /_nhwc_4$/],
  [{ kernelSize: 7, padding: 3, layout: 'NHWC', dtype: 'bfloat16', bias: true, activation: 'gelu', residual: true }, [1, 40, 9, 150], /_nhwc_8$/],
];

describe.skipIf(!hasGpu)(`CUDA NHWC kernel, both grid orders (needs a GPU: ${gpuReason})`, () => {
  it.each(cases)('default source, %j on %j: takes the entry its rule names and matches float64 with nvcc and NVRTC', async (input, shape, entry) => {
    expect(entryFor(normalizeSpec(input), undefined, shape)).toMatch(entry);
    const cacheDir = mkdtempSync(join(tmpdir(), 'dwconv-nhwc-order-'));
    for (const compiler of ['nvrtc', 'nvcc'] as const) {
      const kernel = await compileWhole(input, { cacheDir, compiler });
      const r = checkOnShape(kernel, shape, SEED);
      expect(r.failures, `${compiler} seed ${SEED}: ${JSON.stringify(r.firstFailures)}`).toBe(0);
      expect(r.checked).toBeGreaterThan(0);
    }
  });
});
