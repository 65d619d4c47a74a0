// Writes the CUDA source of one spec (JSON, argv[2]) to stdout, from the built package (npm run build).
import { normalizeSpec } from '../../dist/spec.js';
import { generate } from '../../dist/codegen/generate.js';

process.stdout.write(generate(normalizeSpec(JSON.parse(process.argv[2])), 'cuda').source);
