import {
  canonicalJson,
  outputDtypeOf,
  specTag
} from "./chunk-J66XVRM2.js";
import {
  ABI_VERSION,
  PACKAGE_VERSION
} from "./chunk-X43GYYD5.js";
import {
  SpecError
} from "./chunk-3MZWLH6H.js";

// dist/dtype.js
var DTYPE_BYTES = { float32: 4, float16: 2, bfloat16: 2 };
function float32BitsToFloat16(bits) {
  const sign = bits >>> 16 & 32768;
  let x = bits & 2147483647;
  if (x > 2139095040)
    return sign | 32256;
  if (x >= 1199570944)
    return sign | 31744;
  if (x < 947912704) {
    scratchF32[0] = f32FromBits(x) + 0.5;
    return sign | scratchU32[0] - 1056964608;
  }
  x = x + 3355447295 + (x >>> 13 & 1) >>> 0;
  return sign | x >>> 13;
}
function float16BitsToFloat32(h) {
  const sign = (h & 32768) << 16;
  const exp = h >>> 10 & 31;
  const man = h & 1023;
  if (exp === 31)
    return (sign | 2139095040 | man << 13) >>> 0;
  if (exp !== 0)
    return (sign | exp + 112 << 23 | man << 13) >>> 0;
  if (man === 0)
    return sign >>> 0;
  scratchF32[0] = man * 5960464477539063e-23;
  return (sign | scratchU32[0]) >>> 0;
}
function float32BitsToBfloat16(bits) {
  if ((bits & 2147483647) > 2139095040)
    return 32704;
  return bits + 32767 + (bits >>> 16 & 1) >>> 16 & 65535;
}
var scratchF32 = new Float32Array(1);
var scratchU32 = new Uint32Array(scratchF32.buffer);
function f32FromBits(bits) {
  scratchU32[0] = bits;
  return scratchF32[0];
}
function encode(values, dtype) {
  if (dtype === "float32")
    return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  const convert = dtype === "bfloat16" ? float32BitsToBfloat16 : float32BitsToFloat16;
  for (let i = 0; i < bits.length; i++)
    out[i] = convert(bits[i]);
  return new Uint8Array(out.buffer);
}
function decode(bytes, dtype) {
  if (dtype === "float32")
    return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const halves = new Uint16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const out = new Float32Array(halves.length);
  const outBits = new Uint32Array(out.buffer);
  if (dtype === "bfloat16")
    for (let i = 0; i < halves.length; i++)
      outBits[i] = halves[i] << 16;
  else
    for (let i = 0; i < halves.length; i++)
      outBits[i] = float16BitsToFloat32(halves[i]);
  return out;
}
function roundTo(values, dtype) {
  return dtype === "float32" ? values : decode(encode(values, dtype), dtype);
}

// dist/codegen/epilogue.js
function floatLiteral(value) {
  const v2 = Math.fround(value);
  if (!Number.isFinite(v2))
    throw new Error(`not a finite float: ${value}`);
  return `${v2.toPrecision(9)}f`;
}
var QUALIFIER = { cuda: "[[maybe_unused]] __device__ __forceinline__", cpu: "static inline" };
function activationExpr(activation, target, negativeSlope) {
  const fn = (name) => target === "cuda" ? `${name}f` : `std::${name}`;
  switch (activation) {
    case "none":
      return "z";
    // Written as z < 0 ? ... : z so that NaN passes through, as in PyTorch.
    case "relu":
      return "z < 0.f ? 0.f : z";
    case "relu6":
      return "z < 0.f ? 0.f : (z > 6.f ? 6.f : z)";
    case "leaky_relu":
      return `z < 0.f ? z * ${floatLiteral(negativeSlope ?? 0.01)} : z`;
    // On CUDA the hardware exp2 and divide (a few ulp, far inside the fp32 tolerance): docs/perf.md measured the
    // full-precision forms at 5.3% over the plain kernel, against a 5% budget.
    case "silu":
      return target === "cuda" ? "__fdividef(z, 1.f + __expf(-z))" : `z / (1.f + ${fn("exp")}(-z))`;
    case "gelu":
      return `0.5f * z * (1.f + ${fn("erf")}(z * 0.707106781f))`;
    // CUDA: CUDA_GELU (activationStatements)
    case "gelu_tanh":
      return `0.5f * z * (1.f + ${fn("tanh")}(0.797884561f * (z + 0.044715f * z * z * z)))`;
    // PyTorch computes z * relu6(z + 3) / 6: below -3 that is z * 0, which is -0 for finite z and NaN for -inf.
    case "hardswish":
      return "z <= -3.f ? z * 0.f : (z >= 3.f ? z : z * (z + 3.f) * (1.f / 6.f))";
    case "sigmoid":
      return target === "cuda" ? "__fdividef(1.f, 1.f + __expf(-z))" : `1.f / (1.f + ${fn("exp")}(-z))`;
  }
}
var CUDA_GELU = [
  "  {  // gelu, erf form: z * Phi(z), Phi from erfc(|z|/sqrt 2) (Abramowitz & Stegun 7.1.26)",
  "    const float u = fabsf(z) * 0.707106781f;",
  "    const float t = __fdividef(1.f, fmaf(0.327591091f, u, 1.f));",
  "    float p = fmaf(1.06140542f, t, -1.45315206f);",
  "    p = fmaf(p, t, 1.42141378f);",
  "    p = fmaf(p, t, -0.284496725f);",
  "    p = fmaf(p, t, 0.254829586f);",
  "    const float half_erfc = 0.5f * p * t * __expf(-u * u);",
  "    z *= z < 0.f ? half_erfc : 1.f - half_erfc;",
  "  }"
];
function activationStatements(activation, target, negativeSlope) {
  if (activation === "none")
    return [];
  if (activation === "gelu" && target === "cuda")
    return CUDA_GELU;
  return [`  z = ${activationExpr(activation, target, negativeSlope)};`];
}
function epilogueFunction(spec, target) {
  const fma = target === "cuda" ? "fmaf" : "std::fma";
  const body = [];
  if (spec.bias && spec.batchNorm)
    body.push(`  z = ${fma}(z, scale, ${fma}(bias, scale, shift));`);
  else if (spec.bias)
    body.push("  z += bias;");
  else if (spec.batchNorm)
    body.push(`  z = ${fma}(z, scale, shift);`);
  if (spec.residual === "before-activation")
    body.push("  z += res;");
  body.push(...activationStatements(spec.activation, target, spec.negativeSlope));
  if (spec.residual === "after-activation")
    body.push("  z += res;");
  const unused = ["bias", "scale", "shift", "res"].map((n) => `(void)${n};`).join(" ");
  return [
    `// Epilogue: ${describeEpilogueOrder(spec)}.`,
    `${QUALIFIER[target]} float epilogue(float z, float bias, float scale, float shift, float res) {`,
    `  ${unused}`,
    ...body,
    "  return z;",
    "}"
  ].join("\n");
}
function describeEpilogueOrder(spec) {
  const steps = [
    spec.bias && "bias",
    spec.batchNorm && "scale and shift",
    spec.residual === "before-activation" && "residual",
    spec.activation !== "none" && spec.activation,
    spec.residual === "after-activation" && "residual"
  ].filter(Boolean);
  return steps.length ? steps.join(", then ") : "none";
}
function hasEpilogue(spec) {
  return spec.bias || spec.batchNorm || spec.activation !== "none" || spec.residual !== "none";
}
function pointwiseEpilogueFunction(spec, target) {
  const pw = spec.pointwise;
  if (!pw)
    return "";
  return [
    `// Pointwise epilogue: ${[pw.bias && "bias", pw.activation !== "none" && pw.activation].filter(Boolean).join(", then ") || "none"}.`,
    `${QUALIFIER[target]} float pw_epilogue(float z, float bias) {`,
    "  (void)bias;",
    ...pw.bias ? ["  z += bias;"] : [],
    ...activationStatements(pw.activation, target, pw.negativeSlope),
    "  return z;",
    "}"
  ].join("\n");
}

