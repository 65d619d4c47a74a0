import { SpecError } from '../errors.js';

/** 'sm_90', '90', 'sm_90a', 90 → 'sm_90' / 'sm_90a'. Anything else is a SpecError: it ends up on nvcc's command line. */
export function normalizeArch(arch: unknown): string {
  const text = typeof arch === 'number' ? String(arch) : arch;
  const m = typeof text === 'string' ? /^(?:sm_)?([1-9][0-9]{1,2})(a?)$/.exec(text) : null;
  if (!m) throw new SpecError('arch', arch, "a CUDA compute capability such as 'sm_90', '90' or 'sm_90a'");
  return `sm_${m[1]}${m[2]}`;
}

/** The newest of some 'sm_XY' archs (by compute capability), or undefined for none. */
export function newestArch(archs: readonly string[]): string | undefined {
  return [...archs].sort((a, b) => parseInt(a.slice(3), 10) - parseInt(b.slice(3), 10)).at(-1);
}
