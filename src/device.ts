// Device names as a user writes them ('cpu', 'cuda', 'cuda:1', 1), parsed once: compile options,
// tensors and the CLI take the same forms and refuse the same mistakes.
import { SpecError } from './errors.js';

/** Where a tensor's memory lives: the host, or a CUDA device (its index is Tensor.deviceIndex). */
export type Device = 'cpu' | 'cuda';

/** A CUDA device as a user may name it: its index, 'cuda:N', or 'cuda' (the calling thread's current device). */
export type CudaDeviceChoice = number | 'cuda' | `cuda:${number}`;

/** Where a tensor is to be placed: 'cpu', or a CUDA device in any of the forms CudaDeviceChoice takes. */
export type DeviceChoice = 'cpu' | CudaDeviceChoice;

/** A parsed device: the host, or a CUDA device by index ('current': whichever the thread has current then). */
export type DeviceRequest = { readonly kind: 'cpu' } | { readonly kind: 'cuda'; readonly index: number | 'current' };

// Decimal, no sign, no leading zeros: 'cuda:01' or 'cuda: 1' is more likely a typo than a device.
const CUDA_NAME = /^cuda:(0|[1-9][0-9]{0,8})$/;
const FORMS = "an index such as 0 or 1, 'cuda:N', or 'cuda' (the current device)";

/** A device index the CUDA runtime could take (int range; whether the device exists is checked against the machine). */
function isIndex(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0x7fffffff;
}

/** Parses a tensor's `device` option; `field` names it in the error. */
export function parseDevice(field: string, value: unknown): DeviceRequest {
  if (value === 'cpu') return { kind: 'cpu' };
  return { kind: 'cuda', index: parseCudaIndex(field, value, `'cpu', ${FORMS}`) };
}

/** Parses a CUDA device option (compile's `device`): its index, or 'current'. */
export function parseCudaDevice(field: string, value: unknown): number | 'current' {
  return parseCudaIndex(field, value, FORMS);
}

function parseCudaIndex(field: string, value: unknown, allowed: string): number | 'current' {
  if (value === 'cuda') return 'current';
  if (isIndex(value)) return value;
  const named = typeof value === 'string' ? CUDA_NAME.exec(value) : null;
  if (named) return Number(named[1]);
  throw new SpecError(field, value, allowed);
}

/** Refuses an index this machine has no device for. */
export function checkDeviceIndex(field: string, index: number, count: number): void {
  if (index >= count) throw new SpecError(field, index, count === 1 ? '0 (this machine has one CUDA device)' : `0 to ${count - 1} (this machine has ${count} CUDA devices)`);
}

/** 'cpu', or 'cuda:N': how errors, reports and JSON name a device. */
export function deviceName(device: Device, index: number | undefined): string {
  return device === 'cpu' ? 'cpu' : `cuda:${index ?? '?'}`;
}
