// The CUDA paths of Tensor and Kernel.prepare without a GPU: libcudart is replaced by a small fake
// (test/fixtures/fake-cudart.c, built here with cc) whose "device" memory is host memory, and the
// kernel's artifact only records its arguments. What this shows: allocation sizes recorded and
// checked, device index checked, foreign pointers never freed, addresses passed through unchanged.
// This file must not import test/helpers/requirements.js: its GPU probe would load the real libcudart
// first, and the process keeps one runtime. (Several devices: fake-devices.test.ts.)
import { beforeAll, describe, expect, it } from 'vitest';
import type { Environment } from '../../src/env.js';
import { SpecError } from '../../src/errors.js';
import { Kernel, type KernelProvenance } from '../../src/runtime/kernel.js';
import type { LoadedArtifact } from '../../src/runtime/library.js';
import { Tensor } from '../../src/runtime/tensor.js';
import { normalizeSpec } from '../../src/spec.js';
import { buildFakeCudart, cc, type FakeCudart } from '../helpers/fake-cudart.js';

const provenance: KernelProvenance = { key: 'k', symbol: 'fake', artifactPath: '/nowhere', origin: 'compiled', compileMilliseconds: 0, loadMilliseconds: 0, variant: {}, compiler: 'nvcc' };

function refusal(f: () => unknown): string | undefined {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(SpecError);
    return (err as SpecError).field;
  }
  return undefined;
}

describe.skipIf(!cc)('CUDA tensors over a fake libcudart (needs a C compiler)', () => {
  let env: Environment;
  let fake: FakeCudart;
  const calls: unknown[][] = [];
  let cuda: Kernel;
  let cpu: Kernel;

  beforeAll(async () => {
    fake = await buildFakeCudart();
    env = fake.env;
    const artifact = (target: 'cuda' | 'cpu'): LoadedArtifact => ({ launch: (...args) => (calls.push(args), 0), info: { abi: 0, symbol: 'fake', target, spec: {} } });
    cuda = new Kernel(normalizeSpec({ kernelSize: 3, bias: true }), 'cuda', provenance, artifact('cuda'), env, 0);
    cpu = new Kernel(normalizeSpec({ kernelSize: 3, bias: true }), 'cpu', { ...provenance, compiler: 'cxx' }, artifact('cpu'), env);
  });

  const on = (shape: number[], device: 'cuda' | 'cpu' = 'cuda') => Tensor.fromArray(new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.5), shape, { device, env });

  it('values go to the device and back', () => {
    const t = Tensor.fromArray([1, 2, 3], [3], { device: 'cuda', dtype: 'float16', env });
    expect([...t.toArray()]).toEqual([1, 2, 3]);
    expect(t.deviceIndex).toBe(0);
  });

  it('a CUDA call gets the addresses and the stream unchanged', () => {
    calls.length = 0;
    const [x, w, b] = [on([1, 2, 5, 5]), on([2, 1, 3, 3]), on([2])];
    const out = cuda.forward(x, w, b, { stream: 0x5000n });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.slice(0, 3)).toEqual([x.deviceAddress(), w.deviceAddress(), b.deviceAddress()]);
    expect(calls[0]![8]).toBe(out.deviceAddress());
    expect(calls[0]!.slice(9)).toEqual([1, 2, 5, 5, 0x5000n]);
  });

  it('device, device index and overlap refusals', () => {
    calls.length = 0;
    const [x, w, b] = [on([1, 2, 5, 5]), on([2, 1, 3, 3]), on([2])];
    expect(refusal(() => cpu.forward(x, w, b))).toBe('x.device');
    expect(refusal(() => cuda.forward(x, on([2, 1, 3, 3], 'cpu'), b))).toBe('w.device');
    expect(refusal(() => cuda.forward(x, w, b, { out: Tensor.view(x, [1, 2, 3, 3]) }))).toBe('out');
    // Tensors made while device 1 was current belong to device 1: the device-0 kernel refuses them.
    fake.setDevice(1);
    const [x1, w1, b1] = (() => {
      try {
        return [on([1, 2, 5, 5]), on([2, 1, 3, 3]), on([2])];
      } finally {
        fake.setDevice(0);
      }
    })();
    expect(x1.deviceIndex).toBe(1);
    expect(refusal(() => cuda.forward(x1, w1, b1))).toBe('x.device');
    expect(refusal(() => cuda.forward(x, w1, b))).toBe('w.device');
    expect(calls).toHaveLength(0);
  });

  it('fromDevicePointer wraps foreign memory, checks its type and never frees it', () => {
    const owner = Tensor.empty([64], { device: 'cuda', env }); // stands in for another library's allocation
    const address = owner.deviceAddress();
    fake.setPointer(1, 0);
    expect(refusal(() => Tensor.fromDevicePointer(address, [2], { env }))).toBe('address');
    fake.setPointer(2, 0);
    const before = fake.frees();
    const foreign = Tensor.fromDevicePointer(address, [1, 2, 5, 5], { env, byteLength: 256 });
    expect(foreign.deviceAddress()).toBe(address);
    const view = Tensor.view(foreign, [50]);
    view.dispose();
    foreign[Symbol.dispose]();
    expect(foreign.disposed).toBe(true);
    expect(fake.frees()).toBe(before); // detached, not freed
    expect(refusal(() => cuda.forward(foreign, on([2, 1, 3, 3]), on([2])))).toBe('x');
    expect(refusal(() => Tensor.fromDevicePointer(address, [1, 2, 5, 5], { env, byteLength: 196 }))).toBe('byteLength');
    owner.dispose();
    expect(fake.frees()).toBe(before + 1); // our own allocation is freed
  });

  it('a foreign pointer on another device is refused at the call', () => {
    const owner = Tensor.empty([64], { device: 'cuda', env });
    fake.setPointer(2, 1);
    try {
      const foreign = Tensor.fromDevicePointer(owner.deviceAddress(), [1, 2, 5, 5], { env, byteLength: 256 });
      expect(foreign.deviceIndex).toBe(1);
      expect(refusal(() => cuda.forward(foreign, on([2, 1, 3, 3]), on([2])))).toBe('x.device');
    } finally {
      fake.setPointer(2, 0);
      owner.dispose();
    }
  });
});
