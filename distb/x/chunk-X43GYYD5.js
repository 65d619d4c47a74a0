import {
  SpecError
} from "./chunk-3MZWLH6H.js";

// dist/version.js
var PACKAGE_VERSION = "0.1.0";
var ABI_VERSION = 3;

// dist/compiler/arch.js
function normalizeArch(arch) {
  const text = typeof arch === "number" ? String(arch) : arch;
  const m = typeof text === "string" ? /^(?:sm_)?([1-9][0-9]{1,2})(a?)$/.exec(text) : null;
  if (!m)
    throw new SpecError("arch", arch, "a CUDA compute capability such as 'sm_90', '90' or 'sm_90a'");
  return `sm_${m[1]}${m[2]}`;
}
function newestArch(archs) {
  return [...archs].sort((a, b) => parseInt(a.slice(3), 10) - parseInt(b.slice(3), 10)).at(-1);
}
function embeddedArchs(arch) {
  const list = arch.split("+");
  const sass = list.filter((a) => /^sm_\d+a?$/.test(a));
  const newest = newestArch(sass);
  return { sass, ptx: list.includes("ptx") && newest ? `compute_${newest.slice(3).replace(/a$/, "")}` : null };
}
function runsOn(archs, device) {
  const cc = (a) => parseInt(a.replace(/^(sm|compute)_/, ""), 10);
  const d = cc(device);
  const sassOk = archs.sass.some((a) => a.endsWith("a") ? a === device : Math.floor(cc(a) / 10) === Math.floor(d / 10) && cc(a) <= d);
  return sassOk || archs.ptx !== null && cc(archs.ptx) <= d;
}

export {
  PACKAGE_VERSION,
  ABI_VERSION,
  normalizeArch,
  newestArch,
  embeddedArchs,
  runsOn
};
