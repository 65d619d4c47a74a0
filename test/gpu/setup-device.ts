// Runs before every GPU test file (vitest setupFiles): DWCONV_JIT_TEST_DEVICE=N makes device N the
// current device of the test process, so the whole suite (the library's default device, tensors made
// with device 'cuda', the tests' own runtime calls) runs on device N while the devices before it exist.
// Asked for a device this machine lacks, the suite fails rather than quietly running on device 0.
import { readEnvironment } from '../../src/env.js';
import { cudaRuntime } from '../../src/ffi/cudart.js';

const asked = process.env.DWCONV_JIT_TEST_DEVICE;
if (asked !== undefined && asked !== '') {
  if (!/^(0|[1-9][0-9]*)$/.test(asked)) throw new Error(`DWCONV_JIT_TEST_DEVICE=${asked}: expected a device index such as 1`);
  const rt = cudaRuntime(readEnvironment());
  const count = rt.deviceCount();
  const index = Number(asked);
  if (index >= count) throw new Error(`DWCONV_JIT_TEST_DEVICE=${asked}: this machine has ${count} CUDA device${count === 1 ? '' : 's'}`);
  rt.setDevice(index);
}
