// `dwconv-jit cache remote stats|ls|verify|prune|publish`: the shared remote cache's maintenance.
import type { Command } from 'commander';
import { cacheRoot, parseDuration, remoteCacheList, remoteCachePrune, remoteCachePublish, remoteCacheStats, remoteCacheVerify, type RemoteEntryRow } from '../index.js';
import { action, cacheDirOption, EXIT, print } from './common.js';

interface RemoteFlags {
  readonly url?: string;
  readonly json?: boolean;
}

const urlHelp = 'the remote, redis://host[:port][/db[/prefix]][?options] (default: DWCONV_JIT_REMOTE_CACHE)';
const urlOf = (o: RemoteFlags) => (o.url ? { url: o.url } : {});
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

function formatDuration(ms: number): string {
  if (ms < 0) return ms === -1 ? 'no expiry' : '-';
  const days = ms / 86_400_000;
  return days >= 1 ? `${days.toFixed(1)} d` : `${(ms / 3_600_000).toFixed(1)} h`;
}

function formatRows(rows: readonly RemoteEntryRow[]): string {
  if (rows.length === 0) return '(no entries)';
  const head = ['key', 'spec', 'target', 'compiler', 'size', 'created', 'expires in', 'state'];
  const body = rows.map((r) => [
    r.key.slice(0, 12), r.spec, r.target, r.compiler, `${(r.bytes / 1024).toFixed(0)} KiB`, r.createdAt.slice(0, 19), formatDuration(r.ttlMs),
    r.refused ? `refused (${r.refused.reason})` : 'ok',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  return [head, ...body].map((row) => row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

export function registerRemoteCacheCommands(cacheCmd: Command): void {
  const remote = cacheCmd.command('remote').description('inspect and maintain the shared remote cache (Redis; docs/remote-cache.md)');

  remote
    .command('stats')
    .description("entries, bytes, compile locks held, the fleet's counters (hits, misses, refusals by reason), the server's memory (no secret needed)")
    .option('--url <url>', urlHelp)
    .option('--json', 'print JSON')
    .action(action(async (o: RemoteFlags) => {
      const s = await remoteCacheStats(urlOf(o));
      print(o.json, s, () => [
        `remote ${s.remote}`,
        `  entries    ${s.entries}, ${mib(s.bytes)}; ${s.locks} compile locks held`,
        `  fleet      ${Object.entries(s.fleet).map(([k, v]) => `${k} ${v}`).join(', ') || 'no counts yet'}`,
        `  server     ${Object.entries(s.server).map(([k, v]) => `${k} ${v}`).join(', ')}`,
        `  limits     entries expire ${formatDuration(s.ttlMs)} after their last publish or hit; at most ${mib(s.maxEntryBytes)} each`,
      ].join('\n'));
      return EXIT.ok;
    }));

  remote
    .command('ls')
    .description('one row per entry: key, spec, target, compiler, size, created, time left, refused or not')
    .option('--url <url>', urlHelp)
    .option('--json', 'print JSON')
    .action(action(async (o: RemoteFlags) => {
      const rows = await remoteCacheList(urlOf(o));
      print(o.json, rows, () => formatRows(rows));
      return EXIT.ok;
    }));

  remote
    .command('verify')
    .description('check every entry as a reader would (tag, key, format, hashes); changes nothing; exit 1 when any is refused')
    .option('--url <url>', urlHelp)
    .option('--json', 'print JSON')
    .action(action(async (o: RemoteFlags) => {
      const r = await remoteCacheVerify(urlOf(o));
      print(o.json, r, () => [`${r.checked} entries checked, ${r.ok} ok, ${r.refused.length} refused`, ...r.refused.map((x) => `  ${x.key.slice(0, 12)}  ${x.reason}: ${x.detail}`)].join('\n'));
      return r.refused.length === 0 ? EXIT.ok : EXIT.failed;
    }));

  remote
    .command('prune')
    .description('remove entries created longer ago than --older-than, and with --refused those that do not verify under this secret')
    .option('--url <url>', urlHelp)
    .option('--older-than <age>', 'remove entries created longer ago than this, e.g. 30d or 12h')
    .option('--refused', 'remove entries that do not verify (never implied: under a wrong secret every entry is refused)')
    .option('--dry-run', 'say what would be removed; remove nothing')
    .option('--json', 'print JSON')
    .action(action(async (o: RemoteFlags & { olderThan?: string; refused?: boolean; dryRun?: boolean }) => {
      const r = await remoteCachePrune({
        ...urlOf(o),
        ...(o.olderThan !== undefined ? { olderThanMs: parseDuration('--older-than', o.olderThan) } : {}),
        ...(o.refused ? { refused: true } : {}),
        ...(o.dryRun ? { dryRun: true } : {}),
      });
      print(o.json, r, () => [`${r.checked} entries checked, ${r.removed.length} ${r.dryRun ? 'would be removed' : 'removed'}`, ...r.removed.map((x) => `  ${x.key.slice(0, 12)}  ${x.why}`)].join('\n'));
      return EXIT.ok;
    }));

  remote
    .command('publish')
    .description('push the entries of a local cache directory (or a precompile output) to the remote; each is checked first')
    .addOption(cacheDirOption())
    .option('--url <url>', urlHelp)
    .option('--json', 'print JSON')
    .action(action(async (o: RemoteFlags & { cacheDir?: string }) => {
      const r = await remoteCachePublish(cacheRoot(o.cacheDir), urlOf(o));
      print(o.json, r, () => [`${r.published} entries published to ${r.remote}${r.skipped.length ? `, ${r.skipped.length} skipped` : ''}`, ...r.skipped.map((x) => `  ${x.key.slice(0, 12)}  ${x.why}`)].join('\n'));
      return r.skipped.length === 0 ? EXIT.ok : EXIT.failed;
    }));
}
