// koffi's addon loaded by its path (src/ffi/koffi.ts): the same module koffi's own loader gives, and
// undefined (the caller then loads 'koffi') wherever the path is not sure to be koffi's choice.
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { elfLibc, ffi, koffiAddon, loadLibrary } from '../../src/ffi/koffi.js';

const here = createRequire(import.meta.url);
const fastPathHost = process.platform === 'linux' && (process.arch === 'x64' || process.arch === 'arm64');

/** A 64-bit little-endian ELF header and two program headers (PT_LOAD, then PT_INTERP naming `interp` at `at`, when given). */
function elfWithInterpreter(interp: string | undefined, at: number): Buffer {
  const name = interp === undefined ? Buffer.alloc(0) : Buffer.from(`${interp}\0`, 'latin1');
  const out = Buffer.alloc(Math.max(64 + 2 * 56, at + name.length));
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0);
  out.writeBigUInt64LE(64n, 32); // e_phoff
  out.writeUInt16LE(56, 54); // e_phentsize
  out.writeUInt16LE(interp === undefined ? 1 : 2, 56); // e_phnum
  out.writeUInt32LE(1, 64); // PT_LOAD
  if (interp !== undefined) {
    out.writeUInt32LE(3, 120); // PT_INTERP
    out.writeBigUInt64LE(BigInt(at), 120 + 8);
    out.writeBigUInt64LE(BigInt(name.length), 120 + 32);
    name.copy(out, at);
  }
  return out;
}

