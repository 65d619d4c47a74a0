import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The PyTorch timing script the demo and the bench run with python3; the package ships it (package.json files). */
export const TORCH_SCRIPT = fileURLToPath(new URL('../../bench/torch_dwconv.py', import.meta.url));

/** Why the PyTorch comparison cannot run from this installation, or undefined when the script is there. */
export function torchScriptMissing(): string | undefined {
  return existsSync(TORCH_SCRIPT) ? undefined : `the PyTorch timing script is not in this installation (looked for ${TORCH_SCRIPT}); reinstall dwconv-jit or pass --no-torch`;
}
