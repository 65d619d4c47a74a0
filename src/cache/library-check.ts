// Reads a kernel library's dynamic section without loading it: dlopen runs a library's constructors
// before any of our checks could, so what can be read from the bytes is read here first. It is what
// the loader itself reads (program headers and PT_DYNAMIC, not section headers, which it ignores).
//
// Checked: an ELF64 little-endian shared object; exports named for the expected symbol and its
// `_info`; the self-description naming that symbol and spec; no RPATH/RUNPATH; needed libraries from a
// short list of runtime libraries by plain name; and no more initializers than our compilers emit
// (g++: 1 for frame_dummy; nvcc: 2, frame_dummy and the fatbin registration). A swapped library with
// an added constructor is refused here. A library that differs only in its arithmetic is not: that
// takes a signed bundle or a rebuild (docs/reliability.md).

import { targetTraits } from '../backends/traits.js';
import type { Target } from '../target.js';

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const DT = { NULL: 0, NEEDED: 1, STRTAB: 5, STRSZ: 10, RPATH: 15, RUNPATH: 29, INIT_ARRAYSZ: 27, PREINIT_ARRAYSZ: 33 } as const;

/** Initializers each compiler's libraries carry (entries of DT_INIT_ARRAY). */
export const MAX_INITIALIZERS: Readonly<Record<string, number>> = { cxx: 1, nvcc: 2 };

// The dynamic loader itself is among them: g++ 13 with glibc 2.39 links it for thread-local storage
// (__tls_get_addr) in OpenMP kernels; it is in every process already.
const RUNTIME_LIBRARIES = /^(libc|libm|libdl|librt|libpthread|libgcc_s|libstdc\+\+|libgomp|libcudart|libomp|libc\+\+|libc\+\+abi|ld-linux-x86-64|ld-linux-aarch64)\.so(\.[0-9]+)*$/;

export interface LibraryExpectation {
  readonly symbol: string;
  readonly specJson: string;
  /** The library's target: its compiler (TargetTraits.libraryCompiler) says how many initializers are allowed. */
  readonly target: Target;
  /**
   * How many initializers this machine's own compiler put into a library it built here (learned at
   * compile time, see initializerBaseline); the table's count when unknown. g++ 12 on Debian emits 1,
   * g++ 13 on Ubuntu 24.04 was seen to emit 2 for the same CPU kernel.
   */
  readonly maxInitializers?: number;
}

/** The number of DT_INIT_ARRAY entries of a shared object we built ourselves, or undefined when unreadable. */
export function initializerCount(bytes: Buffer): number | undefined {
  const dynamic = readDynamic(bytes);
  return typeof dynamic === 'string' ? undefined : dynamic.initializers;
}

/** What is wrong with this shared object as the library of `expect`, or undefined. */
export function libraryProblem(bytes: Buffer, expect: LibraryExpectation): string | undefined {
  const dynamic = readDynamic(bytes);
  return typeof dynamic === 'string' ? dynamic : check(bytes, dynamic, expect);
}

/** What the loader reads of a shared object before it runs anything: its dynamic section's tags and strings. */
interface DynamicSection {
  /** Each DT_* tag with its value, in order, up to DT_NULL. */
  readonly tags: readonly (readonly [number, number])[];
  /** DT_INIT_ARRAY entries: the constructors dlopen runs. */
  readonly initializers: number;
  /** The dynamic string table (DT_STRTAB, DT_STRSZ bytes), or a problem when it cannot be found. */
  readonly strings: Buffer | string;
}

/** The dynamic section of an ELF64 little-endian shared object, or what keeps it from being read. Never throws. */
function readDynamic(bytes: Buffer): DynamicSection | string {
  try {
    return parseDynamic(bytes);
  } catch (err) {
    return `the artifact is not a readable ELF shared object (${(err as Error).message})`;
  }
}

