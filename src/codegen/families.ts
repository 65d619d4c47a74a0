// The CUDA kernel families, in the order their device code appears in a source. A new family is its
// codegen module (its template values and plan entries), its device template, and one line here.
import { directFamily } from './cuda-direct.js';
import { nhwcFamily } from './cuda-nhwc.js';
import { ringAnyFamily } from './cuda-ring-any.js';
import { ringNhwcFamily } from './cuda-ring-nhwc.js';
import { ringFamily } from './cuda-ring.js';
import { separableFamily } from './cuda-separable.js';
import { tiledFamily } from './cuda-tiled.js';
import type { CudaFamily } from './family.js';

export const CUDA_FAMILIES: readonly CudaFamily[] = [
  directFamily,
  tiledFamily,
  ringFamily,
  ringAnyFamily,
  separableFamily,
  nhwcFamily,
  ringNhwcFamily,
];
