import { createHash } from 'node:crypto';
import type { Target } from '../target.js';

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
  return createHash('sha256').update(data).digest('hex');
}

const PART_ORDER = ['format', 'package', 'target', 'sourceSha256', 'compiler', 'kind', 'version', 'environment', 'flags', 'arch'];

export function cacheKey(parts: KeyParts): string {
  return sha256(JSON.stringify(parts, PART_ORDER));
}
