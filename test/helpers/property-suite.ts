import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { compile } from '../../src/compile.js';
import { describeSpec, normalizeSpec } from '../../src/spec.js';
import { checkOnShape, inParallel, randomShapes, randomSpecs, SEED } from './property.js';

const SPECS = 100;
const SHAPES_PER_SPEC = 3;

/** The property test both targets share: 100 random specs × 3 random shapes against float64, all outputs. */
export function propertySuite(target: 'cpu' | 'cuda', jobs: number = Math.max(1, cpus().length)): void {
  it(`${SPECS} random specs x ${SHAPES_PER_SPEC} shapes match the float64 reference on ${target} (seed ${SEED})`, async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), `dwconv-prop-${target}-`));
    const specs = randomSpecs(SPECS);
    const failures: string[] = [];
    let checked = 0;
    const kernels = await inParallel(specs, jobs, (s) => compile(s, { target, cacheDir }));
    kernels.forEach((kernel, i) => {
      const spec = normalizeSpec(specs[i]);
      for (const [j, shape] of randomShapes(spec, SHAPES_PER_SPEC, SEED + i).entries()) {
        const r = checkOnShape(kernel, shape, SEED + 1000 * i + j);
        checked += r.checked;
        if (r.failures > 0 || r.checked === 0) {
          failures.push(`${describeSpec(spec)} on ${shape.join('x')}: ${r.failures}/${r.checked} wrong, e.g. ${JSON.stringify(r.firstFailures[0])}`);
        }
      }
    });
    expect(failures, `seed ${SEED}`).toEqual([]);
    expect(checked).toBeGreaterThan(SPECS * SHAPES_PER_SPEC);
  });
}
