// Two CUDA devices without a GPU: the fake libcudart (test/fixtures/fake-cudart.c) has two, remembers
// which device each allocation was made on, and fails a copy, memset or free of it while another
// device is current. What this shows: tensors placed on the device asked for, every CUDA call on a
// tensor made with its device current and the caller's current device put back, a kernel of device 1
// launching with device 1 current whatever the caller has current, the refusal of another device's
// tensors, compile's device option resolved against the machine, and doctor listing both devices.
// Not shown here (needs GPUs: test/gpu/multi-device.test.ts): cubin contexts, real launches.
// This file must not import test/helpers/requirements.js (see test/helpers/fake-cudart.ts).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DeviceMismatchError, SpecError } from '../../src/errors.js';
import { cudaRuntime, listGpus, type CudaRuntime } from '../../src/ffi/cudart.js';
import { resolveOptions } from '../../src/options.js';
import { Kernel, type KernelProvenance } from '../../src/runtime/kernel.js';
import type { LoadedArtifact } from '../../src/runtime/library.js';
import { Tensor } from '../../src/runtime/tensor.js';
import { normalizeSpec } from '../../src/spec.js';
import { runDoctor } from '../../src/tools/doctor.js';
import { buildFakeCudart, cc, type FakeCudart } from '../helpers/fake-cudart.js';

