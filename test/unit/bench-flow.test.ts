// The bench's CUDA path end to end without a GPU: a stand-in CUDA runtime (allocations are numbers,
// copies read zeros, every event pair 30 ms apart) and compile() giving real Kernel objects over a
// launcher that does nothing, the PyTorch script answering a fixed time. What this checks is the wiring: the cases a filter takes, the tuner's
// recorded choice replacing the default, PyTorch asked only where a case wants it, the aligned
// ratios, the GPU in the result, a second round, the partial results. Nothing is timed.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { CompileOptions } from '../../src/compile.js';
import type { SpecInput } from '../../src/spec.js';

const FAKE_GPU = { index: 0, name: 'Fake GPU', arch: 'sm_90', multiprocessors: 132 };
const compiled: { spec: SpecInput; options: CompileOptions | undefined }[] = [];

vi.mock('../../src/ffi/cudart.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/ffi/cudart.js')>();
  let next = 1n << 20n;
  const runtime = {
    malloc: (bytes: number) => {
      const at = next;
      next += BigInt(bytes) + 256n - (BigInt(bytes) % 256n);
      return at;
    },
    free: () => {}, memset: () => {}, copyToDevice: () => {}, copyToHost: () => {}, copyDeviceToDevice: () => {}, synchronize: () => {},
    currentDevice: () => 0, deviceCount: () => 1, onDevice: <T>(_index: number, fn: () => T): T => fn(), device: () => FAKE_GPU, pointerAttributes: () => ({ type: 'device', device: 0 }), check: () => {},
    eventCreate: () => 1, eventRecord: () => {}, eventDestroy: () => {}, eventElapsedMs: () => 30,
  };
  return { ...real, probeGpu: () => ({ ok: true, device: FAKE_GPU, count: 1 }), cudaRuntime: () => runtime };
});
vi.mock('../../src/tools/device-data.js', async (importOriginal) => {
  // Filling a gigabyte pool with random values on the host is the slow part of a real run, and unneeded here.
  const real = await importOriginal<typeof import('../../src/tools/device-data.js')>();
  return { ...real, uploadUniform: () => {}, uploadUniformParallel: async () => {} };
});
vi.mock('../../src/compile.js', async () => {
  const { Kernel } = await import('../../src/runtime/kernel.js');
  const { normalizeSpec } = await import('../../src/spec.js');
  const { readEnvironment } = await import('../../src/env.js');
  return {
    compile: async (spec: SpecInput, options?: CompileOptions) => {
      compiled.push({ spec, options });
      const variant = options?.variant ? { ...options.variant } : { kernel: 'auto' };
      const key = JSON.stringify([normalizeSpec(spec), variant]);
      const provenance = { key, symbol: 'fake', artifactPath: '', origin: 'compiled' as const, compileMilliseconds: 0, loadMilliseconds: 0, variant, compiler: 'nvrtc' as const };
      return new Kernel(normalizeSpec(spec), 'cuda', provenance, { launch: () => 0, info: { abi: 0, symbol: 'fake', target: 'cuda', spec: null } }, readEnvironment(), 0);
    },
  };
});

// The PyTorch script's stand-in: records the cases it is given and answers 60 ms for each.
const torchCalls: { args: readonly string[]; cases: Record<string, unknown>[] }[] = [];
vi.mock('execa', async () => {
  const { readFileSync } = await import('node:fs');
  return {
    execa: async (_file: string, args: readonly string[]) => {
      const cases = JSON.parse(readFileSync(args[args.indexOf('--cases') + 1]!, 'utf8')) as Record<string, unknown>[];
      torchCalls.push({ args, cases });
      return { exitCode: 0, stdout: JSON.stringify(cases.map(() => ({ ms: 60, detail: 'stand-in torch' }))), stderr: '' };
    },
  };
});

const { printBench, runBench } = await import('../../src/tools/bench.js');
const { parseChartInput, writeBenchCharts } = await import('../../src/tools/bench-chart.js');
const { parseXml } = await import('../helpers/xml.js');
const { writeTuning } = await import('../../src/cache/tuning-store.js');
const { recordedChoice, tuningParts } = await import('../../src/tools/tune.js');
const { allVariants } = await import('../../src/codegen/variant.js');
const { normalizeSpec } = await import('../../src/spec.js');
const { tuningKey } = await import('../../src/cache/tuning-store.js');

