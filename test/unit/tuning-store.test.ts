import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTuning, shapeClass, tuningKey, writeTuning, type TuningRecord } from '../../src/cache/tuning-store.js';

describe('tuning records', () => {
  it('class shapes by exact H, W and the power-of-two bucket of N*C', () => {
    expect(shapeClass([64, 128, 256, 512])).toBe('256x512/planes<=8192');
    expect(shapeClass([60, 128, 256, 512])).toBe(shapeClass([64, 120, 256, 512]));
    expect(shapeClass([64, 128, 256, 510])).not.toBe(shapeClass([64, 128, 256, 512]));
  });

  it('round-trips through the cache directory, written whole', async () => {
    const root = mkdtempSync(join(tmpdir(), 'dwconv-tuning-'));
    const parts = { spec: '{"kernelSize":[3,3]}', shapeClass: '7x7/planes<=64', device: 'GPU sm_90', package: '0.1.0' };
    const key = tuningKey(parts);
    expect(await readTuning(root, key)).toBeUndefined();
    const record: TuningRecord = { key, ...parts, variant: { kernel: 'direct', tileH: 1 }, timings: { default: 0.02, 'direct/tileH=1': 0.01 }, createdAt: 'now' };
    await writeTuning(root, record);
    expect(await readTuning(root, key)).toEqual(record);
    expect(readdirSync(join(root, 'tuning'))).toEqual([`${key}.json`]);
    expect(tuningKey({ ...parts, device: 'other' })).not.toBe(key);
  });
});
