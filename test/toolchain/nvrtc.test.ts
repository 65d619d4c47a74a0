import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { build, compile } from '../../src/compile.js';
import { generate } from '../../src/codegen/generate.js';
import { allVariants, type CudaVariant } from '../../src/codegen/variant.js';
import { readEnvironment } from '../../src/env.js';
import { CompileError, NoGpuError, SpecError } from '../../src/errors.js';
import { DiskCache } from '../../src/cache/disk-cache.js';
import { nvrtc, nvrtcCandidates } from '../../src/ffi/nvrtc.js';
import { compileNvrtc, nvrtcOptions } from '../../src/compiler/compilers.js';
import { unpackCubins } from '../../src/compiler/cubin-set.js';
import { normalizeSpec, type SpecInput } from '../../src/spec.js';
import { hasGpu, hasNvrtc, nvrtcReason } from '../helpers/requirements.js';

const EM_CUDA = 190;

/** Each kernel's machine code in an ELF cubin: its .text.<name> section, by hash. */
function kernelText(cubin: Buffer): Record<string, string> {
  const shoff = Number(cubin.readBigUInt64LE(0x28));
  const [size, count, names] = [cubin.readUInt16LE(0x3a), cubin.readUInt16LE(0x3c), cubin.readUInt16LE(0x3e)];
  const header = (i: number) => ({ name: cubin.readUInt32LE(shoff + i * size), offset: Number(cubin.readBigUInt64LE(shoff + i * size + 24)), bytes: Number(cubin.readBigUInt64LE(shoff + i * size + 32)) });
  const strtab = header(names).offset;
  const out: Record<string, string> = {};
  for (let i = 0; i < count; i++) {
    const h = header(i);
    const name = cubin.toString('latin1', strtab + h.name, cubin.indexOf(0, strtab + h.name));
    if (name.startsWith('.text.')) out[name.slice(6)] = createHash('sha256').update(cubin.subarray(h.offset, h.offset + h.bytes)).digest('hex');
  }
  return out;
}

describe('NVRTC search order', () => {
  it('tries DWCONV_JIT_NVRTC alone when set (never another NVRTC), else CUDA_HOME, then the sonames', () => {
    expect(nvrtcCandidates(readEnvironment({ DWCONV_JIT_NVRTC: '/opt/x/libnvrtc.so', CUDA_HOME: '/opt/cuda', PATH: '' }))).toEqual(['/opt/x/libnvrtc.so']);
    const c = nvrtcCandidates(readEnvironment({ CUDA_HOME: '/opt/cuda', PATH: '' }));
    expect(c[0]).toBe('/opt/cuda/lib64/libnvrtc.so.13');
    expect(c.at(-1)).toBe('libnvrtc.so');
  });

  it('rejects an unknown compiler choice, from options or the environment', async () => {
    await expect(build({ kernelSize: 3 }, { target: 'cuda', arch: 'sm_90', compiler: 'clang' as 'nvcc' })).rejects.toMatchObject({ field: 'options.compiler' });
    await expect(build({ kernelSize: 3 }, { target: 'cuda', arch: 'sm_90', env: { ...process.env, DWCONV_JIT_COMPILER: 'gcc' } })).rejects.toMatchObject({ field: 'DWCONV_JIT_COMPILER' });
  });
});