// dist/codegen/common.js
var MAX_UNROLLED_TAPS = 49;
function symbolOf(spec, target) {
  return `dwconv_${target}_${specTag(spec)}`;
}
function templateContext(spec, target) {
  const symbol = symbolOf(spec, target);
  const [kh, kw] = spec.kernelSize;
  const [sh, sw] = spec.stride;
  const [pt, pb, pl, pr] = spec.padding;
  const [dh, dw] = spec.dilation;
  const info = JSON.stringify({ abi: ABI_VERSION, version: PACKAGE_VERSION, target, symbol, spec: JSON.parse(canonicalJson(spec)) });
  return {
    symbol,
    version: PACKAGE_VERSION,
    specJson: canonicalJson(spec),
    // The spec holds only validated numbers and enums, so its JSON is plain ASCII: JSON string escaping is valid C.
    infoLiteral: JSON.stringify(info),
    kh,
    kw,
    sh,
    sw,
    pt,
    pl,
    dh,
    dw,
    padH: pt + pb,
    padW: pl + pr,
    multiplier: spec.channelMultiplier,
    dtype: spec.dtype,
    outputDtype: outputDtypeOf(spec),
    // The output's storage type differs from the input's: out_t apart from storage_t, scalar stores.
    outputCast: outputDtypeOf(spec) !== spec.dtype,
    layout: spec.layout,
    bias: spec.bias,
    batchNorm: spec.batchNorm,
    residual: spec.residual !== "none",
    epilogue: epilogueFunction(spec, target),
    pointwise: spec.pointwise ? { ...spec.pointwise, epilogue: pointwiseEpilogueFunction(spec, target) } : false
  };
}

// dist/plan/expr.js
var lift = (e) => typeof e === "number" ? { op: "const", value: e } : e;
var binary = (op) => (a, b) => ({ op, a: lift(a), b: lift(b) });
var num = (value) => ({ op: "const", value });
var v = (name) => ({ op: "var", name });
var add = binary("add");
var sub = binary("sub");
var mul = binary("mul");
var div = binary("div");
var ceilDiv = binary("ceilDiv");
var mod = binary("mod");
var min = binary("min");
var max = binary("max");
var lt = binary("lt");
var le = binary("le");
var eq = binary("eq");
var ne = binary("ne");
var ge = binary("ge");
var gt = binary("gt");
var and = (...args) => ({ op: "and", args: args.map(lift) });
var not = (a) => ({ op: "not", a: lift(a) });
var TRUE = num(1);
var divides = (b, a) => eq(mod(a, b), 0);
var truth = (x) => x ? 1n : 0n;
function evaluate(e, vars) {
  switch (e.op) {
    case "const":
      return BigInt(e.value);
    case "var":
      return vars[e.name];
    case "and":
      return truth(e.args.every((x) => evaluate(x, vars) !== 0n));
    case "or":
      return truth(e.args.some((x) => evaluate(x, vars) !== 0n));
    case "not":
      return truth(evaluate(e.a, vars) === 0n);
    default: {
      const a = evaluate(e.a, vars), b = evaluate(e.b, vars);
      switch (e.op) {
        case "add":
          return a + b;
        case "sub":
          return a - b;
        case "mul":
          return a * b;
        case "div":
          return a / b;
        case "ceilDiv":
          return (a + b - 1n) / b;
        case "mod":
          return a % b;
        case "min":
          return a < b ? a : b;
        case "max":
          return a > b ? a : b;
        case "lt":
          return truth(a < b);
        case "le":
          return truth(a <= b);
        case "eq":
          return truth(a === b);
        case "ne":
          return truth(a !== b);
        case "ge":
          return truth(a >= b);
        case "gt":
          return truth(a > b);
      }
    }
  }
}
var holds = (e, vars) => evaluate(e, vars) !== 0n;

// dist/codegen/family.js
var THREADS = 128;
function planeTiles(spec, tileW, tileH) {
  return { axes: [{ size: tileW, extent: v("Wo") }, { size: tileH, extent: v("Ho") }, { size: 1, extent: mul(v("C"), spec.channelMultiplier) }], images: v("N") };
}

// dist/codegen/footprint.js
var lift2 = (e) => typeof e === "number" ? num(e) : e;
function tileAxis(axis, step, first, span, extent2, more = {}) {
  const axisRead = { axis, step, first: lift2(first), span: lift2(span), extent: extent2, outside: more.outside ?? "masked", align: more.align ?? 1, unit: more.unit ?? "pixels" };
  return more.slack ? { ...axisRead, slack: more.slack } : axisRead;
}
function pixelAxis(stride, pad, k, dilation, extent2, outside) {
  return { step: stride, first: num(-pad), span: num((k - 1) * dilation + 1), extent: extent2, outside, align: 1, unit: "pixels" };
}
function columnsRead(spec, tileW) {
  const cols = /* @__PURE__ */ new Set();
  for (let t = 0; t < tileW; t++)
    for (let s = 0; s < spec.kernelSize[1]; s++)
      cols.add(t * spec.stride[1] + s * spec.dilation[1]);
  return [...cols].sort((a, b) => a - b);
}

// dist/codegen/plan-prologue.js
var INT_MAX = 2 ** 31 - 1;
var aligned16 = (low) => divides(16, v(low));
function extent(input, k, stride, pad, dilation) {
  return add(div(sub(add(input, pad), dilation * (k - 1) + 1), stride), 1);
}
function planPrologue(spec) {
  const [kh, kw] = spec.kernelSize;
  const [sh, sw] = spec.stride;
  const [dh, dw] = spec.dilation;
  const padH = spec.padding[0] + spec.padding[1];
  const padW = spec.padding[2] + spec.padding[3];
  const requiredPointers = ["x", "w", "y"];
  if (spec.bias)
    requiredPointers.push("b");
  if (spec.batchNorm)
    requiredPointers.push("scale", "shift");
  if (spec.residual !== "none")
    requiredPointers.push("r");
  if (spec.pointwise)
    requiredPointers.push("pw", ...spec.pointwise.bias ? ["pb"] : []);
  return {
    requiredPointers,
    Ho: extent(v("H"), kh, sh, padH, dh),
    Wo: extent(v("W"), kw, sw, padW, dw),
    checks: [
      and(ge(v("N"), 1), ge(v("C"), 1), ge(v("H"), 1), ge(v("W"), 1)),
      and(ge(add(v("H"), padH), dh * (kh - 1) + 1), ge(add(v("W"), padW), dw * (kw - 1) + 1)),
      // Tile indices and the kernels' (int) arguments; 64 spare for a tile past the last output.
      and(le(v("H"), INT_MAX), le(v("W"), INT_MAX), le(v("Ho"), INT_MAX - 64), le(v("Wo"), INT_MAX - 64), le(mul(v("C"), spec.channelMultiplier), INT_MAX))
    ]
  };
}

