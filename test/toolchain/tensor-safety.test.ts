import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/compile.js';
import { hasCxx } from '../helpers/requirements.js';

const child = fileURLToPath(new URL('../fixtures/tensor-attack.ts', import.meta.url));

describe.skipIf(!hasCxx)('no reassigned or forged tensor reaches a native call (needs a C++ compiler; each in a child process)', () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'dwconv-attack-'));
  beforeAll(async () => {
    await compile({ kernelSize: 3, padding: 1 }, { target: 'cpu', cacheDir }); // the children then load it
  });
  const run = async (attack: string) => {
    const r = await execa(process.execPath, ['--import', 'tsx', child, attack, cacheDir], { reject: false });
    expect(r.exitCode, `child ${r.signal ?? ''} ${r.stderr.slice(-500)}`).toBe(0);
    return JSON.parse(r.stdout) as { outcome: string; error?: string; field?: string; length?: number; centre?: number };
  };

  // Assigning a getter-only field throws in strict code (a TypeError), before any call.
  it.each(['double the input shape', 'double the output shape', 'relabel a float16 input float32'])('%s: the assignment is refused', async (attack) => {
    expect(await run(attack)).toMatchObject({ outcome: 'refused', error: 'TypeError' });
  });

  it('a tensor made with Object.create(Tensor.prototype) is refused', async () => {
    expect(await run('Object.create(Tensor.prototype)')).toMatchObject({ outcome: 'refused', error: 'SpecError', field: 'x' });
  });

  it('a shadowed shape getter changes nothing: the call runs on the real shape', async () => {
    expect(await run('shadow the shape getter on the prototype')).toEqual({ outcome: 'ran', length: 2 * 64 * 64, centre: 9 });
  });
});
