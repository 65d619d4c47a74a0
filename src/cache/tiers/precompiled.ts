import { resolve } from 'node:path';
import { debug } from '../../debug.js';
import { openLayer } from '../layers.js';
import type { Tier, TierHit, TierRequest } from './tier.js';

/**
 * Read-only precompiled directories, searched in order by identity and arch. Nothing is written or
 * removed there; a layer that may not be trusted (layers.ts: owner and modes of it and every folder
 * above it) is not searched, and `log` says why.
 */
export class PrecompiledTier implements Tier {
  readonly name = 'precompiled' as const;

  constructor(
    private readonly dirs: readonly string[],
    private readonly log?: (message: string) => void,
  ) {}

  /** Why a layer is not searched, for the caller's log and the debug trace. */
  private readonly traced = (message: string): void => {
    debug('precompiled: %s', message);
    this.log?.(message);
  };

  async get(request: TierRequest): Promise<TierHit | undefined> {
    if (!request.arch) return undefined;
    for (const dir of this.dirs) {
      const layer = await openLayer(resolve(dir), this.traced);
      const entry = await layer?.find(request.identity, request.target, request.arch, request.expect);
      if (entry) return { origin: 'precompiled', entry };
    }
    return undefined;
  }

  async list(): Promise<string[]> {
    const keys: string[] = [];
    for (const dir of this.dirs) keys.push(...((await openLayer(resolve(dir), this.log))?.keys() ?? []));
    return [...new Set(keys)].sort();
  }
}
