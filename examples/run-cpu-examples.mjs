// Runs every CPU example in a fresh process (CI runs this: the examples are part of the product).
//   npm run examples
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const EXAMPLES = ['cpu-basic.mjs', 'fused-epilogue.mjs', 'separable-block.mjs', 'tensors.mjs'];
let failed = 0;
for (const name of EXAMPLES) {
  const file = fileURLToPath(new URL(name, import.meta.url));
  try {
    const out = execFileSync(process.execPath, [file], { encoding: 'utf8', env: { ...process.env, DWCONV_JIT_TARGET: 'cpu' } });
    console.log(`ok    ${name}: ${out.trim()}`);
  } catch (err) {
    failed++;
    console.log(`FAIL  ${name}: ${err.stderr || err.message}`);
  }
}
console.log(`${EXAMPLES.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
