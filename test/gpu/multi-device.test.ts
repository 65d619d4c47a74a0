// Devices named explicitly, and two GPUs driven from one process: a kernel per device (the same
// artifact, loaded into each device's context), each device its own stream, launches interleaved
// between the devices, every output checked against float64 on fresh random inputs with the outputs
// poisoned first. The two-device parts skip themselves, saying so, on a machine with fewer GPUs.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileWhole } from '../helpers/compile-whole.js';
import { readEnvironment } from '../../src/env.js';
import { DeviceMismatchError, ERROR_CODES, SpecError } from '../../src/errors.js';
import { cudaRuntime, listGpus, type Address } from '../../src/ffi/cudart.js';
import type { Kernel } from '../../src/runtime/kernel.js';
import { Tensor } from '../../src/runtime/tensor.js';
import { describeSpec, normalizeSpec, type SpecInput } from '../../src/spec.js';
import { randomShapes, SEED, stageCheck, type StagedCheck } from '../helpers/property.js';
import { gpuCount, gpuReason, hasGpu } from '../helpers/requirements.js';

const COMPILERS = ['nvcc', 'nvrtc'] as const;
/** Specs of the main kernel families and dtypes, in both layouts. */
const SPECS: readonly SpecInput[] = [
  { kernelSize: 3 },
  { kernelSize: 5, padding: 'same', dtype: 'float16', layout: 'NHWC', bias: true, activation: 'relu' },
  { kernelSize: [3, 7], stride: 2, padding: 1, dtype: 'bfloat16', channelMultiplier: 2, bias: true },
  { kernelSize: 3, padding: 1, layout: 'NHWC', residual: true, activation: 'relu6' },
];
/** Large enough that the two devices' kernels overlap in time: ~16 MB of fp32 input per launch. */
const LARGE: readonly [number, number, number, number] = [4, 32, 160, 192];

const env = readEnvironment();
const cacheDir = mkdtempSync(join(tmpdir(), 'dwconv-multi-device-'));
const compileOn = (spec: SpecInput, compiler: (typeof COMPILERS)[number], device: number | `cuda:${number}`) =>
  compileWhole(spec, { target: 'cuda', compiler, device, cacheDir, precompiled: [] });

describe.skipIf(!hasGpu)(`a device named explicitly (needs a GPU: ${gpuReason})`, () => {
  it.each(COMPILERS)("the suite's device by index and as 'cuda:N' gives the kernel compile() gives by default (%s)", async (compiler) => {
    const rt = cudaRuntime(env);
    const current = rt.currentDevice();
    const named = await compileOn({ kernelSize: 3, padding: 1 }, compiler, current);
    expect(named.deviceIndex).toBe(current);
    const again = await compileOn({ kernelSize: 3, padding: 1 }, compiler, `cuda:${current}`);
    expect(again.provenance.origin).toBe('memory'); // the same loaded kernel: an index and its name are one device
    const byDefault = await compileWhole({ kernelSize: 3, padding: 1 }, { target: 'cuda', compiler, cacheDir, precompiled: [] });
    expect(byDefault.deviceIndex).toBe(current);
    expect(byDefault.provenance.origin).toBe('memory');
    const staged = stageCheck(named, [2, 8, 33, 47], SEED);
    try {
      staged.launch();
      const r = staged.verify();
      expect(r.failures, JSON.stringify(r.firstFailures)).toBe(0);
      expect(r.checked).toBe(2 * 8 * 33 * 47);
    } finally {
      staged.dispose();
    }
    const t = Tensor.empty([4], { device: `cuda:${current}` });
    expect(t.deviceIndex).toBe(current);
    t.dispose();
    expect(rt.currentDevice()).toBe(current);
  });

  it('an index past the last device is refused with the count, before anything is compiled', async () => {
    await expect(compileOn({ kernelSize: 3 }, 'nvrtc', gpuCount)).rejects.toMatchObject({ field: 'options.device', code: ERROR_CODES.spec });
    expect(() => Tensor.empty([4], { device: gpuCount })).toThrow(SpecError);
  });
});