const provenance: KernelProvenance = { key: 'k', symbol: 'fake', artifactPath: '/nowhere', origin: 'compiled', compileMilliseconds: 0, loadMilliseconds: 0, variant: {}, compiler: 'nvcc' };

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe.skipIf(!cc)('two CUDA devices over a fake libcudart (needs a C compiler)', () => {
  let fake: FakeCudart;
  let rt: CudaRuntime;
  /** Each launch: the kernel's label and the device current when the artifact was called. */
  const launches: { kernel: string; current: number; stream: unknown }[] = [];
  const kernelOn = (device: number) => {
    const artifact: LoadedArtifact = {
      launch: (...args) => (launches.push({ kernel: `k${device}`, current: rt.currentDevice(), stream: args[13] }), 0),
      info: { abi: 0, symbol: 'fake', target: 'cuda', spec: {} },
    };
    return new Kernel(normalizeSpec({ kernelSize: 3, bias: true }), 'cuda', provenance, artifact, fake.env, device);
  };
  const filled = (shape: number[], device: 0 | 1 | 'cuda:0' | 'cuda:1' | 'cuda') => Tensor.fromArray(new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.5), shape, { device, env: fake.env });
  const operands = (device: 0 | 1) => ({ x: filled([1, 2, 5, 5], device), w: filled([2, 1, 3, 3], device), b: filled([2], device) });

  beforeAll(async () => {
    fake = await buildFakeCudart();
    rt = cudaRuntime(fake.env);
  });

  afterEach(() => {
    // Each test starts as a fresh process would: device 0 current, two devices.
    fake.setCount(2);
    fake.setDevice(0);
    launches.length = 0;
  });

  it('a tensor goes to the device asked for, and the current device is left as it was', () => {
    const before = fake.setCalls();
    const here = filled([4], 'cuda');
    expect(here.deviceIndex).toBe(0);
    expect(fake.setCalls()).toBe(before); // the current device: no switch
    for (const name of [1, 'cuda:1'] as const) {
      const t = filled([4], name);
      expect(t.deviceIndex).toBe(1);
      expect(fake.deviceOf(t.deviceAddress())).toBe(1);
      expect(rt.currentDevice()).toBe(0);
      // The fake fails a copy of device-1 memory with device 0 current: these pass only on device 1.
      expect([...t.toArray()]).toEqual([0.5, 0.5, 0.5, 0.5]);
      const empty = Tensor.empty([3], { device: name, env: fake.env });
      expect([...empty.toArray()].every(Number.isNaN)).toBe(true);
      const frees = fake.frees();
      t.dispose();
      empty.dispose();
      expect(fake.frees()).toBe(frees + 2);
      expect(rt.currentDevice()).toBe(0);
    }
    expect(fake.setCalls()).toBeGreaterThan(before);
  });

  it("'cuda' is the thread's current device when the tensor is made", () => {
    fake.setDevice(1);
    const t = filled([2], 'cuda');
    expect(t.deviceIndex).toBe(1);
    expect(fake.deviceOf(t.deviceAddress())).toBe(1);
    fake.setDevice(0);
    expect([...t.toArray()]).toEqual([0.5, 0.5]); // read back on its own device, from device 0
    expect(rt.currentDevice()).toBe(0);
  });

  it('an index past the last device is refused before anything is allocated', () => {
    const mallocs = fake.mallocs();
    expect((thrown(() => filled([2], 2 as never)) as SpecError).allowed).toBe('0 to 1 (this machine has 2 CUDA devices)');
    fake.setCount(1);
    expect((thrown(() => filled([2], 1)) as SpecError).field).toBe('device');
    expect(fake.mallocs()).toBe(mallocs);
  });

  it('fromDevicePointer takes the device the runtime reports and refuses a device that contradicts it', () => {
    const owner = filled([64], 1);
    const address = owner.deviceAddress();
    expect(Tensor.fromDevicePointer(address, [16], { env: fake.env }).deviceIndex).toBe(1);
    expect(Tensor.fromDevicePointer(address, [16], { env: fake.env, device: 'cuda:1' }).deviceIndex).toBe(1);
    expect(thrown(() => Tensor.fromDevicePointer(address, [16], { env: fake.env, device: 0 }))).toMatchObject({ field: 'device', value: 'cuda:0' });
    owner.dispose();
  });

  it('a kernel of device 1 launches with device 1 current, and puts the caller\'s device back', () => {
    const k1 = kernelOn(1);
    const { x, w, b } = operands(1);
    const out = k1.forward(x, w, b);
    expect(out.deviceIndex).toBe(1); // the output it made is on its device too
    expect(launches).toEqual([{ kernel: 'k1', current: 1, stream: 0 }]);
    expect(rt.currentDevice()).toBe(0);
    fake.setDevice(1);
    k1.forward(x, w, b, { out });
    expect(launches.at(-1)!.current).toBe(1);
    expect(rt.currentDevice()).toBe(1);
  });

  it('run() places its tensors on the kernel\'s device and synchronizes there', async () => {
    const k1 = kernelOn(1);
    const y = await k1.run(new Float32Array(50).fill(1), [1, 2, 5, 5], new Float32Array(18).fill(1), new Float32Array(2));
    expect(y).toHaveLength(18);
    expect(launches).toEqual([{ kernel: 'k1', current: 1, stream: 0 }]);
    expect(rt.currentDevice()).toBe(0);
  });

  it('interleaved launches of two devices each find their own device current', () => {
    const kernels = [kernelOn(0), kernelOn(1)] as const;
    const ops = [operands(0), operands(1)] as const;
    const streams = [0, 1].map((d) => rt.onDevice(d, () => rt.streamCreate()));
    expect(streams).toEqual([0x5000, 0x5001]);
    for (let i = 0; i < 8; i++) {
      const d = i % 2;
      kernels[d]!.forward(ops[d]!.x, ops[d]!.w, ops[d]!.b, { stream: streams[d]! });
    }
    expect(launches.map((l) => `${l.kernel}@${l.current}/${Number(l.stream).toString(16)}`)).toEqual(
      Array.from({ length: 8 }, (_, i) => `k${i % 2}@${i % 2}/${(0x5000 + (i % 2)).toString(16)}`),
    );
    expect(rt.currentDevice()).toBe(0);
  });

  it('a kernel refuses every tensor of the other device with a DeviceMismatchError, and launches nothing', () => {
    const k0 = kernelOn(0);
    const zero = operands(0);
    const one = operands(1);
    const refused = (f: () => unknown) => {
      const err = thrown(f);
      expect(err).toBeInstanceOf(DeviceMismatchError);
      return err as DeviceMismatchError;
    };
    expect(refused(() => k0.forward(one.x, zero.w, zero.b))).toMatchObject({ field: 'x.device', tensorDevice: 'cuda:1', kernelDevice: 'cuda:0', code: 'ERR_DWCONV_DEVICE_MISMATCH' });
    expect(refused(() => k0.forward(zero.x, one.w, zero.b)).argument).toBe('w');
    expect(refused(() => k0.forward(zero.x, zero.w, one.b)).argument).toBe('b');
    expect(refused(() => k0.forward(zero.x, zero.w, zero.b, { out: Tensor.empty([1, 2, 3, 3], { device: 1, env: fake.env }) })).argument).toBe('out');
    expect(refused(() => kernelOn(1).forward(zero.x, one.w, one.b)).kernelDevice).toBe('cuda:1');
    expect(launches).toHaveLength(0);
  });

  it("compile's device option is resolved against the machine: an index, 'cuda:N', or the current device", () => {
    const env = { DWCONV_JIT_CUDART: fake.path, PATH: process.env.PATH ?? '' };
    const resolve = (device: unknown) => resolveOptions({ kernelSize: 3 }, { target: 'cuda', env, ...(device === undefined ? {} : { device: device as never }) }, 'load');
    expect(resolve(1).device).toBe(1);
    expect(resolve('cuda:1').device).toBe(1);
    expect(resolve(1).arch).toBe('sm_99');
    expect(resolve(undefined).device).toBe(0);
    fake.setDevice(1);
    expect(resolve(undefined).device).toBe(1);
    expect(resolve('cuda').device).toBe(1);
    fake.setDevice(0);
    expect(thrown(() => resolve(2))).toMatchObject({ field: 'options.device', allowed: '0 to 1 (this machine has 2 CUDA devices)' });
    // A build reads the arch from the device asked for, and checks that it exists.
    expect(resolveOptions({ kernelSize: 3 }, { target: 'cuda', device: 1, env }, 'build').device).toBe(1);
    expect(thrown(() => resolveOptions({ kernelSize: 3 }, { target: 'cuda', device: 5, arch: 'sm_90', env }, 'build'))).toBeInstanceOf(SpecError);
  });

  it('doctor lists every device, the current one marked', async () => {
    const listed = listGpus(fake.env);
    expect(listed.ok && listed.devices.map((d) => [d.index, d.pciBusId])).toEqual([[0, '0009:10:09.0'], [1, '0009:11:09.0']]);
    const report = await runDoctor({ env: { DWCONV_JIT_CUDART: fake.path, PATH: process.env.PATH ?? '' }, cacheDir: join(mkdtempSync(join(tmpdir(), 'dwconv-doctor-')), 'cache') });
    expect(report.gpus.map((g) => g.index)).toEqual([0, 1]);
    const check = report.checks.find((c) => c.name === 'GPU')!;
    expect(check.ok).toBe(true);
    expect(check.detail).toBe('2 CUDA devices: cuda:0 (current) fake, sm_99, 9 SMs, PCI 0009:10:09.0; cuda:1 fake, sm_99, 9 SMs, PCI 0009:11:09.0');
  });
});
