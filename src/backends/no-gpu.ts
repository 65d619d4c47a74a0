import { SpecError } from '../errors.js';

/** Why there is no usable GPU, turned into the error each caller reports. */
export class NoGpuReason {
  constructor(readonly reason: string) {}

  error(wanted: 'load' | 'arch'): SpecError {
    return wanted === 'load'
      ? new SpecError('options.target', 'cuda', `a usable GPU (${this.reason}); use target 'cpu', or build() / \`dwconv-jit precompile\` with an arch to compile without one`)
      : new SpecError('options.arch', undefined, `an arch such as 'sm_90' (no GPU to read it from: ${this.reason})`);
  }
}