// dist/codegen/cuda-nhwc.js
var MAX_FLOATS = 48;
function nhwcVector(spec) {
  return spec.channelMultiplier === 1 ? 16 / DTYPE_BYTES[spec.dtype] : 1;
}
function nhwcVectors(spec) {
  const full = nhwcVector(spec);
  return full > 1 ? [full, full / 2] : [1];
}
var MAX_FLOATS_TALL = 80;
function defaultNhwcTile(spec) {
  const tall = spec.kernelSize[0] >= 7;
  const vec = spec.dtype === "float32" || tall ? nhwcVector(spec) : nhwcVectors(spec).at(-1);
  const bound = tall ? MAX_FLOATS_TALL : MAX_FLOATS;
  const tileW = [4, 2].find((tw) => columnsRead(spec, tw).length * vec <= bound) ?? 1;
  return { tileH: tall ? 1 : 2, tileW, vec };
}
function openRow(ih, cols, ind) {
  return [
    `${ind}  const int ih = ${ih};`,
    `${ind}  if ((unsigned)ih < (unsigned)H) {`,
    `${ind}    const storage_t* xr = xn + (i64)ih * W * C + ci0;`,
    ...cols.flatMap((c) => [`${ind}    float c${c}[VEC];`, `${ind}    load_column<VEC>(xr, iw0 + ${c}, W, C, c${c});`])
  ];
}
function rowTaps(spec, tileW, i, weight, label, ind) {
  const [, kw] = spec.kernelSize;
  const lines = [];
  for (let s = 0; s < kw; s++) {
    lines.push(`${ind}    {${label(s)}`, `${ind}      float wv[VEC];`, `${ind}#pragma unroll`);
    lines.push(`${ind}      for (int v = 0; v < VEC; ++v) wv[v] = load_x(w + (i64)(co0 + v) * (KH * KW) + ${weight(s)});`);
    for (let t = 0; t < tileW; t++) {
      lines.push(`${ind}#pragma unroll`);
      lines.push(`${ind}      for (int v = 0; v < VEC; ++v) acc[${i}][${t}][v] = fmaf(wv[v], c${t * spec.stride[1] + s * spec.dilation[1]}[v], acc[${i}][${t}][v]);`);
    }
    lines.push(`${ind}    }`);
  }
  return lines;
}
function rolledRows(spec, tileH, tileW, cols) {
  const rows = ["  #pragma unroll 1", "  for (int r = 0; r < KH; ++r) {"];
  for (let i = 0; i < tileH; i++) {
    rows.push(`    {  // output row ${i}`, ...openRow(`ih0 + ${i} * SH + r * DH`, cols, "    "));
    rows.push(...rowTaps(spec, tileW, i, (s) => `r * KW + ${s}`, () => "", "    "), "      }", "    }");
  }
  rows.push("  }");
  return rows;
}
function nhwcParts(spec, symbol, tileH, tileW, vec) {
  const [kh, kw] = spec.kernelSize;
  const [sh] = spec.stride;
  const [dh] = spec.dilation;
  const cols = columnsRead(spec, tileW);
  const ind = "  ";
  const feeds = /* @__PURE__ */ new Map();
  for (let i = 0; i < tileH; i++)
    for (let r = 0; r < kh; r++)
      feeds.set(i * sh + r * dh, [...feeds.get(i * sh + r * dh) ?? [], [i, r]]);
  const rows = [];
  if (kh * kw > MAX_UNROLLED_TAPS)
    rows.push(...rolledRows(spec, tileH, tileW, cols));
  else
    for (const j of [...feeds.keys()].sort((a, b) => a - b)) {
      rows.push(`${ind}{  // input row ih0 + ${j}`, ...openRow(`ih0 + ${j}`, cols, ind));
      for (const [i, r] of feeds.get(j))
        rows.push(...rowTaps(spec, tileW, i, (s) => `${r * kw + s}`, (s) => `  // output row ${i}, tap (${r}, ${s})`, ind));
      rows.push(`${ind}  }`, `${ind}}`);
    }
  const offsets = [...feeds.keys()];
  const footprint = {
    by: "tile",
    rows: tileAxis(2, tileH * sh, -spec.padding[0], Math.max(...offsets) + 1, v("H")),
    cols: tileAxis(1, tileW * spec.stride[1], -spec.padding[2], cols[cols.length - 1] + 1, v("W"))
  };
  const res = spec.residual !== "none";
  const vectorEntry = vec > 1 && outputDtypeOf(spec) === spec.dtype;
  const entries = [...vectorEntry ? [{ name: `${symbol}_nhwc_${vec}`, vec }] : [], { name: `${symbol}_nhwc_1`, vec: 1 }];
  return { vec, tileW, tileH, taps: rows.join("\n"), epilogue: hasEpilogue(spec), residual: res, entries, footprint };
}
var nhwcFamily = {
  id: "nhwc",
  label: "nhwc",
  template: "nhwc",
  launchRank: 1,
  threads: THREADS,
  build(spec, variant, symbol) {
    if (spec.layout !== "NHWC" || spec.pointwise)
      return false;
    const tile = variant?.kernel === "nhwc" ? { tileH: variant.tileH, tileW: variant.tileW, vec: variant.vec } : defaultNhwcTile(spec);
    const parts = nhwcParts(spec, symbol, tile.tileH, tile.tileW, tile.vec);
    const aligned = and(aligned16("xLow"), aligned16("yLow"), aligned16("rLow"));
    return {
      parts,
      variant: { nhwcTileW: parts.tileW, nhwcTileH: parts.tileH, nhwcVector: parts.vec },
      entries: () => parts.entries.map((e) => ({
        name: e.name,
        scope: "nhwc",
        when: e.vec === 1 ? TRUE : and(divides(e.vec, v("C")), aligned),
        threads: THREADS,
        tilesPerBlock: THREADS,
        // The vector entry takes whole vectors of channels only (its condition), so the channel tiles are exact.
        grid: { axes: [{ size: e.vec, extent: mul(v("C"), spec.channelMultiplier) }, { size: parts.tileW, extent: v("Wo") }, { size: parts.tileH, extent: v("Ho") }], images: v("N") },
        sharedBytes: num(0),
        maxSharedBytes: 0,
        takesPixels: false,
        footprint: parts.footprint
      }))
    };
  }
};

// dist/codegen/cuda-ring.js
var RING_SEGMENT = 64;
function ringSegment(spec) {
  const [pt, pb] = spec.padding;
  return spec.dtype !== "float32" && spec.kernelSize[0] === 3 && spec.dilation[0] === 1 && pt === 0 && pb === 0 ? 16 : RING_SEGMENT;
}
var RING_TILE_H = 4;
var RING_STAGES = 0;
var REGISTER_WEIGHTS_MAX_TAPS = 49;
var RING_MIN_WO = 256;
var MAX_SPAN = 30;
function ringFits(spec) {
  const [kh, kw] = spec.kernelSize;
  const [dh, dw] = spec.dilation;
  return spec.layout === "NCHW" && spec.stride[0] === 1 && spec.stride[1] === 1 && (kh - 1) * dh <= MAX_SPAN && (kw - 1) * dw <= MAX_SPAN;
}
function ringApplies(spec) {
  const [kh, kw] = spec.kernelSize;
  return ringFits(spec) && (spec.dtype !== "float32" || kh * kw >= 25);
}
function ringMinFill(spec) {
  const [kh, kw] = spec.kernelSize;
  return spec.dtype !== "float32" && kh * kw <= 49 ? 3 : 0;
}
function ringMinBlocks(spec) {
  const [kh, kw] = spec.kernelSize;
  return spec.dtype !== "float32" && kh * kw <= 9 && !hasEpilogue(spec) ? 8 : 0;
}
function ringTakes(ring) {
  const Wo = v("Wo");
  return and(divides(ring.vec, v("W")), aligned16("xLow"), ge(Wo, ring.minWo), ge(mul(4, Wo), mul(ring.minFill, mul(ceilDiv(Wo, ring.cols), ring.cols))));
}
function ringParts(spec, tileH, symbol, lanes, pinned) {
  const [kh, kw] = spec.kernelSize;
  const [dh, dw] = spec.dilation;
  const pl = spec.padding[2];
  const vec = 16 / DTYPE_BYTES[spec.dtype];
  const a = Math.ceil(pl / vec) * vec;
  const o = a - pl;
  const quadsRead = Math.ceil((o + 4 + (kw - 1) * dw) / 4);
  const row = Math.ceil(4 * (lanes + quadsRead - 1) / vec) * vec;
  const rows = tileH + (kh - 1) * dh;
  const registerWeights = kh * kw <= REGISTER_WEIGHTS_MAX_TAPS;
  const stages = RING_STAGES;
  const smem = 4 * (rows * row + (registerWeights ? 0 : kh * Math.ceil(kw / 4) * 4)) + stages * tileH * (row / vec) * 16;
  const segment = ringSegment(spec);
  const cols = 4 * lanes;
  const footprint = {
    by: "tile",
    rows: tileAxis(1, segment, -spec.padding[0], rows - tileH + Math.ceil(segment / tileH) * tileH, v("H")),
    cols: tileAxis(0, cols, -a, row, v("W"), { align: vec })
  };
  return {
    name: `${symbol}_ring`,
    vec,
    stages,
    tileH,
    segment,
    minBlocks: ringMinBlocks(spec),
    registerWeights,
    smem,
    minWo: pinned ? 1 : RING_MIN_WO,
    /** Quarters of its strips' columns a row must fill for the launcher to take the ring (0: any). */
    minFill: pinned ? 0 : ringMinFill(spec),
    /** Output columns of a strip: the grid's first extent is Wo / cols rounded up. */
    cols,
    footprint
  };
}
var ringFamily = {
  id: "ring",
  label: "ring",
  template: "ring",
  launchRank: 0,
  threads: THREADS,
  build(spec, variant, symbol) {
    if (spec.layout !== "NCHW" || spec.pointwise || !(variant ? variant.kernel === "ring" : ringApplies(spec)))
      return false;
    const parts = ringParts(spec, variant?.tileH ?? RING_TILE_H, symbol, THREADS, variant !== void 0);
    return {
      parts,
      variant: { ringTileH: parts.tileH },
      entries: () => [{
        name: parts.name,
        scope: "ring",
        when: ringTakes(parts),
        threads: THREADS,
        tilesPerBlock: 1,
        grid: { axes: [{ size: parts.cols, extent: v("Wo") }, { size: parts.segment, extent: v("Ho") }, { size: 1, extent: mul(v("C"), spec.channelMultiplier) }], images: v("N") },
        sharedBytes: num(parts.smem),
        maxSharedBytes: parts.smem,
        takesPixels: false,
        footprint: parts.footprint
      }]
    };
  }
};

