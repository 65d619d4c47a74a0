// Bundles: cache entries in one gzipped JSON file, to move kernels between machines. A bundle is
// untrusted input that becomes executable code, so import checks every entry the way a load does,
// in memory and with bounded sizes, before writing anything; then commits each through the disk
// cache's one atomic put. An HMAC-SHA256 under a key the importer gives proves who made it; without
// one, nothing proves an artifact is the output of its recorded source, so import rebuilds it
// (tools/bundle-import.ts).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { SpecError } from '../errors.js';
import { PACKAGE_VERSION } from '../version.js';
import { DiskCache, type EntryExpectation } from './disk-cache.js';
import { putPortable, type PortableEntry } from './portable.js';
import { MAX_ARTIFACT_BYTES, MAX_SOURCE_BYTES, parseMeta, type EntryMeta } from './entry-meta.js';
import { sha256 } from './key.js';
import { libraryProblem } from './library-check.js';
import { regenerationProblem } from './provenance.js';
import { readTrusted } from './trust.js';

const BUNDLE_FORMAT = 'dwconv-jit-bundle';
/** 2: files checked by name and hash, optional signature. */
const BUNDLE_VERSION = 2;
/** Default cap on a bundle's decompressed size (a gzip bomb stops here, not at the memory limit). */
export const DEFAULT_MAX_BUNDLE_BYTES = 256 << 20;
const MIN_KEY_BYTES = 16;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

interface BundleEntry {
  readonly key: string;
  readonly meta: EntryMeta;
  /** File name → base64 content: the source and the artifact. */
  readonly files: Readonly<Record<string, string>>;
}

interface SignedPart {
  readonly format: string;
  readonly version: number;
  readonly entries: readonly BundleEntry[];
}

interface Bundle extends SignedPart {
  readonly signature?: { readonly algorithm: 'hmac-sha256'; readonly mac: string };
}


/** The signing key from a file (its bytes) or a string (DWCONV_JIT_BUNDLE_KEY); at least 16 bytes. */
export async function bundleKey(from: { file?: string; value?: string }): Promise<Buffer | undefined> {
  let key: Buffer;
  if (from.file !== undefined) {
    key = await readFile(from.file).catch((cause: unknown) => {
      throw new SpecError('--key-file', from.file, `a readable file (${(cause as Error).message})`);
    });
  } else if (from.value !== undefined) key = Buffer.from(from.value, 'utf8');
  else return undefined;
  if (key.length < MIN_KEY_BYTES) throw new SpecError(from.file !== undefined ? '--key-file' : 'DWCONV_JIT_BUNDLE_KEY', `${key.length} bytes`, `a key of at least ${MIN_KEY_BYTES} bytes`);
  return key;
}

/** The MAC over exactly what import will use: the canonical JSON of the parsed bundle, signature left out. */
function macOf(part: SignedPart, key: Buffer): string {
  return createHmac('sha256', key).update(JSON.stringify({ format: part.format, version: part.version, entries: part.entries })).digest('hex');
}

/** Writes the given entries (those that pass every load check) as one gzipped JSON bundle, signed when a key is given. */
export async function exportBundle(root: string, keys: readonly string[], file: string, key?: Buffer): Promise<{ exported: number; skipped: string[]; signed: boolean }> {
  const cache = await DiskCache.open(root);
  const entries: BundleEntry[] = [];
  const skipped: string[] = [];
  for (const k of keys) {
    const { entry } = await cache.inspect(k);
    const files: Record<string, string> = {};
    let sound = entry !== undefined && checkPortable(entry.meta) === undefined;
    // Names come from a checked meta.json (an allow-list, never a path) and are read without following links.
    for (const name of entry && sound ? [entry.meta.files.source, entry.meta.files.artifact] : []) {
      const read = await readTrusted(join(entry!.dir, name), name, MAX_ARTIFACT_BYTES);
      if (typeof read === 'string') sound = false;
      else files[name] = read.bytes.toString('base64');
    }
    if (!entry || !sound) {
      skipped.push(k);
      continue;
    }
    entries.push({ key: k, meta: entry.meta, files });
  }
  const part: SignedPart = { format: BUNDLE_FORMAT, version: BUNDLE_VERSION, entries };
  const bundle: Bundle = key ? { ...part, signature: { algorithm: 'hmac-sha256', mac: macOf(part, key) } } : part;
  await writeFile(file, gzipSync(JSON.stringify(bundle)), { mode: 0o600 });
  return { exported: entries.length, skipped, signed: key !== undefined };
}

