import {
  roundTo
} from "./chunk-6BRGTZ7M.js";

// dist/verify/random.js
function uniformAt(seed, index) {
  let h = (Math.imul(index >>> 0, 2654435761) ^ seed ^ Math.imul(Math.floor(index / 4294967296), 2246822519)) >>> 0;
  h = Math.imul(h ^ h >>> 16, 2246822507);
  h = Math.imul(h ^ h >>> 13, 3266489909);
  h ^= h >>> 16;
  return (h >>> 8) / 8388608 - 1;
}
function fillUniform(out, seed, start = 0) {
  for (let k = 0; k < out.length; k++)
    out[k] = uniformAt(seed, start + k);
  return out;
}
function freshSeed(fixed) {
  if (fixed !== void 0 && fixed !== "")
    return Number(fixed) >>> 0;
  return Math.random() * 2 ** 32 >>> 0;
}

// dist/verify/operands.js
var uniform = (n, seed) => fillUniform(new Float32Array(n), seed);
function randomParameters(spec, inputChannels, seed) {
  const cOut = inputChannels * spec.channelMultiplier;
  const stored = (a) => roundTo(a, spec.dtype);
  return {
    w: stored(uniform(cOut * spec.kernelSize[0] * spec.kernelSize[1], seed + 1)),
    ...spec.bias ? { bias: stored(uniform(cOut, seed + 2)) } : {},
    ...spec.batchNorm ? { scale: uniform(cOut, seed + 3).map((v) => 1 + v / 2), shift: uniform(cOut, seed + 4) } : {},
    ...spec.pointwise ? { pointwiseWeight: stored(uniform(spec.pointwise.outChannels * cOut, seed + 6)) } : {},
    ...spec.pointwise?.bias ? { pointwiseBias: stored(uniform(spec.pointwise.outChannels, seed + 7)) } : {}
  };
}
function referenceParameters(p) {
  return {
    weight: p.w,
    ...p.bias ? { bias: p.bias } : {},
    ...p.scale && p.shift ? { scale: p.scale, shift: p.shift } : {},
    ...p.pointwiseWeight ? { pointwiseWeight: p.pointwiseWeight } : {},
    ...p.pointwiseBias ? { pointwiseBias: p.pointwiseBias } : {}
  };
}

export {
  uniformAt,
  fillUniform,
  freshSeed,
  randomParameters,
  referenceParameters
};
