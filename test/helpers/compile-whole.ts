import { compile } from '../../src/compile.js';
import type { Kernel } from '../../src/runtime/kernel.js';

/**
 * compile(), returned once every program is loaded (Kernel.whenComplete): a check of a default source
 * then runs the entries its plan names, not the fallback that takes their calls while an NVRTC
 * compile's later programs are still compiling, and a process that ends next finds the entry committed.
 */
export async function compileWhole(...args: Parameters<typeof compile>): Promise<Kernel> {
  const kernel = await compile(...args);
  await kernel.whenComplete();
  return kernel;
}
