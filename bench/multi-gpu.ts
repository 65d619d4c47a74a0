// The reference problem (N=64 C=128 H=256 W=512, 3x3 depthwise, fp32 NCHW, stride 1, no padding)
// split over two GPUs by batch from one process (32 images each, a kernel per device, each device its
// own stream), against the whole batch on one GPU. Both are checked against float64 first (a random
// sample of outputs, NaN-poisoned beforehand), then timed in alternating rounds: a round queues
// `--batch` launches on every device it uses without waiting, between CUDA events on each device's
// stream; its time per launch is the slowest device's event span over the batch (events of two
// devices cannot be subtracted from each other, so the host's wall time of the round is reported
// too, as a check that includes the skew between the devices' starts). Medians over `--reps` rounds.
// On a machine with one GPU the one-GPU figures are reported and the two-GPU half says it was skipped.
//
// Usage: node --import tsx bench/multi-gpu.ts [--reps N] [--batch N] [--compiler auto|nvcc|nvrtc] [--seed N] [--json FILE]
import { writeFileSync } from 'node:fs';
import { compile, type CompilerChoice } from '../src/compile.js';
import { readEnvironment } from '../src/env.js';
import { cudaRuntime, listGpus, type Address, type CudaRuntime } from '../src/ffi/cudart.js';
import type { Kernel } from '../src/runtime/kernel.js';
import { Tensor } from '../src/runtime/tensor.js';
import { describeSpec } from '../src/spec.js';
import { readAt, timeLaunches, uniformStored, uploadUniform } from '../src/tools/device-data.js';
import { median } from '../src/tools/stats.js';
import { randomParameters } from '../src/verify/operands.js';
import { freshSeed } from '../src/verify/random.js';
import { sampleIndices, verifyOutputs } from '../src/verify/sample.js';

const SHAPE = [64, 128, 256, 512] as const;
const SPEC = { kernelSize: 3 } as const;
const SAMPLE = 100_000;
const GOAL = 1.9;

function flag(name: string, fallback: string): string {
  const args = process.argv.slice(2);
  const at = args.indexOf(name);
  return at >= 0 && args[at + 1] !== undefined ? args[at + 1]! : fallback;
}
function intFlag(name: string, fallback: number, max: number): number {
  const value = Number(flag(name, String(fallback)));
  if (!Number.isInteger(value) || value < 1 || value > max) throw new Error(`${name}: an integer from 1 to ${max}`);
  return value;
}
const reps = intFlag('--reps', 9, 1000);
const batch = intFlag('--batch', 10, 1000);
const compiler = flag('--compiler', 'auto') as CompilerChoice;
const jsonPath = process.argv.includes('--json') ? flag('--json', '') : undefined;
const seed = freshSeed(process.argv.includes('--seed') ? flag('--seed', '') : undefined);

const env = readEnvironment();
const gpus = listGpus(env);
if (!gpus.ok) {
  console.log(JSON.stringify({ error: `no usable GPU: ${gpus.reason}` }, null, 2));
  process.exit(1);
}
const rt = cudaRuntime(env);
const twoDevices = gpus.devices.length >= 2;
const progress = (line: string) => process.stderr.write(`[multi-gpu] ${line}\n`);

/** One device's share: its kernel, stream, input images [first, first + count) of the batch, and its output. */
interface Share {
  readonly device: number;
  readonly kernel: Kernel;
  readonly stream: Address;
  readonly x: Tensor;
  readonly w: Tensor;
  readonly out: Tensor;
  /** Where this share's input starts in the whole batch's flat index space (the values are uniformAt(seed, first + i)). */
  readonly firstElement: number;
}

