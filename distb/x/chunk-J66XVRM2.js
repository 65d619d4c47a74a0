import {
  SpecError
} from "./chunk-3MZWLH6H.js";

// dist/spec.js
var DTYPES = ["float32", "float16", "bfloat16"];
var LAYOUTS = ["NCHW", "NHWC"];
var ACTIVATIONS = ["none", "relu", "relu6", "leaky_relu", "silu", "gelu", "gelu_tanh", "hardswish", "sigmoid"];
var RESIDUALS = ["none", "after-activation", "before-activation"];
var DEFAULT_NEGATIVE_SLOPE = 0.01;
var FIELDS = ["kernelSize", "stride", "padding", "dilation", "channelMultiplier", "dtype", "outputDtype", "layout", "bias", "batchNorm", "activation", "negativeSlope", "residual", "pointwise"];
var POINTWISE_FIELDS = ["outChannels", "bias", "activation", "negativeSlope", "tf32"];
var MAX_POINTWISE_CHANNELS = 4096;
var LIMITS = {
  kernelSize: [1, 31],
  stride: [1, 8],
  padding: [0, 64],
  dilation: [1, 8],
  channelMultiplier: [1, 8]
};
function integerIn(field, value, [lo, hi]) {
  if (typeof value !== "number" || !Number.isInteger(value) || value < lo || value > hi) {
    throw new SpecError(field, value, `an integer from ${lo} to ${hi}`);
  }
  return value;
}
function pair(field, value) {
  const range = LIMITS[field];
  if (Array.isArray(value)) {
    if (value.length !== 2)
      throw new SpecError(field, value, `an integer or a pair [h, w] of integers from ${range[0]} to ${range[1]}`);
    return [integerIn(`${field}[0]`, value[0], range), integerIn(`${field}[1]`, value[1], range)];
  }
  const n = integerIn(field, value, range);
  return [n, n];
}
function oneOf(field, value, allowed) {
  if (typeof value !== "string" || !allowed.includes(value)) {
    throw new SpecError(field, value, allowed.map((a) => `'${a}'`).join(" | "));
  }
  return value;
}
function isPlainObject(value) {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
function normalizeSpec(input) {
  if (!isPlainObject(input))
    throw new SpecError("spec", input, "an object such as { kernelSize: 3 }");
  for (const key of Object.keys(input)) {
    if (!FIELDS.includes(key))
      throw new SpecError(`spec.${key}`, input[key], `known fields: ${FIELDS.join(", ")}`);
  }
  if (input.kernelSize === void 0)
    throw new SpecError("kernelSize", void 0, "an integer from 1 to 31 or a pair [kh, kw] (required)");
  const kernelSize = pair("kernelSize", input.kernelSize);
  const stride = pair("stride", input.stride ?? 1);
  const dilation = pair("dilation", input.dilation ?? 1);
  let padding;
  if (input.padding === "same") {
    if (stride[0] !== 1 || stride[1] !== 1)
      throw new SpecError("padding", "same", "'same' only with stride 1 (as in PyTorch)");
    const th = dilation[0] * (kernelSize[0] - 1);
    const tw = dilation[1] * (kernelSize[1] - 1);
    padding = [th >> 1, th - (th >> 1), tw >> 1, tw - (tw >> 1)];
  } else if (typeof input.padding === "string") {
    throw new SpecError("padding", input.padding, "an integer from 0 to 64, [ph, pw], [top, bottom, left, right], or 'same'");
  } else if (Array.isArray(input.padding) && input.padding.length === 4) {
    const p = input.padding;
    padding = [0, 1, 2, 3].map((i) => integerIn(`padding[${i}]`, p[i], LIMITS.padding));
  } else {
    const [ph, pw2] = pair("padding", input.padding ?? 0);
    padding = [ph, ph, pw2, pw2];
  }
  const channelMultiplier = integerIn("channelMultiplier", input.channelMultiplier ?? 1, LIMITS.channelMultiplier);
  const dtype = oneOf("dtype", input.dtype ?? "float32", DTYPES);
  const outputDtype = oneOf("outputDtype", input.outputDtype ?? dtype, DTYPES);
  const layout = oneOf("layout", input.layout ?? "NCHW", LAYOUTS);
  const bias = boolean("bias", input.bias);
  const batchNorm = boolean("batchNorm", input.batchNorm);
  const activation = oneOf("activation", input.activation ?? "none", ACTIVATIONS);
  const negativeSlope = slope(activation, input.negativeSlope);
  const residual = input.residual === true ? "after-activation" : input.residual === false ? "none" : oneOf("residual", input.residual ?? "none", RESIDUALS);
  const pw = input.pointwise === void 0 ? void 0 : pointwise(input.pointwise, dtype);
  if (pw && residual !== "none")
    throw new SpecError("residual", input.residual, "'none' with pointwise (a residual on the block's output is not supported)");
  return deepFreeze({
    kernelSize,
    stride,
    padding,
    dilation,
    channelMultiplier,
    dtype,
    ...outputDtype === dtype ? {} : { outputDtype },
    layout,
    bias,
    batchNorm,
    activation,
    ...negativeSlope === void 0 ? {} : { negativeSlope },
    residual,
    ...pw ? { pointwise: pw } : {}
  });
}
function pointwise(input, dtype) {
  if (!isPlainObject(input))
    throw new SpecError("pointwise", input, "{ outChannels, bias?, activation?, negativeSlope?, tf32? }");
  for (const key of Object.keys(input)) {
    if (!POINTWISE_FIELDS.includes(key))
      throw new SpecError(`pointwise.${key}`, input[key], `known fields: ${POINTWISE_FIELDS.join(", ")}`);
  }
  const outChannels = integerIn("pointwise.outChannels", input.outChannels, [1, MAX_POINTWISE_CHANNELS]);
  const bias = boolean("pointwise.bias", input.bias);
  const activation = oneOf("pointwise.activation", input.activation ?? "none", ACTIVATIONS);
  const negativeSlope = slope(activation, input.negativeSlope, "pointwise.negativeSlope");
  const tf32 = boolean("pointwise.tf32", input.tf32);
  if (tf32 && dtype !== "float32")
    throw new SpecError("pointwise.tf32", input.tf32, "false unless dtype is 'float32' (16-bit blocks multiply in their own type)");
  return { outChannels, bias, activation, ...negativeSlope === void 0 ? {} : { negativeSlope }, ...tf32 ? { tf32: true } : {} };
}
function boolean(field, value) {
  if (value !== void 0 && typeof value !== "boolean")
    throw new SpecError(field, value, "true | false");
  return value ?? false;
}
function slope(activation, value, field = "negativeSlope") {
  if (activation !== "leaky_relu") {
    if (value !== void 0)
      throw new SpecError(field, value, "no value unless activation is 'leaky_relu'");
    return void 0;
  }
  const v = value ?? DEFAULT_NEGATIVE_SLOPE;
  if (typeof v !== "number" || !Number.isFinite(v) || Math.abs(v) > 1e6)
    throw new SpecError(field, v, "a finite number of magnitude at most 1e6");
  return Math.fround(v);
}
function deepFreeze(value) {
  for (const v of Object.values(value))
    if (typeof v === "object" && v !== null)
      deepFreeze(v);
  return Object.freeze(value);
}
function outputDtypeOf(spec) {
  return spec.outputDtype ?? spec.dtype;
}
function canonicalJson(spec) {
  return JSON.stringify(spec, [...FIELDS, ...POINTWISE_FIELDS]);
}
function specTag(spec) {
  const [kh, kw] = spec.kernelSize;
  const [sh, sw] = spec.stride;
  const [pt, pb, pl, pr] = spec.padding;
  const [dh, dw] = spec.dilation;
  const short = { float32: "f32", float16: "f16", bfloat16: "bf16" };
  const dt = `${short[spec.dtype]}${spec.outputDtype ? `to${short[spec.outputDtype]}` : ""}`;
  return `k${kh}x${kw}_s${sh}x${sw}_p${pt}_${pb}_${pl}_${pr}_d${dh}x${dw}_m${spec.channelMultiplier}_${dt}_${spec.layout.toLowerCase()}${epilogueTag(spec)}`;
}
function slopeTag(slope2) {
  if (slope2 === void 0 || slope2 === Math.fround(DEFAULT_NEGATIVE_SLOPE))
    return "";
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, slope2);
  return `_n${view.getUint32(0).toString(16).padStart(8, "0")}`;
}
function epilogueTag(spec) {
  const res = { none: "", "after-activation": "_res", "before-activation": "_preres" }[spec.residual];
  const act = spec.activation === "none" ? "" : `_${spec.activation}${slopeTag(spec.negativeSlope)}`;
  const pw = spec.pointwise;
  const block = pw ? `_pw${pw.outChannels}${pw.tf32 ? "_tf32" : ""}${pw.bias ? "_bias" : ""}${pw.activation === "none" ? "" : `_${pw.activation}${slopeTag(pw.negativeSlope)}`}` : "";
  return `${spec.bias ? "_bias" : ""}${spec.batchNorm ? "_bn" : ""}${spec.residual === "before-activation" ? res : ""}${act}${spec.residual === "after-activation" ? res : ""}${block}`;
}
function describeSpec(spec) {
  const [kh, kw] = spec.kernelSize;
  const [pt, pb, pl, pr] = spec.padding;
  const pad = pt === pb && pl === pr ? pt === pl ? `${pt}` : `${pt}x${pl}` : `${pt},${pb},${pl},${pr}`;
  return `${kh}x${kw} stride ${spec.stride.join("x")} pad ${pad} dilation ${spec.dilation.join("x")}${spec.channelMultiplier > 1 ? ` x${spec.channelMultiplier} channels` : ""} ${spec.dtype}${spec.outputDtype ? ` -> ${spec.outputDtype}` : ""} ${spec.layout}${describeEpilogue(spec)}`;
}
function describeEpilogue(spec) {
  const act = spec.activation === "none" ? "" : ` ${spec.activation}${spec.negativeSlope === void 0 ? "" : `(${spec.negativeSlope})`}`;
  const pre = spec.residual === "before-activation" ? " +residual" : "";
  const post = spec.residual === "after-activation" ? " +residual" : "";
  const pw = spec.pointwise;
  const block = pw ? ` -> 1x1${pw.tf32 ? " (tf32)" : ""} to ${pw.outChannels}${pw.bias ? " +bias" : ""}${pw.activation === "none" ? "" : ` ${pw.activation}${pw.negativeSlope === void 0 ? "" : `(${pw.negativeSlope})`}`}` : "";
  return `${spec.bias ? " +bias" : ""}${spec.batchNorm ? " +bn" : ""}${pre}${act}${post}${block}`;
}
function logicalDims(spec, shape) {
  const [a, b, c, d] = shape;
  return spec.layout === "NHWC" ? [a, d, b, c] : [a, b, c, d];
}
function inLayout(spec, [n, c, h, w]) {
  return spec.layout === "NHWC" ? [n, h, w, c] : [n, c, h, w];
}
function weightShape(spec, channels) {
  return [channels * spec.channelMultiplier, 1, spec.kernelSize[0], spec.kernelSize[1]];
}
function pointwiseWeightShape(pointwise2, spec, channels) {
  return [pointwise2.outChannels, channels * spec.channelMultiplier, 1, 1];
}
function channelsOf(spec, shape) {
  return shape[spec.layout === "NHWC" ? 3 : 1];
}
function outputShape(spec, inputShape) {
  const [n, c, h, w] = logicalDims(spec, checkShape("inputShape", inputShape, spec.layout));
  const ho = outputExtent(h, spec.kernelSize[0], spec.stride[0], spec.padding[0] + spec.padding[1], spec.dilation[0]);
  const wo = outputExtent(w, spec.kernelSize[1], spec.stride[1], spec.padding[2] + spec.padding[3], spec.dilation[1]);
  if (ho < 1 || wo < 1) {
    throw new SpecError("inputShape", inputShape, `H and W large enough for a non-empty output with this ${spec.kernelSize.join("x")} kernel (output would be ${ho}x${wo})`);
  }
  return inLayout(spec, [n, spec.pointwise?.outChannels ?? c * spec.channelMultiplier, ho, wo]);
}
function outputExtent(size, k, s, padTotal, d) {
  return Math.floor((size + padTotal - d * (k - 1) - 1) / s) + 1;
}
var MAX_DIM = 2 ** 31 - 1;
function checkShape(field, shape, layout = "NCHW") {
  if (!Array.isArray(shape) || shape.length !== 4)
    throw new SpecError(field, shape, `[${layout.split("").join(", ")}] with 4 positive integers`);
  const dims = shape.map((d, i) => integerIn(`${field}[${i}]`, d, [1, MAX_DIM]));
  const total = dims.reduce((a, b) => a * b, 1);
  if (total > Number.MAX_SAFE_INTEGER)
    throw new SpecError(field, shape, "at most 2^53 elements");
  return dims;
}

export {
  DTYPES,
  LAYOUTS,
  ACTIVATIONS,
  RESIDUALS,
  MAX_POINTWISE_CHANNELS,
  LIMITS,
  normalizeSpec,
  outputDtypeOf,
  canonicalJson,
  specTag,
  describeSpec,
  logicalDims,
  inLayout,
  weightShape,
  pointwiseWeightShape,
  channelsOf,
  outputShape,
  outputExtent,
  checkShape
};
