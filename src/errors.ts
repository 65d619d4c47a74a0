/**
 * The stable `code` of every error this library throws: match on it rather than on the message,
 * which may be reworded. New codes may be added; a code's meaning does not change.
 */
export const ERROR_CODES = {
  /** A failure with no more specific code (an internal check, a kernel library that does not load). */
  generic: 'ERR_DWCONV',
  /** An invalid spec, option, tensor argument or command-line value: fix the input. */
  spec: 'ERR_DWCONV_SPEC',
  /** A tensor on another device than the kernel's (the host, or another GPU): a DeviceMismatchError, also a SpecError. */
  deviceMismatch: 'ERR_DWCONV_DEVICE_MISMATCH',
  /** CUDA was asked for and no usable GPU (driver, device) is there. */
  noGpu: 'ERR_DWCONV_NO_GPU',
  /** A compiler or library could not be found, or an override variable points at nothing. */
  toolchain: 'ERR_DWCONV_TOOLCHAIN',
  /** A compiler rejected the generated source. */
  compile: 'ERR_DWCONV_COMPILE',
  /** A CUDA runtime or driver call, or a kernel launch, returned an error status. */
  cuda: 'ERR_DWCONV_CUDA',
  /** The cache directory is unusable, or an entry, a bundle or an export could not be read or written. */
  cache: 'ERR_DWCONV_CACHE',
  /** The call's AbortSignal fired: an AbortError, whose `cause` is the signal's reason. */
  aborted: 'ERR_DWCONV_ABORTED',
} as const;
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** Every error this library throws is a DwconvError: a stable `code`, structured fields on the subclasses, the original as `cause`. */
export class DwconvError extends Error {
  readonly code: ErrorCode;

  constructor(message: string, options?: { cause?: unknown; code?: ErrorCode }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options?.code ?? ERROR_CODES.generic;
  }
}

/** An invalid spec or tensor argument: names the field, the value given and what is allowed. */
export class SpecError extends DwconvError {
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly allowed: string,
    /** A subclass's more specific code; default ERR_DWCONV_SPEC. */
    options?: { code?: ErrorCode },
  ) {
    super(`invalid ${field}: ${describeValue(value)} (allowed: ${allowed})`, { code: options?.code ?? ERROR_CODES.spec });
  }
}

/**
 * A tensor given to a kernel lives on another device than the kernel runs on: a host tensor for a
 * CUDA kernel, a GPU tensor for a CPU kernel, or another GPU's memory (a kernel cannot reach it).
 * Refused before anything is launched; `field` is `<argument>.device`.
 */
export class DeviceMismatchError extends SpecError {
  constructor(
    /** The kernel argument: 'x', 'w', 'out', ... */
    readonly argument: string,
    /** Where the tensor is: 'cpu' or 'cuda:N'. */
    readonly tensorDevice: string,
    /** Where the kernel runs: 'cpu' or 'cuda:N'. */
    readonly kernelDevice: string,
  ) {
    super(`${argument}.device`, tensorDevice, `'${kernelDevice}' (this kernel's device; ${mismatchAdvice(tensorDevice, kernelDevice)})`, { code: ERROR_CODES.deviceMismatch });
  }
}

function mismatchAdvice(tensorDevice: string, kernelDevice: string): string {
  if (kernelDevice === 'cpu') return "a host tensor (device 'cpu'), or a kernel compiled with target 'cuda'";
  if (tensorDevice === 'cpu') return `a tensor made with { device: '${kernelDevice}' }`;
  return `make the tensor there, or compile the kernel for ${tensorDevice} with { device: ${tensorDevice.slice('cuda:'.length)} }`;
}

