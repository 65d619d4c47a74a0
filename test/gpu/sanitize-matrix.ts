// The compute-sanitizer matrix: every spec below, as the default source and as every
// pinned variant, on shapes that hit the edges (odd widths, planes smaller than a tile, rows too
// short for vectors, vector-aligned rows), each output checked against float64 after a NaN poison.
// Run by test/gpu/sanitize.sh under memcheck, racecheck, initcheck and synccheck; with --compile-only it
// fills the cache first, so the sanitized passes time kernels, not nvcc.
// Usage: node --import tsx test/gpu/sanitize-matrix.ts [--compile-only] [--pinned-only] [--json FILE]
// --pinned-only: the PINNED jobs alone (a kernel family checked before default sources hold it).
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { allVariants, type CudaVariant } from '../../src/codegen/variant.js';
import { compileWhole } from '../helpers/compile-whole.js';
import { describeSpec, inLayout, normalizeSpec, type SpecInput } from '../../src/spec.js';
import { checkOnShape, inParallel } from '../helpers/property.js';

const SPECS: SpecInput[] = [
  { kernelSize: 3 },
  { kernelSize: 3, dtype: 'float16', bias: true },
  { kernelSize: 3, dtype: 'bfloat16', padding: 1 },
  { kernelSize: 3, stride: 2, padding: 1, bias: true },
  { kernelSize: 3, dilation: 2, padding: 'same', dtype: 'float16' },
  { kernelSize: [1, 7], padding: [0, 3], dtype: 'bfloat16' },
  { kernelSize: 5, padding: 2, channelMultiplier: 2 },
  { kernelSize: 7, padding: 3, dtype: 'float16' },
  { kernelSize: 11, padding: 5, stride: [1, 2] },
  { kernelSize: 31, padding: 15, dtype: 'bfloat16' },
  { kernelSize: [2, 4], padding: [1, 0, 3, 1], stride: [2, 3], dilation: [3, 1] },
  // Fused forms: every epilogue operand, each dtype, both kernel families.
  { kernelSize: 3, padding: 1, bias: true, batchNorm: true, activation: 'relu6', residual: true },
  { kernelSize: 3, padding: 1, dtype: 'float16', batchNorm: true, activation: 'gelu', residual: 'before-activation' },
  { kernelSize: 5, stride: 2, padding: 2, dtype: 'bfloat16', bias: true, activation: 'leaky_relu', negativeSlope: 0.1, residual: true },
  // NHWC: vector and scalar channel paths, multiplier, a fused epilogue.
  { kernelSize: 3, layout: 'NHWC' },
  { kernelSize: 3, padding: 1, layout: 'NHWC', dtype: 'float16', bias: true, batchNorm: true, activation: 'silu', residual: true },
  { kernelSize: 5, stride: 2, padding: 2, layout: 'NHWC', dtype: 'bfloat16', channelMultiplier: 2 },
  { kernelSize: 7, padding: 3, layout: 'NHWC', dilation: [1, 2] },
  // Separable blocks: one and several thread groups along the 1x1's channels, several channel tiles.
  { kernelSize: 3, padding: 1, bias: true, activation: 'relu6', pointwise: { outChannels: 49, bias: true } },
  { kernelSize: 5, stride: 2, padding: 2, layout: 'NHWC', dtype: 'bfloat16', batchNorm: true, pointwise: { outChannels: 385, activation: 'silu' } },
];

/**
 * Entries taken only on some shapes, each with a shape that takes it: the separable split entry (a
 * cluster per tile, partial sums through distributed shared memory; sm_90) and the quads entry (wide
 * calls with rows of whole quads, halos by shuffles), and the row rings (rows of whole vectors, Wo >= 256
 * filling 3/4 of their strips for 16-bit windows up to 7x7 and float32 ones below 5x5, or Wo * C >= 512; 31x31 with over 48 KiB
 * of shared memory), and the NHWC kernel's W-first entry (7x7, 256 output channels) and its
 * channels-first entry with staged weights (7x7, 96 and 40). Default
 * source only.
 */
const TARGETED: [SpecInput, [number, number, number, number]][] = [
  [{ kernelSize: 3, padding: 1, bias: true, activation: 'relu6', pointwise: { outChannels: 160, bias: true } }, [3, 136, 7, 7]],
  [{ kernelSize: 3, padding: 1, layout: 'NHWC', dtype: 'float16', bias: true, pointwise: { outChannels: 160, bias: true } }, [3, 136, 7, 7]],
  [{ kernelSize: 3, padding: 1, dtype: 'float16', pointwise: { outChannels: 24, bias: true } }, [10, 5, 61, 60]],
  // The row ring: two strips (the last cut short), two row segments, left padding off a quad boundary, odd Wo.
  [{ kernelSize: [7, 6], padding: [3, 3, 1, 3], bias: true, residual: true }, [1, 2, 70, 560]],
  [{ kernelSize: 31, padding: 15 }, [1, 1, 66, 300]],
  // The 16-bit ring (8-element rows), and the NHWC ring (rows copied ahead by cp.async, zero-filled
  // outside the image) with every epilogue operand, three strips and two segments.
  [{ kernelSize: 3, padding: [1, 1, 3, 1], dtype: 'bfloat16' }, [1, 2, 70, 1016]],
  // The float32 3x3 ring (4-element rows) with an epilogue, on rows that fill 3/4 of two strips.
  [{ kernelSize: 3, padding: 1, bias: true, activation: 'relu6' }, [1, 2, 70, 776]],
  [{ kernelSize: 3, padding: 1, layout: 'NHWC', dtype: 'float16', bias: true, batchNorm: true, activation: 'silu', residual: true }, [1, 36, 66, 40]],
  // Whole-vector rows the aligned ring yields to the any-width ring (a last strip of 1-32 columns), and
  // a 16-bit 7x7 whose any-width ring is tried before the tiled kernel.
  [{ kernelSize: 7, padding: 3 }, [1, 2, 70, 516]],
  [{ kernelSize: 7, padding: 3, dtype: 'float16' }, [1, 3, 41, 528]],
  // The NHWC kernel's W-first entry (7x7, C * M >= 192), with a residual and partial tiles.
  [{ kernelSize: 7, padding: 3, layout: 'NHWC', dtype: 'float16', bias: true, residual: true }, [2, 256, 9, 13]],
  // Its channels-first entry below that, with the weights staged in shared memory, in each vector width.
  [{ kernelSize: 7, padding: 3, layout: 'NHWC', dtype: 'float16', bias: true }, [2, 96, 9, 13]],
  [{ kernelSize: 7, padding: 3, layout: 'NHWC', activation: 'gelu' }, [1, 40, 11, 10]],
];

