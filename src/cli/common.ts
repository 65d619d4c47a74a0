// What every CLI command shares: exit codes, error printing, --json output, common options.
import { Option } from 'commander';
import { DwconvError, SpecError } from '../errors.js';

/** Exit codes: 0 success, 1 a check failed or an operation errored, 2 invalid usage or input. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export const targetOption = () => new Option('--target <target>', 'where to run').choices(['auto', 'cuda', 'cpu']).default('auto');

function errorJson(err: unknown): object {
  if (err instanceof SpecError) return { name: err.name, message: err.message, field: err.field, allowed: err.allowed };
  if (err instanceof Error) return { name: err.name, message: err.message };
  return { name: 'Error', message: String(err) };
}

/** Runs an action; prints errors as text or JSON and sets the exit code. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<number>) {
  return async (...args: A) => {
    const opts = args.find((a): a is { json?: boolean } => typeof a === 'object' && a !== null && !Array.isArray(a) && 'json' in a);
    try {
      process.exitCode = await fn(...args);
    } catch (err) {
      if (opts?.json) process.stdout.write(`${JSON.stringify({ error: errorJson(err) }, null, 2)}\n`);
      else process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = err instanceof SpecError ? EXIT.usage : EXIT.failed;
      if (!(err instanceof DwconvError) && !opts?.json && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    }
  };
}

export const cacheDirOption = () => new Option('--cache-dir <dir>', 'cache directory (default: DWCONV_JIT_CACHE_DIR or the user cache)');
export const print = (json: boolean | undefined, value: unknown, text: () => string) =>
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`);