// dist/codegen/cuda-ring-any.js
var RING_ANY_TILE_H = 4;
var TAIL_MAX = 32;
var MAX_SIDE = 7;
function ringAnyFits(spec) {
  const [kh, kw] = spec.kernelSize;
  return spec.layout === "NCHW" && !spec.pointwise && spec.stride[0] === 1 && spec.stride[1] === 1 && spec.dilation[0] === 1 && spec.dilation[1] === 1 && kh <= MAX_SIDE && kw <= MAX_SIDE;
}
function ringAnyMinFill(spec) {
  const [kh, kw] = spec.kernelSize;
  return kh * kw <= 9 ? 3 : 2;
}
function ringAnyMinBlocks(spec) {
  const [kh, kw] = spec.kernelSize;
  const residual = spec.residual !== "none";
  if (spec.dtype === "float32")
    return kh * kw > 25 || residual ? 5 : 8;
  return kh * kw <= 25 ? 8 : residual ? 6 : 7;
}
var MAX_W = 2 ** 30;
function ringAnyParts(spec, tileH, symbol, lanes, pinned) {
  const [kh, kw] = spec.kernelSize;
  const [pt, , pl, pr] = spec.padding;
  const half = DTYPE_BYTES[spec.dtype] === 2;
  const a = Math.ceil(pl / 4) * 4;
  const o = a - pl;
  const quadsRead = Math.ceil((o + 4 + kw - 1) / 4);
  const row = 4 * (lanes + quadsRead - 1);
  const slot = row + 8;
  const rows = tileH + kh - 1;
  const segment = ringSegment(spec);
  const smem = 4 * Math.max(rows * slot, (segment + kh - 1) * (TAIL_MAX + kw - 1));
  const cols = 4 * lanes;
  const slack = half ? 1 : 0;
  const footprint = {
    by: "tile",
    rows: tileAxis(1, segment, -pt, rows - tileH + Math.ceil(segment / tileH) * tileH, v("H")),
    cols: tileAxis(0, cols, -a - slack, row + 2 * slack, v("W"), { align: 4, slack, outside: "unmasked" })
  };
  const minFill = pinned ? 0 : ringAnyMinFill(spec);
  return {
    name: `${symbol}_ring_any`,
    tileH,
    segment,
    smem,
    cols,
    tailMax: TAIL_MAX,
    padded: pl > 0 || pr > 0,
    minBlocks: ringAnyMinBlocks(spec),
    minFill,
    footprint
  };
}
function ringAnyTakes(parts) {
  const Wo = v("Wo");
  const strips = ceilDiv(max(sub(Wo, parts.tailMax), 1), parts.cols);
  return and(le(v("W"), MAX_W), ge(mul(4, Wo), mul(parts.minFill * parts.cols, strips)));
}
var RING_ANY_IN_DEFAULT_SOURCES = false;
var ringAnyFamily = {
  id: "ringAny",
  label: "ring (any width)",
  template: "ring-any",
  launchRank: 1.5,
  threads: THREADS,
  build(spec, variant, symbol) {
    if (!ringAnyFits(spec) || (variant !== void 0 ? variant.kernel !== "ringAny" : !RING_ANY_IN_DEFAULT_SOURCES))
      return false;
    const parts = ringAnyParts(spec, variant?.tileH ?? RING_ANY_TILE_H, symbol, THREADS, variant !== void 0);
    return {
      parts,
      variant: { ringAnyTileH: parts.tileH },
      entries: () => [{
        name: parts.name,
        scope: "ring_any",
        when: ringAnyTakes(parts),
        threads: THREADS,
        tilesPerBlock: 1,
        grid: { axes: [{ size: parts.cols, extent: v("Wo") }, { size: parts.segment, extent: v("Ho") }, { size: 1, extent: mul(v("C"), spec.channelMultiplier) }], images: v("N") },
        sharedBytes: num(parts.smem),
        maxSharedBytes: parts.smem,
        takesPixels: false,
        footprint: parts.footprint
      }]
    };
  }
};

// dist/codegen/cuda-ring-nhwc.js
var MAX_TAPS = 9;
var STAGES = 2;
function ringNhwcFits(spec) {
  const [kh, kw] = spec.kernelSize;
  return spec.layout === "NHWC" && spec.stride[0] === 1 && spec.stride[1] === 1 && spec.channelMultiplier === 1 && kh * kw <= MAX_TAPS;
}
function ringNhwcApplies(spec) {
  return ringNhwcFits(spec) && ringNhwcParts(spec, RING_TILE_H, "", THREADS, false).maxSmem <= SHARED_OPTIN_FLOOR;
}
var SHARED_OPTIN_FLOOR = 99 * 1024;
function ringNhwcParts(spec, tileH, symbol, lanes, pinned) {
  const [kh] = spec.kernelSize;
  const cols = 4 * lanes;
  const rows = tileH + (kh - 1) * spec.dilation[0];
  const vec = 16 / DTYPE_BYTES[spec.dtype];
  const maxVecs = 2 * cols / vec;
  return {
    name: `${symbol}_ring_nhwc`,
    tileH,
    stages: STAGES,
    segment: RING_SEGMENT,
    rows,
    vec,
    cols,
    /** The shared memory of the longest ring row (maxVecs vectors): the launcher allows it once. */
    maxSmem: maxVecs * ringBytesPerVector({ rows, stages: STAGES, tileH, vec }),
    /** Output elements (Wo * C) a row needs before the default launcher takes the ring: one strip. */
    minElems: pinned ? 1 : cols
  };
}
function ringNhwcLaunch(spec, ring) {
  const pl = spec.padding[2];
  const [, kw] = spec.kernelSize;
  const dw = spec.dilation[1];
  const C = v("C");
  const a = mul(ceilDiv(mul(pl, C), ring.vec), ring.vec);
  const o = sub(a, mul(pl, C));
  const vecs = ceilDiv(add(add(o, ring.cols), mul((kw - 1) * dw, C)), ring.vec);
  const when = and(divides(4, C), divides(ring.vec, mul(v("W"), C)), ge(mul(v("Wo"), C), ring.minElems), aligned16("xLow"), le(C, 65536), le(mul(v("W"), C), INT_MAX - ring.cols), le(vecs, 2 * ring.cols / ring.vec));
  const footprint = {
    by: "tile",
    rows: tileAxis(1, ring.segment, -spec.padding[0], ring.rows - ring.tileH + Math.ceil(ring.segment / ring.tileH) * ring.tileH, v("H")),
    cols: tileAxis(0, ring.cols, sub(0, a), mul(vecs, ring.vec), mul(v("W"), C), { align: ring.vec, unit: "elements" })
  };
  return { when, sharedBytes: mul(vecs, ringBytesPerVector(ring)), footprint };
}
function ringBytesPerVector(ring) {
  return ring.rows * ring.vec * 4 + ring.stages * ring.tileH * 16;
}
var ringNhwcFamily = {
  id: "ringNhwc",
  label: "ring (NHWC)",
  template: "ring-nhwc",
  launchRank: 0,
  threads: THREADS,
  build(spec, variant, symbol) {
    if (spec.layout !== "NHWC" || spec.pointwise || !(variant ? variant.kernel === "ring" : ringNhwcApplies(spec)))
      return false;
    const parts = ringNhwcParts(spec, variant?.tileH ?? RING_TILE_H, symbol, THREADS, variant !== void 0);
    const { when, sharedBytes, footprint } = ringNhwcLaunch(spec, parts);
    return {
      parts,
      variant: { ringTileH: parts.tileH },
      entries: () => [{
        name: parts.name,
        scope: "ring_nhwc",
        when,
        threads: THREADS,
        tilesPerBlock: 1,
        grid: { axes: [{ size: parts.cols, extent: mul(v("Wo"), v("C")) }, { size: parts.segment, extent: v("Ho") }, { size: 1, extent: num(1) }], images: v("N") },
        sharedBytes,
        maxSharedBytes: parts.maxSmem,
        takesPixels: false,
        footprint
      }]
    };
  }
};

