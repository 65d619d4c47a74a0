// Several devices without a GPU: how devices are named and checked, the guard between a kernel's
// device and a tensor's, and the per-thread scoping of the current device and context over recording
// stand-ins for the CUDA calls (a second device that is only a number is honest here: the logic under
// test compares and switches indices, it never touches the memory).
import { describe, expect, it } from 'vitest';
import { parseDeviceFlag } from '../../src/cli/common.js';
import { checkDeviceIndex, deviceName, parseCudaDevice, parseDevice } from '../../src/device.js';
import { readEnvironment } from '../../src/env.js';
import { DeviceMismatchError, DwconvError, ERROR_CODES, SpecError } from '../../src/errors.js';
import { inContext, onDevice, type ContextStackCalls, type CurrentDeviceCalls } from '../../src/ffi/current.js';
import { resolveOptions } from '../../src/options.js';
import { checkTensorDevice } from '../../src/runtime/device-guard.js';
import { Kernel, type KernelProvenance } from '../../src/runtime/kernel.js';
import type { LoadedArtifact } from '../../src/runtime/library.js';
import { Tensor } from '../../src/runtime/tensor.js';
import { normalizeSpec } from '../../src/spec.js';
import { onlyDevice } from '../../src/tools/demo.js';

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('device names', () => {
  it('takes an index, cuda:N and cuda for a GPU, and cpu for a tensor', () => {
    expect(parseDevice('device', 'cpu')).toEqual({ kind: 'cpu' });
    expect(parseDevice('device', 'cuda')).toEqual({ kind: 'cuda', index: 'current' });
    expect(parseDevice('device', 'cuda:0')).toEqual({ kind: 'cuda', index: 0 });
    expect(parseDevice('device', 'cuda:12')).toEqual({ kind: 'cuda', index: 12 });
    expect(parseDevice('device', 3)).toEqual({ kind: 'cuda', index: 3 });
    expect(parseCudaDevice('options.device', 1)).toBe(1);
    expect(parseCudaDevice('options.device', 'cuda:1')).toBe(1);
    expect(parseCudaDevice('options.device', 'cuda')).toBe('current');
  });

  it.each([-1, 1.5, NaN, Infinity, 2 ** 31, '1', 'cuda:', 'cuda:01', 'cuda:-1', 'cuda:1.0', 'cuda: 1', ' cuda:1', 'CUDA:1', 'gpu:1', 'cuda:1:2', null, true, {}, [1]])('refuses %s, naming the field', (value) => {
    const err = thrown(() => parseCudaDevice('options.device', value));
    expect(err).toBeInstanceOf(SpecError);
    expect((err as SpecError).field).toBe('options.device');
    expect((err as SpecError).code).toBe(ERROR_CODES.spec);
  });

  it("a compile option takes no 'cpu' (that is the target's word)", () => {
    expect((thrown(() => parseCudaDevice('options.device', 'cpu')) as SpecError).field).toBe('options.device');
  });

  it('an index past the last device is refused with the count', () => {
    expect(() => checkDeviceIndex('options.device', 1, 2)).not.toThrow();
    expect((thrown(() => checkDeviceIndex('options.device', 1, 1)) as SpecError).allowed).toBe('0 (this machine has one CUDA device)');
    expect((thrown(() => checkDeviceIndex('device', 2, 2)) as SpecError).allowed).toBe('0 to 1 (this machine has 2 CUDA devices)');
  });

  it('names devices as errors and reports do', () => {
    expect(deviceName('cpu', undefined)).toBe('cpu');
    expect(deviceName('cuda', 1)).toBe('cuda:1');
  });

  it('--device takes 1, cuda:1 and cuda, and refuses the rest in its own name', () => {
    expect(parseDeviceFlag('1')).toBe(1);
    expect(parseDeviceFlag('cuda:1')).toBe(1);
    expect(parseDeviceFlag('cuda')).toBe('cuda');
    for (const bad of ['', '-1', 'one', '01', 'cuda:x', '1e3']) expect((thrown(() => parseDeviceFlag(bad)) as SpecError).field).toBe('--device');
  });

  it('a child process is shown the same GPU as an index names here', () => {
    expect(onlyDevice(1, undefined)).toBe('1');
    expect(onlyDevice(1, '2,3')).toBe('3');
    expect(onlyDevice(0, 'GPU-aaaa, GPU-bbbb')).toBe('GPU-aaaa');
  });
});

