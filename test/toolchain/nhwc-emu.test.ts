// The NHWC kernel's device code as generated, run without a GPU on the host emulator
// (test/helpers/device-emu.ts), every output checked against float64: 7x7 sources in each dtype with
// one and two output rows a thread, on the channels-first entry that stages every channel's weights
// in shared memory (C below the W-first threshold), the W-first entry (C * M >= 192) and the scalar
// entry (channels that are not whole vectors, y off its alignment); a 3x3 source and a channel
// multiplier for the other paths. Every load must lie inside its operand and be aligned to its size.
import { describe, it } from 'vitest';
import { nhwcVector } from '../../src/codegen/cuda-nhwc.js';
import type { SpecInput } from '../../src/spec.js';
import { runEmuMatrix, type EmuShape } from '../helpers/device-emu.js';
import { cxxPath, hasCxx } from '../helpers/requirements.js';

const SPECS: SpecInput[] = [
  { kernelSize: 7, padding: 3, layout: 'NHWC' },
  { kernelSize: 7, padding: 3, layout: 'NHWC', dtype: 'float16' },
  { kernelSize: 7, padding: 3, layout: 'NHWC', dtype: 'bfloat16' },
  { kernelSize: 3, padding: 1, layout: 'NHWC', dtype: 'float16' },
  { kernelSize: 3, stride: 2, padding: 1, layout: 'NHWC', channelMultiplier: 2 },
];

/** [N, C, H, W]: staged channels-first (C = 96, 40), W first (C = 192, 200), scalar (C = 6), y misaligned. */
const SHAPES: EmuShape[] = [
  { shape: [1, 96, 9, 10], xOff: 0, yOff: 0, order: 0 },
  { shape: [2, 40, 7, 7], xOff: 0, yOff: 0, order: 2 },
  { shape: [1, 192, 7, 9], xOff: 0, yOff: 0, order: 1 },
  { shape: [1, 200, 5, 6], xOff: 0, yOff: 0, order: 2 },
  { shape: [1, 6, 11, 5], xOff: 0, yOff: 0, order: 0 },
  { shape: [1, 96, 6, 7], xOff: 0, yOff: 1, order: 1 },
];

describe.skipIf(!hasCxx)('the NHWC kernel on the host emulator', () => {
  it('computes every output on the staged, W-first and scalar entries with one and two rows a thread, reading only inside its operands', () => {
    runEmuMatrix(cxxPath!, SPECS, SHAPES, (spec) => [1, 2].map((tileH) => ({ kernel: 'nhwc', tileH, tileW: 4, vec: nhwcVector(spec) })), 'nhwc');
  }, 900_000);
});
