import { describe, expect, it } from 'vitest';
import { compilesApart, nvrtcOptions, splitCompiles } from '../../src/compiler/compilers.js';

describe('NVRTC options', () => {
  it('split the optimizer over the CPUs where NVRTC takes --split-compile (12.8 and later), and only there', () => {
    expect(nvrtcOptions('sm_90', '12.8')).toEqual(['--gpu-architecture=sm_90', '-std=c++17', '--diag-suppress=177', '--split-compile=0']);
    // Older NVRTCs reject an option they do not know: the compile would fail.
    expect(nvrtcOptions('sm_80', '11.2')).toEqual(['--gpu-architecture=sm_80', '-std=c++17', '--diag-suppress=177']);
    expect(splitCompiles('12.6')).toBe(false);
    expect(splitCompiles('12.10')).toBe(true);
    expect(splitCompiles('')).toBe(false);
  });

  it('leave NVRTC 13 its own on-disk cache off: ours holds the cubins, and its misses cost time', () => {
    expect(nvrtcOptions('sm_90', '13.0')).toEqual(['--gpu-architecture=sm_90', '-std=c++17', '--diag-suppress=177', '--split-compile=0', '--no-cache']);
    expect(nvrtcOptions('sm_90', '12.9')).not.toContain('--no-cache');
  });

  it("compile a source's units apart only where NVRTC runs compiles side by side (12.3 and later)", () => {
    expect(compilesApart('11.8')).toBe(false);
    expect(compilesApart('12.2')).toBe(false);
    expect(compilesApart('12.3')).toBe(true);
    expect(compilesApart('13.0')).toBe(true);
  });
});
