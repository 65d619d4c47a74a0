// The commands that manage compiled kernels: precompile, cache *, doctor.
import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import {
  bundleKey, cacheRoot, cacheStats, clearCache, entrySource, explain, exportBundle, findEntry, importBundle, listEntries, PACKAGE_CACHE_DIR, parseDuration, parseSize,
  precompile, pruneCache, readEnvironment, runDoctor, SpecError, verifyCache, type EntryRow,
} from '../index.js';
import { registerRemoteCacheCommands } from './cache-remote.js';
import { action, cacheDirOption, checkOutputFolder, EXIT, interruptible, print, targetOption } from './common.js';
import { addSpecFlags, specFromFlags, type SpecFlags } from './spec-flags.js';


export function registerCacheCommands(program: Command): void {
  program
    .command('precompile <manifest>')
    .description('build every config of a JSON manifest into a cache directory (CUDA without a GPU: SASS per arch + PTX)')
    .option('--out <dir>', "output cache directory (default: the package's cache/, searched read-only at run time)")
    .addOption(cacheDirOption().conflicts('out'))
    .option('--jobs <n>', 'compiles at once (default: the number of cores)')
    .option('--publish', 'publish every entry built or reused to the remote cache (DWCONV_JIT_REMOTE_CACHE, DWCONV_JIT_REMOTE_KEY)')
    .option('--json', 'print the summary as JSON')
    .action(action(async (file: string, o: { out?: string; cacheDir?: string; jobs?: string; publish?: boolean; json?: boolean }) => {
      let manifest: unknown;
      try {
        manifest = JSON.parse(await readFile(file, 'utf8'));
      } catch (cause) {
        throw new SpecError('manifest', file, `a readable JSON file (${(cause as Error).message})`);
      }
      const jobs = o.jobs === undefined ? undefined : Number(o.jobs);
      const tty = process.stderr.isTTY && !o.json;
      const summary = await interruptible((signal) => precompile(manifest, {
        signal,
        // --cache-dir fills a writable cache (the user's, say) where --out fills a precompiled layer: the same folder format.
        out: o.out ?? o.cacheDir ?? PACKAGE_CACHE_DIR,
        ...(jobs !== undefined ? { jobs } : {}),
        ...(o.publish ? { publish: true } : {}),
        onResult: (r, done, total) => {
          const line = `[${done}/${total}] ${r.status.padEnd(6)} ${r.target} ${r.spec}${r.error ? `: ${r.error}` : ''}`;
          if (!tty) process.stderr.write(`${line}\n`);
          else if (r.status === 'failed') process.stderr.write(`\r\x1b[K${line}\n`);
          else {
            const width = 30;
            const filled = Math.round((width * done) / total);
            process.stderr.write(`\r\x1b[K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${r.spec}${done === total ? '\n' : ''}`);
          }
        },
      }).catch((err: unknown) => {
        if (tty) process.stderr.write('\n'); // the error goes below the progress bar, not over it
        throw err;
      }));
      print(o.json, summary, () => `precompiled into ${summary.out} for ${summary.targets.map((t) => (t === 'cuda' ? `cuda (${summary.archs.join(', ')}${summary.ptx ? ' + PTX' : ''})` : t)).join(' and ')}: ${summary.built} built, ${summary.reused} reused, ${summary.failed} failed, ${(summary.milliseconds / 1000).toFixed(1)} s${summary.published ? `; ${summary.published.published} published to ${summary.published.remote}${summary.published.skipped.length ? ` (${summary.published.skipped.length} skipped)` : ''}` : ''}`);
      return summary.failed === 0 && !summary.published?.skipped.length ? EXIT.ok : EXIT.failed;
    }));

  const cacheCmd = program.command('cache').description('inspect and maintain the kernel cache');
  registerRemoteCacheCommands(cacheCmd);

  cacheCmd
    .command('path')
    .description('print the cache directory')
    .addOption(cacheDirOption())
    .option('--json', 'print JSON')
    .action(action(async (o: { cacheDir?: string; json?: boolean }) => {
      const root = cacheRoot(o.cacheDir);
      print(o.json, { path: root }, () => root);
      return EXIT.ok;
    }));

  cacheCmd
    .command('ls')
    .description('one row per entry: key, spec, target, compiler, arch, size, created, state')
    .addOption(cacheDirOption())
    .option('--target <target>', 'only entries for this target (cuda or cpu)')
    .option('--json', 'print JSON')
    .action(action(async (o: { cacheDir?: string; target?: string; json?: boolean }) => {
      const rows = (await listEntries(cacheRoot(o.cacheDir))).filter((r) => !o.target || r.target === o.target);
      print(o.json, rows, () => formatEntries(rows));
      return EXIT.ok;
    }));

  cacheCmd
    .command('show <key-prefix>')
    .description("an entry's metadata, key parts and files")
    .addOption(cacheDirOption())
    .option('--source', 'print the generated source')
    .option('--json', 'print JSON')
    .action(action(async (prefix: string, o: { cacheDir?: string; source?: boolean; json?: boolean }) => {
      if (o.source) {
        process.stdout.write(await entrySource(cacheRoot(o.cacheDir), prefix));
        return EXIT.ok;
      }
      const e = await findEntry(cacheRoot(o.cacheDir), prefix);
      print(o.json, e, () => `${e.key}\n  folder  ${e.dir}\n  state   ${e.problem ?? 'ok'}\n${JSON.stringify(e.meta, null, 2).replace(/^/gm, '  ')}`);
      return EXIT.ok;
    }));

  cacheCmd
    .command('stats')
    .description('entries, bytes, broken entries, compile-time distribution')
    .addOption(cacheDirOption())
    .option('--json', 'print JSON')
    .action(action(async (o: { cacheDir?: string; json?: boolean }) => {
      const s = await cacheStats(cacheRoot(o.cacheDir));
      print(o.json, s, () => [
        `cache ${s.root}`,
        `  entries    ${s.entries} (${Object.entries(s.byTarget).map(([t, n]) => `${n} ${t}`).join(', ') || 'none'}), ${s.broken} broken, ${s.leftovers} leftovers of interrupted writes`,
        `  size       ${(s.bytes / 2 ** 20).toFixed(1)} MiB`,
        `  use        ${s.hits} hits, ${s.misses} misses (compiles)`,
        `  compile    ${s.compileMs ? `min ${s.compileMs.min.toFixed(0)} ms, median ${s.compileMs.median.toFixed(0)} ms, max ${s.compileMs.max.toFixed(0)} ms` : '-'}`,
      ].join('\n'));
      return EXIT.ok;
    }));

  cacheCmd
    .command('verify')
    .description('check every entry (whole, artifact matches its hash); exit 1 when any is broken')
    .addOption(cacheDirOption())
    .option('--fix', 'move broken entries to .quarantine/ and remove leftovers of interrupted writes')
    .option('--json', 'print JSON')
    .action(action(async (o: { cacheDir?: string; fix?: boolean; json?: boolean }) => {
      const r = await verifyCache(cacheRoot(o.cacheDir), !!o.fix);
      print(o.json, r, () => [`${r.checked} entries checked, ${r.broken.length} broken${o.fix ? `, ${r.removed} removed` : ''}`, ...r.broken.map((b) => `  ${b.key.slice(0, 12)}  ${b.problem}`)].join('\n'));
      return r.broken.length === 0 || o.fix ? EXIT.ok : EXIT.failed;
    }));

  addSpecFlags(
    cacheCmd
      .command('explain')
      .description('whether a spec is cached; on a miss, the nearest entry and which key parts differ')
      .addOption(targetOption())
      .option('--arch <sm_XX>', 'CUDA arch (default: the current GPU)')
      .addOption(cacheDirOption())
      .option('--json', 'print JSON'),
  ).action(action(async (o: SpecFlags & { target: 'auto' | 'cuda' | 'cpu'; arch?: string; cacheDir?: string; json?: boolean }) => {
    const r = await explain(specFromFlags(o), { target: o.target, ...(o.arch ? { arch: o.arch } : {}), ...(o.cacheDir ? { cacheDir: o.cacheDir } : {}) });
    print(o.json, r, () => [
      `${r.spec} (${r.target}): key ${r.key.slice(0, 12)}`,
      r.cached ? `  cached: ${r.cached === 'disk' ? 'in the cache' : 'in a precompiled layer'}` : '  not cached: compile() would compile it',
      ...(r.nearest ? [`  nearest entry ${r.nearest.key.slice(0, 12)} (${r.nearest.spec}) differs in: ${r.nearest.differs.join(', ')}`] : []),
    ].join('\n'));
    return EXIT.ok;
  }));

  cacheCmd
    .command('prune')
    .description('remove broken entries, old leftovers of interrupted writes, and entries past an age or size limit (least recently used first)')
    .addOption(cacheDirOption())
    .option('--max-size <size>', 'keep at most this much, e.g. 500M or 2G')
    .option('--older-than <age>', 'remove entries unused for this long, e.g. 30d or 12h')
    .option('--json', 'print JSON')
    .action(action(async (o: { cacheDir?: string; maxSize?: string; olderThan?: string; json?: boolean }) => {
      const r = await pruneCache(cacheRoot(o.cacheDir), {
        ...(o.maxSize ? { maxBytes: parseSize('--max-size', o.maxSize) } : {}),
        ...(o.olderThan ? { olderThanMs: parseDuration('--older-than', o.olderThan) } : {}),
      });
      print(o.json, r, () => [
        `${r.removed.length} entries removed, ${r.leftoversRemoved} leftovers; ${(r.bytesBefore / 2 ** 20).toFixed(1)} MiB -> ${(r.bytesAfter / 2 ** 20).toFixed(1)} MiB`,
        ...r.removed.map((e) => `  ${e.key.slice(0, 12)}  ${e.reason}`),
      ].join('\n'));
      return EXIT.ok;
    }));

  cacheCmd
    .command('export <file>')
    .description('write entries (all, or those whose key starts with --key) into one bundle file')
    .addOption(cacheDirOption())
    .option('--key <prefix...>', 'only entries whose key starts with one of these')
    .option('--key-file <file>', 'sign the bundle (HMAC-SHA256) with the key in this file (default: DWCONV_JIT_BUNDLE_KEY, if set)')
    .option('--json', 'print JSON')
    .action(action(async (file: string, o: { cacheDir?: string; key?: string[]; keyFile?: string; json?: boolean }) => {
      checkOutputFolder('<file>', file);
      const root = cacheRoot(o.cacheDir);
      const all = (await listEntries(root)).map((r) => r.key);
      const keys = all.filter((k) => !o.key || o.key.some((p) => k.startsWith(p)));
      // A prefix that selects nothing is a mistake, not an empty bundle.
      const unmatched = (o.key ?? []).filter((p) => !all.some((k) => k.startsWith(p)));
      if (unmatched.length > 0) throw new SpecError('--key', unmatched.join(' '), `prefixes of entry keys in ${root} (\`dwconv-jit cache ls\` lists them)`);
      const r = await exportBundle(root, keys, file, await bundleKey({ file: o.keyFile, value: readEnvironment().bundleKey }));
      print(o.json, { file, ...r }, () => `${r.exported} entries written to ${file}${r.signed ? ' (signed)' : ''}${r.skipped.length ? `; ${r.skipped.length} broken ones skipped` : ''}`);
      return EXIT.ok;
    }));

  cacheCmd
    .command('import <file>')
    .description("add a bundle's entries, all or none, every one checked before anything is written; unless signed (or --trust-unsigned), each is rebuilt here from its source")
    .addOption(cacheDirOption())
    .option('--key-file <file>', "require a valid signature under the key in this file and use the signer's artifacts (default: DWCONV_JIT_BUNDLE_KEY, if set)")
    .addOption(new Option('--trust-unsigned', "use an unsigned bundle's artifacts as the sender built them instead of rebuilding them: this trusts the sender, whose library may not be the output of its source (DWCONV_JIT_BUNDLE_KEY is then not asked for)").conflicts('keyFile'))
    .option('--json', 'print JSON')
    .action(action(async (file: string, o: { cacheDir?: string; keyFile?: string; trustUnsigned?: boolean; json?: boolean }) => {
      const key = o.trustUnsigned ? undefined : await bundleKey({ file: o.keyFile, value: readEnvironment().bundleKey });
      const r = await importBundle(cacheRoot(o.cacheDir), file, { ...(key ? { key } : {}), trustUnsigned: !!o.trustUnsigned });
      const how = {
        signed: 'signature verified: the signer\'s artifacts',
        rebuilt: `${r.signature === 'unchecked' ? 'signed, but no key was given to check it' : 'unsigned'}: built here from their sources, none taken from the bundle${r.differing.length ? `; ${r.differing.length} differed from the bundle's artifacts (not used)` : ''}`,
        sender: 'unsigned: the sender\'s artifacts, trusted as --trust-unsigned asked',
      }[r.artifacts];
      print(o.json, { file, ...r }, () => `${r.imported} entries imported, ${r.present} already present (${how})`);
      return EXIT.ok;
    }));

  cacheCmd
    .command('clear')
    .description('remove every entry')
    .addOption(cacheDirOption())
    .option('--json', 'print JSON')
    .action(action(async (o: { cacheDir?: string; json?: boolean }) => {
      const r = await clearCache(cacheRoot(o.cacheDir));
      print(o.json, r, () => `${r.removed} entries removed`);
      return EXIT.ok;
    }));

  program
    .command('doctor')
    .description('what this machine offers: compilers, CUDA runtime and GPUs, the FFI library, the cache directory')
    .addOption(cacheDirOption())
    .option('--json', 'print JSON')
    .action(action(async (o: { cacheDir?: string; json?: boolean }) => {
      const r = await runDoctor(o.cacheDir ? { cacheDir: o.cacheDir } : {});
      print(o.json, r, () => [
        `dwconv-jit ${r.version}`,
        ...r.checks.map((c) => `  ${c.ok ? 'ok     ' : 'missing'}  ${c.name}: ${c.detail}${c.fix ? `\n           fix: ${c.fix}` : ''}`),
        r.usable ? 'usable: kernels can be compiled and run here' : 'not usable: see the fixes above',
      ].join('\n'));
      return r.usable ? EXIT.ok : EXIT.failed;
    }));

}

function formatEntries(rows: readonly EntryRow[]): string {
  if (rows.length === 0) return '(no entries)';
  const head = ['key', 'spec', 'target', 'compiler', 'arch', 'size', 'created', 'last used', 'hits', 'state'];
  const cut = (t: string, n: number) => (t.length > n ? `${t.slice(0, n - 3)}...` : t);
  const body = rows.map((r) => [
    r.key.slice(0, 12), r.spec, r.target, cut(r.compiler, 18), cut(r.arch, 24), `${(r.bytes / 1024).toFixed(0)} KiB`,
    r.createdAt.slice(0, 19), r.lastUsed.slice(0, 19), String(r.hits), r.problem ?? 'ok',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  return [head, ...body].map((row) => row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

