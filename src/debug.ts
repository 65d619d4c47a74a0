// The trace of cache decisions, on with NODE_DEBUG=dwconv-jit (Node's own switch, as NODE_DEBUG=net or
// =http): every tier asked and its answer (hit, miss, refused and why), compiles and publishes, on
// stderr. Off, a call costs one boolean test. Nothing secret is ever passed here: remotes are named by
// their URL without credentials, entries by their key.
import { debuglog } from 'node:util';

const trace = debuglog('dwconv-jit');

/** Whether NODE_DEBUG names dwconv-jit (read once, at process start, by Node). */
export const debugEnabled: boolean = trace.enabled;

/** One line of the trace: printf-style (%s, %d, %j), as util.format. */
export function debug(format: string, ...args: unknown[]): void {
  if (debugEnabled) trace(format, ...args);
}

/** A cache key as the trace names it: long enough to tell entries apart, short enough to read. */
export const shortKey = (key: string): string => key.slice(0, 12);
