// Which source a spec generates, remembered in the cache directory: a cache hit in a new process
// needs the source's sha256 for its key, and rendering the templates to learn it (loading the
// template engine and compiling every template) costs several times more than the rest of a hit.
//
// A record is found by the generator's identity (cache/generator-identity.ts: package version, the codegen
// modules', templates' and engine's file identities), the target, the variant and the canonical spec,
// so a changed generator never finds an old record. It is only a hint: the entry it leads to passes
// every check of a hit (its key binds the sha256, its source is hashed against it, its meta.json and
// library name this symbol and spec), and anything missing, malformed or unmatched falls back to
// generating the source (which then replaces the record).
import { join } from 'node:path';
import type { GeneratedSource, SourceSummary, Target } from '../codegen/common.js';
import { codegenIdentity, type CodegenIdentity } from './generator-identity.js';
import { sha256 } from './key.js';
import { readHintFile, writeHintFile } from './hint-file.js';

const FILE = '.sources.json'; // a dot name, as the cache's other private files
const MAX_RECORDS = 512;
/** Generators remembered side by side (two installed copies sharing a cache do not evict each other's records). */
const MAX_GENERATORS = 4;
const MAX_FILE_BYTES = 1 << 20;
/**
 * Inputs changed this close to (or after) the process start are not trusted to be what the process
 * loaded: a file edited while the modules were being read could have an identity that names its new
 * content while the source came from the old (file times come from a coarse clock, hence the margin).
 */
const RACY_MARGIN_MS = 100;

interface SourceRecord {
  readonly sourceSha256: string;
  readonly symbol: string;
  readonly specJson: string;
  readonly language: GeneratedSource['language'];
  readonly variant: Readonly<Record<string, string | number>>;
}

/** What the lookup is for: the spec as codegen sees it, and what the record must agree with. */
export interface SourceQuery {
  readonly target: Target;
  readonly specJson: string;
  /** The symbol codegen gives this spec (`dwconv_<target>_<tag>`). */
  readonly symbol: string;
  readonly variant: unknown;
}

const SHA = /^[0-9a-f]{64}$/;

/** A record's name within its generator's records (nothing hashed: the lookup loads no crypto). */
function recordKey(q: SourceQuery): string {
  return `${q.target}|${JSON.stringify(q.variant ?? null)}|${q.specJson}`;
}

/** The file: each generator's identity with the records it made, oldest generator first. */
interface IndexFile {
  readonly generators: { readonly identity: string; readonly sources: Record<string, unknown> }[];
}

function isVariant(v: unknown): v is Record<string, string | number> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string' || typeof x === 'number');
}

/** A record that says what a summary needs, for this very query; anything else is no record. */
function summaryOf(record: unknown, q: SourceQuery): SourceSummary | undefined {
  if (typeof record !== 'object' || record === null) return undefined;
  const r = record as Partial<SourceRecord>;
  if (typeof r.sourceSha256 !== 'string' || !SHA.test(r.sourceSha256)) return undefined;
  if (r.symbol !== q.symbol || r.specJson !== q.specJson) return undefined;
  // Only sources without a launch plan or compile units are summarized (put): a record that says
  // otherwise was not written here, and a summary could not load it.
  if (r.language !== 'c++') return undefined;
  if (!isVariant(r.variant)) return undefined;
  return { target: q.target, symbol: r.symbol, language: r.language, specJson: r.specJson, variant: r.variant, sourceSha256: r.sourceSha256 };
}

// Read synchronously: a small file read on every cache hit, where a thread-pool round trip per step costs more than the read.
function readIndex(path: string): IndexFile {
  try {
    const text = readHintFile(path, MAX_FILE_BYTES);
    if (text === undefined) return { generators: [] };
    const parsed = JSON.parse(text) as Partial<IndexFile> | null;
    const generators = Array.isArray(parsed?.generators) ? parsed.generators : [];
    return {
      generators: generators.filter((g): g is IndexFile['generators'][number] =>
        typeof g === 'object' && g !== null && typeof g.identity === 'string' && typeof g.sources === 'object' && g.sources !== null && !Array.isArray(g.sources)),
    };
  } catch {
    return { generators: [] }; // missing or unreadable: generate
  }
}

