// Remote-cache hit on loopback against a local disk hit, for a CUDA-sized (500 KB) and a CPU-sized
// (40 KB) artifact. Not a test: prints a table (and --json). Needs a Redis:
//   scripts/with-redis.sh npx tsx scripts/bench-remote.ts [--json] [--runs N]
// Rows, per payload:
//   disk hit            DiskCache.get: meta.json read and parsed, the artifact read and hashed (what compile() does on a hit)
//   remote get          RemoteStore.get: one request (a Lua GET bounded by the size limit), the HMAC, the hashes, meta parsed
//   remote + commit     remote get, then the entry written into an empty disk cache through its atomic put
//                       (what a worker does on its first use of a kernel another worker compiled)
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskCache, type EntryDraft, type EntryMeta } from '../src/cache/disk-cache.js';
import { CACHE_FORMAT_VERSION, cacheKey, sha256, type KeyParts } from '../src/cache/key.js';
import { deriveTagKey, parseRemoteUrl } from '../src/cache/remote/config.js';
import { RemoteStore } from '../src/cache/remote/store.js';
import { median } from '../src/tools/stats.js';

const url = process.env.DWCONV_JIT_TEST_REDIS;
if (!url) {
  console.error('bench-remote: DWCONV_JIT_TEST_REDIS is not set; run it under scripts/with-redis.sh');
  process.exit(2);
}
const json = process.argv.includes('--json');
const runsAt = process.argv.indexOf('--runs');
const RUNS = runsAt > 0 ? Number(process.argv[runsAt + 1]) : 200;
const WARMUP = 20;

interface Row { readonly payload: string; readonly case: string; readonly medianMs: number; readonly p90Ms: number; readonly runs: number }

function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

async function time(runs: number, fn: (i: number) => Promise<unknown>): Promise<{ medianMs: number; p90Ms: number }> {
  for (let i = 0; i < WARMUP; i++) await fn(-1 - i);
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn(i);
    ms.push(performance.now() - t0);
  }
  return { medianMs: median(ms), p90Ms: quantile(ms, 0.9) };
}

/** A committed disk entry of `bytes` random artifact bytes, and the same as remote-entry bytes. */
async function makeDiskEntry(cache: DiskCache, bytes: number) {
  const source = `// bench ${randomBytes(8).toString('hex')}\n${'x'.repeat(6000)}\n`;
  const artifact = randomBytes(bytes);
  const parts: KeyParts = { format: CACHE_FORMAT_VERSION, package: 'bench', target: 'cpu', sourceSha256: sha256(source), compiler: { kind: 'c++', version: 'bench' }, flags: [], arch: 'bench' };
  const key = cacheKey(parts);
  const entry = await cache.put(key, async (work): Promise<EntryDraft> => {
    writeFileSync(join(work, 'kernel.cpp'), source);
    writeFileSync(join(work, 'kernel.so'), artifact);
    return { parts, symbol: 'bench', spec: { kernelSize: [3, 3] }, variant: {}, files: { source: 'kernel.cpp', artifact: 'kernel.so' }, compilerPath: 'bench', compileMilliseconds: 0 };
  });
  const metaBytes = Buffer.from(`${JSON.stringify(entry.meta, null, 2)}\n`);
  return { key, meta: entry.meta, bytes: { metaBytes, source: Buffer.from(source), artifact } };
}

const dir = mkdtempSync(join(tmpdir(), 'dwconv-bench-remote-'));
const store = new RemoteStore(
  { ...parseRemoteUrl(`${url}?prefix=bench${Date.now().toString(36)}&timeout=5s`), tagKey: deriveTagKey(randomBytes(32)) },
  { expect: { cacheFormat: CACHE_FORMAT_VERSION, keyOf: (p) => cacheKey(p as KeyParts) }, log: (m) => console.error(m) },
);
const rows: Row[] = [];
try {
  const local = await DiskCache.open(join(dir, 'local'));
  for (const [label, size] of [['500 KB (CUDA)', 500 * 1024], ['40 KB (CPU)', 40 * 1024]] as const) {
    const e = await makeDiskEntry(local, size);
    if (!(await store.put(e.key, e.bytes))) throw new Error('publish failed');
    rows.push({ payload: label, case: 'disk hit', runs: RUNS, ...(await time(RUNS, async () => (await local.get(e.key)) ?? fail('disk miss'))) });
    rows.push({ payload: label, case: 'remote get', runs: RUNS, ...(await time(RUNS, async () => (await store.get(e.key)) ?? fail('remote miss'))) });
    let n = 0;
    rows.push({
      payload: label,
      case: 'remote + commit',
      runs: RUNS,
      ...(await time(RUNS, async () => {
        const hit = (await store.get(e.key)) ?? fail('remote miss');
        const fresh = await DiskCache.open(join(dir, `fresh-${n++}`));
        const meta = hit.meta as unknown as EntryMeta;
        await fresh.put(e.key, async (work): Promise<EntryDraft> => {
          writeFileSync(join(work, meta.files.source), hit.source);
          writeFileSync(join(work, meta.files.artifact), hit.artifact);
          const { format: _f, key: _k, artifactBytes: _b, artifactSha256: _s, createdAt: _c, ...draft } = meta;
          return draft;
        });
      })),
    });
  }
} finally {
  store.close();
  rmSync(dir, { recursive: true, force: true });
}

function fail(why: string): never {
  throw new Error(why);
}

if (json) console.log(JSON.stringify(rows, null, 2));
else {
  console.log(`remote cache on loopback (${url.replace(/\/\/.*@/, '//')}), ${RUNS} runs each after ${WARMUP} warm-up; milliseconds`);
  console.log(`${'payload'.padEnd(15)} ${'case'.padEnd(16)} ${'median'.padStart(8)} ${'p90'.padStart(8)}`);
  for (const r of rows) console.log(`${r.payload.padEnd(15)} ${r.case.padEnd(16)} ${r.medianMs.toFixed(3).padStart(8)} ${r.p90Ms.toFixed(3).padStart(8)}`);
}
