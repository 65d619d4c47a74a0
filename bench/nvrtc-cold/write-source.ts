// Writes the reference spec's CUDA source (3x3, padding 1, fp32 NCHW; every family that applies) as
// this checkout generates it, and the programs NVRTC compiles apart (its units), for nvrtc_cold.py
// to time on a machine without Node.js (gen/ is ignored by git: generated, never edited):
//   npx tsx bench/nvrtc-cold/write-source.ts bench/nvrtc-cold/gen/after
// writes after.cu and after.unit-0.cu, after.unit-1.cu, ... (sources/before.cu came from the
// commit before NVRTC compiled units apart and dropped the unreachable tiled entry).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { generate } from '../../src/codegen/generate.js';
import { normalizeSpec } from '../../src/spec.js';

const out = process.argv[2];
if (!out) throw new Error('usage: write-source.ts OUTPUT_PREFIX');
mkdirSync(dirname(out), { recursive: true });
const g = generate(normalizeSpec({ kernelSize: 3, padding: 1 }), 'cuda');
writeFileSync(`${out}.cu`, g.source);
for (const [i, unit] of g.units!().entries()) writeFileSync(`${out}.unit-${i}.cu`, unit.source);