describe.skipIf(!hasNvrtc)(`NVRTC builds without a GPU (needs libnvrtc: ${nvrtcReason})`, () => {
  // NVRTC 11.8 (Debian's, in CI) emits up to sm_90; sm_80 runs on every GPU of the last years.
  const arch = 'sm_80';
  const specs: SpecInput[] = [
    { kernelSize: 3 },
    { kernelSize: 3, dtype: 'float16', bias: true, batchNorm: true, activation: 'gelu', residual: true },
    { kernelSize: 7, stride: 2, padding: 3, dtype: 'bfloat16', activation: 'leaky_relu', negativeSlope: 0.3 },
    { kernelSize: 31, padding: 15, dilation: 2 },
  ];

  it('compiles the any-width ring (pinned: its shuffles and 16-bit word loads) into a cubin holding its entry points', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'dwconv-nvrtc-'));
    const variant = { kernel: 'ringAny', tileH: 4 } as const;
    for (const spec of [{ kernelSize: 7, padding: 3, dtype: 'bfloat16' }, { kernelSize: 3, dtype: 'float16', residual: true }] as const) {
      const a = await build(spec, { target: 'cuda', arch, compiler: 'nvrtc', cacheDir, variant });
      const images = unpackCubins(readFileSync(a.path), a.path);
      const names = generate(normalizeSpec(spec), 'cuda', variant).plan!.entries.map((e) => e.name);
      expect(names.some((n) => n.endsWith('_ring_any'))).toBe(true);
      for (const name of names) {
        const holder = images.find((i) => i.entries === undefined || i.entries.includes(name));
        expect(holder?.image.includes(Buffer.from(`${name}\0`)), `${name} in the cubin`).toBe(true);
      }
    }
  });

  it('compiles the same source nvcc gets into a cubin holding every entry point, cached under an NVRTC key', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'dwconv-nvrtc-'));
    for (const spec of specs) {
      const a = await build(spec, { target: 'cuda', arch, compiler: 'nvrtc', cacheDir });
      expect(a.origin).toBe('compiled');
      expect(a.path.endsWith('kernel.cubin')).toBe(true);
      // One cubin, or a set of them where this NVRTC compiles the source's units apart (12.3+).
      const images = unpackCubins(readFileSync(a.path), a.path);
      for (const { image } of images) {
        expect(image.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
        expect(image.readUInt16LE(18)).toBe(EM_CUDA);
      }
      for (const { name } of generate(normalizeSpec(spec), 'cuda').plan!.entries) {
        const holder = images.find((i) => i.entries === undefined || i.entries.includes(name));
        expect(holder?.image.includes(Buffer.from(`${name}\0`)), `${name} in the cubin`).toBe(true);
      }
      expect(a.parts.compiler.kind).toBe('nvrtc');
      expect(a.parts.flags).toContain(`--gpu-architecture=${arch}`);
      const viaNvcc = await build(spec, { target: 'cuda', arch, cacheDir, compiler: 'nvcc' }).catch(() => undefined);
      if (viaNvcc) expect(viaNvcc.key).not.toBe(a.key); // one source, two compilers: two entries
      const again = await build(spec, { target: 'cuda', arch, compiler: 'nvrtc', cacheDir });
      expect(again.key).toBe(a.key);
      expect(['memory', 'disk']).toContain(again.origin);
    }
    const cache = await DiskCache.open(cacheDir);
    for (const key of await cache.keys()) expect((await cache.inspect(key)).entry).toBeDefined();
  });

  it('compiled apart, the units of a source give every kernel the machine code the whole source gives it', async () => {
    const n = nvrtc(readEnvironment());
    const options = nvrtcOptions(arch, n.version);
    const cases: { input: SpecInput; variant?: CudaVariant }[] = [
      { input: { kernelSize: 3, padding: 1 } },
      { input: { kernelSize: 3, padding: 1 }, variant: { kernel: 'tiled', tileH: 2 } },
      { input: { kernelSize: 3, padding: 1, layout: 'NHWC', dtype: 'float16', bias: true } },
      { input: { kernelSize: 3, padding: 1, dtype: 'bfloat16', residual: true } },
      { input: { kernelSize: 3, padding: 1, bias: true, batchNorm: true, activation: 'relu6', pointwise: { outChannels: 24, bias: true, activation: 'hardswish' } } },
      { input: { kernelSize: 5, stride: 2, padding: 2 } },
    ];
    for (const { input, variant } of cases) {
      const g = generate(normalizeSpec(input), 'cuda', variant);
      // The reference: the whole source as one program without --split-compile, which (nvcc 13 here,
      // NVRTC 13.0 on the GPU machine) can compile a kernel of a multi-kernel program differently
      // (the NHWC ring); the units are compiled with the library's options.
      const whole = kernelText((await n.compile(g.source, options.filter((o) => !o.startsWith('--split-compile')))).cubin);
      // Whatever this NVRTC's version, take the path of one that compiles apart.
      const apart = Object.create(n, { version: { value: '13.0' } }) as typeof n;
      const dir = mkdtempSync(join(tmpdir(), 'dwconv-nvrtc-units-'));
      const out = await compileNvrtc(apart, g.source, options, dir, { units: g.units });
      const images = unpackCubins(readFileSync(out.artifactPath), out.artifactPath);
      const units = g.units!();
      // A source of one program (one family of one entry point) stays a plain cubin.
      expect(images.map((i) => i.entries)).toEqual(units.length > 1 ? units.map((u) => u.entries) : [undefined]);
      const parts: Record<string, string> = Object.assign({}, ...images.map((i) => kernelText(i.image)));
      expect(parts).toEqual(whole);
      expect(Object.keys(whole).sort()).toEqual([...new Set(g.plan!.entries.map((e) => e.name))].sort());
    }
  }, 120_000);

  it('a compile error carries the NVRTC log and the numbered source', async () => {
    const err = await nvrtc(readEnvironment()).compile('__global__ void k() { undeclared(); }', [`--gpu-architecture=${arch}`]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CompileError);
    expect((err as CompileError).message).toMatch(/NVRTC_ERROR_COMPILATION[\s\S]*undeclared[\s\S]*1 \| __global__/);
  });

  it('is refused for several archs or PTX, which only nvcc can put in one artifact', async () => {
    await expect(build({ kernelSize: 3 }, { target: 'cuda', arch, compiler: 'nvrtc', cache: false, precompiled: [] }).then(() => 'ok')).resolves.toBe('ok');
    const err = await import('../../src/artifact.js').then((m) => m.plan(generate(normalizeSpec({ kernelSize: 3 }), 'cuda'), { env: readEnvironment(), archs: ['sm_80', 'sm_90'], compiler: 'nvrtc' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpecError);
  });

  // Where a GPU is present the compile succeeds: nothing to check there (the GPU suites cover it).
  it.skipIf(hasGpu)('compile() without a GPU still says so rather than compiling', async () => {
    await expect(compile({ kernelSize: 3 }, { target: 'cuda', compiler: 'nvrtc' })).rejects.toThrow(NoGpuError);
  });
  it('compiles large-window kernels concurrently without overflowing the call stack (koffi async stack)', async () => {
    // With koffi's default 128 KiB async stack these crashed the process (the GPU property run's worker died).
    const spec = normalizeSpec({ kernelSize: 31, layout: 'NHWC', dtype: 'bfloat16' });
    const sources = [undefined, ...allVariants(spec)].map((v) => generate(spec, 'cuda', v).source);
    const c = nvrtc(readEnvironment());
    const cubins = await Promise.all(sources.map((s) => c.compile(s, [`--gpu-architecture=${arch}`, '-std=c++17', '--diag-suppress=177'])));
    for (const r of cubins) expect(r.cubin.readUInt16LE(18)).toBe(EM_CUDA);
  }, 240_000);
});
