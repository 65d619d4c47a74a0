// The CUDA state that belongs to the calling thread: its current device (runtime API) and its stack
// of current contexts (driver API). Work for a device runs with that device made current and the
// caller's own state put back afterwards, so interleaved use of several devices from one thread
// (the only one that launches here) sends each allocation, copy and launch to its own device.
// Pure over the calls given, so the logic is tested without a GPU.
import { DwconvError } from '../errors.js';

/** The runtime's per-thread current device: cudaGetDevice and cudaSetDevice, each checked. */
export interface CurrentDeviceCalls {
  get(): number;
  set(index: number): void;
}

/**
 * Runs `fn` with `index` current, then makes the previous device current again. A device that is
 * already current costs one cudaGetDevice. When `fn` throws, its error is the one reported (a failed
 * restore is not allowed to replace it).
 */
export function onDevice<T>(calls: CurrentDeviceCalls, index: number, fn: () => T): T {
  const previous = calls.get();
  if (previous === index) return fn();
  calls.set(index);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    try {
      calls.set(previous);
    } catch {
      // the first error says what went wrong
    }
    throw err;
  }
  calls.set(previous);
  return result;
}

/** The driver's per-thread context stack: cuCtxGetCurrent, cuCtxPushCurrent, cuCtxPopCurrent, each checked. */
export interface ContextStackCalls {
  /** The current context's handle, 0n when none is current. */
  current(): bigint;
  push(context: bigint): void;
  /** Pops the current context and returns its handle. */
  pop(): bigint;
}

/**
 * Runs `fn` with `context` current (a module loads into the current context, and a function launches
 * only in the context it was loaded in), then pops it. Already current: one cuCtxGetCurrent, no push.
 */
export function inContext<T>(calls: ContextStackCalls, context: bigint, fn: () => T): T {
  if (calls.current() === context) return fn();
  calls.push(context);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    try {
      calls.pop();
    } catch {
      // the first error says what went wrong
    }
    throw err;
  }
  const popped = calls.pop();
  // Something inside replaced our context on the stack (cudaSetDevice does): the caller's state is no longer known.
  if (popped !== context) throw new DwconvError(`internal: the CUDA context stack changed during a call (popped 0x${popped.toString(16)}, pushed 0x${context.toString(16)})`);
  return result;
}
