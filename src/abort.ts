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
 * The callbacks waiting on each signal, behind one listener a signal: calls that share a signal add
 * no listener each (Node warns past 10 on one signal, and a precompile runs many at once).
 */
const waiting = new WeakMap<AbortSignal, Set<() => void>>();

/** Runs `fn` once when `signal` fires; the returned function stops waiting. */
function whenAborted(signal: AbortSignal, fn: () => void): () => void {
  let callbacks = waiting.get(signal);
  if (callbacks === undefined) {
    const these = new Set<() => void>();
    callbacks = these;
    waiting.set(signal, these);
    signal.addEventListener('abort', () => {
      waiting.delete(signal);
      for (const f of these) f();
    }, { once: true });
  }
  const set = callbacks;
  set.add(fn);
  return () => void set.delete(fn);
}

/**
 * `promise`, or the AbortError as soon as the signal fires, whichever comes first. Only the wait is
 * given up: the work behind `promise` goes on (for work that others share, or that cannot be stopped).
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined, operation: string): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(new AbortError(operation, signal.reason));
  return new Promise<T>((resolve, reject) => {
    const stop = whenAborted(signal, () => reject(new AbortError(operation, signal.reason)));
    promise.then(
      (value) => (stop(), resolve(value)),
      (err: unknown) => (stop(), reject(err)),
    );
  });
}

/** Waits `ms`, or rejects with the AbortError as soon as the signal fires (the timer is cleared then). */
export function sleepUnlessAborted(ms: number, signal: AbortSignal | undefined, operation: string): Promise<void> {
  if (signal?.aborted) return Promise.reject(new AbortError(operation, signal.reason));
  return new Promise<void>((resolve, reject) => {
    const stop = signal
      ? whenAborted(signal, () => {
        clearTimeout(timer);
        reject(new AbortError(operation, signal.reason));
      })
      : () => {};
    const timer = setTimeout(() => {
      stop();
      resolve();
    }, ms);
  });
}
