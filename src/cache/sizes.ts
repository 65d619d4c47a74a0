// Sizes and durations as options and variables give them (DWCONV_JIT_CACHE_MAX_SIZE, prune --older-than).
import { SpecError } from '../errors.js';

/** "500M", "2G", "64KiB", "1000" → bytes. */
export function parseSize(field: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?$/i.exec(text.trim());
  if (!m) throw new SpecError(field, text, 'a size such as 500M, 2G or 1048576');
  const scale = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Math.floor(Number(m[1]) * scale);
}

/** "30d", "12h", "45m", "90s", "2w" → milliseconds. */
export function parseDuration(field: string, text: string): number {
  const m = /^(\d+)\s*([smhdw])$/.exec(text.trim());
  if (!m) throw new SpecError(field, text, 'a duration such as 30d, 12h, 45m, 90s or 2w');
  return Number(m[1]) * { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7, w: 6.048e8 }[m[2] as 's' | 'm' | 'h' | 'd' | 'w'];
}
