// The emitted activation expressions at the edges PyTorch defines (z * relu6(z + 3) / 6): both the
// CPU and the CUDA epilogue, compiled as host C++ (the CUDA one with its qualifiers defined away), so
// the check runs without a GPU on what nvcc would compile.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { epilogueFunction } from '../../src/codegen/epilogue.js';
import { normalizeSpec } from '../../src/spec.js';
import { cxxPath, hasCxx } from '../helpers/requirements.js';
import { activate } from '../../src/verify/activation.js';

const INPUTS = [-Infinity, -5, -3, -1, 0, 1, 3, 5, Infinity, Number.NaN];

describe.skipIf(!hasCxx)('hardswish at -inf, inf and NaN matches PyTorch (needs a C++ compiler)', () => {
  it.each(['cpu', 'cuda'] as const)('the %s epilogue', async (target) => {
    const dir = mkdtempSync(join(tmpdir(), 'dwconv-hardswish-'));
    const source = [
      '#include <cmath>', '#include <cstdio>', '#include <cstring>', '#include <limits>',
      '#define __device__', '#define __forceinline__ inline',
      epilogueFunction(normalizeSpec({ kernelSize: 3, activation: 'hardswish' }), target),
      'int main() {',
      `  const float in[] = {${INPUTS.map((v) => (Number.isNaN(v) ? 'std::numeric_limits<float>::quiet_NaN()' : v === Infinity ? 'INFINITY' : v === -Infinity ? '-INFINITY' : `${v}.f`)).join(', ')}};`,
      '  for (float z : in) { float y = epilogue(z, 0.f, 1.f, 0.f, 0.f); std::printf("%.9g\\n", y); }',
      '}',
    ].join('\n');
    writeFileSync(join(dir, 'h.cpp'), source);
    const cxx = cxxPath!;
    await execa(cxx, ['-std=c++17', '-O2', '-o', join(dir, 'h'), join(dir, 'h.cpp')]);
    const { stdout } = await execa(join(dir, 'h'));
    const got = stdout.trim().split('\n').map((l) => (l === 'nan' || l === '-nan' ? Number.NaN : l === 'inf' ? Infinity : l === '-inf' ? -Infinity : Number(l)));
    const want = INPUTS.map((z) => Math.fround(activate('hardswish', z)));
    for (const [i, z] of INPUTS.entries()) {
      const [g, w] = [Math.fround(got[i]!), want[i]!];
      if (Number.isNaN(w) || !Number.isFinite(w) || w === 0) expect(Object.is(g, w), `hardswish(${z}) = ${g}, want ${w}`).toBe(true);
      else expect(Math.abs(g - w), `hardswish(${z})`).toBeLessThanOrEqual(1e-6 * Math.abs(w));
    }
    expect(Number.isNaN(got[0])).toBe(true); // -inf * 0, as PyTorch
  });
});
