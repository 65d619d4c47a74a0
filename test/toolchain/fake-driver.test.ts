// The driver-API side of several devices without a GPU: cubins loaded for device 0 and device 1 through
// loadCubin, over a fake libcuda.so.1 (test/fixtures/fake-cuda-driver.c) whose launches fail unless
// the function's own context is current, and the fake libcudart, which binds a device's primary
// context there when it makes the device current. Run in a child process: the fake driver is found
// through LD_LIBRARY_PATH, which the dynamic loader reads only when a process starts.
// What this shows: each module loads into its device's context, each launch runs in it whatever the
// caller has current, and the caller's current device and context stack are as they were after.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { buildFakeCudart, cc } from '../helpers/fake-cudart.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe.skipIf(!cc)('cubins on two devices over a fake CUDA driver (needs a C compiler)', () => {
  it('loads each module in its device\'s context and launches it there, interleaved, leaving the caller\'s state alone', async () => {
    const runtime = await buildFakeCudart();
    const dir = mkdtempSync(join(tmpdir(), 'dwconv-fake-driver-'));
    await execa(cc!, ['-shared', '-fPIC', '-O1', '-Wl,-soname,libcuda.so.1', '-o', join(dir, 'libcuda.so.1'), join(root, 'test/fixtures/fake-cuda-driver.c')]);
    const child = await execa(process.execPath, ['--import', 'tsx', join(root, 'test/fixtures/driver-contexts-child.ts')], {
      cwd: root, reject: false,
      env: { LD_LIBRARY_PATH: dir, DWCONV_JIT_CUDART: runtime.path },
    });
    expect(child.exitCode, child.stderr).toBe(0);
    const r = JSON.parse(child.stdout) as Record<string, unknown>;
    const c0 = '0xc000';
    const c1 = '0xc001';
    expect(r.before).toEqual({ device: 0, context: '0x0', depth: 0 });
    // Loading initialized both devices' contexts; device 0's is bound again, as after cudaFree(0) on it.
    expect(r.afterLoads).toEqual({ device: 0, context: c0, depth: 1 });
    expect(r.statuses).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(r.afterLaunches).toEqual({ device: 0, context: c0, depth: 1 });
    expect(r.callerOnOne).toEqual({ device: 1, context: c1, depth: 1 });
    expect(r.afterCallerOnOne).toEqual({ device: 1, context: c1, depth: 1 });
    expect(r.launchContexts).toEqual([c0, c1, c0, c1, c0, c1, c0, c1]);
  });
});
