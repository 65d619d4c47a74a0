import { describe, expect, it } from 'vitest';
import { packCubins, unpackCubins } from '../../src/compiler/cubin-set.js';
import { modulesOf } from '../../src/runtime/library.js';

const elf = (tag: string) => Buffer.concat([Buffer.from('\x7fELF', 'latin1'), Buffer.from(tag)]);

describe('cubin sets (an NVRTC build compiled as several programs)', () => {
  it('unpack what pack wrote: each cubin with the entries it holds', () => {
    const set = packCubins([{ entries: ['k_direct'], cubin: elf('one') }, { entries: ['k_tiled_4_4', 'k_tiled_4_2'], cubin: elf('two!') }]);
    const images = unpackCubins(set, 'kernel.cubin');
    expect(images.map((i) => i.entries)).toEqual([['k_direct'], ['k_tiled_4_4', 'k_tiled_4_2']]);
    expect(images.map((i) => i.image.toString('latin1'))).toEqual(['\x7fELFone', '\x7fELFtwo!']);
  });

  it('read a plain cubin as one image holding every entry', () => {
    const images = unpackCubins(elf('plain'), 'kernel.cubin');
    expect(images).toHaveLength(1);
    expect(images[0]!.entries).toBeUndefined();
  });

  it('refuse a set whose index or length is wrong, naming the file', () => {
    const set = packCubins([{ entries: ['a'], cubin: elf('x') }]);
    expect(() => unpackCubins(set.subarray(0, set.length - 1), '/c/kernel.cubin')).toThrow(/\/c\/kernel\.cubin.*do not fill/);
    expect(() => unpackCubins(Buffer.concat([set, Buffer.from('extra')]), 'k')).toThrow(/do not fill/);
    const bad = Buffer.from(set.toString('latin1').replace('"bytes"', '"bites"'), 'latin1');
    expect(() => unpackCubins(bad, 'k')).toThrow(/malformed/);
  });

  it('launch each entry from the module that holds it', () => {
    const loaded: string[] = [];
    const set = unpackCubins(packCubins([{ entries: ['a'], cubin: elf('A') }, { entries: ['b', 'c'], cubin: elf('B') }]), 'k');
    const moduleOf = modulesOf(set, (image) => (loaded.push(image.toString('latin1')), `module ${image.toString('latin1').slice(4)}`), 'k');
    expect(loaded).toHaveLength(2);
    expect(['a', 'b', 'c'].map(moduleOf)).toEqual(['module A', 'module B', 'module B']);
    expect(() => moduleOf('d')).toThrow(/no module with entry d/);
    const plain = modulesOf(unpackCubins(elf('P'), 'k'), () => 'the module', 'k');
    expect(plain('anything')).toBe('the module');
  });
});
