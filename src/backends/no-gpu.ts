import { NoGpuError, SpecError } from '../errors.js';

/** Why there is no usable GPU, turned into the error each caller reports. */
export class NoGpuReason {
  constructor(readonly reason: string) {}

  error(wanted: 'load' | 'arch'): NoGpuError | SpecError {
    return wanted === 'load'
      ? new NoGpuError("target 'cuda'", this.reason, "use target 'cpu', or build() (CLI: `dwconv-jit precompile`) with an arch to compile without one")
      : new SpecError('options.arch', undefined, `an arch such as 'sm_90' (no GPU to read it from: ${this.reason})`);
  }
}
