import type { Target } from '../target.js';
import type { Backend } from './backend.js';
import { cpuBackend } from './cpu.js';
import { cudaBackend } from './cuda.js';

export type { Backend } from './backend.js';

/** Every target's backend: a new target is one file, one line here and its traits (traits.ts). */
const BACKENDS: Readonly<Record<Target, Backend>> = { cuda: cudaBackend, cpu: cpuBackend };

export function backendFor(target: Target): Backend {
  return BACKENDS[target];
}