// dist/codegen/cuda-tiled.js
function tiledApplies(spec) {
  const [kh, kw] = spec.kernelSize;
  const [sh, sw] = spec.stride;
  return sh === 1 && sw === 1 && kh * kw <= 49 && spec.padding[2] <= (kw - 1) * spec.dilation[1] && (kw - 1) * spec.dilation[1] <= 24;
}
function defaultTiledTileH(spec) {
  return spec.dtype === "bfloat16" ? 2 : 4;
}
function tiledEntries(symbol, tileW) {
  const inVec = and(divides(tileW, v("W")), aligned16("xLow"));
  const y16 = and(aligned16("yLow"), aligned16("rLow"));
  const entry = (inVec2, outVec, when) => ({ name: `${symbol}_tiled_${inVec2}_${outVec}`, inVec: inVec2, outVec, when });
  const stores = (outVec) => and(y16, divides(outVec, v("Wo")));
  return [
    entry(1, 1, not(inVec)),
    entry(tileW, tileW, stores(tileW)),
    entry(tileW, tileW / 2, stores(tileW / 2)),
    ...tileW >= 8 ? [entry(tileW, tileW / 4, stores(tileW / 4))] : [],
    entry(tileW, 1, TRUE)
  ];
}
function tiledParts(spec, tileH, symbol) {
  const tileW = 16 / DTYPE_BYTES[spec.dtype];
  const [kh, kw] = spec.kernelSize;
  const [dh, dw] = spec.dilation;
  const ind = "    ";
  const weights = [];
  for (let r = 0; r < kh; r++)
    for (let s = 0; s < kw; s++)
      weights.push(`${ind}const float w${r}_${s} = load_x(wp + ${r * kw + s});`);
  const accInit = Array.from({ length: tileH }, (_, i) => `${ind}float acc${i}[TW] = {};`).join("\n");
  const rows = [];
  const inputRows = tileH + (kh - 1) * dh;
  for (let j = 0; j < inputRows; j++) {
    rows.push(`${ind}{  // input row ih0 + ${j}`);
    rows.push(`${ind}  float v[NV];`);
    rows.push(`${ind}  load_row<IN_VEC>(xp + (i64)(ih0 + ${j}) * W, (unsigned)(ih0 + ${j}) < (unsigned)H, ow0, W, v);`);
    for (let r = 0; r < kh; r++) {
      const i = j - r * dh;
      if (i < 0 || i >= tileH)
        continue;
      for (let s = 0; s < kw; s++) {
        for (let t = 0; t < tileW; t++)
          rows.push(`${ind}  acc${i}[${t}] = fmaf(w${r}_${s}, v[${t + s * dw}], acc${i}[${t}]);`);
      }
    }
    rows.push(`${ind}}`);
  }
  const stores = [];
  if (hasEpilogue(spec))
    stores.push(`${ind}const ChannelEpi ce = channel_epi(e, co);`);
  for (let i = 0; i < tileH; i++) {
    stores.push(`${ind}if (oh0 + ${i} < Ho) {`);
    if (spec.residual !== "none") {
      stores.push(`${ind}  float res[TW];`);
      stores.push(`${ind}  load_residual_row<OUT_VEC>(e.r + (plane * Ho + oh0 + ${i}) * (i64)Wo, ow0, Wo, res);`);
    }
    const res = spec.residual === "none" ? "0.f" : "res[t]";
    if (hasEpilogue(spec))
      stores.push(`${ind}  for (int t = 0; t < TW; ++t) acc${i}[t] = epilogue(acc${i}[t], ce.bias, ce.scale, ce.shift, ${res});`);
    stores.push(`${ind}  store_tile_row<OUT_VEC>(yp + (i64)(oh0 + ${i}) * Wo, ow0, Wo, acc${i});`);
    stores.push(`${ind}}`);
  }
  const cast = outputDtypeOf(spec) !== spec.dtype;
  const entries = tiledEntries(symbol, tileW).filter((e) => !cast || e.outVec === 1);
  const footprint = {
    by: "tile",
    rows: tileAxis(1, tileH, -spec.padding[0], inputRows, v("H")),
    cols: tileAxis(0, tileW, -spec.padding[2], tileW + (kw - 1) * dw, v("W"))
  };
  return { tileW, tileH, weights: weights.join("\n"), accInit, rows: rows.join("\n"), stores: stores.join("\n"), entries, footprint };
}
var tiledFamily = {
  id: "tiled",
  label: "tiled",
  template: "tiled",
  launchRank: 1,
  threads: THREADS,
  build(spec, variant, symbol) {
    if (spec.layout !== "NCHW" || spec.pointwise || !(variant ? variant.kernel === "tiled" : tiledApplies(spec)))
      return false;
    const parts = tiledParts(spec, variant?.tileH ?? defaultTiledTileH(spec), symbol);
    const suits = and(divides(parts.tileW, v("W")), ge(v("Wo"), 4 * parts.tileW), aligned16("xLow"));
    return {
      parts,
      variant: { tiledTileW: parts.tileW, tiledTileH: parts.tileH },
      // Beside another family the tiled entries take only the calls that suit them, whose rows are
      // whole input vectors: there the scalar-load entry could never be taken, so the plan (and so
      // the source, cuda.ts) leaves it out.
      entries: (last) => parts.entries.filter((e) => last || e.inVec === parts.tileW).map((e) => ({
        name: e.name,
        scope: "tiled",
        when: last ? e.when : and(suits, e.when),
        threads: THREADS,
        tilesPerBlock: THREADS,
        grid: planeTiles(spec, parts.tileW, parts.tileH),
        sharedBytes: num(0),
        maxSharedBytes: 0,
        takesPixels: false,
        footprint: parts.footprint
      }))
    };
  }
};

// dist/codegen/variant.js
var TILE_HEIGHTS = { direct: [1, 2, 4], tiled: [2, 4, 8, 16], ring: [2, 4, 8], ringAny: [4], nhwc: [1, 2] };
var NHWC_TILE_WIDTHS = [2, 4];
function normalizeVariant(spec, variant) {
  if (typeof variant !== "object" || variant === null)
    throw new SpecError("options.variant", variant, "{ kernel: 'direct' | 'tiled' | 'ring' | 'ringAny' | 'nhwc', tileH, tileW? }");
  const v2 = variant;
  if (spec.pointwise)
    throw new SpecError("options.variant", variant, "none: a separable block (pointwise) has one kernel");
  for (const key of Object.keys(v2))
    if (!["kernel", "tileH", "tileW", "vec"].includes(key))
      throw new SpecError(`options.variant.${key}`, v2[key], "kernel, tileH, tileW, vec");
  if (spec.layout === "NHWC" && v2.kernel === "ring") {
    if (!ringNhwcFits(spec))
      throw new SpecError("options.variant.kernel", "ring", "'nhwc' (the NHWC ring needs stride 1, no channel multiplier and at most 9 taps)");
    if (v2.tileW !== void 0 || v2.vec !== void 0)
      throw new SpecError("options.variant", variant, "no tileW or vec: they are for the 'nhwc' kernel");
    if (typeof v2.tileH !== "number" || !TILE_HEIGHTS.ring.includes(v2.tileH))
      throw new SpecError("options.variant.tileH", v2.tileH, TILE_HEIGHTS.ring.join(" | "));
    return { kernel: "ring", tileH: v2.tileH };
  }
  if (spec.layout === "NHWC") {
    if (v2.kernel !== "nhwc")
      throw new SpecError("options.variant.kernel", v2.kernel, "'nhwc' | 'ring' (the NHWC layout's kernels)");
    if (typeof v2.tileH !== "number" || !TILE_HEIGHTS.nhwc.includes(v2.tileH))
      throw new SpecError("options.variant.tileH", v2.tileH, TILE_HEIGHTS.nhwc.join(" | "));
    if (typeof v2.tileW !== "number" || !NHWC_TILE_WIDTHS.includes(v2.tileW))
      throw new SpecError("options.variant.tileW", v2.tileW, NHWC_TILE_WIDTHS.join(" | "));
    if (typeof v2.vec !== "number" || !nhwcVectors(spec).includes(v2.vec))
      throw new SpecError("options.variant.vec", v2.vec, nhwcVectors(spec).join(" | "));
    return { kernel: "nhwc", tileH: v2.tileH, tileW: v2.tileW, vec: v2.vec };
  }
  if (v2.tileW !== void 0 || v2.vec !== void 0)
    throw new SpecError("options.variant", variant, "no tileW or vec: they are for the 'nhwc' kernel");
  if (v2.kernel !== "direct" && v2.kernel !== "tiled" && v2.kernel !== "ring" && v2.kernel !== "ringAny")
    throw new SpecError("options.variant.kernel", v2.kernel, "'direct' | 'tiled' | 'ring' | 'ringAny' (NCHW)");
  if (v2.kernel === "tiled" && !tiledApplies(spec))
    throw new SpecError("options.variant.kernel", "tiled", "'direct' (the tiled kernel needs stride 1, kh*kw <= 49 and padding within the window)");
  if (v2.kernel === "ring" && !ringFits(spec))
    throw new SpecError("options.variant.kernel", "ring", "'direct' (the ring kernel needs stride 1 and spans (k - 1) * dilation <= 30)");
  if (v2.kernel === "ringAny" && !ringAnyFits(spec))
    throw new SpecError("options.variant.kernel", "ringAny", "'direct' | 'ring' (the any-width ring needs stride 1, no dilation and windows up to 7x7)");
  const heights = TILE_HEIGHTS[v2.kernel];
  if (typeof v2.tileH !== "number" || !heights.includes(v2.tileH))
    throw new SpecError("options.variant.tileH", v2.tileH, heights.join(" | "));
  return { kernel: v2.kernel, tileH: v2.tileH };
}
function allVariants(spec) {
  if (spec.pointwise)
    return [];
  if (spec.layout === "NHWC") {
    const rings = ringNhwcFits(spec) ? TILE_HEIGHTS.ring.map((tileH) => ({ kernel: "ring", tileH })) : [];
    return [...TILE_HEIGHTS.nhwc.flatMap((tileH) => NHWC_TILE_WIDTHS.flatMap((tileW) => nhwcVectors(spec).map((vec) => ({ kernel: "nhwc", tileH, tileW, vec })))), ...rings];
  }
  const of = (kernel) => TILE_HEIGHTS[kernel].map((tileH) => ({ kernel, tileH }));
  const anyWidth = RING_ANY_IN_DEFAULT_SOURCES && ringAnyFits(spec);
  return [...of("direct"), ...tiledApplies(spec) ? of("tiled") : [], ...ringFits(spec) ? of("ring") : [], ...anyWidth ? of("ringAny") : []];
}