/**
 * The generators (oldest first, the current one last) with the fewest records dropped for the file to
 * stay within MAX_FILE_BYTES (a bigger one is read as empty, which would lose every record): the
 * other generators' records go first, the oldest generator's and its oldest records first, and the
 * current generator's oldest only when its own records alone are too many.
 */
function withinLimit(generators: IndexFile['generators']): IndexFile {
  // Each record's bytes as written, plus one for its comma: the sum bounds the file from above.
  const sizeOf = ([key, record]: [string, unknown]) => Buffer.byteLength(JSON.stringify(key)) + 1 + Buffer.byteLength(JSON.stringify(record)) + 1;
  const lists = generators.map((g) => Object.entries(g.sources));
  let total = Buffer.byteLength(JSON.stringify({ generators: generators.map((g) => ({ identity: g.identity, sources: {} })) }));
  for (const list of lists) for (const entry of list) total += sizeOf(entry);
  for (let g = 0; g < lists.length && total > MAX_FILE_BYTES; g++) {
    let drop = 0;
    for (; drop < lists[g]!.length && total > MAX_FILE_BYTES; drop++) total -= sizeOf(lists[g]![drop]!);
    lists[g] = lists[g]!.slice(drop);
  }
  const last = generators.length - 1;
  return { generators: generators.map((g, i) => ({ identity: g.identity, sources: Object.fromEntries(lists[i]!) })).filter((g, i) => i === last || Object.keys(g.sources).length > 0) };
}

export interface SourceIndex {
  /** The remembered summary of the source this query generates, or undefined (generate it). */
  get(q: SourceQuery): Promise<SourceSummary | undefined>;
  /** Remembers what `generated` is, when the generator's files are settled. Failures are ignored: it only saves time. */
  put(q: SourceQuery, generated: GeneratedSource): Promise<void>;
}

/** The index in `dir` (the user's cache directory, which only this user can write). */
export function sourceIndex(dir: string, packageVersion: string, generator: (target: Target) => CodegenIdentity | undefined = (target) => codegenIdentity(packageVersion, target)): SourceIndex {
  const path = join(dir, FILE);
  const identities = new Map<Target, CodegenIdentity | undefined>();
  const identityOf = (target: Target) => {
    if (!identities.has(target)) identities.set(target, generator(target));
    return identities.get(target);
  };
  return {
    async get(q) {
      const id = identityOf(q.target);
      if (!id) return undefined;
      const mine = readIndex(path).generators.find((g) => g.identity === id.identity);
      return mine && Object.hasOwn(mine.sources, recordKey(q)) ? summaryOf(mine.sources[recordKey(q)], q) : undefined;
    },
    async put(q, generated) {
      const id = identityOf(q.target);
      if (!id || id.newestChangeMs > performance.timeOrigin - RACY_MARGIN_MS) return;
      if (generated.plan !== undefined || generated.units !== undefined) return; // a launch plan or compile units are code-shaped: those sources are not summarized
      const record: SourceRecord = { sourceSha256: sha256(generated.source), symbol: generated.symbol, specJson: generated.specJson, language: generated.language, variant: generated.variant };
      if (record.symbol !== q.symbol || record.specJson !== q.specJson) return;
      const key = recordKey(q);
      const { generators } = readIndex(path);
      const others = generators.filter((g) => g.identity !== id.identity);
      const sources = { ...generators.find((g) => g.identity === id.identity)?.sources };
      delete sources[key]; // re-inserted last: the newest records are the ones kept
      sources[key] = record;
      // This generator last: the one used most recently is the last to be dropped.
      const kept = withinLimit([...others.slice(-(MAX_GENERATORS - 1)), { identity: id.identity, sources: Object.fromEntries(Object.entries(sources).slice(-MAX_RECORDS)) }]);
      await writeHintFile(path, JSON.stringify(kept));
    },
  };
}
