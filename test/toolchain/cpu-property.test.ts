import { describe } from 'vitest';
import { hasCxx } from '../helpers/requirements.js';
import { propertySuite } from '../helpers/property-suite.js';

describe.skipIf(!hasCxx)('CPU target (needs a C++ compiler)', () => {
  propertySuite('cpu');
});
