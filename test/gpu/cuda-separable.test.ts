import { cpus } from 'node:os';
import { describe } from 'vitest';
import { gpuReason, hasGpu } from '../helpers/requirements.js';
import { channelSplitSuite, paddingBesideInfSuite, quadsSuite, separableSuite, tf32Suite } from '../helpers/separable-suite.js';

describe.skipIf(!hasGpu)(`CUDA depthwise-separable blocks (needs a GPU: ${gpuReason})`, () => {
  paddingBesideInfSuite('cuda');
  channelSplitSuite('cuda');
  tf32Suite('cuda');
  quadsSuite('cuda');
  separableSuite('cuda', 60, Math.max(1, cpus().length));
});