/**
 * The any-width ring, pinned (so it takes every call), on the rows it is meant for (not
 * whole vectors, Wo >= 384 for 3x3, >= 256 for 7x7): each dtype, 3x3 and 7x7 'same', tails (Wo % 512
 * <= 32) and part-filled strips, 16-bit tensors of odd size; and on the matrix's small shapes.
 */
const RING_ANY: CudaVariant = { kernel: 'ringAny', tileH: 4 };
const PINNED: [SpecInput, [number, number, number, number]][] = [
  [{ kernelSize: 3 }, [1, 3, 41, 509]],
  [{ kernelSize: 3, dtype: 'float16' }, [1, 3, 41, 509]],
  [{ kernelSize: 3, dtype: 'bfloat16' }, [1, 3, 41, 1031]],
  [{ kernelSize: 7, padding: 3 }, [1, 2, 70, 515]],
  [{ kernelSize: 7, padding: 3, dtype: 'float16' }, [1, 3, 41, 601]],
  [{ kernelSize: 7, padding: 3, dtype: 'bfloat16' }, [1, 1, 67, 2049]],
  [{ kernelSize: 3, padding: 1, dtype: 'float16', bias: true, batchNorm: true, activation: 'relu6', residual: true }, [1, 2, 20, 514]],
];

/**
 * N, C, H, W (put in each spec's layout): a plane smaller than any tile; odd widths; rows long enough
 * for vectors in every dtype; channel counts that are and are not whole NHWC vectors; an odd element
 * count (1x3x41x509), so that a 16-bit tensor ends inside a 32-bit word.
 */
const SHAPES: [number, number, number, number][] = [[1, 3, 2, 3], [2, 3, 17, 29], [1, 2, 13, 64], [2, 1, 9, 136], [1, 16, 5, 11], [1, 3, 41, 509]];

const args = process.argv.slice(2);
const compileOnly = args.includes('--compile-only');
const pinnedOnly = args.includes('--pinned-only');
const jsonPath = args.includes('--json') ? args[args.indexOf('--json') + 1] : undefined;

type Job = { input: SpecInput; variant: CudaVariant | undefined; shapes: readonly [number, number, number, number][] };
const jobs = [
  ...(pinnedOnly ? [] : SPECS).flatMap((input): Job[] => [undefined, ...allVariants(normalizeSpec(input))].map((variant) => ({ input, variant, shapes: SHAPES }))),
  ...(pinnedOnly ? [] : TARGETED).map(([input, shape]): Job => ({ input, variant: undefined, shapes: [shape] })),
  ...PINNED.map(([input, shape]): Job => ({ input, variant: RING_ANY, shapes: [shape, ...SHAPES.filter((s) => s.join() !== shape.join())] })),
];
const specCount = pinnedOnly ? PINNED.length : SPECS.length + TARGETED.length + PINNED.length;
const kernels = await inParallel(jobs, cpus().length, (j) => compileWhole(j.input, { target: 'cuda', ...(j.variant ? { variant: j.variant } : {}) }));
if (compileOnly) {
  console.log(`${kernels.length} kernels compiled (${specCount} specs)`);
  process.exit(0);
}

let launches = 0;
let checked = 0;
const failures: string[] = [];
kernels.forEach((kernel, k) => {
  for (const [i, nchw] of jobs[k]!.shapes.entries()) {
    if (nchw[2] + kernel.spec.padding[0] + kernel.spec.padding[1] < (kernel.spec.kernelSize[0] - 1) * kernel.spec.dilation[0] + 1) continue;
    if (nchw[3] + kernel.spec.padding[2] + kernel.spec.padding[3] < (kernel.spec.kernelSize[1] - 1) * kernel.spec.dilation[1] + 1) continue;
    const shape = inLayout(kernel.spec, nchw);
    const r = checkOnShape(kernel, shape, 1000 * k + i);
    launches++;
    checked += r.checked;
    if (r.failures > 0 || r.checked === 0) failures.push(`${describeSpec(kernel.spec)} ${JSON.stringify(jobs[k]!.variant ?? 'default')} on ${shape.join('x')}: ${r.failures}/${r.checked} wrong`);
  }
});
const summary = { specs: specCount, kernels: kernels.length, launches, outputsChecked: checked, failures };
console.log(JSON.stringify(summary));
if (jsonPath) writeFileSync(jsonPath, `${JSON.stringify(summary, null, 2)}\n`);
process.exit(failures.length === 0 ? 0 : 1);
