import { cpus } from 'node:os';
import { describe } from 'vitest';
import { hasCxx } from '../helpers/requirements.js';
import { channelSplitSuite, paddingBesideInfSuite, quadsSuite, separableSuite, tf32Suite } from '../helpers/separable-suite.js';

describe.skipIf(!hasCxx)('CPU depthwise-separable blocks (needs a C++ compiler)', () => {
  paddingBesideInfSuite('cpu');
  channelSplitSuite('cpu');
  tf32Suite('cpu');
  quadsSuite('cpu');
  separableSuite('cpu', 24, Math.max(1, cpus().length));
});
