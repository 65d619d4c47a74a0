import { describe } from 'vitest';
import { outputDtypeSuite } from '../helpers/output-dtype-suite.js';
import { gpuReason, hasGpu } from '../helpers/requirements.js';

describe.skipIf(!hasGpu)(`CUDA outputs of another dtype (needs a GPU: ${gpuReason})`, () => {
  outputDtypeSuite('cuda');
});
