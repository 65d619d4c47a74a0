// test/fixtures/fake-cudart.c built into a library, and its controls. A test file that uses it must
// not import test/helpers/requirements.js: its GPU probe would load the real libcudart first, and the
// process keeps one runtime.
import { accessSync, constants, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { readEnvironment, type Environment } from '../../src/env.js';
import { loadLibrary } from '../../src/ffi/koffi.js';
import type { Address } from '../../src/ffi/cudart.js';

/** A C compiler to build the fake with, if there is one. */
export const cc = ['/usr/bin/cc', '/usr/bin/gcc', '/usr/bin/clang'].find((p) => {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
});

export interface FakeCudart {
  /** The library's path, as DWCONV_JIT_CUDART names it. */
  readonly path: string;
  /** An environment whose CUDA runtime is the fake. */
  readonly env: Environment;
  /** Makes a device current without counting as a cudaSetDevice call. */
  setDevice(device: number): number;
  setCount(count: number): number;
  /** What cudaPointerGetAttributes reports for every address; type -1: each allocation's own device (the default). */
  setPointer(type: number, device: number): number;
  frees(): number;
  mallocs(): number;
  /** cudaSetDevice calls so far. */
  setCalls(): number;
  /** The device an allocation was made on, or -1 for an address the fake did not allocate. */
  deviceOf(address: Address): number;
}

export async function buildFakeCudart(): Promise<FakeCudart> {
  const source = fileURLToPath(new URL('../fixtures/fake-cudart.c', import.meta.url));
  const path = join(mkdtempSync(join(tmpdir(), 'dwconv-fake-cudart-')), 'libcudart-fake.so');
  await execa(cc!, ['-shared', '-fPIC', '-O1', '-o', path, source]);
  const handle = loadLibrary(path);
  return {
    path,
    env: readEnvironment({ DWCONV_JIT_CUDART: path, PATH: process.env.PATH ?? '' }),
    setDevice: handle.func('int fake_set_device(int)'),
    setCount: handle.func('int fake_set_count(int)'),
    setPointer: handle.func('int fake_set_pointer(int, int)'),
    frees: handle.func('int fake_frees(void)'),
    mallocs: handle.func('int fake_mallocs(void)'),
    setCalls: handle.func('int fake_set_calls(void)'),
    deviceOf: handle.func('int fake_device_of(uintptr_t)'),
  };
}