// dist/codegen/templates.js
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
var root = new URL("../../templates/", import.meta.url);
var engine;
function handlebars() {
  if (!engine) {
    engine = createRequire(import.meta.url)("handlebars").create();
    engine.registerHelper("eq", (a, b) => a === b);
    engine.registerHelper("or", (...args) => args.slice(0, -1).some(Boolean));
  }
  return engine;
}
var registered = false;
var compiled = /* @__PURE__ */ new Map();
function read(name) {
  return readFileSync(new URL(name, root), "utf8");
}
function registerPartials() {
  for (const folder of ["cuda", "cpu"]) {
    for (const file of readdirSync(new URL(`${folder}/`, root)).filter((f) => f.endsWith(".hbs")).sort()) {
      handlebars().registerPartial(`${folder}_${file.slice(0, -".hbs".length).replaceAll("-", "_")}`, read(`${folder}/${file}`));
    }
  }
}
function render(name, context) {
  const hbs = handlebars();
  if (!registered) {
    registerPartials();
    registered = true;
  }
  let template = compiled.get(name);
  if (!template) {
    template = hbs.compile(read(name), { noEscape: true, strict: true });
    compiled.set(name, template);
  }
  return template(context);
}

// dist/codegen/cpu.js
function rowSum(spec, row, checked) {
  const [, kw] = spec.kernelSize;
  const terms = [];
  for (let s = 0; s < kw; s++) {
    const col = `iw + ${s * spec.dilation[1]}`;
    const load = `xf[${col}]`;
    const w = row === "r" ? `wr[${s}]` : `wk[${row * kw + s}]`;
    terms.push(checked ? `((unsigned long long)(${col}) < (unsigned long long)W ? ${w} * ${load} : 0.f)` : `${w} * ${load}`);
  }
  return terms.join("\n              + ");
}
function emitTaps(spec) {
  const [kh, kw] = spec.kernelSize;
  const ind = "      ";
  const lines = [];
  const rowLoop = kh * kw > MAX_UNROLLED_TAPS;
  const rows = rowLoop ? ["r"] : Array.from({ length: kh }, (_, r) => r);
  for (const r of rows) {
    if (r === "r") {
      lines.push(`${ind}for (int r = 0; r < KH; ++r) {  // tap rows (the kw taps of each are unrolled)`);
      lines.push(`${ind}  const float* wr = wk + r * ${kw};`);
      lines.push(`${ind}  const i64 ih = oh * SH - PT + (i64)r * DH;`);
    } else {
      lines.push(`${ind}{  // tap row ${r}`);
      lines.push(`${ind}  const i64 ih = oh * SH - PT + ${r * spec.dilation[0]};`);
    }
    lines.push(`${ind}  if (ih >= 0 && ih < H) {`);
    lines.push(`${ind}    const float* xf = widen_row(xp + ih * W, W, row.data());  // float32: the row itself`);
    for (const [from, to, checked] of [["0", "lo", true], ["lo", "hi", false], ["hi", "Wo", true]]) {
      lines.push(`${ind}    for (i64 ow = ${from}; ow < ${to}; ++ow) {`);
      lines.push(`${ind}      const i64 iw = ow * SW - PL;`);
      lines.push(`${ind}      a[ow] += ${rowSum(spec, r, checked)};`);
      lines.push(`${ind}    }`);
    }
    lines.push(`${ind}  }`);
    lines.push(`${ind}}`);
  }
  return lines.join("\n");
}
function generateCpu(spec) {
  const ctx = templateContext(spec, "cpu");
  const directRows = spec.dtype === "float32" && spec.channelMultiplier === 1;
  const source = spec.pointwise ? render("cpu/separable.cpp.hbs", ctx) : spec.layout === "NHWC" ? render("cpu/dwconv_nhwc.cpp.hbs", { ...ctx, directRows }) : render("cpu/dwconv.cpp.hbs", { ...ctx, taps: emitTaps(spec) });
  return { target: "cpu", symbol: ctx.symbol, language: "c++", source, specJson: ctx.specJson, variant: {} };
}

// dist/codegen/cuda-direct.js
var MAX_COLUMNS = 48;
var DIRECT_TILE_H = 1;
function directTileW(spec) {
  for (const tileW of [4, 2])
    if (columnsRead(spec, tileW).length <= MAX_COLUMNS)
      return tileW;
  return 1;
}
function directParts(spec, tileH) {
  const tileW = directTileW(spec);
  const [kh, kw] = spec.kernelSize;
  const ind = "      ";
  const lines = [];
  const cols = columnsRead(spec, tileW);
  for (let r = 0; r < kh; r++) {
    lines.push(`${ind}{  // tap row ${r}`);
    lines.push(`${ind}  const int ih = ih0 + ${r * spec.dilation[0]};`);
    lines.push(`${ind}  if ((unsigned)ih < (unsigned)H) {`);
    lines.push(`${ind}    const storage_t* xr = xp + (i64)ih * W + iw0;`);
    for (const j of cols)
      lines.push(`${ind}    const float x${j} = (unsigned)(iw0 + ${j}) < (unsigned)W ? load_x(xr + ${j}) : 0.f;`);
    for (let s = 0; s < kw; s++) {
      lines.push(`${ind}    const float w${s} = load_x(wp + ${r * kw + s});`);
      for (let t = 0; t < tileW; t++)
        lines.push(`${ind}    acc${t} = fmaf(w${s}, x${t * spec.stride[1] + s * spec.dilation[1]}, acc${t});`);
    }
    lines.push(`${ind}  }`);
    lines.push(`${ind}}`);
  }
  const value = (t) => {
    if (!hasEpilogue(spec))
      return `acc${t}`;
    const res = spec.residual === "none" ? "0.f" : `load_r(rr + ${t})`;
    return `epilogue(acc${t}, ce.bias, ce.scale, ce.shift, ${res})`;
  };
  const stores = Array.from({ length: tileW }, (_, t) => t === 0 ? `${ind}store_y(yr, ${value(0)});` : `${ind}if (ow0 + ${t} < Wo) store_y(yr + ${t}, ${value(t)});`).join("\n");
  const accInit = `${ind}float ${Array.from({ length: tileW }, (_, t) => `acc${t} = 0.f`).join(", ")};`;
  return { tileW, tileH, accInit, taps: lines.join("\n"), stores };
}
function directFootprint(spec, tileW, tileH) {
  const [kh] = spec.kernelSize;
  const [sh, sw] = spec.stride;
  const cols = columnsRead(spec, tileW);
  return {
    by: "tile",
    rows: tileAxis(1, tileH * sh, -spec.padding[0], (tileH - 1) * sh + (kh - 1) * spec.dilation[0] + 1, v("H")),
    cols: tileAxis(0, tileW * sw, -spec.padding[2], cols[cols.length - 1] + 1, v("W"))
  };
}
var directFamily = {
  id: "direct",
  label: "direct",
  template: "direct",
  launchRank: 2,
  threads: THREADS,
  build(spec, variant, symbol) {
    if (spec.layout !== "NCHW" || spec.pointwise || variant?.kernel === "tiled")
      return false;
    const parts = directParts(spec, variant?.kernel === "direct" ? variant.tileH : DIRECT_TILE_H);
    return {
      parts,
      variant: { directTileW: parts.tileW, directTileH: parts.tileH },
      entries: () => [{
        name: `${symbol}_direct`,
        scope: "direct",
        when: TRUE,
        threads: THREADS,
        tilesPerBlock: THREADS,
        grid: planeTiles(spec, parts.tileW, parts.tileH),
        sharedBytes: num(0),
        maxSharedBytes: 0,
        takesPixels: false,
        footprint: directFootprint(spec, parts.tileW, parts.tileH)
      }]
    };
  }
};

