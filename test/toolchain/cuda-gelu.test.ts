import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { epilogueFunction, epilogueHelpers } from '../../src/codegen/epilogue.js';
import { normalizeSpec } from '../../src/spec.js';
import { activate } from '../../src/verify/activation.js';
import { cxxPath, hasCxx } from '../helpers/requirements.js';

/**
 * The CUDA gelu's arithmetic (src/codegen/epilogue.ts), the generated epilogue compiled as host C++
 * (fmaf, fabsf and exp2f from the C library, float32 throughout) against the float64 erf form: its largest
 * error relative to |z| on a dense grid, and the special values PyTorch's erf form gives. On the GPU
 * exp2_ftz is the hardware's ex2.approx (2^-22 relative), which adds up to 1.2e-7 |z| to what is
 * measured here; the GPU suites check whole kernels against the float64 reference.
 */
/** printf's %g: 'inf', '-inf' and 'nan' beside numbers. */
const parseC = (text: string) => (/^-?nan$/i.test(text) ? Number.NaN : /^inf$/i.test(text) ? Infinity : /^-inf$/i.test(text) ? -Infinity : Number(text));

describe.skipIf(!hasCxx)('the CUDA gelu epilogue, run on the host (needs a C++ compiler)', () => {
  it('is within 2.5e-7 |z| of z * Phi(z) over [-16, 16], and keeps NaN, inf and -inf as the erf form does', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dwconv-gelu-'));
    try {
      const spec = normalizeSpec({ kernelSize: 3, activation: 'gelu' });
      const fn = `${epilogueHelpers(spec, 'cuda')}\n${epilogueFunction(spec, 'cuda')}`;
      const unit = [
        '#include <math.h>', '#include <cstdio>', '#include <limits>',
        '#define __device__', '#define __forceinline__ inline', fn,
        'int main() {',
        '  const int n = 400001;',
        '  for (int i = 0; i < n; ++i) { float z = -16.f + 32.f * (float)i / (float)(n - 1); std::printf("%.9g %.9g\\n", z, epilogue(z, 0.f, 0.f, 0.f, 0.f)); }',
        '  const float inf = std::numeric_limits<float>::infinity();',
        '  const float special[] = { std::nanf(""), inf, -inf, 0.f, -0.f, -100.f, 100.f };',
        '  for (float z : special) std::printf("%.9g %.9g\\n", z, epilogue(z, 0.f, 0.f, 0.f, 0.f));',
        '}',
      ].join('\n');
      writeFileSync(join(dir, 'gelu.cpp'), unit);
      execFileSync(cxxPath!, ['-std=c++17', '-O2', '-ffp-contract=off', '-o', join(dir, 'gelu'), join(dir, 'gelu.cpp')], { cwd: dir });
      const rows = execFileSync(join(dir, 'gelu'), { maxBuffer: 64 << 20 }).toString().trim().split('\n').map((l) => l.split(' ').map(parseC) as [number, number]);
      const grid = rows.slice(0, -7);
      let worst = 0;
      for (const [z, got] of grid) worst = Math.max(worst, Math.abs(got - activate('gelu', z)) / Math.max(Math.abs(z), 1e-30));
      expect(worst).toBeLessThanOrEqual(2.5e-7);
      expect(worst).toBeGreaterThan(0); // a float32 evaluation: some rounding shows
      const special = rows.slice(-7).map(([, got]) => got);
      expect(Number.isNaN(special[0])).toBe(true);
      expect(special[1]).toBe(Infinity);
      expect(Number.isNaN(special[2])).toBe(true); // -inf * Phi(-inf) = -inf * 0
      expect(special.slice(3, 5)).toEqual([0, -0]);
      expect(Math.abs(special[5]!)).toBe(0);
      expect(special[6]).toBe(100);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
