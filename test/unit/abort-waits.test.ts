import { describe, expect, it } from 'vitest';
import { sleepUnlessAborted, untilAborted } from '../../src/abort.js';
import { AbortError } from '../../src/errors.js';

describe('waits that give up on an abort', () => {
  it('many calls sharing one signal add one listener in all (no MaxListeners warning) and all reject when it fires', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const controller = new AbortController();
      let added = 0;
      const add = controller.signal.addEventListener.bind(controller.signal);
      controller.signal.addEventListener = ((...args: Parameters<typeof add>) => (added++, add(...args))) as typeof add;
      const never = new Promise<never>(() => {});
      const waits = [
        ...Array.from({ length: 40 }, () => untilAborted(never, controller.signal, 'compile')),
        ...Array.from({ length: 40 }, () => sleepUnlessAborted(60_000, controller.signal, 'lock wait')),
      ];
      expect(added).toBe(1);
      controller.abort(new Error('stop'));
      const results = await Promise.allSettled(waits);
      expect(results.every((r) => r.status === 'rejected' && r.reason instanceof AbortError)).toBe(true);
      await new Promise((r) => setImmediate(r));
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('a settled wait stops waiting: a later abort reaches only the waits still open', async () => {
    const controller = new AbortController();
    await expect(untilAborted(Promise.resolve(7), controller.signal, 'compile')).resolves.toBe(7);
    await expect(sleepUnlessAborted(1, controller.signal, 'lock wait')).resolves.toBeUndefined();
    const open = untilAborted(new Promise<never>(() => {}), controller.signal, 'compile');
    controller.abort();
    await expect(open).rejects.toBeInstanceOf(AbortError);
    await expect(untilAborted(Promise.resolve(1), controller.signal, 'compile')).rejects.toBeInstanceOf(AbortError); // already aborted
  });
});
