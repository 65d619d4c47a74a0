import { cpus } from 'node:os';
import { describe } from 'vitest';
import { epilogueSuite } from '../helpers/epilogue-suite.js';
import { gpuReason, hasGpu } from '../helpers/requirements.js';

describe.skipIf(!hasGpu)(`CUDA fused epilogues (needs a GPU: ${gpuReason})`, () => {
  epilogueSuite('cuda', Math.max(1, cpus().length));
});
