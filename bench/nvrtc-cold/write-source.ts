// Writes the reference spec's CUDA source (3x3, padding 1, fp32 NCHW; every family that applies)
// as this checkout generates it, for nvrtc_cold.py to time on a machine without Node.js:
//   npx tsx bench/nvrtc-cold/write-source.ts bench/nvrtc-cold/sources/after.cu
import { writeFileSync } from 'node:fs';
import { generate } from '../../src/codegen/generate.js';
import { normalizeSpec } from '../../src/spec.js';

const out = process.argv[2];
if (!out) throw new Error('usage: write-source.ts OUTPUT.cu');
writeFileSync(out, generate(normalizeSpec({ kernelSize: 3, padding: 1 }), 'cuda').source);
