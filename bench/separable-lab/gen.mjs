// Writes the CUDA source of one spec (JSON, argv[2]) to stdout, from the built package (npm run build);
// argv[3], optional: a variant (JSON) to pin, e.g. '{"kernel":"ring","tileH":4}'.
import { normalizeSpec } from '../../dist/spec.js';
import { generate } from '../../dist/codegen/generate.js';
import { normalizeVariant } from '../../dist/codegen/variant.js';

const spec = normalizeSpec(JSON.parse(process.argv[2]));
const variant = process.argv[3] ? normalizeVariant(spec, JSON.parse(process.argv[3])) : undefined;
process.stdout.write(generate(spec, 'cuda', variant).source);
