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

/** The CUDA archs an entry's key parts say it embeds: SASS per 'sm_XY', PTX as '+ptx' for the newest. */
export function embeddedArchs(arch: string): { sass: string[]; ptx: string | null } {
  const list = arch.split('+');
  const sass = list.filter((a) => /^sm_\d+a?$/.test(a));
  const newest = newestArch(sass);
  return { sass, ptx: list.includes('ptx') && newest ? `compute_${newest.slice(3).replace(/a$/, '')}` : null };
}

/** Whether code with these archs runs on a device of `device` ('sm_90'): SASS of the same major and no newer minor, or older PTX. */
export function runsOn(archs: { sass: readonly string[]; ptx: string | null }, device: string): boolean {
  const cc = (a: string) => parseInt(a.replace(/^(sm|compute)_/, ''), 10);
  const d = cc(device);
  const sassOk = archs.sass.some((a) => (a.endsWith('a') ? a === device : Math.floor(cc(a) / 10) === Math.floor(d / 10) && cc(a) <= d));
  return sassOk || (archs.ptx !== null && cc(archs.ptx) <= d);
}
