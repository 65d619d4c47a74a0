// Reads which GPU code a CUDA shared library embeds, from its fatbins: what the artifact holds, not
// what its metadata claims. Layout (little-endian): a 16-byte header (magic 0xBA55ED50, version,
// header size, payload size), then entries of { kind: 1 PTX | 2 ELF, version, header size, payload
// size, ..., arch at byte 28 }. An unknown layout yields nothing, and nothing is then trusted.

const MAGIC = 0xba55ed50;

export interface EmbeddedCode {
  /** Machine code archs, e.g. ['sm_80', 'sm_90']. */
  readonly sass: string[];
  /** The newest PTX, e.g. 'compute_90', or null. */
  readonly ptx: string | null;
}

export function embeddedCode(bytes: Uint8Array): EmbeddedCode {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sass = new Set<number>();
  const ptx = new Set<number>();
  const magic = Buffer.from([0x50, 0xed, 0x55, 0xba]);
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = buf.indexOf(magic); at >= 0 && at + 16 <= bytes.byteLength; at = buf.indexOf(magic, at + 4)) {
    if (view.getUint32(at, true) !== MAGIC) continue;
    const headerSize = view.getUint16(at + 6, true);
    const fatSize = Number(view.getBigUint64(at + 8, true));
    const end = at + headerSize + fatSize;
    if (headerSize < 16 || end > bytes.byteLength) continue;
    for (let p = at + headerSize; p + 32 <= end; ) {
      const kind = view.getUint16(p, true);
      const entryHeader = view.getUint32(p + 4, true);
      const payload = Number(view.getBigUint64(p + 8, true));
      const arch = view.getUint32(p + 28, true);
      if (entryHeader < 32 || p + entryHeader + payload > end || arch < 10 || arch > 1000) break;
      if (kind === 2) sass.add(arch);
      else if (kind === 1) ptx.add(arch);
      p += entryHeader + payload;
    }
  }
  const newestPtx = [...ptx].sort((a, b) => a - b).at(-1);
  return { sass: [...sass].sort((a, b) => a - b).map((a) => `sm_${a}`), ptx: newestPtx === undefined ? null : `compute_${newestPtx}` };
}