// dist/codegen/cuda-separable.js
var SEPARABLE_THREADS = 256;
var WARPS = SEPARABLE_THREADS / 32;
var SEPARABLE_CHUNK = 16;
var MAX_WARP_NTILES = 8;
var MAX_COUT_TILE = 256;
var SEPARABLE_NARROW_BELOW_PER_SM = 2;
var SEPARABLE_SPLIT_MAX_BLOCKS_PER_SM = 1;
var SEPARABLE_SPLIT = 2;
var SEPARABLE_SPLIT_MIN_CHUNKS = 4 * SEPARABLE_SPLIT;
var SPLIT_MAX_PIXELS = 32;
var SPLIT_MAX_WARPS = 12;
var MAX_TABLE_TAPS = 25;
function shape(name, wn, nTiles) {
  const nt = Math.min(MAX_WARP_NTILES, MAX_COUT_TILE / (8 * wn), Math.ceil(nTiles / wn));
  const wm = WARPS / wn;
  return { name, wm, wn, nt, pixels: 16 * wm, coutTile: 8 * wn * nt };
}
function separableShapes(pw, entry) {
  const nTiles = Math.ceil(pw.outChannels / 8);
  const wn = [1, 2, 4, 8].find((w) => Math.ceil(nTiles / w) <= MAX_WARP_NTILES) ?? 8;
  const narrowWn = Math.min(WARPS, 4 * wn);
  return { wide: shape(`${entry}_wide`, wn, nTiles), narrow: shape(`${entry}_narrow`, narrowWn, nTiles) };
}
function hasQuads(spec, wide, tapTable) {
  const [, kw] = spec.kernelSize;
  const [, , pl, pr] = spec.padding;
  const reach = (kw - 1) * spec.dilation[1];
  return tapTable && spec.stride[1] === 1 && pl <= 4 && reach - pl <= 4 && pl + pr <= reach && wide.pixels === QUAD_PIXELS;
}
var QUAD_PIXELS = 128;
function quadsMinBlocks(dtype, wide) {
  return dtype !== "float32" ? 2 : wide.nt <= 3 ? 4 : 3;
}
function separableSharedBytes(spec, pixels, coutTile, slices) {
  const kc = SEPARABLE_CHUNK, ds = pixels + 8;
  const chunk = spec.dtype !== "float32" ? 2 * (kc * ds + coutTile * (kc + 8)) : (spec.pointwise.tf32 ? 4 : 8) * (kc * ds + coutTile * (kc + 4));
  const partial = slices > 1 ? 4 * pixels * (coutTile + 4) : 0;
  const taps = spec.kernelSize[0] * spec.kernelSize[1];
  return Math.max(chunk, partial) + (hasTapTable(spec) ? kc * taps * DTYPE_BYTES[spec.dtype] : 0);
}
function hasTapTable(spec) {
  return spec.layout === "NCHW" && spec.kernelSize[0] * spec.kernelSize[1] <= MAX_TABLE_TAPS;
}
var STATIC_SHARED_BYTES = 48 * 1024;
function splitShape(spec, wide, name) {
  let wm = Math.floor(SPLIT_MAX_WARPS / wide.wn);
  while (wm > 1 && separableSharedBytes(spec, 16 * wm, wide.coutTile, SEPARABLE_SPLIT) > STATIC_SHARED_BYTES)
    wm--;
  return { name, wm, wn: wide.wn, nt: wide.nt, pixels: 16 * wm, coutTile: wide.coutTile, threads: 32 * wm * wide.wn, slices: SEPARABLE_SPLIT, minChunks: SEPARABLE_SPLIT_MIN_CHUNKS, maxBlocksPerSm: SEPARABLE_SPLIT_MAX_BLOCKS_PER_SM };
}
function separableParts(spec, symbol) {
  const { wide, narrow } = separableShapes(spec.pointwise, `${symbol}_separable`);
  const tapTable = hasTapTable(spec);
  const quads = hasQuads(spec, wide, tapTable) ? { ...wide, name: `${symbol}_separable_quads`, minBlocks: quadsMinBlocks(spec.dtype, wide) } : void 0;
  const split = wide.pixels <= SPLIT_MAX_PIXELS ? splitShape(spec, wide, `${symbol}_separable_split`) : void 0;
  return {
    wide,
    narrow,
    split,
    quads,
    entries: [wide, narrow],
    narrowBelowPerSm: SEPARABLE_NARROW_BELOW_PER_SM,
    chunk: SEPARABLE_CHUNK,
    tf32: spec.dtype === "float32",
    tf32x3: spec.dtype === "float32" && !spec.pointwise.tf32,
    unrollRows: spec.kernelSize[0] * spec.kernelSize[1] <= MAX_UNROLLED_TAPS,
    tapTable
  };
}
function separableFootprint(spec, quads) {
  const [kh, kw] = spec.kernelSize;
  return {
    by: "pixel",
    rows: pixelAxis(spec.stride[0], spec.padding[0], kh, spec.dilation[0], v("H"), "clamped"),
    cols: pixelAxis(spec.stride[1], spec.padding[2], kw, spec.dilation[1], v("W"), quads ? "masked" : "clamped")
  };
}
function separableEntries(spec, sep) {
  const pixels = mul(mul(v("N"), v("Ho")), v("Wo"));
  const runs = (e) => ceilDiv(pixels, e.pixels);
  const cout = num(spec.pointwise.outChannels);
  const coutTiles = (e) => ceilDiv(spec.pointwise.outChannels, e.coutTile);
  const fewBlocks = lt(mul(runs(sep.wide), coutTiles(sep.wide)), mul(sep.narrowBelowPerSm, v("SMs")));
  const entry = (e, when, threads = SEPARABLE_THREADS, slices = 1) => ({
    name: e.name,
    scope: "sep",
    when,
    fits: le(runs(e), INT_MAX),
    threads,
    tilesPerBlock: 1,
    grid: { axes: [{ size: e.coutTile, extent: cout, copies: slices }, { size: e.pixels, extent: pixels }, { size: 1, extent: num(1) }], images: num(1) },
    sharedBytes: num(0),
    maxSharedBytes: 0,
    takesPixels: true,
    footprint: separableFootprint(spec, e === sep.quads)
  });
  const split = sep.split && {
    ...entry(sep.split, and(fewBlocks, le(mul(mul(runs(sep.split), coutTiles(sep.split)), sep.split.slices), mul(sep.split.maxBlocksPerSm, v("SMs"))), ge(ceilDiv(mul(v("C"), spec.channelMultiplier), SEPARABLE_CHUNK), sep.split.minChunks)), sep.split.threads, sep.split.slices),
    cluster: [sep.split.slices, 1, 1]
  };
  const quads = sep.quads && entry(sep.quads, and(not(fewBlocks), divides(4, v("Wo")), divides(4, v("W")), divides(4 * DTYPE_BYTES[spec.dtype], v("xLow"))));
  return [...split ? [split] : [], entry(sep.narrow, fewBlocks), ...quads ? [quads] : [], entry(sep.wide, TRUE)];
}
var separableFamily = {
  id: "separable",
  label: "separable",
  template: "separable",
  launchRank: 0,
  threads: SEPARABLE_THREADS,
  build(spec, _variant, symbol) {
    if (!spec.pointwise)
      return false;
    const withPointwise = { ...spec, pointwise: spec.pointwise };
    const parts = separableParts(withPointwise, symbol);
    return {
      parts,
      variant: { pixels: parts.wide.pixels, coutTile: parts.wide.coutTile },
      // A plane's pixels are counted in an int.
      checks: [and(le(mul(v("Ho"), v("Wo")), INT_MAX), le(mul(v("H"), v("W")), INT_MAX))],
      entries: () => separableEntries(withPointwise, parts)
    };
  }
};

// dist/codegen/families.js
var CUDA_FAMILIES = [
  directFamily,
  tiledFamily,
  ringFamily,
  ringAnyFamily,
  separableFamily,
  nhwcFamily,
  ringNhwcFamily
];

// dist/plan/plan.js
function tileGridFields(grid) {
  const [a, b, c] = grid.axes.map((axis) => axis.copies ? mul(ceilDiv(axis.extent, axis.size), axis.copies) : ceilDiv(axis.extent, axis.size));
  return [a, b, c, grid.images];
}
var MAX_GRID_X = 2 ** 31 - 1;
var DEFAULT_SHARED_LIMIT = 48 * 1024;

// dist/codegen/c-expr.js
var C_VARIABLES = {
  N: "N",
  C: "C",
  H: "H",
  W: "W",
  Ho: "Ho",
  Wo: "Wo",
  xLow: "x_low",
  yLow: "y_low",
  rLow: "r_low",
  SMs: "sms"
};
var INFIX = {
  add: "+",
  sub: "-",
  mul: "*",
  div: "/",
  mod: "%",
  lt: "<",
  le: "<=",
  eq: "==",
  ne: "!=",
  ge: ">=",
  gt: ">"
};
function cExpr(e) {
  switch (e.op) {
    case "const":
      return Math.abs(e.value) > 2 ** 31 - 1 ? `${e.value}ll` : `${e.value}`;
    case "var":
      return C_VARIABLES[e.name];
    case "and":
      return `(${e.args.map(cExpr).join(" && ")})`;
    case "or":
      return `(${e.args.map(cExpr).join(" || ")})`;
    case "not":
      return `!${cExpr(e.a)}`;
    case "ceilDiv":
      return `((${cExpr(e.a)} + ${cExpr(e.b)} - 1) / ${cExpr(e.b)})`;
    case "min":
      return `(${cExpr(e.a)} < ${cExpr(e.b)} ? ${cExpr(e.a)} : ${cExpr(e.b)})`;
    case "max":
      return `(${cExpr(e.a)} > ${cExpr(e.b)} ? ${cExpr(e.a)} : ${cExpr(e.b)})`;
    default:
      return `(${cExpr(e.a)} ${INFIX[e.op]} ${cExpr(e.b)})`;
  }
}

