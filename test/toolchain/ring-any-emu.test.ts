// The any-width ring's device code as generated, run without a GPU: g++ compiles it with the host
// emulator of test/fixtures/device-emu (a block's threads as fibers switching at barriers and
// shuffles, lanes in forward, reverse or shuffled order between them, shared memory starting as NaN)
// and every output of each launch is checked against float64, on rows of every width residue, part-
// filled and tail strips, tensors of odd size ending inside a 32-bit word, x and y off their natural
// alignment by one element. Every global load must lie inside its operand (nothing past the tensor's
// ends) and be aligned to its size; a misaligned vector store fails -fsanitize=alignment.
import { describe, it } from 'vitest';
import type { SpecInput } from '../../src/spec.js';
import { runEmuMatrix, type EmuShape } from '../helpers/device-emu.js';
import { cxxPath, hasCxx } from '../helpers/requirements.js';

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
const SHAPES: EmuShape[] = [
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
    runEmuMatrix(cxxPath!, SPECS, SHAPES, () => [{ kernel: 'ringAny', tileH: 4 }], 'ring_any');
  }, 900_000);
});
