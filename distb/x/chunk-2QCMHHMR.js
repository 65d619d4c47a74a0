import {
  SpecError
} from "./chunk-3MZWLH6H.js";

// dist/cache/lock-timeout.js
function lockTimeoutMs(value) {
  if (value === void 0)
    return 6e5;
  if (!/^\d{1,9}$/.test(value))
    throw new SpecError("DWCONV_JIT_LOCK_TIMEOUT", value, "milliseconds, an integer from 0 to 999999999");
  return Number(value);
}

// dist/cache/sizes.js
function parseSize(field, text) {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?$/i.exec(text.trim());
  if (!m)
    throw new SpecError(field, text, "a size such as 500M, 2G or 1048576");
  const scale = { "": 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[m[2].toLowerCase()];
  return Math.floor(Number(m[1]) * scale);
}
function parseDuration(field, text) {
  const m = /^(\d+)\s*([smhdw])$/.exec(text.trim());
  if (!m)
    throw new SpecError(field, text, "a duration such as 30d, 12h, 45m, 90s or 2w");
  return Number(m[1]) * { s: 1e3, m: 6e4, h: 36e5, d: 864e5, w: 6048e5 }[m[2]];
}

export {
  lockTimeoutMs,
  parseSize,
  parseDuration
};
