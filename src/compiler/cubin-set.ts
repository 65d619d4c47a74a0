// An NVRTC build's artifact: one cubin, or several in one file when the source's device code was
// compiled as several programs at once (codegen's units). The file is hashed and checked as a whole
// by the cache like any artifact; only the loader looks inside.
import { DwconvError } from '../errors.js';

const MAGIC = 'dwconv-jit cubins 1\n';

/** One cubin and the plan entries it holds (all of them where `entries` is absent: a plain cubin). */
export interface CubinImage {
  readonly entries?: readonly string[];
  readonly image: Buffer;
}

/** One program's cubin and the plan entries it holds. */
export interface UnitCubin {
  readonly entries: readonly string[];
  readonly cubin: Buffer;
}

/**
 * The first part of an NVRTC build whose source has programs that compile later (CompileUnit.later):
 * the other programs' cubins, ready to load, and the later ones' when they are compiled. The artifact
 * file, all of them, is written once the later ones are done.
 */
export interface EarlyCubins {
  readonly cubins: readonly UnitCubin[];
  /** The entries the later cubins hold: absent from `cubins`, in `later` once it settles. */
  readonly laterEntries: readonly string[];
  readonly later: Promise<readonly UnitCubin[]>;
  /** NVRTC's time until `cubins` were ready. */
  readonly milliseconds: number;
}

/** Several cubins as one file: the magic line, a JSON line naming each one's entries and size, the cubins. */
export function packCubins(images: readonly UnitCubin[]): Buffer {
  const index = JSON.stringify(images.map((i) => ({ entries: i.entries, bytes: i.cubin.length })));
  return Buffer.concat([Buffer.from(`${MAGIC}${index}\n`, 'utf8'), ...images.map((i) => i.cubin)]);
}

/** The cubins of an artifact file: a plain cubin (ELF) is one image holding every entry. */
export function unpackCubins(bytes: Buffer, path: string): CubinImage[] {
  if (!bytes.subarray(0, MAGIC.length).equals(Buffer.from(MAGIC))) return [{ image: bytes }];
  const corrupt = (why: string) => new DwconvError(`cubin set ${path} is unreadable: ${why}`);
  const end = bytes.indexOf(0x0a, MAGIC.length);
  if (end < 0) throw corrupt('no index');
  let index: { entries: string[]; bytes: number }[];
  try {
    index = JSON.parse(bytes.subarray(MAGIC.length, end).toString('utf8')) as typeof index;
  } catch {
    throw corrupt('its index is not JSON');
  }
  const valid = Array.isArray(index) && index.every((i) => Array.isArray(i?.entries) && i.entries.every((e) => typeof e === 'string') && Number.isSafeInteger(i.bytes) && i.bytes > 0);
  if (!valid) throw corrupt('its index is malformed');
  let at = end + 1;
  if (at + index.reduce((n, i) => n + i.bytes, 0) !== bytes.length) throw corrupt('its cubins do not fill the file');
  return index.map((i) => {
    const image = bytes.subarray(at, (at += i.bytes));
    return { entries: i.entries, image };
  });
}
