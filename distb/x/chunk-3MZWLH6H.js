// dist/errors.js
var ERROR_CODES = {
  /** A failure with no more specific code (an internal check, a kernel library that does not load). */
  generic: "ERR_DWCONV",
  /** An invalid spec, option, tensor argument or command-line value: fix the input. */
  spec: "ERR_DWCONV_SPEC",
  /** A tensor on another device than the kernel's (the host, or another GPU): a DeviceMismatchError, also a SpecError. */
  deviceMismatch: "ERR_DWCONV_DEVICE_MISMATCH",
  /** CUDA was asked for and no usable GPU (driver, device) is there. */
  noGpu: "ERR_DWCONV_NO_GPU",
  /** A compiler or library could not be found, or an override variable points at nothing. */
  toolchain: "ERR_DWCONV_TOOLCHAIN",
  /** A compiler rejected the generated source. */
  compile: "ERR_DWCONV_COMPILE",
  /** A CUDA runtime or driver call, or a kernel launch, returned an error status. */
  cuda: "ERR_DWCONV_CUDA",
  /** The cache directory is unusable, or an entry, a bundle or an export could not be read or written. */
  cache: "ERR_DWCONV_CACHE",
  /** The call's AbortSignal fired: an AbortError, whose `cause` is the signal's reason. */
  aborted: "ERR_DWCONV_ABORTED"
};
var DwconvError = class extends Error {
  code;
  constructor(message, options) {
    super(message, options?.cause === void 0 ? void 0 : { cause: options.cause });
    this.name = new.target.name;
    this.code = options?.code ?? ERROR_CODES.generic;
  }
};
var SpecError = class extends DwconvError {
  field;
  value;
  allowed;
  constructor(field, value, allowed, options) {
    super(`invalid ${field}: ${describeValue(value)} (allowed: ${allowed})`, { code: options?.code ?? ERROR_CODES.spec });
    this.field = field;
    this.value = value;
    this.allowed = allowed;
  }
};
var DeviceMismatchError = class extends SpecError {
  argument;
  tensorDevice;
  kernelDevice;
  constructor(argument, tensorDevice, kernelDevice) {
    super(`${argument}.device`, tensorDevice, `'${kernelDevice}' (this kernel's device; ${mismatchAdvice(tensorDevice, kernelDevice)})`, { code: ERROR_CODES.deviceMismatch });
    this.argument = argument;
    this.tensorDevice = tensorDevice;
    this.kernelDevice = kernelDevice;
  }
};
function mismatchAdvice(tensorDevice, kernelDevice) {
  if (kernelDevice === "cpu")
    return "a host tensor (device 'cpu'), or a kernel compiled with target 'cuda'";
  if (tensorDevice === "cpu")
    return `a tensor made with { device: '${kernelDevice}' }`;
  return `make the tensor there, or compile the kernel for ${tensorDevice} with { device: ${tensorDevice.slice("cuda:".length)} }`;
}
var NoGpuError = class extends DwconvError {
  needed;
  reason;
  fix;
  constructor(needed, reason, fix, options) {
    super(`${needed} needs a usable GPU (${reason}); ${fix}`, { ...options, code: ERROR_CODES.noGpu });
    this.needed = needed;
    this.reason = reason;
    this.fix = fix;
  }
};
var ToolchainNotFoundError = class extends DwconvError {
  tool;
  searched;
  fix;
  constructor(tool, searched, fix, options) {
    super(`${tool} not found; searched: ${searched.join(", ") || "(nothing)"}. ${fix}`, { ...options, code: ERROR_CODES.toolchain });
    this.tool = tool;
    this.searched = searched;
    this.fix = fix;
  }
};
var OverridePathError = class extends ToolchainNotFoundError {
  variable;
  value;
  problem;
  constructor(variable, value, problem, options) {
    super(`${variable}=${value}`, [value], `${variable}=${value} ${problem}: point it at a working one, or unset it to search the usual places.`, options);
    this.variable = variable;
    this.value = value;
    this.problem = problem;
  }
};
var CompileError = class extends DwconvError {
  compiler;
  args;
  log;
  source;
  constructor(compiler, args, log, source, options) {
    super(`${compiler} failed:
${log.trim()}

source:
${numberLines(source)}`, { ...options, code: ERROR_CODES.compile });
    this.compiler = compiler;
    this.args = args;
    this.log = log;
    this.source = source;
  }
};
var CudaError = class extends DwconvError {
  call;
  status;
  detail;
  constructor(call, status, detail) {
    super(`${call} failed with CUDA error ${status}: ${detail}`, { code: ERROR_CODES.cuda });
    this.call = call;
    this.status = status;
    this.detail = detail;
  }
};
var CacheError = class extends DwconvError {
  path;
  constructor(message, path, options) {
    super(`${message} (${path})`, { ...options, code: ERROR_CODES.cache });
    this.path = path;
  }
};
var AbortError = class extends DwconvError {
  operation;
  constructor(operation, reason) {
    super(`${operation} aborted${describeReason(reason)}`, { cause: reason, code: ERROR_CODES.aborted });
    this.operation = operation;
  }
};
function describeReason(reason) {
  if (reason === void 0 || reason instanceof Error && reason.name === "AbortError")
    return "";
  return `: ${reason instanceof Error ? reason.message : describeValue(reason)}`;
}
function numberLines(source) {
  const lines = source.split("\n");
  const width = String(lines.length).length;
  return lines.map((line, i) => `${String(i + 1).padStart(width)} | ${line}`).join("\n");
}
function describeValue(value) {
  if (typeof value === "string")
    return JSON.stringify(value);
  if (typeof value === "bigint")
    return `${value}n`;
  if (typeof value === "number" || typeof value === "boolean" || value == null)
    return String(value);
  try {
    const json = JSON.stringify(value);
    return json === void 0 ? typeof value : json.length > 80 ? `${json.slice(0, 77)}...` : json;
  } catch {
    return typeof value;
  }
}

export {
  ERROR_CODES,
  DwconvError,
  SpecError,
  DeviceMismatchError,
  NoGpuError,
  ToolchainNotFoundError,
  OverridePathError,
  CompileError,
  CudaError,
  CacheError,
  AbortError
};