/** Initializer counts this machine's own compiler was seen to emit, by compiler version (artifact.ts learns them). */
export interface LearnedInitializers {
  get(compilerVersion: string): number | undefined;
}

/**
 * The spec/source/symbol binding and, for a shared library, its dynamic section: what a bundle or
 * verify checks beyond the hashes. `learned` lets the initializer count be what this machine's
 * compiler emits (g++ 13 emits 2 where the table says 1).
 */
export function checkPortable(meta: EntryMeta, artifact?: Buffer, learned?: LearnedInitializers): string | undefined {
  if (meta.parts.package !== PACKAGE_VERSION) return `built by dwconv-jit ${meta.parts.package}, this is ${PACKAGE_VERSION}`;
  const regenerated = regenerationProblem(meta);
  if (regenerated) return regenerated;
  if (artifact && meta.files.artifact === 'kernel.so') {
    const maxInitializers = learned?.get(meta.parts.compiler.version);
    return libraryProblem(artifact, { symbol: meta.symbol, specJson: JSON.stringify(meta.spec), target: meta.parts.target, ...(maxInitializers !== undefined ? { maxInitializers } : {}) });
  }
  return undefined;
}

export interface ReadOptions {
  /** The HMAC key: when given, the bundle must carry a valid signature under it. */
  readonly key?: Buffer;
  /** Cap on the decompressed bundle, in bytes. Default DEFAULT_MAX_BUNDLE_BYTES. */
  readonly maxBytes?: number;
  /**
   * 'load' (default): each artifact must pass the load checks, as when it is to be committed.
   * 'hash': only its size and sha256 (an import that rebuilds every entry never writes or loads it).
   */
  readonly artifacts?: 'load' | 'hash';
  /** Initializer counts learned on this machine, for the load checks. */
  readonly learned?: LearnedInitializers;
}

/** 'verified': signed under the given key; 'unsigned': no signature; 'unchecked': signed, but no key was given to check it. */
export type SignatureState = 'verified' | 'unsigned' | 'unchecked';