const owned: Tensor[] = [];
const keep = (t: Tensor) => (owned.push(t), t);
const count = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function share(kernel: Kernel, images: number, firstImage: number, base?: { x: Tensor; out: Tensor }): Share {
  const device = kernel.deviceIndex!;
  const shape = [images, SHAPE[1], SHAPE[2], SHAPE[3]] as const;
  const outShape = kernel.outputShape(shape);
  const firstElement = firstImage * count(SHAPE.slice(1));
  return rt.onDevice(device, () => {
    // A view of the whole batch's tensors where it is the first half of them on the same device.
    const x = base ? Tensor.view(base.x, shape) : keep(Tensor.empty(shape, { device }));
    if (!base) {
      progress(`cuda:${device}: uploading ${((x.byteLength) / 1e9).toFixed(2)} GB of input (images ${firstImage}..${firstImage + images - 1})`);
      uploadUniform(rt, x.deviceAddress(), x.length, 'float32', seed, firstElement);
    }
    const p = randomParameters(kernel.spec, SHAPE[1], seed ^ 0x5bd1e995);
    const w = keep(Tensor.fromArray(p.w, kernel.weightShape(SHAPE[1]), { device }));
    const out = base ? Tensor.view(base.out, outShape) : keep(Tensor.empty(outShape, { device }));
    return { device, kernel, stream: rt.streamCreate(), x, w, out, firstElement };
  });
}

/** Poisons the outputs, launches every share (interleaved, on its own stream), and checks a sample of each against float64. */
function check(shares: readonly Share[]) {
  for (const s of shares) rt.onDevice(s.device, () => rt.memset(s.out.deviceAddress(), 0xff, s.out.byteLength));
  for (const s of shares) s.kernel.forward(s.x, s.w, undefined, { out: s.out, stream: s.stream });
  return shares.map((s) => rt.onDevice(s.device, () => {
    rt.synchronize(s.stream);
    const inShape = s.x.shape as readonly [number, number, number, number];
    const outShape = s.kernel.outputShape(inShape);
    const indices = sampleIndices(count(outShape), SAMPLE);
    const values = readAt(rt, s.out.deviceAddress(), indices, 'float32');
    const p = randomParameters(s.kernel.spec, SHAPE[1], seed ^ 0x5bd1e995);
    const ref = { spec: s.kernel.spec, inputShape: inShape, input: (i: number) => uniformStored(seed, s.firstElement + i, 'float32'), weight: p.w };
    const r = verifyOutputs(ref, outShape, indices, (k) => values[k]!, 'float32');
    return { device: `cuda:${s.device}`, images: inShape[0], checked: r.checked, failures: r.failures, maxRelativeError: r.maxRelativeError, firstFailures: r.firstFailures };
  }));
}

/** Per-launch milliseconds of one round: `batch` launches queued on every share's stream without waiting. */
function round(shares: readonly Share[], events: Map<number, [Address, Address]>): { eventMs: number; perDeviceMs: number[]; hostMs: number } {
  const started = performance.now();
  for (const s of shares) rt.onDevice(s.device, () => rt.eventRecord(events.get(s.device)![0], s.stream));
  for (let i = 0; i < batch; i++) for (const s of shares) s.kernel.forward(s.x, s.w, undefined, { out: s.out, stream: s.stream });
  for (const s of shares) rt.onDevice(s.device, () => rt.eventRecord(events.get(s.device)![1], s.stream));
  const perDeviceMs = shares.map((s) => rt.onDevice(s.device, () => rt.eventElapsedMs(...events.get(s.device)!)) / batch);
  const hostMs = (performance.now() - started) / batch;
  return { eventMs: Math.max(...perDeviceMs), perDeviceMs, hostMs };
}

function eventsFor(shares: readonly Share[], rtm: CudaRuntime): Map<number, [Address, Address]> {
  return new Map(shares.map((s) => [s.device, rtm.onDevice(s.device, () => [rtm.eventCreate(), rtm.eventCreate()] as [Address, Address])]));
}

