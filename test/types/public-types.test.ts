// What a TypeScript user gets at the front door: `tsc --strict` over user files that import
// 'dwconv-jit'. A correct file compiles clean; every line marked `// error TSxxxx` must fail with that
// code (misspelled spec fields, values outside a union) and no other line may fail. Ranges
// (kernelSize: 40) are beyond types and are checked at run time by normalizeSpec.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

const correct = `
import {
  compile, build, compileTuned, generate, normalizeSpec, Tensor, probeGpu, readEnvironment, cudaRuntime, precompile, explain,
  DwconvError, NoGpuError, AbortError, type SpecInput, type CompileOptions, type GpuProbe, type CudaRuntime, type TensorOptions, type Manifest, type ErrorCode,
} from 'dwconv-jit';

const spec: SpecInput = {
  kernelSize: [3, 5], stride: 2, padding: 'same', dilation: [1, 2], channelMultiplier: 2, dtype: 'float16', outputDtype: 'float32',
  layout: 'NHWC', bias: true, batchNorm: true, activation: 'leaky_relu', negativeSlope: 0.1, residual: 'before-activation',
};
const separable: SpecInput = { kernelSize: 3, padding: [1, 1, 2, 2], pointwise: { outChannels: 64, bias: true, activation: 'relu6', tf32: true } };
const options: CompileOptions = { target: 'auto', compiler: 'nvrtc', arch: 'sm_90', cacheDir: '/tmp/c', cache: true, log: (m: string) => void m };

export async function main(): Promise<void> {
  const k = await compile(spec, options);
  const shape: readonly number[] = k.outputShape([1, 8, 16, 16]);
  await build(separable, { target: 'cuda', arch: 90 });
  await compileTuned({ kernelSize: 7 }, [1, 32, 56, 56], { reps: 5 });
  const source: string = generate(normalizeSpec(spec), 'cpu').source;
  const gpu: GpuProbe = probeGpu(readEnvironment());
  if (gpu.ok) console.log(gpu.device.arch);
  else console.log(gpu.reason);
  const rt: CudaRuntime = cudaRuntime(readEnvironment());
  const opts: TensorOptions = { dtype: 'bfloat16', device: 'cpu' };
  const onSecond = await compile(spec, { device: 'cuda:1' });
  const index: number | undefined = onSecond.deviceIndex;
  Tensor.empty([1], { device: 1 }).dispose();
  console.log(index, Tensor.empty([1], { device: 'cuda' }).deviceIndex);
  const t = Tensor.fromArray(new Float32Array(4), [1, 1, 2, 2], opts);
  const manifest: Manifest = { targets: ['cpu'], specs: [{ kernelSize: 3, dtype: 'bfloat16' }] };
  await precompile(manifest, { out: '/tmp/p', signal: AbortSignal.timeout(60_000) });
  await explain({ kernelSize: 3 }, { target: 'cpu' });
  console.log(shape, source, rt, t);
  try {
    await compile({ kernelSize: 3 }, { signal: new AbortController().signal });
  } catch (e) {
    if (e instanceof NoGpuError) console.log(e.reason, e.fix);
    else if (e instanceof AbortError && e.code === 'ERR_DWCONV_ABORTED') console.log(e.operation, e.cause);
    else if (e instanceof DwconvError) {
      const code: ErrorCode = e.code;
      if (code === 'ERR_DWCONV_SPEC') console.log('fix the spec');
    }
  }
}
`;

const wrong = `
import { compile, build, compileTuned, DwconvError, type SpecInput, type Manifest } from 'dwconv-jit';

export async function main(): Promise<void> {
  await compile({ kernelSize: 3, paddding: 1 }); // error TS2561
  await compile({ kernelSize: 3, dtype: 'float64' }); // error TS2820 (did you mean 'float16')
  await compile({ kernelSize: 3, activation: 'relu7' }); // error TS2820 (did you mean 'relu6')
  await compile({ kernelSize: 3, padding: [1, 2, 3] }); // error TS2322
  await compile({ stride: 2 }); // error TS2345
  await compile({ kernelSize: 3 }, { targett: 'cpu' }); // error TS2561
  await compile({ kernelSize: 3 }, { device: 'gpu:1' }); // error TS2322
  await compile({ kernelSize: 3 }, { device: 'cpu' }); // error TS2322
  await build({ kernelSize: 3, layout: 'CHWN' }); // error TS2322
  await compileTuned({ kernelSize: 3, residual: 'sometimes' }, [1, 2, 8, 8]); // error TS2322
  const s: SpecInput = { kernelSize: 3, pointwise: { outChanels: 8 } }; // error TS2561
  const m: Manifest = { specs: [{ kernelSize: 3, biass: true }] }; // error TS2561
  try {
    await compile(s);
  } catch (e) {
    if (e instanceof DwconvError && e.code === 'ERR_DWCONV_NOGPU') console.log(m); // error TS2367
  }
}
`;

function expectedErrors(source: string): Map<number, string> {
  const lines = new Map<number, string>();
  source.split('\n').forEach((line, i) => {
    const m = /\/\/ error (TS\d+)/.exec(line);
    if (m) lines.set(i + 1, m[1]!);
  });
  return lines;
}

describe('the public types under tsc --strict', () => {
  it('accept a correct user file and reject each marked mistake with its error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dwconv-types-'));
    writeFileSync(join(dir, 'correct.ts'), correct);
    writeFileSync(join(dir, 'wrong.ts'), wrong);
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        strict: true, noEmit: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', skipLibCheck: true,
        types: ['node'], typeRoots: [join(root, 'node_modules/@types')],
        // The package's own entry point, as its exports map resolves it once built.
        paths: { 'dwconv-jit': [join(root, 'src/index.ts')] },
      },
      files: ['correct.ts', 'wrong.ts'],
    }));
    const r = await execa(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', dir, '--pretty', 'false'], { reject: false });
    const found = [...r.stdout.matchAll(/^(.*?)\((\d+),\d+\): error (TS\d+)/gm)].map((m) => ({ file: m[1]!.split('/').pop()!, line: Number(m[2]), code: m[3]! }));
    expect(found.filter((f) => f.file !== 'wrong.ts'), r.stdout).toEqual([]);
    const got = new Map(found.filter((f) => f.file === 'wrong.ts').map((f) => [f.line, f.code]));
    expect(Object.fromEntries(got), r.stdout).toEqual(Object.fromEntries(expectedErrors(wrong)));
  }, 120_000);
});
