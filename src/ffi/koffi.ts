// koffi's types, named once, and the one place libraries are loaded.
import { createRequire } from 'node:module';
import type koffiModule from 'koffi';
import type { LibraryHandle } from 'koffi';

type Koffi = typeof koffiModule;
let loaded: Koffi | undefined;

/** koffi, loaded on the first library load or FFI call rather than at import (nothing loads CUDA or FFI at import). */
export function ffi(): Koffi {
  loaded ??= createRequire(import.meta.url)('koffi') as Koffi;
  return loaded;
}

export type FfiLibrary = LibraryHandle;
export type FfiFunction = ReturnType<LibraryHandle['func']>;

/**
 * Stack for koffi's asynchronous calls (NVRTC compiles, CPU kernels). koffi runs the native function on
 * its own stack, 128 KiB by default: NVRTC compiling a large unrolled kernel overflowed it and crashed
 * the process (22 concurrent compiles of 31x31 variants segfaulted; with 16 MiB they pass).
 * Pages are only touched as deep as a call goes, so the reservation costs address space, not memory.
 */
const ASYNC_STACK_BYTES = 16 << 20;
let configured = false;

/** koffi.load, after setting koffi's call stacks (koffi refuses new settings once any library is loaded). */
export function loadLibrary(path: string): LibraryHandle {
  const koffi = ffi();
  if (!configured) {
    koffi.config({ ...koffi.config(), async_stack_size: ASYNC_STACK_BYTES });
    configured = true;
  }
  return koffi.load(path);
}

/** The FFI library's version, for doctor. */
export function ffiVersion(): string {
  return String((ffi() as unknown as { version?: string }).version ?? '?');
}
