// Memory another library owns, wrapped with Tensor.fromDevicePointer: used in place on the caller's
// stream, checked like any tensor, and never freed by dispose.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileWhole } from '../helpers/compile-whole.js';
import { readEnvironment } from '../../src/env.js';
import { SpecError } from '../../src/errors.js';
import { cudaRuntime } from '../../src/ffi/cudart.js';
import { Tensor } from '../../src/runtime/tensor.js';
import { gpuReason, hasGpu } from '../helpers/requirements.js';

describe.skipIf(!hasGpu)(`Tensor.fromDevicePointer (needs a GPU: ${gpuReason})`, () => {
  const env = readEnvironment();
  const cacheDir = mkdtempSync(join(tmpdir(), 'dwconv-devptr-'));

  it.each(['nvcc', 'nvrtc'] as const)('wraps cudaMalloc memory, runs on a caller stream, and leaves the memory to its owner (%s)', async (compiler) => {
    const k = await compileWhole({ kernelSize: 3, dtype: 'float16' }, { target: 'cuda', compiler, cacheDir, precompiled: [] });
    const rt = cudaRuntime(env);
    const shape = [1, 4, 9, 9];
    const inBytes = 4 * 81 * 2;
    const xPtr = rt.malloc(inBytes);
    const yPtr = rt.malloc(4 * 49 * 2);
    const ones = Tensor.fromArray(new Float32Array(4 * 81).fill(1), shape, { dtype: 'float16' });
    rt.copyToDevice(xPtr, ones.hostBytes());
    const stream = rt.streamCreate();
    try {
      const x = Tensor.fromDevicePointer(xPtr, shape, { dtype: 'float16', layout: 'NCHW' });
      const out = Tensor.fromDevicePointer(yPtr, [1, 4, 7, 7], { dtype: 'float16', byteLength: 4 * 49 * 2 });
      const w = Tensor.fromArray(new Float32Array(36).fill(0.5), [4, 1, 3, 3], { dtype: 'float16', device: 'cuda' });
      expect(x.deviceIndex).toBe(rt.currentDevice());
      expect(k.forward(x, w, undefined, { out, stream })).toBe(out);
      rt.synchronize(stream);
      expect([...new Set(out.toArray())]).toEqual([4.5]);
      // A foreign tensor is checked like any other.
      expect(() => k.forward(x, w, undefined, { out: Tensor.fromDevicePointer(xPtr, [1, 4, 7, 7], { dtype: 'float16' }) })).toThrow(SpecError);
      expect(() => Tensor.fromDevicePointer(xPtr, [1, 4, 9, 9], { dtype: 'float32', byteLength: inBytes })).toThrow(SpecError);
      x.dispose();
      out.dispose();
      w.dispose();
      // Still the caller's: readable after dispose, freed by the caller.
      const back = new Uint8Array(4 * 49 * 2);
      rt.copyToHost(back, yPtr);
      expect(back.some((b) => b !== 0)).toBe(true);
    } finally {
      rt.streamDestroy(stream);
      rt.free(xPtr);
      rt.free(yPtr);
    }
  });

  it('an address the runtime does not know as device memory is refused', () => {
    expect(() => Tensor.fromDevicePointer(0x1000n, [16])).toThrow(SpecError);
  });
});
