import { describe } from 'vitest';
import { gpuReason, hasGpu } from '../helpers/requirements.js';
import { propertySuite } from '../helpers/property-suite.js';

describe.skipIf(!hasGpu)(`CUDA target (needs a GPU: ${gpuReason})`, () => {
  propertySuite('cuda');
});
