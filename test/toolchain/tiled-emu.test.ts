// The register-tiled kernel's device code as generated, run without a GPU on the host emulator
// (test/helpers/device-emu.ts), every output checked against float64: stride 1 and 2 along W (two
// own vectors a row), strides along H at and past the window, dilation, a channel multiplier and a
// float32 output of 16-bit input; rows of whole vectors and not, x and y off their alignment, planes
// smaller than a tile. Every load must lie inside its operand and be aligned to its size.
import { describe, it } from 'vitest';
import type { SpecInput } from '../../src/spec.js';
import { runEmuMatrix, type EmuShape } from '../helpers/device-emu.js';
import { cxxPath, hasCxx } from '../helpers/requirements.js';

const SPECS: SpecInput[] = [
  { kernelSize: 3, stride: 2, padding: 1 },
  { kernelSize: 3, stride: 2, padding: 1, dtype: 'float16' },
  { kernelSize: 3, stride: 2, dtype: 'bfloat16' },
  { kernelSize: 5, stride: [1, 2], padding: 2, dtype: 'float16' },
  { kernelSize: [2, 3], stride: [3, 2], padding: [0, 1] },
  { kernelSize: [3, 5], stride: 2, dilation: [1, 2], padding: [1, 3], dtype: 'float16', channelMultiplier: 2, outputDtype: 'float32' },
  { kernelSize: 3, padding: 'same', dtype: 'bfloat16' },
];

const SHAPES: EmuShape[] = [
  { shape: [1, 3, 9, 64], xOff: 0, yOff: 0, order: 0 },
  { shape: [2, 1, 11, 128], xOff: 0, yOff: 0, order: 2 },
  { shape: [1, 2, 7, 66], xOff: 0, yOff: 0, order: 1 },
  { shape: [1, 1, 5, 72], xOff: 0, yOff: 1, order: 0 },
  { shape: [1, 2, 17, 63], xOff: 0, yOff: 0, order: 2 },
  { shape: [1, 3, 13, 136], xOff: 1, yOff: 0, order: 0 },
  { shape: [1, 1, 2, 3], xOff: 0, yOff: 0, order: 1 },
];

describe.skipIf(!hasCxx)('the tiled kernel on the host emulator', () => {
  it('computes every output at strides 1 and 2, on every load and store path, reading only inside its operands', () => {
    runEmuMatrix(cxxPath!, SPECS, SHAPES, () => [2, 4].map((tileH) => ({ kernel: 'tiled', tileH })), 'tiled');
  }, 900_000);
});
