import { cpus } from 'node:os';
import { describe } from 'vitest';
import { epilogueSuite } from '../helpers/epilogue-suite.js';
import { hasCxx } from '../helpers/requirements.js';

describe.skipIf(!hasCxx)('CPU fused epilogues (needs a C++ compiler)', () => {
  epilogueSuite('cpu', Math.max(1, cpus().length));
});