describe('the guard between a kernel and its tensors', () => {
  const cuda = (i: number) => ({ device: 'cuda' as const, deviceIndex: i });
  const cpu = { device: 'cpu' as const, deviceIndex: undefined };

  it('passes a tensor of the kernel\'s own device', () => {
    expect(() => checkTensorDevice('x', cpu, cpu)).not.toThrow();
    expect(() => checkTensorDevice('x', cuda(0), cuda(0))).not.toThrow();
    expect(() => checkTensorDevice('x', cuda(1), cuda(1))).not.toThrow();
  });

  it('refuses another GPU, the host for a GPU kernel and a GPU for a CPU kernel, with a typed error of its own code', () => {
    const other = thrown(() => checkTensorDevice('w', cuda(1), cuda(0)));
    expect(other).toBeInstanceOf(DeviceMismatchError);
    expect(other).toBeInstanceOf(SpecError);
    expect(other).toMatchObject({ code: 'ERR_DWCONV_DEVICE_MISMATCH', field: 'w.device', value: 'cuda:1', argument: 'w', tensorDevice: 'cuda:1', kernelDevice: 'cuda:0' });
    expect((other as Error).message).toMatch(/compile the kernel for cuda:1 with \{ device: 1 \}/);
    expect(thrown(() => checkTensorDevice('x', cpu, cuda(0)))).toMatchObject({ code: ERROR_CODES.deviceMismatch, tensorDevice: 'cpu', kernelDevice: 'cuda:0' });
    expect(thrown(() => checkTensorDevice('out', cuda(0), cpu))).toMatchObject({ code: ERROR_CODES.deviceMismatch, field: 'out.device', kernelDevice: 'cpu' });
  });

  it('a CUDA kernel refuses host tensors before any CUDA call, and nothing is launched', () => {
    const calls: unknown[][] = [];
    const artifact: LoadedArtifact = { launch: (...args) => (calls.push(args), 0), info: { abi: 0, symbol: 'fake', target: 'cuda', spec: {} } };
    const provenance: KernelProvenance = { key: 'k', symbol: 'fake', artifactPath: '/nowhere', origin: 'compiled', compileMilliseconds: 0, loadMilliseconds: 0, variant: {}, compiler: 'nvrtc' };
    // Device 1 of a machine this test never asks: the guard compares indices and refuses before anything reaches CUDA.
    const k = new Kernel(normalizeSpec({ kernelSize: 3 }), 'cuda', provenance, artifact, readEnvironment({}), 1);
    expect(k.deviceIndex).toBe(1);
    const host = (shape: number[]) => Tensor.fromArray(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
    expect(thrown(() => k.forward(host([1, 1, 5, 5]), host([1, 1, 3, 3])))).toMatchObject({ field: 'x.device', value: 'cpu', kernelDevice: 'cuda:1' });
    expect(calls).toHaveLength(0);
    expect(k.fromMemory().deviceIndex).toBe(1);
  });

  it('a kernel is built with a device index exactly when it is a CUDA kernel', () => {
    const artifact: LoadedArtifact = { launch: () => 0, info: { abi: 0, symbol: 'fake', target: 'cuda', spec: {} } };
    const provenance: KernelProvenance = { key: 'k', symbol: 'fake', artifactPath: '/nowhere', origin: 'compiled', compileMilliseconds: 0, loadMilliseconds: 0, variant: {}, compiler: 'nvrtc' };
    const spec = normalizeSpec({ kernelSize: 3 });
    expect(() => new Kernel(spec, 'cuda', provenance, artifact, readEnvironment({}))).toThrow(DwconvError);
    expect(() => new Kernel(spec, 'cpu', provenance, artifact, readEnvironment({}), 0)).toThrow(DwconvError);
  });
});

describe('tensor and compile options name a device before anything is allocated', () => {
  it.each(['cuda:01', -1, 'gpu', 2.5, 'cuda:'])('Tensor refuses device %s', (device) => {
    expect((thrown(() => Tensor.empty([2], { device: device as never })) as SpecError).field).toBe('device');
  });

  it("compile's device is checked with the other options; the CPU target takes none", () => {
    const env = { PATH: process.env.PATH ?? '' };
    expect((thrown(() => resolveOptions({ kernelSize: 3 }, { target: 'cpu', device: 0, env }, 'load')) as SpecError).field).toBe('options.device');
    expect((thrown(() => resolveOptions({ kernelSize: 3 }, { target: 'cpu', device: 'cuda', env }, 'load')) as SpecError).field).toBe('options.device');
    expect((thrown(() => resolveOptions({ kernelSize: 3 }, { target: 'cuda', device: 'cuda:x' as never, env }, 'build')) as SpecError).field).toBe('options.device');
    expect(resolveOptions({ kernelSize: 3 }, { target: 'cpu', env }, 'load').device).toBeUndefined();
  });
});

describe('the current device, scoped', () => {
  function recorder(start: number): CurrentDeviceCalls & { current: number; sets: number[]; failSet?: number } {
    const r = {
      current: start,
      sets: [] as number[],
      failSet: undefined as number | undefined,
      get: () => r.current,
      set: (d: number) => {
        if (d === r.failSet) throw new Error(`cannot set ${d}`);
        r.sets.push(d);
        r.current = d;
      },
    };
    return r;
  }

  it('switches for the call and puts the caller\'s device back', () => {
    const r = recorder(0);
    expect(onDevice(r, 1, () => r.current)).toBe(1);
    expect(r.current).toBe(0);
    expect(r.sets).toEqual([1, 0]);
  });

  it('does not switch to the device already current', () => {
    const r = recorder(1);
    expect(onDevice(r, 1, () => 'ran')).toBe('ran');
    expect(r.sets).toEqual([]);
  });

  it('nests: interleaved work for two devices always finds its own device current', () => {
    const r = recorder(0);
    const seen: number[] = [];
    for (let i = 0; i < 4; i++) {
      const d = i % 2;
      onDevice(r, d, () => {
        seen.push(r.current);
        onDevice(r, 1 - d, () => seen.push(r.current));
        seen.push(r.current);
      });
    }
    expect(seen).toEqual([0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
    expect(r.current).toBe(0);
  });

  it('restores after a throw, and the throw is what the caller sees', () => {
    const r = recorder(0);
    expect(() => onDevice(r, 1, () => {
      throw new Error('launch failed');
    })).toThrow('launch failed');
    expect(r.current).toBe(0);
    r.failSet = 0;
    expect(() => onDevice(r, 1, () => {
      throw new Error('launch failed');
    })).toThrow('launch failed');
  });

  it('a failed restore after a good call is reported, not swallowed', () => {
    const r = recorder(0);
    r.failSet = 0;
    expect(() => onDevice(r, 1, () => 'ok')).toThrow('cannot set 0');
  });
});

describe('the driver context, scoped', () => {
  function stack(initial: bigint[]): ContextStackCalls & { contexts: bigint[]; pushes: number } {
    const s = {
      contexts: [...initial],
      pushes: 0,
      current: () => s.contexts.at(-1) ?? 0n,
      push: (c: bigint) => {
        s.pushes++;
        s.contexts.push(c);
      },
      pop: () => s.contexts.pop() ?? 0n,
    };
    return s;
  }

  it('pushes the module\'s context for the call and pops it, leaving the stack as it was', () => {
    const s = stack([0xa0n]);
    expect(inContext(s, 0xb0n, () => s.current())).toBe(0xb0n);
    expect(s.contexts).toEqual([0xa0n]);
    const empty = stack([]);
    inContext(empty, 0xb0n, () => undefined);
    expect(empty.contexts).toEqual([]);
  });

  it('pushes nothing when the context is already current', () => {
    const s = stack([0xb0n]);
    inContext(s, 0xb0n, () => undefined);
    expect(s.pushes).toBe(0);
  });

  it('pops after a throw', () => {
    const s = stack([0xa0n]);
    expect(() => inContext(s, 0xb0n, () => {
      throw new Error('launch failed');
    })).toThrow('launch failed');
    expect(s.contexts).toEqual([0xa0n]);
  });

  it('says so when the call replaced the pushed context (the caller\'s state is lost)', () => {
    const s = stack([0xa0n]);
    expect(() => inContext(s, 0xb0n, () => {
      s.contexts[s.contexts.length - 1] = 0xc0n; // what a cudaSetDevice inside would do
    })).toThrow(DwconvError);
  });
});
