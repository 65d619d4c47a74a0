// AbortSignal plumbing shared by the compile-like calls: checking a signal given as an option,
// turning an abort into our AbortError, and giving up a wait (not the work behind it) promptly.
import { AbortError, SpecError } from './errors.js';

/** An options.signal that is not an AbortSignal is a SpecError (a plain object with `aborted` would never fire). */
export function checkSignal(field: string, signal: unknown): AbortSignal | undefined {
  if (signal === undefined) return undefined;
  if (!(signal instanceof AbortSignal)) throw new SpecError(field, signal, 'an AbortSignal (AbortController().signal, AbortSignal.timeout(ms))');
  return signal;
}

/** Throws the AbortError of `operation` when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, operation: string): void {
  if (signal?.aborted) throw new AbortError(operation, signal.reason);
}

/** Whether `err` is an abort of another call's signal, not of `signal`: the caller that shared that work may try again. */
export function abortedElsewhere(err: unknown, signal: AbortSignal | undefined): boolean {
  return err instanceof AbortError && !signal?.aborted;
}

/**
 * `promise`, or the AbortError as soon as the signal fires, whichever comes first. Only the wait is
 * given up: the work behind `promise` goes on (for work that others share, or that cannot be stopped).
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined, operation: string): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(new AbortError(operation, signal.reason));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new AbortError(operation, signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => (signal.removeEventListener('abort', onAbort), resolve(value)),
      (err: unknown) => (signal.removeEventListener('abort', onAbort), reject(err)),
    );
  });
}

/** Waits `ms`, or rejects with the AbortError as soon as the signal fires (the timer is cleared then). */
export function sleepUnlessAborted(ms: number, signal: AbortSignal | undefined, operation: string): Promise<void> {
  if (signal?.aborted) return Promise.reject(new AbortError(operation, signal.reason));
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortError(operation, signal!.reason));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