describe.skipIf(gpuCount < 2)(`two devices from one process (needs 2 GPUs: this machine has ${gpuCount}${hasGpu ? '' : `, ${gpuReason}`})`, () => {
  const rt = cudaRuntime(env);
  const listed = listGpus(env);
  // Two GPUs of one model share an artifact; of two archs, each has its own.
  const sameArch = listed.ok && listed.devices[0]?.arch === listed.devices[1]?.arch;

  it.each(COMPILERS)('a kernel refuses the other device\'s tensors with a typed error, and writes nothing (%s)', async (compiler) => {
    const [k0, k1] = await Promise.all([compileOn({ kernelSize: 3 }, compiler, 0), compileOn({ kernelSize: 3 }, compiler, 1)]);
    const made: Tensor[] = [];
    const on = (shape: number[], device: number) => {
      const t = Tensor.fromArray(new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(1), shape, { device });
      made.push(t);
      return t;
    };
    try {
      const out0 = Tensor.empty([1, 4, 7, 7], { device: 0 });
      made.push(out0);
      const cases: [Kernel, () => unknown, string, string][] = [
        [k0, () => k0.forward(on([1, 4, 9, 9], 1), on([4, 1, 3, 3], 0), undefined, { out: out0 }), 'x', 'cuda:1'],
        [k0, () => k0.forward(on([1, 4, 9, 9], 0), on([4, 1, 3, 3], 1), undefined, { out: out0 }), 'w', 'cuda:1'],
        [k1, () => k1.forward(on([1, 4, 9, 9], 1), on([4, 1, 3, 3], 1), undefined, { out: out0 }), 'out', 'cuda:0'],
      ];
      for (const [k, call, argument, tensorDevice] of cases) {
        let err: unknown;
        try {
          call();
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(DeviceMismatchError);
        expect(err).toMatchObject({ code: 'ERR_DWCONV_DEVICE_MISMATCH', argument, tensorDevice, kernelDevice: `cuda:${k.deviceIndex}` });
      }
      // Nothing was launched: the poisoned output is still all NaN.
      expect(out0.toArray().every(Number.isNaN)).toBe(true);
    } finally {
      for (const t of made) t.dispose();
    }
  });

  it.each(COMPILERS)('both devices at once: own streams, interleaved launches, every output against float64 (%s)', async (compiler) => {
    const before = rt.currentDevice();
    const devices = [0, 1] as const;
    const streams: Address[] = devices.map((d) => rt.onDevice(d, () => rt.streamCreate()));
    const staged: { device: number; label: string; check: StagedCheck }[] = [];
    try {
      for (const [i, spec] of SPECS.entries()) {
        const kernels = await Promise.all(devices.map((d) => compileOn(spec, compiler, d)));
        expect(kernels.map((k) => k.deviceIndex)).toEqual([0, 1]);
        if (sameArch) {
          // One artifact, loaded on each device: the second device's kernel is not compiled again.
          expect(kernels[1]!.key).toBe(kernels[0]!.key);
          expect(kernels.filter((k) => k.provenance.origin === 'compiled').length).toBeLessThanOrEqual(1);
        }
        const shapes = [...randomShapes(normalizeSpec(spec), 3, SEED + i), ...(i === 0 ? [LARGE] : [])];
        for (const [j, shape] of shapes.entries()) {
          for (const d of devices) {
            // Fresh inputs for each device: a result copied from the other device would not match.
            staged.push({ device: d, label: `${describeSpec(kernels[d]!.spec)} on ${shape.join('x')}, cuda:${d}`, check: stageCheck(kernels[d]!, shape, SEED + 1000 * i + 10 * j + d) });
          }
        }
      }
      // Queued in turn, device 0 then device 1, without waiting: both devices have work in flight at once.
      for (const s of staged) s.check.launch(streams[s.device]);
      expect(rt.currentDevice()).toBe(before);
      for (const d of devices) rt.onDevice(d, () => rt.synchronize(streams[d]));
      const failures: string[] = [];
      let checked = 0;
      for (const s of staged) {
        const r = s.check.verify();
        checked += r.checked;
        if (r.failures > 0 || r.checked === 0) failures.push(`${s.label} (seed ${SEED}): ${r.failures}/${r.checked} wrong, e.g. ${JSON.stringify(r.firstFailures[0])}`);
      }
      expect(failures).toEqual([]);
      expect(checked).toBeGreaterThan(0);
      expect(rt.currentDevice()).toBe(before);
    } finally {
      for (const s of staged) s.check.dispose();
      for (const d of devices) rt.onDevice(d, () => rt.streamDestroy(streams[d]!));
    }
  });
});
