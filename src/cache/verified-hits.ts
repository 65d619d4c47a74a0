// Disk-cache hits that were checked in full, remembered by the files' identities, so that the next
// process can skip reading and hashing the same bytes again. A full check (DiskCache.inspect) reads
// meta.json, the source and the artifact, hashes them and parses the library's dynamic section; that
// and loading the cache code for it is most of a hit in a new process.
//
// Why skipping them is sound: a record holds, for one entry, the identity (device, inode, size,
// modification and status-change times) of every file in it as they were when every check passed, and
// which folder (device, inode) held them under which names. Any write, truncation, rename, copy or re-creation of a file gives it a new ctime,
// which no user can set back (utimes sets the ctime to now), so an unchanged identity means unchanged
// bytes. Identities younger than RACY_MARGIN_MS are never recorded: file times come from a coarse
// clock, and a change in the same clock tick as the check could keep the old times. What is not
// about bytes is checked again on every use: owner, mode, links and symlinks (trust.ts), meta.json's
// key, parts, symbol and spec against what this call asks, and the precompiled layers (a layer that
// appears or changes could now answer first: the record names their folders' identities).
//
// A record is found by everything that decides the entry: the key parts (source sha256, compiler and
// its version, flags, arch: the key is their hash), the symbol and spec, the initializer baseline the
// library check used, and the precompiled layers searched first. Anything missing or different: no
// hit here, and the full lookup decides (and records again).
import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readFileSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Artifact, BuildOptions } from '../artifact.js';
import type { SourceRef } from '../codegen/common.js';
import type { CacheEntry } from './disk-cache.js';
import { baselineOf } from '../compiler/fingerprint-store.js';
import { checkCacheRoot } from './cache-root.js';
import { readHintFile, writeHintFile } from './hint-file.js';
import { cacheRootOf, keyPartsFor } from './key-plan.js';
import { appendUse, MAX_META_BYTES, META_NAME, USES_NAME, type EntryMeta } from './entry-meta.js';
import { partsJson, type KeyParts } from './key.js';
import { fileProblem, folderProblem, trustedOwner } from './trust.js';

const FILE = '.hits.json'; // a dot name, as the cache's other private files
const MAX_RECORDS = 256;
const MAX_FILE_BYTES = 1 << 20;
/** Newer identities are not recorded (a change within one tick of the coarse file clock could keep them). */
const RACY_MARGIN_MS = 100;
const KEY_PATTERN = /^[0-9a-f]{64}$/;

/** What the caller asks: the entry a record may serve must have been checked for exactly this. */
export interface HitQuery {
  readonly parts: KeyParts;
  readonly symbol: string;
  readonly specJson: string;
  /** The learned initializer count the library check allowed (fingerprint-store.ts), if any. */
  readonly learnedInitializers: number | undefined;
  /** The precompiled layers searched before the disk cache, in order. */
  readonly precompiled: readonly string[];
}

interface HitRecord {
  readonly key: string;
  /** The entry folder's device and inode: the same folder, not one renamed into its place (the names in it are compared one by one). */
  readonly folder: string;
  /** Every file of the entry by name: its identity (uses.log: '', it grows with every use). */
  readonly files: Readonly<Record<string, string>>;
  /** Per precompiled layer: its folder's identity ('missing' when absent) and each folder above it (owner and mode). */
  readonly layers: readonly (readonly string[])[];
}

const contentIdentity = (st: Stats) => `${st.dev}|${st.ino}|${st.size}|${st.mtimeMs}|${st.ctimeMs}`;
const folderIdentity = (st: Stats) => `${st.dev}|${st.ino}`;

function lookupOf(q: HitQuery): string {
  return JSON.stringify([partsJson(q.parts), q.symbol, q.specJson, q.learnedInitializers ?? null, q.precompiled.map((d) => resolve(d))]);
}

/**
 * A layer as the precompiled tier would see it: whether it exists and what it holds (its folder's
 * times move when an entry is added or removed), and the trust of every folder above it (chainProblem).
 */
function layerIdentity(dir: string): string[] {
  const root = resolve(dir);
  const st = lstatSync(root, { throwIfNoEntry: false });
  if (!st) return ['missing'];
  const out = [`${st.mode}|${st.uid}|${contentIdentity(st)}`];
  for (let at = dirname(root); ; at = dirname(at)) {
    const up = lstatSync(at, { throwIfNoEntry: false });
    out.push(up ? `${up.dev}|${up.ino}|${up.mode}|${up.uid}` : 'missing');
    if (dirname(at) === at) return out;
  }
}

