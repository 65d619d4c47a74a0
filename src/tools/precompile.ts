import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { generate } from '../codegen/generate.js';
import type { Target } from '../codegen/common.js';
import { readEnvironment } from '../env.js';
import { checkSignal, throwIfAborted } from '../abort.js';
import { DwconvError, SpecError } from '../errors.js';
import { normalizeArch } from '../compiler/arch.js';
import { inParallel } from '../parallel.js';
import type { RemoteCommandOptions, RemotePublishReport } from './remote-cache.js';
import { describeSpec, normalizeSpec, type SpecInput } from '../spec.js';

/**
 * A precompile manifest (JSON):
 *
 *     { "targets": ["cuda"], "archs": ["sm_80", "sm_90"], "ptx": true,
 *       "specs": [{ "kernelSize": 3 }],
 *       "grids": [{ "kernelSize": [3, 5], "stride": [1, 2], "dtype": ["float32", "float16"] }] }
 *
 * A grid lists the alternatives of each field (a pair alternative is itself an array: [3, [3, 5]]);
 * its cross product joins `specs`. Every config is built for every target.
 */
export interface Manifest {
  readonly targets?: readonly Target[];
  readonly archs?: readonly string[];
  readonly ptx?: boolean;
  readonly specs?: readonly SpecInput[];
  readonly grids?: readonly Readonly<Record<string, readonly unknown[]>>[];
}

export interface PrecompileJob {
  readonly spec: unknown;
  readonly target: Target;
}

export interface JobResult {
  readonly target: Target;
  readonly spec: string;
  readonly status: 'built' | 'reused' | 'failed';
  readonly key?: string;
  readonly milliseconds: number;
  readonly error?: string;
}

export interface PrecompileSummary {
  readonly out: string;
  readonly targets: readonly Target[];
  readonly archs: readonly string[];
  readonly ptx: boolean;
  readonly built: number;
  readonly reused: number;
  readonly failed: number;
  readonly milliseconds: number;
  readonly results: readonly JobResult[];
  /** With `publish`: what went to the remote cache. */
  readonly published?: RemotePublishReport;
}

const MANIFEST_FIELDS = ['targets', 'archs', 'ptx', 'specs', 'grids'];
const MAX_JOBS = 10_000;

/** The size of a grid's cross product, counted before anything is expanded (a 40 KB grid can name 10^8 configs). */
function gridSize(grid: Readonly<Record<string, readonly unknown[]>>, where: string): number {
  let n = 1;
  for (const [field, values] of Object.entries(grid)) {
    if (!Array.isArray(values) || values.length === 0) throw new SpecError(`${where}.${field}`, values, 'a non-empty array of alternatives');
    n *= values.length;
  }
  return n;
}

function cross(grid: Readonly<Record<string, readonly unknown[]>>): Record<string, unknown>[] {
  let out: Record<string, unknown>[] = [{}];
  for (const [field, values] of Object.entries(grid)) out = out.flatMap((partial) => values.map((v) => ({ ...partial, [field]: v })));
  return out;
}

/** Checks the manifest's structure (a SpecError names what is wrong) and lists its jobs; each spec is validated when built. */
export function expandManifest(manifest: unknown): { jobs: PrecompileJob[]; targets: Target[]; archs: string[]; ptx: boolean } {
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) throw new SpecError('manifest', manifest, 'a JSON object with specs and/or grids');
  const m = manifest as Record<string, unknown>;
  for (const key of Object.keys(m)) if (!MANIFEST_FIELDS.includes(key)) throw new SpecError(`manifest.${key}`, m[key], `known fields: ${MANIFEST_FIELDS.join(', ')}`);
  const targets = (m.targets ?? ['cuda']) as unknown[];
  if (!Array.isArray(targets) || targets.length === 0 || targets.some((t) => t !== 'cuda' && t !== 'cpu')) throw new SpecError('manifest.targets', m.targets, "a non-empty array of 'cuda' | 'cpu'");
  const archList = (m.archs ?? ['sm_80', 'sm_90']) as unknown[];
  if (!Array.isArray(archList) || archList.length === 0) throw new SpecError('manifest.archs', m.archs, "a non-empty array such as ['sm_80', 'sm_90']");
  const archs = [...new Set(archList.map((a) => normalizeArch(a)))];
  const ptx = m.ptx ?? true;
  if (typeof ptx !== 'boolean') throw new SpecError('manifest.ptx', ptx, 'true | false');
  if (m.specs !== undefined && !Array.isArray(m.specs)) throw new SpecError('manifest.specs', m.specs, 'an array of specs');
  if (m.grids !== undefined && !Array.isArray(m.grids)) throw new SpecError('manifest.grids', m.grids, 'an array of grids');
  const specs: unknown[] = [...((m.specs as unknown[] | undefined) ?? [])];
  const grids = (m.grids as unknown[] | undefined) ?? [];
  let total = specs.length;
  // An index loop, not forEach: a sparse array's holes are grids too (undefined ones).
  for (let i = 0; i < grids.length; i++) {
    const grid = grids[i];
    if (typeof grid !== 'object' || grid === null || Array.isArray(grid)) throw new SpecError(`manifest.grids[${i}]`, grid, 'an object of field: [alternatives]');
    total += gridSize(grid as Record<string, unknown[]>, `manifest.grids[${i}]`);
  }
  if (total * targets.length > MAX_JOBS) throw new SpecError('manifest', `${total * targets.length} configs`, `at most ${MAX_JOBS}`);
  for (const grid of grids) specs.push(...cross(grid as Record<string, unknown[]>));
  if (specs.length === 0) throw new SpecError('manifest', manifest, 'at least one spec or grid');
  const jobs = specs.flatMap((spec) => (targets as Target[]).map((target) => ({ spec, target })));
  if (jobs.length > MAX_JOBS) throw new SpecError('manifest', `${jobs.length} configs`, `at most ${MAX_JOBS}`);
  return { jobs, targets: targets as Target[], archs, ptx };
}

