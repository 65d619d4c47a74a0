// The one rule between a kernel and its tensors' memory: both on the same device. A CUDA kernel's
// module and launches belong to one device's context, and its pointers are read there.
import { deviceName, type Device } from '../device.js';
import { DeviceMismatchError } from '../errors.js';

/** Where a kernel runs, or where a tensor's memory is: the host, or a CUDA device by index. */
export interface Placement {
  readonly device: Device;
  /** The CUDA device ordinal; undefined on the host. */
  readonly deviceIndex: number | undefined;
}

/** Throws a DeviceMismatchError naming `argument` unless the tensor is where the kernel runs. */
export function checkTensorDevice(argument: string, tensor: Placement, kernel: Placement): void {
  if (tensor.device === kernel.device && (tensor.device === 'cpu' || tensor.deviceIndex === kernel.deviceIndex)) return;
  throw new DeviceMismatchError(argument, deviceName(tensor.device, tensor.deviceIndex), deviceName(kernel.device, kernel.deviceIndex));
}