/** CUDA was asked for (a target, a tuning run, the bench) and there is no usable GPU: `reason` says why. */
export class NoGpuError extends DwconvError {
  constructor(
    /** What needed the GPU, e.g. "target 'cuda'" or 'bench'. */
    readonly needed: string,
    /** Why no GPU is usable (no driver, no device, the runtime's error). */
    readonly reason: string,
    /** What to do instead. */
    readonly fix: string,
    options?: { cause?: unknown },
  ) {
    super(`${needed} needs a usable GPU (${reason}); ${fix}`, { ...options, code: ERROR_CODES.noGpu });
  }
}

/** A compiler or library could not be found: says what was searched and how to fix it. */
export class ToolchainNotFoundError extends DwconvError {
  constructor(
    readonly tool: string,
    readonly searched: readonly string[],
    readonly fix: string,
    options?: { cause?: unknown },
  ) {
    super(`${tool} not found; searched: ${searched.join(', ') || '(nothing)'}. ${fix}`, { ...options, code: ERROR_CODES.toolchain });
  }
}

/**
 * An environment variable that names a tool or library (DWCONV_JIT_NVCC, CXX, DWCONV_JIT_CUDART,
 * DWCONV_JIT_NVRTC) points at something that is not there or does not work. An explicit choice is
 * never silently replaced by another tool found elsewhere.
 */
export class OverridePathError extends ToolchainNotFoundError {
  constructor(
    /** The variable, e.g. 'DWCONV_JIT_NVCC'. */
    readonly variable: string,
    /** Its value. */
    readonly value: string,
    /** What is wrong with it: 'does not exist', 'is not executable', the loader's message. */
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${variable}=${value}`, [value], `${variable}=${value} ${problem}: point it at a working one, or unset it to search the usual places.`, options);
  }
}

/** A compiler rejected the generated source. Carries everything needed to reproduce it. */
export class CompileError extends DwconvError {
  constructor(
    readonly compiler: string,
    readonly args: readonly string[],
    readonly log: string,
    readonly source: string,
    options?: { cause?: unknown },
  ) {
    super(`${compiler} failed:\n${log.trim()}\n\nsource:\n${numberLines(source)}`, { ...options, code: ERROR_CODES.compile });
  }
}

/** A CUDA runtime or driver call, or a kernel launch, returned an error status. */
export class CudaError extends DwconvError {
  constructor(
    readonly call: string,
    /** The numeric status CUDA returned (cudaError_t or CUresult). */
    readonly status: number,
    readonly detail: string,
  ) {
    super(`${call} failed with CUDA error ${status}: ${detail}`, { code: ERROR_CODES.cuda });
  }
}

/** The cache directory is unusable or an entry could not be written. */
export class CacheError extends DwconvError {
  constructor(
    message: string,
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(`${message} (${path})`, { ...options, code: ERROR_CODES.cache });
  }
}

/**
 * The call was stopped through its `signal` (compile, build, compileTuned, precompile): a lock wait
 * or a running compiler was given up, and nothing partial was kept. `cause` is `signal.reason`. Named
 * AbortError, as the platform's own aborts are, so `err.name === 'AbortError'` checks find it too.
 */
export class AbortError extends DwconvError {
  constructor(
    /** What was stopped, e.g. 'compile' or 'precompile'. */
    readonly operation: string,
    reason: unknown,
  ) {
    super(`${operation} aborted${describeReason(reason)}`, { cause: reason, code: ERROR_CODES.aborted });
  }
}

function describeReason(reason: unknown): string {
  // An abort() without a reason gives the platform's generic DOMException: nothing worth repeating.
  if (reason === undefined || (reason instanceof Error && reason.name === 'AbortError')) return '';
  return `: ${reason instanceof Error ? reason.message : describeValue(reason)}`;
}

export function numberLines(source: string): string {
  const lines = source.split('\n');
  const width = String(lines.length).length;
  return lines.map((line, i) => `${String(i + 1).padStart(width)} | ${line}`).join('\n');
}

export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  try {
    const json = JSON.stringify(value);
    return json === undefined ? typeof value : json.length > 80 ? `${json.slice(0, 77)}...` : json;
  } catch {
    return typeof value;
  }
}
