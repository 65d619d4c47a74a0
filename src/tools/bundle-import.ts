// `cache import`: which of a bundle's bytes may become code this machine loads. Nothing in a bundle
// proves that an artifact is the output of its recorded source: a library rebuilt from edited
// arithmetic, with its hashes updated, passes every check of the bytes. So an artifact is committed
// as it came only when its maker is known (an HMAC signature verified under the importer's key) or
// the importer says it trusts the sender (trustUnsigned). Otherwise every entry is rebuilt here from
// the source this version generates for its spec, by the local compiler, under the key the bundle
// recorded (a toolchain that would give another key is refused: the entry would not be that entry).
import { readFile } from 'node:fs/promises';
import { baselineOf, buildArtifact, plan, type BuildOptions } from '../artifact.js';
import { commitArtifacts, readBundle, type SignatureState } from '../cache/bundle.js';
import { DiskCache } from '../cache/disk-cache.js';
import { sha256, type KeyParts } from '../cache/key.js';
import { regenerate } from '../cache/provenance.js';
import type { PortableEntry } from '../cache/portable.js';
import type { GeneratedSource } from '../codegen/common.js';
import { readEnvironment, type Environment } from '../env.js';
import { SpecError, ToolchainNotFoundError } from '../errors.js';
import { differingParts } from './explain.js';

export interface ImportOptions {
  /** The HMAC key: the bundle must carry a valid signature under it, and its artifacts are then committed as signed. */
  readonly key?: Buffer;
  /**
   * Without a verified signature, commit the bundle's artifacts as the sender built them (after the
   * load checks) instead of rebuilding them: this trusts the sender, who could have shipped a library
   * built from other source. Default false.
   */
  readonly trustUnsigned?: boolean;
  /** Cap on the decompressed bundle, in bytes. Default DEFAULT_MAX_BUNDLE_BYTES (256 MiB). */
  readonly maxBytes?: number;
  /** Environment to read instead of process.env (it names the compiler a rebuild uses). */
  readonly env?: NodeJS.ProcessEnv;
}

export interface ImportResult {
  /** Entries added to the cache. */
  readonly imported: number;
  /** Entries the cache already held (sound), left as they were. */
  readonly present: number;
  readonly signature: SignatureState;
  /**
   * Whose artifacts the cache now holds: 'signed' (the signer's, signature verified), 'rebuilt'
   * (built here from the recorded sources; the bundle's artifacts were only compared), 'sender'
   * (the bundle's own, trusted on the importer's word: trustUnsigned).
   */
  readonly artifacts: 'signed' | 'rebuilt' | 'sender';
  /**
   * Rebuilt (or present) entries whose artifact here is not byte for byte the bundle's: a bundle
   * changed after it was made, or a toolchain whose builds are not reproducible (nvcc's embed
   * generated names). The bundle's bytes were not used either way.
   */
  readonly differing: readonly string[];
}

/**
 * Adds a bundle's entries to the cache at `root`, all or nothing: every entry is checked (format,
 * names, key from its parts, source and artifact hashes, spec regenerating the source; the signature
 * when a key is given) before anything is written, and entries this call committed are removed again
 * when a later one fails.
 */
export async function importBundle(root: string, file: string, o: ImportOptions = {}): Promise<ImportResult> {
  const learned = await baselineOf(root);
  const trusted = o.key !== undefined || o.trustUnsigned === true;
  // With a key, readBundle refuses anything but a valid signature; so a read with a key is a verified one.
  const { entries, signature } = await readBundle(file, {
    ...(o.key ? { key: o.key } : {}), ...(o.maxBytes !== undefined ? { maxBytes: o.maxBytes } : {}), artifacts: trusted ? 'load' : 'hash', learned,
  });
  if (trusted) {
    const r = await commitArtifacts(root, entries, learned);
    return { imported: r.imported, present: r.present, signature, artifacts: signature === 'verified' ? 'signed' : 'sender', differing: [] };
  }
  const r = await rebuildAll(root, entries, readEnvironment(o.env));
  return { imported: r.imported, present: r.present, signature, artifacts: 'rebuilt', differing: r.differing };
}

const partOf = (parts: KeyParts, name: string): unknown => (parts as unknown as Record<string, unknown>)[name];

interface Planned {
  readonly entry: PortableEntry;
  readonly generated: GeneratedSource;
  readonly opts: BuildOptions;
}

/** The build options that reproduce an entry's key parts: its archs, PTX and CUDA compiler; never a precompiled layer. */
function optionsFor(entry: PortableEntry, root: string, env: Environment): BuildOptions {
  const { parts } = entry.meta;
  if (parts.target === 'cpu') return { env, cacheDir: root, precompiled: [] };
  const list = parts.arch.split('+');
  const archs = list.filter((a) => a !== 'ptx');
  return { env, cacheDir: root, precompiled: [], archs, ptx: list.includes('ptx'), compiler: parts.compiler.kind === 'nvrtc' ? 'nvrtc' : 'nvcc', ...(archs[0] ? { deviceArch: archs[0] } : {}) };
}

async function rebuildAll(root: string, entries: readonly PortableEntry[], env: Environment): Promise<{ imported: number; present: number; differing: string[] }> {
  // Every entry planned first: a key this machine would not give refuses the bundle before anything is written.
  const planned: Planned[] = [];
  for (const [i, entry] of entries.entries()) {
    const generated = regenerate(entry.meta);
    // readBundle checked this already; a bundle it passed always regenerates.
    if (typeof generated === 'string') throw new SpecError(`bundle.entries[${i}]`, entry.meta.key, `an entry this version can regenerate (${generated})`);
    const opts = optionsFor(entry, root, env);
    const local = await plan(generated, opts).catch((err: unknown) => {
      if (!(err instanceof ToolchainNotFoundError)) throw err;
      throw new ToolchainNotFoundError(err.tool, err.searched, `${err.fix} An unsigned bundle is rebuilt from its sources by the local compiler; without one, import it signed (cache export --key-file, then cache import --key-file with the same key), or pass --trust-unsigned to trust its sender.`, { cause: err });
    });
    if (local.key !== entry.meta.key) {
      const differs = differingParts(local.parts, entry.meta.parts);
      throw new SpecError(`bundle.entries[${i}]`, entry.meta.key, `an entry this machine would build under the same key, to rebuild it from its source (its ${differs.join(', ')} ${differs.length === 1 ? 'differs' : 'differ'} from this machine's: ${differs.map((d) => `${d} ${JSON.stringify(partOf(entry.meta.parts, d))}, here ${JSON.stringify(partOf(local.parts, d))}`).join('; ')}); import it signed (--key-file) or pass --trust-unsigned to use the sender's artifact`);
    }
    planned.push({ entry, generated, opts });
  }
  const cache = await DiskCache.open(root);
  const committed: string[] = [];
  const differing: string[] = [];
  let present = 0;
  try {
    for (const { entry, generated, opts } of planned) {
      // The one path every compile takes (lock, commit, load checks): the same as compile() on a miss.
      const artifact = await buildArtifact(generated, opts);
      if (artifact.key !== entry.meta.key) throw new Error('internal: a rebuild landed under another key than planned');
      if (artifact.origin === 'compiled') committed.push(artifact.key);
      else present++;
      const here = artifact.meta?.artifactSha256 ?? sha256(await readFile(artifact.path));
      if (here !== entry.meta.artifactSha256) differing.push(artifact.key);
    }
  } catch (err) {
    for (const k of committed) await cache.remove(k).catch(() => undefined);
    throw err;
  }
  return { imported: committed.length, present, differing };
}