describe('bench run without a GPU (stand-in runtime and kernels)', () => {
  it('times the filtered cases with the recorded choice where one exists, asks PyTorch only for its cases, reports the GPU and the ratios', async () => {
    const tuningDir = mkdtempSync(join(tmpdir(), 'dwconv-bench-tuning-'));
    const convnext = { kernelSize: 7, padding: 3, dtype: 'float32', layout: 'NHWC' } as const;
    const spec = normalizeSpec(convnext);
    const pinned = allVariants(spec)[0]!;
    const shape = [64, 7, 7, 768] as const;
    const parts = tuningParts(spec, shape, FAKE_GPU);
    await writeTuning(tuningDir, { key: tuningKey(parts), ...parts, variant: pinned, timings: { default: 2, pinned: 1 }, createdAt: '2000-01-01T00:00:00.000Z' });
    expect(await recordedChoice(tuningDir, spec, shape, FAKE_GPU)).toBeDefined();
    expect(await recordedChoice(tuningDir, spec, shape, { ...FAKE_GPU, name: 'Other GPU' })).toBeUndefined(); // per GPU model

    const partials: number[] = [];
    const progress: string[] = [];
    const result = await runBench({
      filter: 'width 512 3x3 float16,width 513 3x3 float16,width 1025 3x3 float16,convnext C768 7x7 float32', variants: false, reps: 3, rounds: 2, torch: true,
      progress: (l) => progress.push(l), partial: (r) => partials.push(r.rows.length), tuningDir,
      cacheDir: mkdtempSync(join(tmpdir(), 'dwconv-bench-cache-')),
    });
    expect(result.device).toBe('Fake GPU (sm_90, 132 SMs)');
    expect(result.gpu).toEqual({ name: 'Fake GPU', arch: 'sm_90', multiprocessors: 132 });
    expect(result.tuning).toContain(tuningDir);
    expect(Date.parse(result.startedAt)).not.toBeNaN();
    expect(result.rows.map((r) => r.name)).toEqual(['width 512 3x3 float16', 'width 513 3x3 float16', 'width 1025 3x3 float16', 'convnext C768 7x7 float32 NHWC']);
    const [w512, w513, w1025, c768] = result.rows;
    // Every launch took 30 ms here, so a ratio is the ratio of the bytes moved.
    expect(w512!.ofAligned).toBe(1);
    expect(w513!.ofAligned).toBeCloseTo(w513!.bytesMoved / w512!.bytesMoved, 12);
    expect(w1025!.ofAligned).toBeUndefined(); // its aligned width (1024) was not in this run
    expect(w513!.targets).toEqual({ ofAligned: 0.95 });
    expect(c768).toMatchObject({ choice: 'recorded', recordedAt: '2000-01-01T00:00:00.000Z', variant: pinned, targets: { ofCopy: 0.85, speedup: 1.4 } });
    expect(result.rows.filter((r) => r.choice === 'default')).toHaveLength(3);
    expect(result.rows.every((r) => r.roundsMs.length === 2 && r.ms === 30)).toBe(true);
    // The recorded choice was compiled (as a pinned variant); the widths cases took the default.
    expect(compiled.some((c) => JSON.stringify(c.spec) === JSON.stringify(convnext) && JSON.stringify(c.options?.variant) === JSON.stringify(pinned))).toBe(true);
    expect(compiled.filter((c) => (c.spec as { kernelSize: number }).kernelSize === 3).every((c) => c.options?.variant === undefined)).toBe(true);
    // PyTorch was asked for the convnext case only, channels_last, in its logical (NCHW) sizes; its time is that case's.
    expect(torchCalls).toHaveLength(1);
    expect(torchCalls[0]!.args).toContain('--rounds');
    expect(torchCalls[0]!.cases).toEqual([expect.objectContaining({ shape: [64, 768, 7, 7], kernel: [7, 7], padding: [3, 3, 3, 3], dtype: 'float32', layout: 'NHWC', compile: false })]);
    expect(result.torch).toBe('stand-in torch');
    expect(result.rows.map((r) => r.speedup)).toEqual([undefined, undefined, undefined, 2]);
    expect(c768!.torchMs).toBe(60);
    expect(partials).toEqual([1, 2, 3, 4, 4, 4, 4, 4]);
    // The report and the charts of a real result (its JSON as written, read back as --svg-from reads it).
    const lines: string[] = [];
    printBench(result, (l) => lines.push(l));
    expect(lines[0]).toContain('Fake GPU (sm_90, 132 SMs)');
    expect(lines.find((l) => l.startsWith('| convnext C768'))).toContain('| recorded |');
    const dir = mkdtempSync(join(tmpdir(), 'dwconv-bench-charts-'));
    const files = await writeBenchCharts(parseChartInput(JSON.stringify(result), 'result'), dir, 'run');
    expect(files.map((f) => f.slice(dir.length + 1))).toEqual(['run-widths.svg', 'run-convnext.svg']);
    for (const f of files) expect(parseXml(readFileSync(f, 'utf8')).name).toBe('svg');
  }, 120_000);

  it('--no-tuning: every case takes the default', async () => {
    const result = await runBench({ filter: 'convnext C768 7x7 float32', variants: false, reps: 1, rounds: 1, torch: false, progress: () => {}, tuningDir: false });
    expect(result.rows.map((r) => r.choice)).toEqual(['default']);
    expect(result.tuning).toContain('--no-tuning');
    expect(result.torch).toContain('--no-torch');
  });

  it('alsoVariant: a pinned-only variant timed beside the default where a case can take it, refused where none can', async () => {
    compiled.length = 0;
    const ringAny = { kernel: 'ringAny', tileH: 4 };
    const result = await runBench({ filter: 'width 513 3x3 float16,convnext C768 7x7 float32', variants: false, alsoVariant: ringAny, reps: 1, rounds: 1, torch: false, progress: () => {}, tuningDir: false });
    // The NCHW width case takes it (and compiles it); the NHWC ConvNeXt case cannot and times its default alone.
    expect(compiled.filter((c) => c.options?.variant?.kernel === 'ringAny').map((c) => c.spec)).toHaveLength(1);
    const [width, convnext] = result.rows;
    expect(width!.variants?.map((v) => v.variant.kernel)).toEqual(['auto', 'ringAny']);
    expect(convnext!.variants).toBeUndefined();
    await expect(runBench({ filter: 'convnext C768 7x7 float32', variants: false, alsoVariant: ringAny, reps: 1, rounds: 1, torch: false, progress: () => {}, tuningDir: false })).rejects.toThrow(/alsoVariant/);
    // With --variants, one the generator offers is timed once, among them.
    const direct = { kernel: 'direct', tileH: 1 };
    const both = await runBench({ filter: 'width 513 3x3 float16', variants: true, alsoVariant: direct, reps: 1, rounds: 1, torch: false, progress: () => {}, tuningDir: false });
    const timed = both.rows[0]!.variants!.map((v) => JSON.stringify(v.variant));
    expect(new Set(timed).size).toBe(timed.length);
  });
});
