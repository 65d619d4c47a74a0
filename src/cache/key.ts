import { createRequire } from 'node:module';
import type { Target } from '../target.js';

// node:crypto is loaded by the first hash, not with this module: a remembered cache hit
// (cache/verified-hits.ts) hashes nothing, and loading it is a noticeable part of such a hit.
let crypto: typeof import('node:crypto') | undefined;
const cryptoModule = () => (crypto ??= createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto'));

/** Bumping this invalidates every cache entry. */
export const CACHE_FORMAT_VERSION = 1;

/** Everything that can change an artifact's bytes or behaviour, by name. */
export interface KeyParts {
  readonly format: number;
  readonly package: string;
  readonly target: Target;
  readonly sourceSha256: string;
  /** environment: what of the compiler's environment can change its output (compiler/child-env.ts). */
  readonly compiler: { readonly kind: string; readonly version: string; readonly environment?: string };
  readonly flags: readonly string[];
  /** 'sm_90' for CUDA; the CPU model and architecture for the CPU target. */
  readonly arch: string;
}

export function sha256(data: string | Uint8Array): string {
  return cryptoModule().createHash('sha256').update(data).digest('hex');
}

/** The order in which the key hashes the parts (also how a remembered hit compares them, verified-hits.ts). */
export const PART_ORDER = ['format', 'package', 'target', 'sourceSha256', 'compiler', 'kind', 'version', 'environment', 'flags', 'arch'];

/** The parts as the key hashes them. */
export function partsJson(parts: KeyParts): string {
  return JSON.stringify(parts, PART_ORDER);
}

export function cacheKey(parts: KeyParts): string {
  return sha256(partsJson(parts));
}

/** A random hex string (for private file names), from node:crypto loaded on first use. */
export function randomHex(bytes: number): string {
  return cryptoModule().randomBytes(bytes).toString('hex');
}
