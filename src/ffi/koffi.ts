// koffi's types, named once, and the one place libraries are loaded.
import { closeSync, existsSync, openSync, readFileSync, readSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type koffiModule from 'koffi';
import type { LibraryHandle } from 'koffi';

type Koffi = typeof koffiModule;
let loaded: Koffi | undefined;

/** koffi, loaded on the first library load or FFI call rather than at import (nothing loads CUDA or FFI at import). */
export function ffi(): Koffi {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  loaded = koffiAddon(require) ?? (require('koffi') as Koffi);
  return loaded;
}

/** Where the addon is looked for: the running process by default, another in tests. */
export interface AddonHost {
  readonly platform: NodeJS.Platform;
  readonly arch: string;
  /** The node binary, whose ELF interpreter tells glibc from musl. */
  readonly execPath: string;
}

const thisProcess: AddonHost = process;

/**
 * koffi's native addon, required by its path in koffi's platform package, or undefined wherever that
 * is not sure to be the binary koffi's own loader would pick (then the caller loads 'koffi').
 * require('koffi') takes 5.5-6 ms of a CPU cache hit in a new process, this about 2: koffi's
 * bundled loader code, its platform package's loader, the libc detection in both and require's
 * resolution of two packages through their exports are skipped. Its wrapper over the addon only
 * adds deprecated aliases (cdecl, stdcall, resolve, introspect, register with a `this`), none used
 * here. Only linux x64 and arm64, where koffi names the binary by process.arch alone. The addon is
 * required by its real path, the key koffi's loader also reaches, so either loader finds the other's
 * module in require's cache.
 */
export function koffiAddon(require: NodeRequire, host: AddonHost = thisProcess): Koffi | undefined {
  if (host.platform !== 'linux' || (host.arch !== 'x64' && host.arch !== 'arm64')) return undefined;
  try {
    const libc = elfLibc(host.execPath);
    if (!libc) return undefined;
    // The folders require searches for 'koffi', in its order: the first holding koffi/package.json is
    // where require('koffi') lands (resolving through its exports costs about a millisecond more).
    const koffiDir = firstExisting(require.resolve.paths('koffi'), 'koffi', 'package.json');
    if (!koffiDir) return undefined;
    const realKoffi = realpathSync(koffiDir);
    // koffi's loader requires the platform package from inside koffi (a nested or pnpm layout included).
    const platformPackage = `@koromix/koffi-linux-${host.arch}`;
    const fromKoffi = createRequire(join(realKoffi, 'package.json'));
    const binary = join(`${libc === 'musl' ? 'musl' : 'linux'}_${host.arch}`, 'koffi.node');
    const platformDir = firstExisting(fromKoffi.resolve.paths(platformPackage), platformPackage, binary);
    if (!platformDir) return undefined;
    const addon = fromKoffi(join(realpathSync(platformDir), binary)) as Koffi | undefined;
    // koffi's loader refuses an addon of another version than its own package ("Mismatched native Koffi modules"): so does this.
    const { version } = JSON.parse(readFileSync(join(realKoffi, 'package.json'), 'utf8')) as { version?: unknown };
    if (typeof addon?.load !== 'function' || typeof addon.config !== 'function' || (addon as { version?: unknown }).version !== version) return undefined;
    return addon;
  } catch {
    return undefined;
  }
}

/** The first of `folders`/`name` that holds `file`, or undefined. */
function firstExisting(folders: readonly string[] | null, name: string, file: string): string | undefined {
  return folders?.map((folder) => join(folder, name)).find((dir) => existsSync(join(dir, file)));
}

const PT_INTERP = 3;
/** The start of musl's dynamic loader's name (ld-musl-x86_64.so.1), as koffi's loader tests it. */
const MUSL_LOADER = Array.from('ld-musl-', (c) => c.charCodeAt(0));
/** One read covers the ELF header, the program headers and the interpreter's name in usual binaries. */
const HEAD_BYTES = 4096;

/**
 * glibc or musl, from the ELF interpreter of the node binary, as koffi's loader decides it; undefined
 * where the binary is no 64-bit little-endian ELF executable with an interpreter. Bytes are read by
 * index, not through Buffer's readers and decoders: each of those costs its first compile here (a
 * few hundredths of a millisecond), together more than the file reads.
 */
export function elfLibc(execPath: string): 'glibc' | 'musl' | undefined {
  const fd = openSync(execPath, 'r');
  try {
    const head = new Uint8Array(HEAD_BYTES);
    const headLength = readSync(fd, head, 0, HEAD_BYTES, 0);
    /** `length` bytes at `position`: from the first read when they lie in it. */
    const read = (position: number, length: number): Uint8Array => {
      if (position + length <= headLength) return head.subarray(position, position + length);
      const bytes = new Uint8Array(length);
      return bytes.subarray(0, readSync(fd, bytes, 0, length, position));
    };
    // ELF magic, 64-bit class, little-endian, version 1; program headers of 56 bytes.
    if (headLength < 64 || head[0] !== 0x7f || head[1] !== 0x45 || head[2] !== 0x4c || head[3] !== 0x46 || head[4] !== 2 || head[5] !== 1 || head[6] !== 1) return undefined;
    const phentsize = u16(head, 54);
    if (phentsize !== 56) return undefined;
    const tableBytes = u16(head, 56) * phentsize;
    const table = read(u64(head, 32), tableBytes);
    if (table.length !== tableBytes) return undefined;
    for (let at = 0; at < table.length; at += phentsize) {
      if (u16(table, at) !== PT_INTERP || u16(table, at + 2) !== 0) continue;
      const size = u64(table, at + 32);
      const interp = read(u64(table, at + 8), size);
      if (size === 0 || interp.length !== size || interp[size - 1] !== 0) return undefined;
      let name = size - 1; // the loader's file name starts after the last '/'
      while (name > 0 && interp[name - 1] !== 0x2f) name--;
      return MUSL_LOADER.every((c, i) => interp[name + i] === c) ? 'musl' : 'glibc';
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
}

const u16 = (b: Uint8Array, at: number) => b[at]! | (b[at + 1]! << 8);
/** A little-endian 64-bit offset or size; exact up to 2^53, and larger ones are no real file's. */
const u64 = (b: Uint8Array, at: number) => (u16(b, at) + u16(b, at + 2) * 0x1_0000) + (u16(b, at + 4) + u16(b, at + 6) * 0x1_0000) * 0x1_0000_0000;

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
