// The emitted nvcc host launcher against chooseEntry, without a GPU: g++ compiles the launchers of
// many sources against a recording stand-in for the CUDA runtime (test/fixtures/host-launcher), and
// each random call's status, kernel, blocks, threads, shared memory and TileGrid must be the ones
// the TypeScript reading of the same plan gives.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generate } from '../../src/codegen/generate.js';
import { hostLauncher } from '../../src/codegen/host-launcher.js';
import { render } from '../../src/codegen/templates.js';
import { allVariants } from '../../src/codegen/variant.js';
import { chooseEntry } from '../../src/plan/choose.js';
import { TRUE } from '../../src/plan/expr.js';
import { DEFAULT_SHARED_LIMIT, type LaunchPlan, type PointerArg } from '../../src/plan/plan.js';
import { normalizeSpec, type SpecInput } from '../../src/spec.js';
import { cxxPath, hasCxx } from '../helpers/requirements.js';

const inputs: SpecInput[] = [
  { kernelSize: 3, padding: 1 }, { kernelSize: 3, dtype: 'float16' }, { kernelSize: 3, padding: 1, dtype: 'bfloat16', bias: true, residual: true },
  { kernelSize: 3, padding: 1, layout: 'NHWC' }, { kernelSize: 3, padding: 1, layout: 'NHWC', dtype: 'float16' }, { kernelSize: 5, padding: 2, stride: 2 },
  { kernelSize: 7, padding: 3 }, { kernelSize: 31, padding: 15, dtype: 'float16' }, { kernelSize: 3, channelMultiplier: 2, layout: 'NHWC' },
  { kernelSize: 3, dilation: 2, padding: 2, dtype: 'float16', layout: 'NHWC' },
  { kernelSize: 3, padding: 1, pointwise: { outChannels: 24, bias: true } }, { kernelSize: 7, padding: 3, pointwise: { outChannels: 160 } },
  { kernelSize: 3, padding: 1, dtype: 'float16', pointwise: { outChannels: 32 } },
];
const plans: LaunchPlan[] = inputs.flatMap((input) => {
  const spec = normalizeSpec(input);
  return [undefined, ...allVariants(spec).filter((_, i) => i % 3 === 0)].map((v) => generate(spec, 'cuda', v).plan!);
});

/** A TU holding every plan's emitted launcher, each in its own namespace with stub kernels, and a table of them. */
function launchersHeader(): string {
  const prelude = [
    '#pragma once', '#include "cuda_runtime.h"', 'typedef long long i64;', 'typedef float storage_t;', 'typedef float out_t;',
    '#define __device__', '#define __forceinline__ inline',
    'inline unsigned __umulhi(unsigned a, unsigned b) { return (unsigned)(((unsigned long long)a * b) >> 32); }',
    render('cuda/tiles.hbs', {}),
    'struct EpiArgs { const storage_t* b; const float* scale; const float* shift; const out_t* r; const storage_t* pw; const storage_t* pb; };',
    'typedef int (*LaunchFn)(const void*, const void*, const void*, const void*, const void*, const void*, const void*, const void*, void*, i64, i64, i64, i64, void*);',
    'struct Launcher { LaunchFn launch; int count; const void* const* kernels; const bool* takes_pixels; };',
  ];
  const sources = plans.map((plan, i) => {
    // One stub per kernel: an entry may appear twice in a plan (tried early under one rule, later under another).
    const kernels = [...new Map(plan.entries.map((e) => [`${e.scope}::${e.name}`, e])).values()];
    const stubs = kernels.map((e) => `namespace ${e.scope} { void ${e.name}(const storage_t*, const storage_t*, const EpiArgs, out_t*, int, int, int, int, int, TileGrid${e.takesPixels ? ', i64' : ''}) {} }`);
    const table = [
      `const void* const kernels[] = {${plan.entries.map((e) => `(const void*)${e.scope}::${e.name}`).join(', ')}};`,
      `const bool takes_pixels[] = {${plan.entries.map((e) => e.takesPixels).join(', ')}};`,
    ];
    return [`namespace s${i} {`, ...stubs, hostLauncher(`launcher_${i}`, plan), ...table, `}  // namespace s${i}`].join('\n');
  });
  const table = `const Launcher launchers[] = {${plans.map((p, i) => `{s${i}::launcher_${i}, ${p.entries.length}, s${i}::kernels, s${i}::takes_pixels}`).join(', ')}};`;
  return [...prelude, ...sources, table, ''].join('\n');
}


