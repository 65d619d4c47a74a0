/** Every error this library throws is a DwconvError; subclasses carry structured fields. */
export class DwconvError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An invalid spec or tensor argument: names the field, the value given and what is allowed. */
export class SpecError extends DwconvError {
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly allowed: string,
  ) {
    super(`invalid ${field}: ${describeValue(value)} (allowed: ${allowed})`);
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
    super(`${tool} not found; searched: ${searched.join(', ') || '(nothing)'}. ${fix}`, options);
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
    super(`${compiler} failed:\n${log.trim()}\n\nsource:\n${numberLines(source)}`, options);
  }
}

/** A CUDA runtime call or kernel launch returned an error status. */
export class CudaError extends DwconvError {
  constructor(
    readonly call: string,
    readonly code: number,
    readonly detail: string,
  ) {
    super(`${call} failed with CUDA error ${code}: ${detail}`);
  }
}

/** The cache directory is unusable or an entry could not be written. */
export class CacheError extends DwconvError {
  constructor(
    message: string,
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(`${message} (${path})`, options);
  }
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
