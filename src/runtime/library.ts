import koffi from 'koffi';
import type { FfiFunction, FfiLibrary } from './ffi.js';
import { DwconvError } from '../errors.js';
import { ABI_VERSION } from '../version.js';

export type TargetDevice = 'cuda' | 'cpu';

/** The launcher of a loaded artifact and what it says about itself. */
export interface LoadedArtifact {
  readonly launch: FfiFunction;
  readonly info: { readonly abi: number; readonly symbol: string; readonly target: string; readonly spec: unknown };
}

/**
 * dlopens an artifact and checks that it describes itself as the expected symbol, target and spec before
 * anything is called. CUDA artifacts take device addresses as integers, CPU artifacts take host buffers.
 */
export function loadArtifact(path: string, symbol: string, target: TargetDevice, specJson: string): LoadedArtifact {
  let lib: FfiLibrary;
  try {
    lib = koffi.load(path);
  } catch (cause) {
    throw new DwconvError(`cannot load kernel library ${path}: ${(cause as Error).message}`, { cause });
  }
  const infoFn = lib.func(`const char* ${symbol}_info(void)`);
  let info: LoadedArtifact['info'];
  try {
    info = JSON.parse(infoFn() as string) as LoadedArtifact['info'];
  } catch (cause) {
    throw new DwconvError(`kernel library ${path} has an unreadable self-description`, { cause });
  }
  if (info.abi !== ABI_VERSION || info.symbol !== symbol || info.target !== target || JSON.stringify(info.spec) !== specJson) {
    throw new DwconvError(`kernel library ${path} describes itself as ${JSON.stringify(info)}, not as ${symbol} (abi ${ABI_VERSION}, ${target}, ${specJson})`);
  }
  const ptr = target === 'cuda' ? 'uintptr_t' : 'void*';
  const launch = lib.func(symbol, 'int', [ptr, ptr, ptr, ptr, ptr, ptr, ptr, 'int64_t', 'int64_t', 'int64_t', 'int64_t', 'uintptr_t']);
  return { launch, info };
}
