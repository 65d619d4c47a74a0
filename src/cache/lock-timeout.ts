import { SpecError } from '../errors.js';

/** DWCONV_JIT_LOCK_TIMEOUT in milliseconds (default 10 minutes); anything but a whole number is a SpecError. */
export function lockTimeoutMs(value: string | undefined): number {
  if (value === undefined) return 600_000;
  if (!/^\d{1,9}$/.test(value)) throw new SpecError('DWCONV_JIT_LOCK_TIMEOUT', value, 'milliseconds, an integer from 0 to 999999999');
  return Number(value);
}