/** Reads, bounds, authenticates and checks a whole bundle in memory; a SpecError names the first thing wrong. Writes nothing. */
export async function readBundle(file: string, o: ReadOptions = {}): Promise<{ entries: PortableEntry[]; signature: SignatureState }> {
  const maxBytes = o.maxBytes ?? DEFAULT_MAX_BUNDLE_BYTES;
  const size = await stat(file).then((s) => s.size, (cause: unknown) => {
    throw new SpecError('bundle', file, `a readable bundle file (${(cause as Error).message})`);
  });
  if (size > maxBytes) throw new SpecError('bundle', file, `a bundle of at most ${maxBytes} bytes (it has ${size})`);
  let bundle: Bundle;
  try {
    const text = gunzipSync(await readFile(file), { maxOutputLength: maxBytes }).toString('utf8');
    bundle = JSON.parse(text) as Bundle;
  } catch (cause) {
    const tooBig = (cause as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || cause instanceof RangeError;
    throw new SpecError('bundle', file, tooBig ? `a bundle of at most ${maxBytes} bytes decompressed` : `a bundle written by \`dwconv-jit cache export\` (${(cause as Error).message})`);
  }
  if (typeof bundle !== 'object' || bundle === null || bundle.format !== BUNDLE_FORMAT || bundle.version !== BUNDLE_VERSION || !Array.isArray(bundle.entries)) {
    throw new SpecError('bundle', file, `a ${BUNDLE_FORMAT} version ${BUNDLE_VERSION} file`);
  }
  let signature: SignatureState = bundle.signature === undefined ? 'unsigned' : 'unchecked';
  if (o.key) {
    const mac = bundle.signature?.algorithm === 'hmac-sha256' && typeof bundle.signature.mac === 'string' ? Buffer.from(bundle.signature.mac, 'hex') : Buffer.alloc(0);
    const expected = Buffer.from(macOf(bundle, o.key), 'hex');
    if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) {
      throw new SpecError('bundle.signature', bundle.signature === undefined ? 'none' : 'a signature', 'an HMAC-SHA256 under the given key (the bundle was changed, or signed with another key)');
    }
    signature = 'verified';
  }
  // Duplicates first: with two copies of a key, which one is checked and which committed must not matter.
  const seen = new Set<string>();
  bundle.entries.forEach((e: unknown, i) => {
    const key = typeof e === 'object' && e !== null ? (e as { key?: unknown }).key : undefined;
    if (typeof key === 'string' && seen.has(key)) throw new SpecError(`bundle.entries[${i}].key`, key, 'each key once (a bundle with two entries of one key is refused)');
    if (typeof key === 'string') seen.add(key);
  });
  const entries = bundle.entries.map((e: unknown, i): PortableEntry => {
    const where = `bundle.entries[${i}]`;
    if (typeof e !== 'object' || e === null) throw new SpecError(where, e, 'an entry object');
    const { key, meta: rawMeta, files } = e as Partial<BundleEntry>;
    if (typeof key !== 'string' || !/^[0-9a-f]{64}$/.test(key)) throw new SpecError(`${where}.key`, key, 'a cache key');
    const meta = parseMeta(JSON.stringify(rawMeta ?? null), key);
    if (typeof meta === 'string') throw new SpecError(`${where}.meta`, key, `a valid meta.json (${meta})`);
    if (typeof files !== 'object' || files === null || Array.isArray(files)) throw new SpecError(`${where}.files`, files, 'an object of file name: base64');
    const names = Object.keys(files).sort();
    const wanted = [meta.files.source, meta.files.artifact].sort();
    if (names.join('\0') !== wanted.join('\0')) throw new SpecError(`${where}.files`, names, `exactly ${wanted.join(' and ')}`);
    const decode = (name: string, cap: number): Buffer => {
      const text = (files as Record<string, unknown>)[name];
      if (typeof text !== 'string' || !BASE64.test(text)) throw new SpecError(`${where}.files.${name}`, typeof text, 'a base64 string');
      if ((text.length / 4) * 3 > cap) throw new SpecError(`${where}.files.${name}`, `${text.length} base64 characters`, `at most ${cap} bytes`);
      return Buffer.from(text, 'base64');
    };
    const source = decode(meta.files.source, MAX_SOURCE_BYTES);
    const artifact = decode(meta.files.artifact, MAX_ARTIFACT_BYTES);
    if (sha256(source) !== meta.parts.sourceSha256) throw new SpecError(`${where}.source`, key, 'a source matching the sha256 in its key parts');
    if (artifact.length !== meta.artifactBytes || sha256(artifact) !== meta.artifactSha256) throw new SpecError(`${where}.artifact`, key, 'an artifact matching its recorded size and sha256');
    const problem = checkPortable(meta, o.artifacts === 'hash' ? undefined : artifact, o.learned);
    if (problem) throw new SpecError(`${where}`, key, `an entry that passes the load checks (${problem})`);
    return { meta, source, artifact };
  });
  return { entries, signature };
}

function expectationOf(meta: EntryMeta, learned?: LearnedInitializers): EntryExpectation {
  return { symbol: meta.symbol, specJson: JSON.stringify(meta.spec), artifact: (bytes, m) => checkPortable(m, bytes, learned) };
}

/**
 * Commits the entries' own artifacts (checked by readBundle with artifacts 'load'), all or nothing:
 * entries committed by this call are removed again if a later one fails to commit. Only for
 * artifacts whose maker is trusted: a verified signature, or an importer who said so.
 */
export async function commitArtifacts(root: string, entries: readonly PortableEntry[], learned?: LearnedInitializers): Promise<{ imported: number; present: number }> {
  const cache = await DiskCache.open(root);
  const committed: string[] = [];
  let present = 0;
  try {
    for (const p of entries) {
      const existing = await cache.inspect(p.meta.key, expectationOf(p.meta, learned));
      if (existing.entry) {
        present++;
        continue;
      }
      if (existing.problem !== 'missing') await cache.remove(p.meta.key); // a broken copy gives way to the checked one
      await putPortable(cache, p, expectationOf(p.meta, learned));
      committed.push(p.meta.key);
    }
  } catch (err) {
    for (const k of committed) await cache.remove(k).catch(() => undefined);
    throw err;
  }
  return { imported: committed.length, present };
}
