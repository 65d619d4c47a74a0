// What every CLI command shares: exit codes, error printing, --json output, common options.
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Option } from 'commander';
import { AbortError, CacheError, CompileError, CudaError, DeviceMismatchError, DwconvError, NoGpuError, OverridePathError, SpecError, ToolchainNotFoundError } from '../index.js';

/**
 * Exit codes, the same for every command: 0 success; 1 a check failed or an operation errored; 2
 * invalid usage or input (a bad flag, spec, file or prefix); 3 CUDA was asked for and there is no usable
 * GPU; 130 interrupted (Ctrl-C), as shells report a command that SIGINT ended.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, noGpu: 3, interrupted: 130 } as const;

/**
 * An AbortSignal that Ctrl-C (SIGINT) fires while `fn` runs, so the command stops its compilers and
 * leaves nothing partial; a second Ctrl-C ends the process at once (Node's default, restored).
 */
export async function interruptible<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSigint = () => {
    process.off('SIGINT', onSigint);
    process.stderr.write('\nstopping the compiles (Ctrl-C again to end at once)\n');
    controller.abort(new Error('interrupted (SIGINT)'));
  };
  process.on('SIGINT', onSigint);
  try {
    return await fn(controller.signal);
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** The code of a command-line error the parser raised (unknown option, missing argument...), outside the library's errors. */
export const USAGE_ERROR_CODE = 'ERR_DWCONV_USAGE';

export const targetOption = () => new Option('--target <target>', 'where to run').choices(['auto', 'cuda', 'cpu']).default('auto');
export const cacheDirOption = () => new Option('--cache-dir <dir>', 'cache directory (default: DWCONV_JIT_CACHE_DIR or the user cache)');
export const deviceOption = () => new Option('--device <n>', 'CUDA device to run on: an index or cuda:N (default: the current device, 0)');

/** --device's text as the API takes it: 1 and cuda:1 both name device 1. Refused here, in the flag's name. */
export function parseDeviceFlag(text: string): number | 'cuda' {
  if (text === 'cuda') return 'cuda';
  const m = /^(?:cuda:)?(0|[1-9][0-9]{0,8})$/.exec(text);
  if (!m) throw new SpecError('--device', text, 'a CUDA device index such as 1, or cuda:1');
  return Number(m[1]);
}

/** An error as the `error` member of --json output: name, stable code, message, and the error's structured fields. */
export function errorJson(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { name: 'Error', code: 'ERR_DWCONV', message: String(err) };
  const base = { name: err.name, code: err instanceof DwconvError ? err.code : 'ERR_DWCONV', message: err.message };
  if (err instanceof DeviceMismatchError) return { ...base, field: err.field, allowed: err.allowed, argument: err.argument, tensorDevice: err.tensorDevice, kernelDevice: err.kernelDevice };
  if (err instanceof SpecError) return { ...base, field: err.field, allowed: err.allowed };
  if (err instanceof NoGpuError) return { ...base, reason: err.reason, fix: err.fix };
  if (err instanceof OverridePathError) return { ...base, variable: err.variable, value: err.value, problem: err.problem };
  if (err instanceof ToolchainNotFoundError) return { ...base, tool: err.tool, searched: err.searched, fix: err.fix };
  if (err instanceof CompileError) return { ...base, message: err.message.split('\n')[0], compiler: err.compiler, args: err.args, log: err.log };
  if (err instanceof CudaError) return { ...base, call: err.call, status: err.status, detail: err.detail };
  if (err instanceof CacheError) return { ...base, path: err.path };
  if (err instanceof AbortError) return { ...base, operation: err.operation };
  return base;
}

export function exitCodeOf(err: unknown): number {
  if (err instanceof NoGpuError) return EXIT.noGpu;
  if (err instanceof AbortError) return EXIT.interrupted;
  if (err instanceof SpecError) return EXIT.usage;
  return EXIT.failed;
}

/** Prints an error as `{"error": ...}` on stdout (--json) or as text on stderr, with a stack only for errors that are not the library's. */
export function reportError(err: unknown, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify({ error: errorJson(err) }, null, 2)}\n`);
    return;
  }
  process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  if (!(err instanceof DwconvError) && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
}

/** Whether the command line asks for JSON output (read before parsing, for errors the parser itself raises). */
export const wantsJson = (argv: readonly string[]) => argv.some((a) => a === '--json' || a.startsWith('--json='));

/** Runs an action; prints errors as text or JSON and sets the exit code. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<number>) {
  return async (...args: A) => {
    const opts = args.find((a): a is { json?: boolean | string } => typeof a === 'object' && a !== null && !Array.isArray(a) && 'json' in a);
    try {
      process.exitCode = await fn(...args);
    } catch (err) {
      reportError(err, !!opts?.json);
      process.exitCode = exitCodeOf(err);
    }
  };
}

export const print = (json: boolean | undefined, value: unknown, text: () => string) =>
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`);

/** The folder a file is to be written into must exist: say so plainly rather than fail on the write. */
export function checkOutputFolder(option: string, file: string): void {
  const folder = dirname(resolve(file));
  let isFolder = false;
  try {
    isFolder = statSync(folder).isDirectory();
  } catch {
    // reported below
  }
  if (!isFolder) throw new SpecError(option, file, `a file in an existing folder (${folder} does not exist)`);
}
