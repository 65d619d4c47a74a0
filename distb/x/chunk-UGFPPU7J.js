import {
  AbortError,
  SpecError
} from "./chunk-3MZWLH6H.js";

// dist/abort.js
function checkSignal(field, signal) {
  if (signal === void 0)
    return void 0;
  if (!(signal instanceof AbortSignal))
    throw new SpecError(field, signal, "an AbortSignal (AbortController().signal, AbortSignal.timeout(ms))");
  return signal;
}
function throwIfAborted(signal, operation) {
  if (signal?.aborted)
    throw new AbortError(operation, signal.reason);
}
function abortedElsewhere(err, signal) {
  return err instanceof AbortError && !signal?.aborted;
}
var waiting = /* @__PURE__ */ new WeakMap();
function whenAborted(signal, fn) {
  let callbacks = waiting.get(signal);
  if (callbacks === void 0) {
    const these = /* @__PURE__ */ new Set();
    callbacks = these;
    waiting.set(signal, these);
    signal.addEventListener("abort", () => {
      waiting.delete(signal);
      for (const f of these)
        f();
    }, { once: true });
  }
  const set = callbacks;
  set.add(fn);
  return () => void set.delete(fn);
}
function untilAborted(promise, signal, operation) {
  if (!signal)
    return promise;
  if (signal.aborted)
    return Promise.reject(new AbortError(operation, signal.reason));
  return new Promise((resolve, reject) => {
    const stop = whenAborted(signal, () => reject(new AbortError(operation, signal.reason)));
    promise.then((value) => (stop(), resolve(value)), (err) => (stop(), reject(err)));
  });
}
function sleepUnlessAborted(ms, signal, operation) {
  if (signal?.aborted)
    return Promise.reject(new AbortError(operation, signal.reason));
  return new Promise((resolve, reject) => {
    const stop = signal ? whenAborted(signal, () => {
      clearTimeout(timer);
      reject(new AbortError(operation, signal.reason));
    }) : () => {
    };
    const timer = setTimeout(() => {
      stop();
      resolve();
    }, ms);
  });
}

export {
  checkSignal,
  throwIfAborted,
  abortedElsewhere,
  untilAborted,
  sleepUnlessAborted
};