const POINTERS: PointerArg[] = ['x', 'w', 'b', 'scale', 'shift', 'r', 'pw', 'pb', 'y'];
const address = fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 1n << 40n }), fc.bigInt({ min: 1n, max: 1n << 30n }).map((a) => a * 16n));
const size = fc.oneof(fc.integer({ min: -1, max: 40 }), fc.integer({ min: 1, max: 5000 }), fc.constantFrom(512, 514, 2048, 2 ** 16, 2 ** 31 - 1, 2 ** 31 + 7));
// Tensors that can exist: fewer than 2^50 elements, so the launcher's i64 tile counts do not overflow.
// SM counts of real GPUs, and -1: the launcher's query of it fails (the stand-in answers 101).
const sms = fc.constantFrom(16, 78, 108, 114, 132, 132, 170, -1);
const call = fc.record({ plan: fc.nat({ max: plans.length - 1 }), p: fc.array(address, { minLength: 9, maxLength: 9 }), N: size, C: size, H: size, W: size, arch: fc.constantFrom(80, 90), sms })
  .filter((c) => Math.abs(c.N * c.C * c.H * c.W) < 2 ** 50);

type Call = { plan: number; p: bigint[]; N: number; C: number; H: number; W: number; arch: number; sms: number };

/** The line main.cpp prints for a call, from chooseEntry. */
function expected(c: Call): string {
  const plan = plans[c.plan]!;
  const pointers = Object.fromEntries(POINTERS.map((name, i) => [name, c.p[i]!])) as Record<PointerArg, bigint>;
  const base = { pointers, N: c.N, C: c.C, H: c.H, W: c.W, clusterBuilt: () => c.arch >= 90 };
  if (c.sms < 0) {
    // The query comes after the argument checks, and only in launchers whose plan names the SM count.
    const reads = plan.entries.some((e) => JSON.stringify(e.when).includes('"SMs"'));
    const refusedFirst = chooseEntry({ ...plan, entries: [{ ...plan.entries[0]!, when: TRUE, fits: TRUE, cluster: undefined }] }, { ...base, multiprocessors: 1 }) === undefined;
    if (reads && !refusedFirst) return '101';
    return expected({ ...c, sms: 132 });
  }
  const chosen = chooseEntry(plan, { ...base, multiprocessors: c.sms });
  if (!chosen) return '-1';
  const e = chosen.entry;
  const allowed = e.maxSharedBytes > DEFAULT_SHARED_LIMIT && chosen.sharedBytes > DEFAULT_SHARED_LIMIT ? chosen.sharedBytes : -1;
  const pixels = e.takesPixels ? BigInt(c.N) * BigInt(chosen.Ho) * BigInt(chosen.Wo) : -1n;
  const g = chosen.grid;
  // The launcher is seen by the kernel it launched: the first entry of that kernel (one kernel may
  // have two entries, under different conditions, with the same launch).
  const kernel = plan.entries.findIndex((x) => x.scope === e.scope && x.name === e.name);
  return ['0', kernel, ...chosen.blocks, 1, chosen.threads, chosen.sharedBytes, allowed, g.tilesW, g.tilesH, g.channels, g.tiles, pixels].join(' ');
}

describe.skipIf(!hasCxx)('the emitted nvcc host launcher (compiled by a C++ compiler against a recording CUDA runtime)', () => {
  it('takes the entry, blocks, threads, shared memory and TileGrid that chooseEntry gives, or refuses the same calls', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dwconv-host-launcher-'));
    const fixtures = new URL('../fixtures/host-launcher/', import.meta.url);
    for (const f of ['cuda_runtime.h', 'main.cpp']) copyFileSync(new URL(f, fixtures), join(dir, f));
    writeFileSync(join(dir, 'launchers.h'), launchersHeader());
    const cxx = cxxPath!;
    execFileSync(cxx, ['-std=c++17', '-O0', '-w', '-o', join(dir, 'launchers'), join(dir, 'main.cpp')], { cwd: dir });
    const calls = fc.sample(call, { numRuns: 4000, seed: 24 });
    const input = calls.map((c) => [c.plan, ...c.p, c.N, c.C, c.H, c.W, c.arch, c.sms].join(' ')).join('\n') + '\n';
    const lines = execFileSync(join(dir, 'launchers'), { input, maxBuffer: 64 << 20 }).toString().trimEnd().split('\n');
    expect(lines).toHaveLength(calls.length);
    let launched = 0;
    for (const [i, c] of calls.entries()) {
      expect(lines[i], JSON.stringify(c, (_k, value: unknown) => (typeof value === 'bigint' ? `${value}` : value))).toBe(expected(c));
      if (lines[i] !== '-1') launched++;
    }
    expect(launched).toBeGreaterThan(calls.length / 5);
    // Every SM count and the failed query were exercised on launchers that read it.
    const reading = new Set(plans.flatMap((p, i) => (p.entries.some((e) => JSON.stringify(e.when).includes('"SMs"')) ? [i] : [])));
    expect(reading.size).toBeGreaterThan(0);
    expect(calls.filter((c, i) => reading.has(c.plan) && c.sms < 0 && lines[i] === '101').length).toBeGreaterThan(0);
  }, 120_000);
});