function parseDynamic(b: Buffer): DynamicSection | string {
  if (b.length < 64 || b.readUInt32BE(0) !== 0x7f454c46) return 'the artifact is not an ELF file';
  if (b[4] !== 2 || b[5] !== 1) return 'the artifact is not a 64-bit little-endian ELF file';
  if (b.readUInt16LE(16) !== 3) return 'the artifact is not a shared object';
  const phoff = Number(b.readBigUInt64LE(32));
  const phentsize = b.readUInt16LE(54);
  const phnum = b.readUInt16LE(56);
  if (phentsize < 56 || phoff + phnum * phentsize > b.length) return 'the artifact has a truncated program header table';
  const loads: { vaddr: number; offset: number; filesz: number }[] = [];
  let dynamic: { offset: number; size: number } | undefined;
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    const type = b.readUInt32LE(p);
    const offset = Number(b.readBigUInt64LE(p + 8));
    const vaddr = Number(b.readBigUInt64LE(p + 16));
    const filesz = Number(b.readBigUInt64LE(p + 32));
    if (type === PT_LOAD) loads.push({ vaddr, offset, filesz });
    if (type === PT_DYNAMIC) {
      if (dynamic) return 'the artifact has two dynamic sections';
      dynamic = { offset, size: filesz };
    }
  }
  if (!dynamic || dynamic.offset + dynamic.size > b.length) return 'the artifact has no readable dynamic section';
  const tags: [number, number][] = [];
  for (let p = dynamic.offset; p + 16 <= dynamic.offset + dynamic.size; p += 16) {
    const tag = Number(b.readBigInt64LE(p));
    if (tag === DT.NULL) break;
    tags.push([tag, Number(b.readBigUInt64LE(p + 8))]);
  }
  const value = (tag: number) => tags.filter(([t]) => t === tag).map(([, v]) => v);
  const initializers = value(DT.INIT_ARRAYSZ).reduce((a, n) => a + n / 8, 0);
  const strtab = fileOffset(loads, value(DT.STRTAB)[0]);
  const strsz = value(DT.STRSZ)[0];
  const strings = strtab === undefined || strsz === undefined || strtab + strsz > b.length ? 'the artifact has no readable dynamic string table' : b.subarray(strtab, strtab + strsz);
  return { tags, initializers, strings };
}

function check(b: Buffer, d: DynamicSection, expect: LibraryExpectation): string | undefined {
  const value = (tag: number) => d.tags.filter(([t]) => t === tag).map(([, v]) => v);
  if (value(DT.RPATH).length || value(DT.RUNPATH).length) return 'the artifact sets a library search path (RPATH/RUNPATH)';
  if (value(DT.PREINIT_ARRAYSZ).some((n) => n > 0)) return 'the artifact has pre-initializers';
  const compiler = targetTraits(expect.target).libraryCompiler;
  const allowed = Math.max(MAX_INITIALIZERS[compiler] ?? 0, expect.maxInitializers ?? 0);
  if (d.initializers > allowed) return `the artifact has ${d.initializers} initializers (constructors), ${compiler} libraries have at most ${allowed}`;
  if (typeof d.strings === 'string') return d.strings;
  const strings = d.strings;
  const stringAt = (at: number) => {
    const end = strings.indexOf(0, at);
    return strings.subarray(at, end < 0 ? strings.length : end).toString('latin1');
  };
  for (const at of value(DT.NEEDED)) {
    const name = stringAt(at);
    if (!RUNTIME_LIBRARIES.test(name)) return `the artifact needs ${JSON.stringify(name)}, not one of the runtime libraries a kernel links`;
  }
  const names = new Set(strings.toString('latin1').split('\0'));
  if (!names.has(expect.symbol) || !names.has(`${expect.symbol}_info`)) return `the artifact does not export ${expect.symbol} and ${expect.symbol}_info (another kernel's library?)`;
  // The self-description is a string literal: its symbol and spec must be the expected ones.
  if (b.indexOf(`"symbol":${JSON.stringify(expect.symbol)}`) < 0 || b.indexOf(`"spec":${expect.specJson}`) < 0) {
    return `the artifact's self-description is not that of ${expect.symbol} with this spec`;
  }
  return undefined;
}

function fileOffset(loads: readonly { vaddr: number; offset: number; filesz: number }[], vaddr: number | undefined): number | undefined {
  if (vaddr === undefined) return undefined;
  const seg = loads.find((l) => vaddr >= l.vaddr && vaddr < l.vaddr + l.filesz);
  return seg ? seg.offset + (vaddr - seg.vaddr) : undefined;
}
