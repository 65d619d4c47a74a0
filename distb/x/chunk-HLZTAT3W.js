import {
  embeddedArchs,
  runsOn
} from "./chunk-X43GYYD5.js";

// dist/compiler/fatbin.js
var MAGIC = 3126193488;
function embeddedCode(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sass = /* @__PURE__ */ new Set();
  const ptx = /* @__PURE__ */ new Set();
  const magic = Buffer.from([80, 237, 85, 186]);
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = buf.indexOf(magic); at >= 0 && at + 16 <= bytes.byteLength; at = buf.indexOf(magic, at + 4)) {
    if (view.getUint32(at, true) !== MAGIC)
      continue;
    const headerSize = view.getUint16(at + 6, true);
    const fatSize = Number(view.getBigUint64(at + 8, true));
    const end = at + headerSize + fatSize;
    if (headerSize < 16 || end > bytes.byteLength)
      continue;
    for (let p = at + headerSize; p + 32 <= end; ) {
      const kind = view.getUint16(p, true);
      const entryHeader = view.getUint32(p + 4, true);
      const payload = Number(view.getBigUint64(p + 8, true));
      const arch = view.getUint32(p + 28, true);
      if (entryHeader < 32 || p + entryHeader + payload > end || arch < 10 || arch > 1e3)
        break;
      if (kind === 2)
        sass.add(arch);
      else if (kind === 1)
        ptx.add(arch);
      p += entryHeader + payload;
    }
  }
  const newestPtx = [...ptx].sort((a, b) => a - b).at(-1);
  return { sass: [...sass].sort((a, b) => a - b).map((a) => `sm_${a}`), ptx: newestPtx === void 0 ? null : `compute_${newestPtx}` };
}

// dist/backends/traits.js
var CUDA_TRAITS = {
  target: "cuda",
  libraryCompiler: "nvcc",
  hasDevices: true,
  hasVariants: true,
  fitsArch: (built, wanted) => runsOn(embeddedArchs(built), wanted),
  artifactMisfit: (bytes, wanted) => runsOn(embeddedCode(bytes), wanted) ? void 0 : "the artifact embeds no code for this GPU"
};
var CPU_TRAITS = {
  target: "cpu",
  libraryCompiler: "cxx",
  hasDevices: false,
  hasVariants: false,
  // The CPU identity names the model and architecture: only the same one fits.
  fitsArch: (built, wanted) => built === wanted,
  artifactMisfit: () => void 0
};
var TRAITS = { cuda: CUDA_TRAITS, cpu: CPU_TRAITS };
function targetTraits(target) {
  return TRAITS[target];
}

export {
  CUDA_TRAITS,
  CPU_TRAITS,
  targetTraits
};
