import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { CacheError, SpecError } from '../errors.js';
import { DiskCache, type EntryDraft, type EntryMeta } from './disk-cache.js';
import { CACHE_FORMAT_VERSION, sha256 } from './key.js';

const BUNDLE_FORMAT = 'dwconv-jit-bundle';
const BUNDLE_VERSION = 1;
const SAFE_NAME = /^[A-Za-z0-9._-]{1,64}$/;

interface BundleEntry {
  readonly key: string;
  readonly meta: EntryMeta;
  /** File name → base64 content: the source and the artifact. */
  readonly files: Readonly<Record<string, string>>;
}

interface Bundle {
  readonly format: string;
  readonly version: number;
  readonly entries: readonly BundleEntry[];
}

/** Writes the given entries (whole, hash-checked ones only) as one gzipped JSON bundle. */
export async function exportBundle(root: string, keys: readonly string[], file: string): Promise<{ exported: number; skipped: string[] }> {
  const cache = await DiskCache.open(root);
  const entries: BundleEntry[] = [];
  const skipped: string[] = [];
  for (const key of keys) {
    const { entry } = await cache.inspect(key);
    if (!entry) {
      skipped.push(key);
      continue;
    }
    const files: Record<string, string> = {};
    for (const name of [entry.meta.files.source, entry.meta.files.artifact]) files[name] = (await readFile(join(entry.dir, name))).toString('base64');
    entries.push({ key, meta: entry.meta, files });
  }
  const bundle: Bundle = { format: BUNDLE_FORMAT, version: BUNDLE_VERSION, entries };
  await writeFile(file, gzipSync(JSON.stringify(bundle)), { mode: 0o600 });
  return { exported: entries.length, skipped };
}

/** Every entry is checked (format, key, names, artifact hash) before anything is written; then each is committed like a fresh build. */
export async function importBundle(root: string, file: string): Promise<{ imported: number; present: number }> {
  let bundle: Bundle;
  try {
    bundle = JSON.parse(gunzipSync(await readFile(file)).toString('utf8')) as Bundle;
  } catch (cause) {
    throw new SpecError('bundle', file, `a bundle written by \`dwconv-jit cache export\` (${(cause as Error).message})`);
  }
  if (bundle?.format !== BUNDLE_FORMAT || bundle.version !== BUNDLE_VERSION || !Array.isArray(bundle.entries)) {
    throw new SpecError('bundle', file, `a ${BUNDLE_FORMAT} version ${BUNDLE_VERSION} file`);
  }
  const checked = bundle.entries.map((e, i) => {
    const where = `bundle.entries[${i}]`;
    const meta = e?.meta;
    if (!/^[0-9a-f]{64}$/.test(e?.key) || meta?.key !== e.key || meta.format !== CACHE_FORMAT_VERSION) throw new SpecError(where, e?.key, 'an entry of this cache format whose meta names its key');
    const names = [meta.files?.source, meta.files?.artifact];
    if (names.some((n) => typeof n !== 'string' || !SAFE_NAME.test(n))) throw new SpecError(`${where}.files`, meta.files, 'plain file names');
    const contents = names.map((n) => Buffer.from(e.files?.[n!] ?? '', 'base64'));
    const artifact = contents[1]!;
    if (artifact.length !== meta.artifactBytes || sha256(artifact) !== meta.artifactSha256) throw new SpecError(`${where}.artifact`, e.key, 'an artifact matching its recorded sha256');
    return { key: e.key, meta, names: names as string[], contents };
  });
  const cache = await DiskCache.open(root);
  let imported = 0;
  let present = 0;
  for (const c of checked) {
    if ((await cache.inspect(c.key)).entry) {
      present++;
      continue;
    }
    const entry = await cache.put(c.key, async (work): Promise<EntryDraft> => {
      for (const [i, name] of c.names.entries()) await writeFile(join(work, name), c.contents[i]!, { mode: 0o600 });
      const { format: _f, key: _k, artifactBytes: _b, artifactSha256: _s, createdAt: _c, ...draft } = c.meta;
      return draft;
    });
    if (entry.meta.artifactSha256 !== c.meta.artifactSha256) throw new CacheError('an imported entry changed while it was written', entry.dir);
    imported++;
  }
  return { imported, present };
}