function label(spec: unknown): string {
  try {
    return describeSpec(normalizeSpec(spec));
  } catch {
    return JSON.stringify(spec) ?? String(spec);
  }
}

export interface PrecompileOptions {
  /** The cache directory to build into. */
  readonly out: string;
  /** Compiles at once; default the number of cores. */
  readonly jobs?: number;
  /** Called after each config, with the count done so far and the total. */
  readonly onResult?: (r: JobResult, done: number, total: number) => void;
  /**
   * Publish every entry built or reused to the remote cache (true: the one DWCONV_JIT_REMOTE_CACHE
   * and DWCONV_JIT_REMOTE_KEY name; or name its URL). Checked before anything is built: a remote
   * that is not configured is a SpecError, one that cannot be reached a CacheError after the build.
   */
  readonly publish?: boolean | RemoteCommandOptions;
  /**
   * Stops the precompile: no config starts after it fires, the compilers running are killed, and the
   * call rejects with an AbortError once they are stopped. Entries already built stay (each is whole);
   * nothing partial does. Nothing is published.
   */
  readonly signal?: AbortSignal;
}

/**
 * Builds every config of the manifest into `out` (a cache directory), `jobs` at a time. CUDA code
 * is built for the manifest's archs (plus PTX) without needing a GPU. One failure does not stop the
 * others; each result says what happened.
 * The manifest is checked at run time (a SpecError names what is wrong); type it as a Manifest to have
 * its specs checked by the compiler too.
 */
export async function precompile(manifest: unknown, options: PrecompileOptions): Promise<PrecompileSummary> {
  const signal = checkSignal('options.signal', options.signal);
  throwIfAborted(signal, 'precompile');
  const { jobs, targets, archs, ptx } = expandManifest(manifest);
  const parallel = options.jobs ?? cpus().length;
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > 256) throw new SpecError('jobs', parallel, 'an integer from 1 to 256');
  const env = readEnvironment();
  const publish = options.publish === true ? { env } : options.publish ? { env, ...options.publish } : undefined;
  // The remote's code (and its Redis client) is loaded only by a precompile that publishes.
  const remote = publish ? await import('./remote-cache.js') : undefined;
  if (publish) remote!.requireRemote(publish);
  // Absolute: the compiler runs elsewhere, and a name starting with '-' must not read as an option.
  const out = resolve(options.out);
  const { buildArtifact } = await import('../artifact.js'); // the cache's code, loaded by the first build
  const started = performance.now();
  let done = 0;
  const runOne = async (job: PrecompileJob): Promise<JobResult | undefined> => {
    // Aborted: the configs not yet started are skipped (each worker drains the rest of the list at once).
    if (signal?.aborted) return undefined;
    const t0 = performance.now();
    try {
      const spec = normalizeSpec(job.spec as SpecInput);
      const artifact = await buildArtifact(generate(spec, job.target), { env, archs, ptx, cacheDir: out, ...(signal ? { signal } : {}) });
      return { target: job.target, spec: describeSpec(spec), status: artifact.origin === 'compiled' ? 'built' : 'reused', key: artifact.key, milliseconds: performance.now() - t0 };
    } catch (err) {
      if (signal?.aborted) return undefined;
      const error = err instanceof DwconvError ? err.message.split('\n')[0]! : String(err);
      return { target: job.target, spec: label(job.spec), status: 'failed', milliseconds: performance.now() - t0, error };
    }
  };
  const settled = await inParallel(jobs, parallel, async (job) => {
    const result = await runOne(job);
    if (result) options.onResult?.(result, ++done, jobs.length);
    return result;
  });
  // Every worker has ended (its compiler killed, its work folder removed) before the abort is reported.
  throwIfAborted(signal, 'precompile');
  const results = settled.filter((r): r is JobResult => r !== undefined);
  const count = (s: JobResult['status']) => results.filter((r) => r.status === s).length;
  const keys = results.flatMap((r) => (r.key !== undefined && r.status !== 'failed' ? [r.key] : []));
  const published = publish ? await remote!.remoteCachePublish(out, { ...publish, keys }) : undefined;
  return {
    out, targets, archs, ptx, built: count('built'), reused: count('reused'), failed: count('failed'), milliseconds: performance.now() - started, results,
    ...(published ? { published } : {}),
  };
}
