import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CudaVariant } from '../codegen/variant.js';
import { sha256 } from './key.js';

/** What the tuner chose for one (spec, shape class, GPU), kept beside the kernels in the cache. */
export interface TuningRecord {
  readonly key: string;
  readonly spec: string;
  readonly shapeClass: string;
  readonly device: string;
  readonly package: string;
  /** The winner: a pinned variant, or null for the default source. */
  readonly variant: CudaVariant | null;
  /** Median milliseconds of every candidate, by its label. */
  readonly timings: Readonly<Record<string, number>>;
  readonly createdAt: string;
}

export function tuningKey(parts: { spec: string; shapeClass: string; device: string; package: string }): string {
  return sha256(JSON.stringify([parts.spec, parts.shapeClass, parts.device, parts.package]));
}

/** H and W exactly (they decide the tile fit), N·C to the next power of two (it decides the grid size). */
export function shapeClass(shape: readonly [number, number, number, number]): string {
  const planes = shape[0] * shape[1];
  return `${shape[2]}x${shape[3]}/planes<=${2 ** Math.ceil(Math.log2(planes))}`;
}

export async function readTuning(cacheRoot: string, key: string): Promise<TuningRecord | undefined> {
  try {
    const record = JSON.parse(await readFile(join(cacheRoot, 'tuning', `${key}.json`), 'utf8')) as TuningRecord;
    return record.key === key ? record : undefined;
  } catch {
    return undefined; // missing or unreadable: tune again
  }
}

/** Written to a temporary name and renamed, so a reader sees a whole record or none. */
export async function writeTuning(cacheRoot: string, record: TuningRecord): Promise<void> {
  const dir = join(cacheRoot, 'tuning');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.${record.key}.${process.pid}.${randomBytes(4).toString('hex')}`);
  await writeFile(tmp, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, join(dir, `${record.key}.json`));
}
