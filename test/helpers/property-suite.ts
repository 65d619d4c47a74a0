import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { allVariants, type CudaVariant } from '../../src/codegen/variant.js';
import { compileWhole } from './compile-whole.js';
import { normalizeSpec, type SpecInput } from '../../src/spec.js';
import { checkKernels, inParallel, randomSpecs, SEED } from './property.js';

// DWCONV_PROPERTY_SPECS trims the count where compiles are slow (nvcc builds: about 2.5 s each).
const SPECS = Math.max(1, Math.min(1000, Number(process.env.DWCONV_PROPERTY_SPECS ?? 100) || 100));
const SHAPES_PER_SPEC = 3;

/**
 * The property test both targets share: 100 random specs × 3 random shapes against float64, every
 * output. On CUDA the default source and every pinned variant the generator can produce are checked.
 */
export function propertySuite(target: 'cpu' | 'cuda', jobs: number = Math.max(1, cpus().length)): void {
  it(`${SPECS} random specs x ${SHAPES_PER_SPEC} shapes${target === 'cuda' ? ' x every variant' : ''} match the float64 reference on ${target} (seed ${SEED})`, async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), `dwconv-prop-${target}-`));
    const specs = randomSpecs(SPECS);
    type Job = { input: SpecInput; index: number; variant: CudaVariant | undefined };
    const jobsList = specs.flatMap((input, index): Job[] =>
      target === 'cuda'
        ? [undefined, ...allVariants(normalizeSpec(input))].map((variant) => ({ input, index, variant }))
        : [{ input, index, variant: undefined }],
    );
    const kernels = await inParallel(jobsList, jobs, (j) => compileWhole(j.input, { target, cacheDir, ...(j.variant ? { variant: j.variant } : {}) }));
    const { checked, failures } = checkKernels(kernels.map((kernel, k) => ({ kernel, index: jobsList[k]!.index, label: ` ${JSON.stringify(jobsList[k]!.variant ?? 'default')}` })), SHAPES_PER_SPEC);
    expect(failures, `seed ${SEED}`).toEqual([]);
    expect(checked).toBeGreaterThan(SPECS * SHAPES_PER_SPEC);
    console.log(`${jobsList.length} kernels (${SPECS} specs), ${checked} outputs checked`);
  });
}