describe('koffi loaded by its addon path', () => {
  it.runIf(fastPathHost)('is the very module koffi exports, of koffi\'s version', () => {
    const addon = koffiAddon(here);
    expect(addon).toBeDefined();
    const koffi = here('koffi') as { default: unknown; version: string };
    expect(addon).toBe(koffi.default);
    expect((addon as unknown as { version: string }).version).toBe(koffi.version);
  });

  it('ffi() gives a koffi that loads a library and calls it', () => {
    expect(ffi().version).toBe((here('koffi') as { version: string }).version);
    if (process.platform !== 'linux') return;
    const getpid = loadLibrary('libc.so.6').func('int getpid()') as () => number;
    expect(getpid()).toBe(process.pid);
  });

  it.runIf(process.platform === 'linux')('reads the libc of the node binary from its ELF interpreter', () => {
    expect(['glibc', 'musl']).toContain(elfLibc(process.execPath));
  });

  it('tells musl from glibc by the interpreter\'s file name, wherever the program headers and the name lie', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dwconv-koffi-'));
    const cases: [string, number, 'glibc' | 'musl'][] = [
      ['/lib/ld-musl-x86_64.so.1', 0x318, 'musl'],
      ['/lib64/ld-linux-x86-64.so.2', 0x318, 'glibc'],
      ['/lib/ld-musl-aarch64.so.1', 9000, 'musl'], // past the first read: read where it lies
      ['ld-musl-x86_64.so.1', 0x318, 'musl'], // no folder
    ];
    for (const [interp, at, libc] of cases) {
      const path = join(dir, `elf-${libc}-${at}`);
      writeFileSync(path, elfWithInterpreter(interp, at));
      expect(elfLibc(path)).toBe(libc);
    }
    // No PT_INTERP (a static binary): unknown.
    writeFileSync(join(dir, 'static'), elfWithInterpreter(undefined, 0));
    expect(elfLibc(join(dir, 'static'))).toBeUndefined();
    // The name without its terminating NUL: unknown, as koffi's loader refuses it.
    const truncated = elfWithInterpreter('/lib/ld-musl-x86_64.so.1', 0x318);
    writeFileSync(join(dir, 'truncated'), truncated.subarray(0, 0x318 + 10));
    expect(elfLibc(join(dir, 'truncated'))).toBeUndefined();
  });

  it('is undefined on other platforms and architectures', () => {
    expect(koffiAddon(here, { platform: 'darwin', arch: 'arm64', execPath: process.execPath })).toBeUndefined();
    expect(koffiAddon(here, { platform: 'win32', arch: 'x64', execPath: process.execPath })).toBeUndefined();
    expect(koffiAddon(here, { platform: 'linux', arch: 'arm', execPath: process.execPath })).toBeUndefined();
    expect(koffiAddon(here, { platform: 'linux', arch: 'riscv64', execPath: process.execPath })).toBeUndefined();
  });

  it('is undefined when the node binary is no ELF executable (libc unknown) or missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dwconv-koffi-'));
    const notElf = join(dir, 'node');
    writeFileSync(notElf, '#!/bin/sh\n'.padEnd(200, ' '));
    expect(elfLibc(notElf)).toBeUndefined();
    expect(koffiAddon(here, { platform: 'linux', arch: 'x64', execPath: notElf })).toBeUndefined();
    expect(koffiAddon(here, { platform: 'linux', arch: 'x64', execPath: join(dir, 'absent') })).toBeUndefined();
  });

  it.runIf(process.platform === 'linux')('is undefined when koffi or its platform package is not where require would look', () => {
    const host = { platform: 'linux' as const, arch: 'x64', execPath: process.execPath };
    // No node_modules up from here holding koffi (tmpdir has none).
    const bare = mkdtempSync(join(tmpdir(), 'dwconv-koffi-'));
    expect(koffiAddon(createRequire(join(bare, 'index.js')), host)).toBeUndefined();
    // koffi present, its platform package absent.
    const app = mkdtempSync(join(tmpdir(), 'dwconv-koffi-'));
    mkdirSync(join(app, 'node_modules/koffi'), { recursive: true });
    writeFileSync(join(app, 'node_modules/koffi/package.json'), JSON.stringify({ name: 'koffi', version: '3.3.4' }));
    expect(koffiAddon(createRequire(join(app, 'index.js')), host)).toBeUndefined();
    // The platform package present but its binary not a loadable addon: require throws, caught.
    mkdirSync(join(app, 'node_modules/@koromix/koffi-linux-x64/linux_x64'), { recursive: true });
    mkdirSync(join(app, 'node_modules/@koromix/koffi-linux-x64/musl_x64'), { recursive: true });
    writeFileSync(join(app, 'node_modules/@koromix/koffi-linux-x64/linux_x64/koffi.node'), 'not an addon');
    writeFileSync(join(app, 'node_modules/@koromix/koffi-linux-x64/musl_x64/koffi.node'), 'not an addon');
    expect(koffiAddon(createRequire(join(app, 'index.js')), host)).toBeUndefined();
  });

  it.runIf(fastPathHost)('is undefined when the addon is of another version than koffi\'s package (as koffi refuses it)', () => {
    // A koffi of another version whose platform package links the real addon.
    const real = here.resolve(`@koromix/koffi-linux-${process.arch}/package.json`).replace(/package\.json$/, '');
    const app = mkdtempSync(join(tmpdir(), 'dwconv-koffi-'));
    mkdirSync(join(app, 'node_modules/koffi'), { recursive: true });
    writeFileSync(join(app, 'node_modules/koffi/package.json'), JSON.stringify({ name: 'koffi', version: '0.0.1' }));
    mkdirSync(join(app, 'node_modules/@koromix'), { recursive: true });
    symlinkSync(real, join(app, `node_modules/@koromix/koffi-linux-${process.arch}`));
    const host = { platform: 'linux' as const, arch: process.arch, execPath: process.execPath };
    expect(koffiAddon(createRequire(join(app, 'index.js')), host)).toBeUndefined();
    // The same layout at the addon's version is taken (so the refusal above is the version's).
    writeFileSync(join(app, 'node_modules/koffi/package.json'), JSON.stringify({ name: 'koffi', version: (here('koffi') as { version: string }).version }));
    expect(koffiAddon(createRequire(join(app, 'index.js')), host)).toBe(koffiAddon(here));
  });
});
