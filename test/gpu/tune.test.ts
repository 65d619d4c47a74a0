import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allVariants } from '../../src/codegen/variant.js';
import { normalizeSpec } from '../../src/spec.js';
import { compileTuned } from '../../src/tools/tune.js';
import { checkOnShape, SEED } from '../helpers/property.js';
import { gpuReason, hasGpu } from '../helpers/requirements.js';

describe.skipIf(!hasGpu)(`autotuning (needs a GPU: ${gpuReason})`, () => {
  it('times every candidate, keeps a correct winner, and a later call reuses the recorded choice', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'dwconv-tune-'));
    const spec = { kernelSize: 3, padding: 1, bias: true, dtype: 'float16' } as const;
    const shape = [4, 32, 56, 56] as const;
    const first = await compileTuned(spec, shape, { cacheDir });
    expect(first.tuned).toBe(true);
    expect(Object.keys(first.record.timings)).toHaveLength(1 + allVariants(normalizeSpec(spec)).length);
    for (const ms of Object.values(first.record.timings)) expect(ms).toBeGreaterThan(0);
    const r = checkOnShape(first.kernel, shape, SEED);
    expect(r.failures).toBe(0);
    const second = await compileTuned(spec, shape, { cacheDir });
    expect(second.tuned).toBe(false);
    expect(second.record.variant).toEqual(first.record.variant);
    expect(second.kernel.key).toBe(first.kernel.key);
    console.log(`tuned ${JSON.stringify(first.record.variant)}: ${JSON.stringify(first.record.timings)}`);
  });
});