function readRecords(path: string): Record<string, unknown> {
  try {
    const text = readHintFile(path, MAX_FILE_BYTES);
    if (text === undefined) return {};
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function isRecord(r: unknown): r is HitRecord {
  if (typeof r !== 'object' || r === null) return false;
  const x = r as Partial<HitRecord>;
  return typeof x.key === 'string' && KEY_PATTERN.test(x.key) && typeof x.folder === 'string' && typeof x.files === 'object' && x.files !== null
    && Object.values(x.files).every((v) => typeof v === 'string') && Array.isArray(x.layers) && x.layers.every((l) => Array.isArray(l) && l.every((v) => typeof v === 'string'));
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** meta.json read through one descriptor that is still the recorded file; undefined when it is not. */
function metaIfUnchanged(path: string, identity: string): EntryMeta | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    const st = fstatSync(fd);
    if (fileProblem(st, META_NAME) || contentIdentity(st) !== identity || st.size > MAX_META_BYTES) return undefined;
    return JSON.parse(readFileSync(fd, 'utf8')) as EntryMeta;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * The entry a record says was checked in full for this query, if its folder and files are still those
 * bytes and may still be trusted; its use is recorded. Undefined otherwise (nothing is changed then).
 */
export function rememberedHit(root: string, q: HitQuery): Promise<CacheEntry | undefined> {
  try {
    return Promise.resolve(remembered(root, q));
  } catch {
    return Promise.resolve(undefined); // an unreadable folder or a record of another shape: the full lookup decides
  }
}

function remembered(root: string, q: HitQuery): CacheEntry | undefined {
  // The root must pass what DiskCache.open checks: a root that may not be used is no hit here, and the full lookup throws why.
  checkCacheRoot(root);
  const record = readRecords(join(root, FILE))[lookupOf(q)];
  if (!isRecord(record)) return undefined;
  if (q.precompiled.length !== record.layers.length || q.precompiled.some((d, i) => !sameList(layerIdentity(d), record.layers[i]!))) return undefined;
  const dir = join(root, record.key);
  const dirStat = lstatSync(dir, { throwIfNoEntry: false });
  if (!dirStat || folderProblem(dirStat, 'the entry') || folderIdentity(dirStat) !== record.folder) return undefined;
  const names = readdirSync(dir).sort();
  if (!sameList(names, Object.keys(record.files).sort())) return undefined;
  for (const name of names) {
    const st = lstatSync(join(dir, name), { throwIfNoEntry: false });
    if (!st || fileProblem(st, name)) return undefined;
    if (name !== USES_NAME && contentIdentity(st) !== record.files[name]) return undefined;
  }
  const meta = metaIfUnchanged(join(dir, META_NAME), record.files[META_NAME] ?? '');
  if (!meta || meta.key !== record.key || partsJson(meta.parts) !== partsJson(q.parts) || meta.symbol !== q.symbol || JSON.stringify(meta.spec) !== q.specJson) return undefined;
  if (typeof meta.files?.artifact !== 'string' || !Object.hasOwn(record.files, meta.files.artifact) || meta.files.artifact === META_NAME || meta.files.artifact === USES_NAME) return undefined;
  const artifactPath = join(dir, meta.files.artifact);
  const artifactStat = lstatSync(artifactPath, { throwIfNoEntry: false });
  if (!artifactStat || contentIdentity(artifactStat) !== record.files[meta.files.artifact]) return undefined;
  appendUse(dir);
  return { dir, artifactPath, meta, artifactStat };
}

/**
 * Remembers an entry that just passed every check of a disk hit for this query, with the identities
 * its files have now: only when the artifact is still the file whose bytes were checked, and only
 * identities older than the racy margin. Failures are ignored: a record only saves time.
 */
export async function rememberHit(root: string, q: HitQuery, entry: CacheEntry): Promise<void> {
  try {
    if (!entry.artifactStat || entry.dir !== join(root, entry.meta.key)) return;
    const settled = Date.now() - RACY_MARGIN_MS;
    const dirStat = lstatSync(entry.dir);
    const files: Record<string, string> = {};
    for (const name of readdirSync(entry.dir).sort()) {
      const st = lstatSync(join(entry.dir, name));
      if (name === USES_NAME) {
        files[name] = '';
        continue;
      }
      if (Math.max(st.mtimeMs, st.ctimeMs) > settled || !trustedOwner(st.uid)) return;
      files[name] = contentIdentity(st);
    }
    // The checked bytes, not whatever the path names now.
    if (files[entry.meta.files.artifact] !== contentIdentity(entry.artifactStat)) return;
    const record: HitRecord = { key: entry.meta.key, folder: folderIdentity(dirStat), files, layers: q.precompiled.map(layerIdentity) };
    const path = join(root, FILE);
    const records = readRecords(path);
    const lookup = lookupOf(q);
    delete records[lookup]; // re-inserted last: the newest records are the ones kept
    records[lookup] = record;
    const kept = Object.fromEntries(Object.entries(records).slice(-MAX_RECORDS));
    await writeHintFile(path, JSON.stringify(kept));
  } catch {
    // not remembered: the next process checks the entry in full
  }
}

/** The query a lookup of `generated` with these options makes (finds the compiler by identity; runs nothing). */
export async function hitQueryFor(generated: SourceRef, opts: BuildOptions, parts?: KeyParts): Promise<HitQuery> {
  const keyParts = parts ?? (await keyPartsFor(generated, opts)).parts;
  const learned = (await baselineOf(cacheRootOf(opts))).get(keyParts.compiler.version);
  return { parts: keyParts, symbol: generated.symbol, specJson: generated.specJson, learnedInitializers: learned, precompiled: opts.precompiled ?? [] };
}

/**
 * The artifact of a remembered hit for this source and these options, or undefined (then the full
 * lookup runs: it decides, and records the hit for the next process). Loads none of the cache code.
 */
export async function rememberedArtifact(generated: SourceRef, opts: BuildOptions): Promise<Artifact | undefined> {
  if (opts.cache === false) return undefined;
  let q: HitQuery;
  try {
    q = await hitQueryFor(generated, opts);
  } catch {
    return undefined; // no compiler to name the key: the full lookup says why (or finds a precompiled entry)
  }
  const entry = await rememberedHit(cacheRootOf(opts), q);
  return entry && { key: entry.meta.key, path: entry.artifactPath, parts: entry.meta.parts, origin: 'disk', compileMilliseconds: 0, meta: entry.meta };
}
