import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate } from '../../src/codegen/generate.js';
import { build, compile } from '../../src/compile.js';
import { readEnvironment } from '../../src/env.js';
import { probeGpu } from '../../src/ffi/cudart.js';
import { loadCubin } from '../../src/runtime/library.js';
import { nvrtc } from '../../src/ffi/nvrtc.js';
import { normalizeSpec } from '../../src/spec.js';
import { gpuReason, hasGpu, hasNvrtc, nvrtcReason } from '../helpers/requirements.js';

describe.skipIf(!hasGpu || !hasNvrtc)(`NVRTC on the GPU (needs a GPU: ${gpuReason}; and libnvrtc: ${nvrtcReason})`, () => {
  const env = readEnvironment();
  const cacheDir = mkdtempSync(join(tmpdir(), 'dwconv-nvrtc-gpu-'));

  it("compiler 'auto' builds with NVRTC when it loads, and says so", async () => {
    const k = await compile({ kernelSize: 3 }, { target: 'cuda', compiler: 'auto', cacheDir, precompiled: [] });
    expect(k.provenance.compiler).toBe('nvrtc');
    expect(k.provenance.artifactPath.endsWith('kernel.cubin')).toBe(true);
  });

  it('a cubin for a GPU this one is not is refused with a message that says what to do', async () => {
    const gpu = probeGpu(env);
    if (!gpu.ok) throw new Error(gpu.reason);
    const other = (nvrtc(env).supportedArchs() ?? []).filter((a) => a !== gpu.device.arch).at(-1);
    expect(other, 'NVRTC offers another arch to build for').toBeDefined();
    const spec = normalizeSpec({ kernelSize: 3 });
    const artifact = await build(spec, { target: 'cuda', arch: other!, compiler: 'nvrtc', cacheDir });
    const g = generate(spec, 'cuda');
    expect(() => loadCubin(artifact.path, env, g.plan!, spec, g.symbol, artifact.parts.compiler.version, gpu.device.index))
      .toThrow(/cannot load code from NVRTC .*(NO_BINARY_FOR_GPU|INVALID_IMAGE|UNSUPPORTED_PTX).*Update the driver/);
  });
});