progress(`${gpus.devices.length} CUDA device(s): ${gpus.devices.map((d) => `cuda:${d.index} ${d.name} ${d.arch}`).join('; ')}; seed ${seed}`);
const kernels = await Promise.all((twoDevices ? [0, 1] : [0]).map((device) => compile(SPEC, { target: 'cuda', device, compiler, precompiled: [] })));
await Promise.all(kernels.map((k) => k.whenComplete())); // timed whole: an NVRTC compile returns before its later programs are loaded
const k0 = kernels[0]!;
progress(`compiled ${describeSpec(k0.spec)} with ${k0.provenance.compiler} (${k0.provenance.origin}); loaded on ${kernels.map((k) => `cuda:${k.deviceIndex}`).join(', ')}`);

const whole = share(k0, SHAPE[0], 0);
const half = SHAPE[0] / 2;
const split = twoDevices ? [share(k0, half, 0, whole), share(kernels[1]!, half, half)] : undefined;

progress('checking against float64 (outputs poisoned first)');
const twoCheck = split ? check(split) : undefined;
const oneCheck = check([whole]);

progress(`timing: ${reps} rounds of ${batch} launches each, one GPU and two GPUs alternating`);
// Single launches on the default stream, as the demo and the bench time them (for comparison with their figures).
const launchMs = rt.onDevice(0, () => timeLaunches(rt, () => k0.forward(whole.x, whole.w, undefined, { out: whole.out }), reps * batch));
const oneEvents = eventsFor([whole], rt);
const twoEvents = split ? eventsFor(split, rt) : undefined;
round([whole], oneEvents); // warm-up of each configuration
if (split) round(split, twoEvents!);
const one: ReturnType<typeof round>[] = [];
const two: ReturnType<typeof round>[] = [];
for (let r = 0; r < reps; r++) {
  one.push(round([whole], oneEvents));
  if (split) two.push(round(split, twoEvents!));
}

const bytesMoved = whole.x.byteLength + whole.out.byteLength;
const oneMs = median(one.map((r) => r.eventMs));
const oneHostMs = median(one.map((r) => r.hostMs));
const twoMs = split ? median(two.map((r) => r.eventMs)) : undefined;
const twoHostMs = split ? median(two.map((r) => r.hostMs)) : undefined;
const result = {
  problem: { spec: describeSpec(k0.spec), shape: SHAPE, dtype: 'float32', layout: 'NCHW', bytesMoved },
  devices: gpus.devices,
  compiler: k0.provenance.compiler,
  variant: k0.provenance.variant,
  seed,
  method: `medians over ${reps} alternating rounds of ${batch} launches queued per device; eventMs: the slowest device's CUDA-event span per launch; hostMs: the round's wall time per launch`,
  oneGpu: {
    device: 'cuda:0',
    launchMs,
    eventMs: oneMs,
    hostMs: oneHostMs,
    GBps: bytesMoved / oneMs / 1e6,
    check: oneCheck[0],
  },
  twoGpu: split
    ? {
      devices: ['cuda:0', 'cuda:1'],
      split: `by batch: images 0..${half - 1} on cuda:0, ${half}..${SHAPE[0] - 1} on cuda:1`,
      eventMs: twoMs,
      hostMs: twoHostMs,
      perDeviceMs: [0, 1].map((i) => median(two.map((r) => r.perDeviceMs[i]!))),
      GBps: bytesMoved / twoMs! / 1e6,
      speedup: oneMs / twoMs!,
      hostSpeedup: oneHostMs / twoHostMs!,
      goal: GOAL,
      meetsGoal: oneMs / twoMs! >= GOAL && oneHostMs / twoHostMs! >= GOAL,
      check: twoCheck,
    }
    : { skipped: `this machine has ${gpus.devices.length} CUDA device; the two-GPU half needs 2` },
};
const text = JSON.stringify(result, null, 2);
console.log(text);
if (jsonPath) writeFileSync(jsonPath, `${text}\n`);
const checks = [...oneCheck, ...(twoCheck ?? [])];
for (const t of owned) t.dispose();
process.exit(checks.every((c) => c.failures === 0 && c.checked > 0) ? 0 : 1);
