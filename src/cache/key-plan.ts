// The cache key a source gets here, from its named parts: finds and fingerprints the compiler
// (remembered by binary identity, toolchain.ts), compiles and hashes nothing but the parts. Kept
// apart from the cache code so that a remembered hit (verified-hits.ts) can compute the parts
// without loading it.
import { resolve } from 'node:path';
import type { SourceRef } from '../codegen/common.js';
import { nvrtcOptions, nvrtcPeer, processPeer, type CompilerPeer } from '../compiler/compilers.js';
import { cpuIdentity, targetBuild } from '../compiler/target-builds.js';
import type { Tool } from '../compiler/toolchain.js';
import { SpecError } from '../errors.js';
import { nvrtc } from '../ffi/nvrtc.js';
import { PACKAGE_VERSION } from '../version.js';
import type { BuildOptions } from '../artifact.js';
import { defaultCacheDir } from './default-dir.js';
import { CACHE_FORMAT_VERSION, cacheKey, sha256, type KeyParts } from './key.js';

export { cpuIdentity };

export interface Plan {
  readonly tool: Tool;
  readonly peer: CompilerPeer;
  readonly parts: KeyParts;
  readonly key: string;
}

/** The key this source would get here, and its named parts (finds and fingerprints the compiler, compiles nothing). */
export async function plan(generated: SourceRef, opts: BuildOptions): Promise<Plan> {
  const p = await keyPartsFor(generated, opts);
  return { ...p, key: cacheKey(p.parts) };
}

/** The key parts alone (no hashing), and the compiler that makes them. */
export async function keyPartsFor(generated: SourceRef, opts: BuildOptions): Promise<{ tool: Tool; peer: CompilerPeer; parts: KeyParts }> {
  const archs = opts.archs ?? [];
  const build = targetBuild(generated.target);
  if (build.needsArchs && archs.length === 0) throw new Error(`internal: the ${generated.target} target needs an arch`);
  const useNvrtc = build.nvrtc && opts.compiler === 'nvrtc';
  if (useNvrtc && (archs.length !== 1 || opts.ptx)) throw new SpecError('options.compiler', 'nvrtc', "'nvcc' for several archs or PTX (an NVRTC build is a cubin for one arch)");
  // Fingerprints are remembered in the cache directory, so a hit in a new process runs no compiler.
  const store = opts.cache === false ? undefined : cacheRootOf(opts);
  let peer: CompilerPeer;
  let nvrtcVersion = '';
  if (useNvrtc) {
    const lib = nvrtc(opts.env);
    nvrtcVersion = lib.version;
    peer = nvrtcPeer(lib, { kind: 'nvrtc', path: lib.path, version: `NVRTC ${lib.version}`, environment: '' });
  } else peer = processPeer(await build.findTool(opts.env, store));
  const tool = peer.fingerprint;
  const parts: KeyParts = {
    format: CACHE_FORMAT_VERSION,
    package: PACKAGE_VERSION,
    target: generated.target,
    sourceSha256: sourceShaOf(generated),
    compiler: { kind: tool.kind, version: tool.version, ...(tool.environment ? { environment: tool.environment } : {}) },
    flags: useNvrtc ? nvrtcOptions(archs[0]!, nvrtcVersion) : build.flags(archs, opts.ptx),
    arch: build.archPart(archs, opts.ptx),
  };
  return { tool, peer, parts };
}

/** The writable cache directory these options name. */
export function cacheRootOf(opts: Pick<BuildOptions, 'cacheDir' | 'env'>): string {
  return opts.cacheDir === undefined ? defaultCacheDir(opts.env) : resolve(opts.cacheDir);
}

/** The source's sha256: hashed from its text, or as a summary knows it (cache/source-index.ts). */
export function sourceShaOf(generated: SourceRef): string {
  return 'sourceSha256' in generated ? generated.sourceSha256 : sha256(generated.source);
}

