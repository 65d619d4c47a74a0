import { defineConfig } from 'vitest/config';

// Three groups, each skipping itself when its requirement is missing: unit (nothing), toolchain (a C++
// compiler, nvcc for the CUDA build tests; no GPU), gpu (a usable CUDA device).
export default defineConfig({
  test: {
    projects: [
      // Unit tests are fast alone; a generous timeout keeps them from failing on a loaded 2-core machine.
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts', 'test/types/**/*.test.ts'], testTimeout: 60_000 } },
      { test: { name: 'toolchain', include: ['test/toolchain/**/*.test.ts'], globalSetup: ['test/helpers/build-once.ts'], testTimeout: 600_000, hookTimeout: 600_000 } },
      // DWCONV_JIT_TEST_DEVICE=N runs the GPU group on device N (setup-device.ts).
      { test: { name: 'gpu', include: ['test/gpu/**/*.test.ts'], setupFiles: ['test/gpu/setup-device.ts'], testTimeout: 600_000, hookTimeout: 600_000 } },
    ],
  },
});
