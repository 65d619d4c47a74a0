import { describe, expect, it } from 'vitest';
import { embeddedCode } from '../../src/compiler/fatbin.js';

describe('fatbin reading', () => {
  it('finds nothing in bytes without a fatbin, and does not trust a truncated one', () => {
    expect(embeddedCode(Buffer.from('no fatbin here'))).toEqual({ sass: [], ptx: null });
    const header = Buffer.alloc(16);
    header.writeUInt32LE(0xba55ed50, 0);
    header.writeUInt16LE(16, 6);
    header.writeBigUInt64LE(1000n, 8); // claims more bytes than there are
    expect(embeddedCode(header)).toEqual({ sass: [], ptx: null });
  });
});
