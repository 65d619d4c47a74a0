// The aligned row rings' device code as generated (NCHW rows of whole 16-byte vectors; NHWC rows of
// W * C elements, pixels of whole channel quads), run without a GPU on the host emulator
// (test/helpers/device-emu.ts), every output checked against float64: 16-bit rows, which the rings
// hold in shared memory as 16-bit and convert in registers (the NCHW ring up to 3 columns of window,
// floats past that), and float32 ones; paddings that start a lane's window anywhere in a vector,
// dilation, uneven windows, a channel multiplier and a float32 output; strips whole and part-filled,
// segments with partial steps, y off its alignment, lanes in every order. Every load must lie inside
// its operand and be aligned to its size.
import { describe, it } from 'vitest';
import type { SpecInput } from '../../src/spec.js';
import { runEmuMatrix, type EmuShape } from '../helpers/device-emu.js';
import { cxxPath, hasCxx } from '../helpers/requirements.js';

const NCHW: SpecInput[] = [
  { kernelSize: 3, padding: 1, dtype: 'float16' },
  { kernelSize: 3, padding: 1, dtype: 'bfloat16' },
  { kernelSize: 7, padding: 3, dtype: 'float16' },
  { kernelSize: 5, padding: [2, 2, 5, 0], dtype: 'bfloat16' },
  { kernelSize: [3, 5], dilation: [2, 2], padding: [2, 4], dtype: 'float16', channelMultiplier: 2, outputDtype: 'float32' },
  { kernelSize: 3, dtype: 'float16' },
  { kernelSize: 5, padding: 2 },
];

/** [N, C, H, W] (W a multiple of 8, x aligned: the NCHW ring's condition), y's offset in elements, the lane order. */
const NCHW_SHAPES: EmuShape[] = [
  { shape: [1, 2, 9, 512], xOff: 0, yOff: 0, order: 0 },
  { shape: [1, 1, 41, 504], xOff: 0, yOff: 1, order: 2 },
  { shape: [2, 1, 7, 520], xOff: 0, yOff: 0, order: 1 },
  { shape: [1, 1, 70, 1088], xOff: 0, yOff: 0, order: 2 },
  { shape: [1, 3, 5, 64], xOff: 0, yOff: 1, order: 0 },
  { shape: [1, 1, 3, 16], xOff: 0, yOff: 0, order: 1 },
];

const NHWC: SpecInput[] = [
  { kernelSize: 3, padding: 1, dtype: 'float16', layout: 'NHWC' },
  { kernelSize: 3, padding: 1, dtype: 'bfloat16', layout: 'NHWC' },
  { kernelSize: 3, padding: 1, layout: 'NHWC' },
  { kernelSize: 3, dilation: [1, 2], padding: [2, 1, 3, 2], dtype: 'float16', layout: 'NHWC' },
  { kernelSize: [1, 7], padding: [0, 3], dtype: 'bfloat16', layout: 'NHWC' },
  { kernelSize: 3, dtype: 'bfloat16', layout: 'NHWC', outputDtype: 'float32' },
];

/** [N, C, H, W] (C a multiple of 4, W * C of 8: the NHWC ring's condition). */
const NHWC_SHAPES: EmuShape[] = [
  { shape: [1, 8, 9, 64], xOff: 0, yOff: 0, order: 0 },
  { shape: [2, 4, 11, 200], xOff: 0, yOff: 1, order: 2 },
  { shape: [1, 12, 7, 66], xOff: 0, yOff: 0, order: 1 },
  { shape: [1, 64, 5, 6], xOff: 0, yOff: 0, order: 2 },
  { shape: [1, 4, 70, 130], xOff: 0, yOff: 0, order: 0 },
];

describe.skipIf(!hasCxx)('the aligned row rings on the host emulator', () => {
  for (const [layout, specs, shapes, scope] of [['NCHW', NCHW, NCHW_SHAPES, 'ring'], ['NHWC', NHWC, NHWC_SHAPES, 'ring_nhwc']] as const) {
    it(`${layout}: computes every output of 16-bit and float32 rows at every padding, reading only inside its operands`, () => {
      runEmuMatrix(cxxPath!, specs, shapes, () => [{ kernel: 'ring', tileH: 4 }], scope);
    }, 900_000);
  }
});
