import {
  logicalDims,
  outputExtent,
  outputShape
} from "./chunk-J66XVRM2.js";

// dist/verify/activation.js
function erf(x) {
  if (Number.isNaN(x))
    return NaN;
  const a = Math.abs(x);
  if (a >= 6)
    return Math.sign(x);
  if (a < 2.5) {
    let term = a;
    let sum = a;
    for (let n = 1; n < 100; n++) {
      term *= -a * a / n;
      const t = term / (2 * n + 1);
      sum += t;
      if (Math.abs(t) < 1e-17 * Math.abs(sum))
        break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  let f = a;
  for (let n = 80; n >= 1; n--)
    f = a + n / 2 / f;
  return Math.sign(x) * (1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / f);
}
function activate(activation, z, negativeSlope = 0.01) {
  switch (activation) {
    case "none":
      return z;
    case "relu":
      return z < 0 ? 0 : z;
    case "relu6":
      return z < 0 ? 0 : z > 6 ? 6 : z;
    case "leaky_relu":
      return z < 0 ? z * negativeSlope : z;
    case "silu":
      return z / (1 + Math.exp(-z));
    case "gelu":
      return 0.5 * z * (1 + erf(z / Math.SQRT2));
    case "gelu_tanh":
      return 0.5 * z * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (z + 0.044715 * z * z * z)));
    case "hardswish":
      return z <= -3 ? z * 0 : z >= 3 ? z : z * (z + 3) / 6;
    // z * 0: -0, and NaN for -Infinity, as z * relu6(z + 3) / 6 gives
    case "sigmoid":
      return 1 / (1 + Math.exp(-z));
  }
}
function activationSlopeBound(activation, negativeSlope = 0.01) {
  switch (activation) {
    case "none":
    case "relu":
    case "relu6":
      return 1;
    case "leaky_relu":
      return Math.max(1, Math.abs(negativeSlope));
    case "silu":
      return 1.1;
    case "gelu":
    case "gelu_tanh":
      return 1.13;
    case "hardswish":
      return 1.5;
    case "sigmoid":
      return 0.25;
  }
}

// dist/verify/reference.js
function referenceAt(r, n, co, oh, ow) {
  return r.spec.pointwise ? separableAt(r, n, co, oh, ow) : depthwiseAt(r, n, co, oh, ow);
}
function separableAt(r, n, co, oh, ow) {
  const pw = r.spec.pointwise;
  const cm = logicalDims(r.spec, r.inputShape)[1] * r.spec.channelMultiplier;
  let value = 0;
  let magnitude = 0;
  for (let k = 0; k < cm; k++) {
    const d = depthwiseAt(r, n, k, oh, ow);
    const wk = r.pointwiseWeight[co * cm + k];
    value += wk * d.value;
    magnitude += Math.abs(wk) * d.magnitude;
  }
  if (pw.bias) {
    value += r.pointwiseBias[co];
    magnitude += Math.abs(r.pointwiseBias[co]);
  }
  if (pw.activation !== "none") {
    value = activate(pw.activation, value, pw.negativeSlope);
    magnitude = magnitude * activationSlopeBound(pw.activation, pw.negativeSlope) + Math.abs(value);
  }
  return { value, magnitude };
}
function depthwiseAt(r, n, co, oh, ow) {
  const { spec } = r;
  const [, c, h, w] = logicalDims(spec, r.inputShape);
  const [kh, kw] = spec.kernelSize;
  const ci = Math.floor(co / spec.channelMultiplier);
  const nhwc = spec.layout === "NHWC";
  const inputIndex = (ih, iw) => nhwc ? ((n * h + ih) * w + iw) * c + ci : ((n * c + ci) * h + ih) * w + iw;
  let value = 0;
  let magnitude = 0;
  for (let i = 0; i < kh; i++) {
    const ih = oh * spec.stride[0] - spec.padding[0] + i * spec.dilation[0];
    if (ih < 0 || ih >= h)
      continue;
    for (let j = 0; j < kw; j++) {
      const iw = ow * spec.stride[1] - spec.padding[2] + j * spec.dilation[1];
      if (iw < 0 || iw >= w)
        continue;
      const term = r.weight[(co * kh + i) * kw + j] * r.input(inputIndex(ih, iw));
      value += term;
      magnitude += Math.abs(term);
    }
  }
  if (spec.bias && r.bias) {
    value += r.bias[co];
    magnitude += Math.abs(r.bias[co]);
  }
  if (spec.batchNorm && r.scale && r.shift) {
    value = value * r.scale[co] + r.shift[co];
    magnitude = magnitude * Math.abs(r.scale[co]) + Math.abs(r.shift[co]);
  }
  let res = 0;
  if (spec.residual !== "none" && r.residual) {
    const ho = outputExtent(h, kh, spec.stride[0], spec.padding[0] + spec.padding[1], spec.dilation[0]);
    const wo = outputExtent(w, kw, spec.stride[1], spec.padding[2] + spec.padding[3], spec.dilation[1]);
    const cOut = c * spec.channelMultiplier;
    res = r.residual(nhwc ? ((n * ho + oh) * wo + ow) * cOut + co : ((n * cOut + co) * ho + oh) * wo + ow);
  }
  if (spec.residual === "before-activation") {
    value += res;
    magnitude += Math.abs(res);
  }
  if (spec.activation !== "none") {
    value = activate(spec.activation, value, spec.negativeSlope);
    magnitude = magnitude * activationSlopeBound(spec.activation, spec.negativeSlope) + Math.abs(value);
  }
  if (spec.residual === "after-activation") {
    value += res;
    magnitude += Math.abs(res);
  }
  return { value, magnitude };
}
function reference(r) {
  const shape = outputShape(r.spec, r.inputShape);
  const count = shape.reduce((a, b) => a * b, 1);
  const values = new Float64Array(count);
  const magnitudes = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    const [n, co, oh, ow] = outputCoords(r.spec, shape, k);
    const { value, magnitude } = referenceAt(r, n, co, oh, ow);
    values[k] = value;
    magnitudes[k] = magnitude;
  }
  return { values, magnitudes, shape };
}
function outputCoords(spec, outShape, flat) {
  const [, co, ho, wo] = logicalDims(spec, outShape);
  if (spec.layout === "NHWC") {
    const c2 = flat % co;
    const ow2 = Math.floor(flat / co) % wo;
    const oh2 = Math.floor(flat / (co * wo)) % ho;
    return [Math.floor(flat / (co * wo * ho)), c2, oh2, ow2];
  }
  const ow = flat % wo;
  const oh = Math.floor(flat / wo) % ho;
  const c = Math.floor(flat / (wo * ho)) % co;
  return [Math.floor(flat / (wo * ho * co)), c, oh, ow];
}

export {
  referenceAt,
  reference,
  outputCoords
};