// dist/codegen/host-launcher.js
var IND = "  ";
function hostLauncher(symbol, plan) {
  return render("cuda/host.hbs", { symbol, body: launcherBody(plan).join("\n") });
}
function launcherBody(plan) {
  const lines = [
    `${IND}if (${plan.requiredPointers.map((p) => `!${p}`).join(" || ")}) return -1;`,
    `${IND}const i64 Ho = ${cExpr(plan.Ho)};`,
    `${IND}const i64 Wo = ${cExpr(plan.Wo)};`,
    // Every alignment the plan asks divides 256.
    ...["x", "y", "r"].map((p) => `${IND}const i64 ${p}_low = (i64)((unsigned long long)${p} & 255);`),
    ...plan.checks.map((c) => `${IND}if (!${cExpr(c)}) return -1;`),
    // Only plans that name the SM count read it, so the other launchers' source (and key) stay as they were.
    ...planNames(plan, "SMs") ? multiprocessorQuery() : [],
    `${IND}// The kernels' arguments: pointers, the epilogue's operands, sizes as int (checked above), the pixel count.`,
    `${IND}const storage_t* xs = (const storage_t*)x;`,
    `${IND}const storage_t* ws = (const storage_t*)w;`,
    `${IND}EpiArgs e{(const storage_t*)b, (const float*)scale, (const float*)shift, (const out_t*)r, (const storage_t*)pw, (const storage_t*)pb};`,
    `${IND}out_t* ys = (out_t*)y;`,
    `${IND}int c = (int)C, h = (int)H, w_ = (int)W, ho = (int)Ho, wo = (int)Wo;`,
    `${IND}i64 pixels = N * Ho * Wo;`,
    `${IND}const cudaStream_t s = (cudaStream_t)stream;`
  ];
  for (const entry of plan.entries)
    lines.push(...entryLaunch(entry));
  lines.push(`${IND}return -1;`);
  return lines;
}
function multiprocessorQuery() {
  return [
    `${IND}int sm_count = 0;`,
    `${IND}{`,
    `${IND}${IND}int device = 0;`,
    `${IND}${IND}cudaError_t err = cudaGetDevice(&device);`,
    `${IND}${IND}if (err == cudaSuccess) err = cudaDeviceGetAttribute(&sm_count, cudaDevAttrMultiProcessorCount, device);`,
    `${IND}${IND}if (err != cudaSuccess) return (int)err;`,
    `${IND}}`,
    `${IND}const i64 ${C_VARIABLES.SMs} = sm_count;`
  ];
}
function planNames(plan, name) {
  const names = (e) => {
    switch (e.op) {
      case "const":
        return false;
      case "var":
        return e.name === name;
      case "and":
      case "or":
        return e.args.some(names);
      case "not":
        return names(e.a);
      default:
        return names(e.a) || names(e.b);
    }
  };
  const entryExprs = (e) => [e.when, ...e.fits ? [e.fits] : [], e.sharedBytes, ...tileGridFields(e.grid)];
  return [plan.Ho, plan.Wo, ...plan.checks, ...plan.entries.flatMap(entryExprs)].some(names);
}
function entryLaunch(entry) {
  const kernel = `(const void*)${entry.scope}::${entry.name}`;
  const args = ["&xs", "&ws", "&e", "&ys", "&c", "&h", "&w_", "&ho", "&wo", "&grid", ...entry.takesPixels ? ["&pixels"] : []];
  const launch = [
    ...entry.fits ? [`if (!${cExpr(entry.fits)}) return -1;`] : [],
    `TileGrid grid = make_tile_grid(${tileGridFields(entry.grid).map(cExpr).join(", ")});`,
    `const int smem = (int)${cExpr(entry.sharedBytes)};`,
    ...entry.maxSharedBytes > DEFAULT_SHARED_LIMIT ? [`if (smem > ${DEFAULT_SHARED_LIMIT}) {`, `${IND}const int err = allow_shared(${kernel}, smem);`, `${IND}if (err != 0) return err;`, "}"] : [],
    `void* args[] = {${args.join(", ")}};`,
    `return launch(${kernel}, grid_blocks(grid.tiles, ${entry.tilesPerBlock}), ${entry.threads}, smem, s, args);`
  ];
  const taken = entry.cluster ? [`const int built = built_for_clusters(${kernel});`, "if (built < 0) return -built;", "if (built) {", ...launch.map((l) => IND + l), "}"] : launch;
  const always = entry.when.op === "const" && entry.when.value !== 0;
  const block = always ? ["{", ...taken.map((l) => IND + l), "}"] : [`if (${cExpr(entry.when)}) {`, ...taken.map((l) => IND + l), "}"];
  return [`${IND}// ${entry.name}`, ...block.map((l) => IND + l)];
}

// dist/codegen/cuda.js
function generateCuda(spec, variant) {
  const ctx = templateContext(spec, "cuda");
  const built = CUDA_FAMILIES.flatMap((family) => {
    const build = family.build(spec, variant, ctx.symbol);
    return build ? [{ family, build }] : [];
  });
  const threads = sourceThreads(built.map((b) => b.family));
  const { plan, entriesOf } = launchPlan(spec, built);
  const launched = new Set(plan.entries.map((e) => e.name));
  const familyParts = Object.fromEntries(CUDA_FAMILIES.map((f) => {
    const b = built.find((x) => x.family === f);
    return [f.id, b ? launchableParts(b.build.parts, launched) : false];
  }));
  const renderSource = (parts, families, launcher) => render("cuda/dwconv.cu.hbs", {
    ...ctx,
    ...parts,
    threads,
    deviceCode: families.map(({ family }) => render(`cuda/${family.template}.hbs`, { ...ctx, ...parts, threads })).join(""),
    families: families.map((b) => b.family.label).join(", "),
    hostLauncher: launcher
  });
  const source = renderSource(familyParts, built, hostLauncher(ctx.symbol, plan));
  const kernel = variant ? variant.kernel : built.length === 1 ? built[0].family.id : "auto";
  return {
    target: "cuda",
    symbol: ctx.symbol,
    language: "cuda",
    source,
    specJson: ctx.specJson,
    plan,
    variant: Object.assign({ kernel }, ...built.map((b) => b.build.variant)),
    units: () => compileUnits(built, entriesOf, familyParts, (parts, b) => renderSource({ ...noFamilies, ...parts }, [b], ""))
  };
}
var noFamilies = Object.fromEntries(CUDA_FAMILIES.map((f) => [f.id, false]));
function compileUnits(built, entriesOf, familyParts, renderUnit) {
  return built.flatMap((b) => {
    const names = entriesOf.get(b.family).map((e) => e.name);
    const parts = familyParts[b.family.id];
    const listed = parts.entries;
    const own = Array.isArray(listed) ? listed : [];
    if (names.length > 1 && names.every((n) => own.some((e) => e.name === n))) {
      return names.map((name) => ({ entries: [name], source: renderUnit({ [b.family.id]: { ...parts, entries: own.filter((e) => e.name === name) } }, b) }));
    }
    return [{ entries: names, source: renderUnit({ [b.family.id]: parts }, b) }];
  });
}
function launchableParts(parts, launched) {
  const entries = parts.entries;
  if (!Array.isArray(entries))
    return parts;
  return { ...parts, entries: entries.filter((e) => launched.has(e.name)) };
}
function sourceThreads(families) {
  const threads = new Set(families.map((f) => f.threads));
  if (threads.size !== 1)
    throw new Error(`families ${families.map((f) => f.id).join(", ")} disagree on threads per block`);
  return [...threads][0];
}
function launchPlan(spec, built) {
  const prologue = planPrologue(spec);
  const ranked = [...built].sort((a, b) => a.family.launchRank - b.family.launchRank);
  const entriesOf = new Map(ranked.map((b, i) => [b.family, b.build.entries(i === ranked.length - 1)]));
  return {
    plan: {
      ...prologue,
      checks: [...prologue.checks, ...built.flatMap((b) => b.build.checks ?? [])],
      entries: ranked.flatMap((b) => entriesOf.get(b.family))
    },
    entriesOf
  };
}

export {
  symbolOf,
  DTYPE_BYTES,
  float32BitsToFloat16,
  float16BitsToFloat32,
  float32BitsToBfloat16,
  encode,
  decode,
  roundTo,
  generateCpu,
  evaluate,
  holds,
  tileGridFields,
  MAX_GRID_X,
  DEFAULT_SHARED_LIMIT,
  generateCuda,
  normalizeVariant,
  allVariants
};
