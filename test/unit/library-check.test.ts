// The dynamic-section reader on synthetic ELF files: the initializer count the compile path learns
// from and the load check's verdict come from one parse, so they cannot disagree.
import { describe, expect, it } from 'vitest';
import { initializerCount, libraryProblem } from '../../src/cache/library-check.js';

const DT = { NULL: 0, NEEDED: 1, STRTAB: 5, STRSZ: 10, RPATH: 15, INIT_ARRAYSZ: 27, PREINIT_ARRAYSZ: 33 };
const SYMBOL = 'dwconv_test';
const SPEC = '{"kernelSize":[3,3]}';

/** A minimal ELF64 shared object: one PT_LOAD mapping the whole file at address 0, one PT_DYNAMIC. */
function elf(o: { tags?: [number, number][]; needed?: string; type?: number } = {}): Buffer {
  const strings = Buffer.from(`\0${SYMBOL}\0${SYMBOL}_info\0${o.needed ?? 'libc.so.6'}\0`, 'latin1');
  const neededAt = 1 + SYMBOL.length + 1 + SYMBOL.length + 5 + 1;
  const info = Buffer.from(`{"symbol":"${SYMBOL}","spec":${SPEC}}\0`, 'latin1');
  const tags = o.tags ?? [[DT.INIT_ARRAYSZ, 8]];
  const dynamicAt = 64 + 2 * 56;
  const all: [number, number][] = [[DT.NEEDED, neededAt], ...tags];
  const stringsAt = dynamicAt + (all.length + 3) * 16;
  all.push([DT.STRTAB, stringsAt], [DT.STRSZ, strings.length], [DT.NULL, 0]);
  const size = stringsAt + strings.length + info.length;
  const b = Buffer.alloc(size);
  b.writeUInt32BE(0x7f454c46, 0);
  b[4] = 2;
  b[5] = 1;
  b.writeUInt16LE(o.type ?? 3, 16);
  b.writeBigUInt64LE(64n, 32);
  b.writeUInt16LE(56, 54);
  b.writeUInt16LE(2, 56);
  const ph = (at: number, type: number, offset: number, filesz: number) => {
    b.writeUInt32LE(type, at);
    b.writeBigUInt64LE(BigInt(offset), at + 8);
    b.writeBigUInt64LE(BigInt(offset), at + 16);
    b.writeBigUInt64LE(BigInt(filesz), at + 32);
  };
  ph(64, 1, 0, size);
  ph(64 + 56, 2, dynamicAt, all.length * 16);
  all.forEach(([tag, value], i) => {
    b.writeBigInt64LE(BigInt(tag), dynamicAt + i * 16);
    b.writeBigUInt64LE(BigInt(value), dynamicAt + i * 16 + 8);
  });
  strings.copy(b, stringsAt);
  info.copy(b, stringsAt + strings.length);
  return b;
}

const expectation = { symbol: SYMBOL, specJson: SPEC, target: 'cpu' as const };

describe('library check', () => {
  it('a library like the ones g++ builds passes', () => {
    expect(libraryProblem(elf(), expectation)).toBeUndefined();
    expect(initializerCount(elf())).toBe(1);
  });

  it.each([0, 1, 2, 3])('%i initializers: counted, and refused exactly above the allowed number', (n) => {
    const b = elf({ tags: [[DT.INIT_ARRAYSZ, 8 * n]] });
    expect(initializerCount(b)).toBe(n);
    expect(libraryProblem(b, expectation)).toBe(n > 1 ? `the artifact has ${n} initializers (constructors), cxx libraries have at most 1` : undefined);
    expect(libraryProblem(b, { ...expectation, maxInitializers: n })).toBeUndefined();
  });

  it('counts initializers even where the library fails other checks (a search path, pre-initializers)', () => {
    expect(initializerCount(elf({ tags: [[DT.INIT_ARRAYSZ, 16], [DT.RPATH, 1]] }))).toBe(2);
    expect(libraryProblem(elf({ tags: [[DT.RPATH, 1]] }), expectation)).toMatch(/RPATH/);
    expect(libraryProblem(elf({ tags: [[DT.PREINIT_ARRAYSZ, 8]] }), expectation)).toMatch(/pre-initializers/);
  });

  it('refuses other needed libraries, other symbols and other specs', () => {
    expect(libraryProblem(elf({ needed: '/tmp/evil.so' }), expectation)).toMatch(/needs "\/tmp\/evil.so"/);
    // The dynamic loader by its plain name (newer toolchains link it for TLS), never by a path.
    expect(libraryProblem(elf({ needed: 'ld-linux-x86-64.so.2' }), expectation)).toBeUndefined();
    expect(libraryProblem(elf({ needed: '/tmp/ld-linux-x86-64.so.2' }), expectation)).toMatch(/needs/);
    expect(libraryProblem(elf(), { ...expectation, symbol: 'dwconv_other' })).toMatch(/does not export/);
    expect(libraryProblem(elf(), { ...expectation, specJson: '{"kernelSize":[5,5]}' })).toMatch(/self-description/);
  });

  it('unreadable files: a problem and no count, never an exception', () => {
    for (const b of [Buffer.from('not an elf'), elf({ type: 2 }), elf().subarray(0, 100), Buffer.alloc(0)]) {
      expect(initializerCount(b)).toBeUndefined();
      expect(libraryProblem(b, expectation)).toMatch(/artifact/);
    }
  });
});
