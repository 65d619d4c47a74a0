import {
  fillUniform,
  uniformAt
} from "./chunk-N5HG6547.js";
import {
  median
} from "./chunk-EDZLWXK5.js";
import {
  outputCoords,
  referenceAt
} from "./chunk-ZLHIC6G2.js";
import {
  DTYPE_BYTES,
  encode,
  float16BitsToFloat32,
  float32BitsToBfloat16,
  float32BitsToFloat16
} from "./chunk-6BRGTZ7M.js";
import {
  outputDtypeOf
} from "./chunk-J66XVRM2.js";

// dist/verify/compare.js
var TOLERANCE = { float32: 1e-5, float16: 2e-3, bfloat16: 0.01 };
var TF32_TOLERANCE = 2e-3;
function toleranceOf(spec) {
  const stored = Math.max(TOLERANCE[spec.dtype], TOLERANCE[outputDtypeOf(spec)]);
  return spec.pointwise?.tf32 ? Math.max(TF32_TOLERANCE, stored) : stored;
}
var SUBNORMAL_HALF_SPACING = { float32: 2 ** -150, float16: 2 ** -25, bfloat16: 2 ** -134 };
var Comparer = class {
  dtype;
  tolerance;
  checked = 0;
  failures = 0;
  maxRel = 0;
  first = [];
  /** tolerance: relative to the magnitude, TOLERANCE of the dtype unless given (see toleranceOf). */
  constructor(dtype, tolerance = TOLERANCE[dtype]) {
    this.dtype = dtype;
    this.tolerance = tolerance;
  }
  add(index, got, expected, magnitude) {
    this.checked++;
    const scale = Math.max(magnitude, 1e-30);
    const err = Math.abs(got - expected);
    const rel = err / scale;
    if (!(err <= this.tolerance * scale + SUBNORMAL_HALF_SPACING[this.dtype])) {
      this.failures++;
      if (this.first.length < 5)
        this.first.push({ index, got, expected });
    }
    if (!(rel <= this.maxRel))
      this.maxRel = Number.isNaN(rel) ? Number.NaN : Math.max(this.maxRel, rel);
  }
  result() {
    return { checked: this.checked, failures: this.failures, maxRelativeError: this.maxRel, firstFailures: this.first };
  }
};

// dist/verify/sample.js
function sampleIndices(total, count, random = Math.random) {
  if (count >= total)
    return Array.from({ length: total }, (_, i) => i);
  const picked = /* @__PURE__ */ new Set();
  while (picked.size < count)
    picked.add(Math.floor(random() * total));
  return [...picked].sort((a, b) => a - b);
}
function verifyOutputs(ref, outShape, indices, outputAt, dtype) {
  const comparer = new Comparer(dtype, toleranceOf(ref.spec));
  indices.forEach((flat, k) => {
    const [n, c, oh, ow] = outputCoords(ref.spec, outShape, flat);
    const { value, magnitude } = referenceAt(ref, n, c, oh, ow);
    comparer.add(flat, outputAt(k), value, magnitude);
  });
  return comparer.result();
}

// dist/tools/device-data.js
var CHUNK_ELEMENTS = 1 << 24;
var MAX_GAP = 1 << 14;
function uploadUniform(rt, dst, count, dtype, seed, first = 0) {
  const base = BigInt(dst);
  const bytes = DTYPE_BYTES[dtype];
  for (let start = 0; start < count; start += CHUNK_ELEMENTS) {
    const chunk = fillUniform(new Float32Array(Math.min(CHUNK_ELEMENTS, count - start)), seed, first + start);
    rt.copyToDevice(base + BigInt(start * bytes), encode(chunk, dtype));
  }
}
var scratch = new Float32Array(1);
var scratchBits = new Uint32Array(scratch.buffer);
function uniformStored(seed, i, dtype) {
  return storedValue(uniformAt(seed, i), dtype);
}
function storedAt(view, offset, dtype) {
  if (dtype === "float32")
    return view.getFloat32(offset, true);
  const half = view.getUint16(offset, true);
  scratchBits[0] = dtype === "bfloat16" ? half << 16 : float16BitsToFloat32(half);
  return scratch[0];
}
function storedValue(v, dtype) {
  scratch[0] = v;
  if (dtype === "float32")
    return scratch[0];
  const bits = scratchBits[0];
  scratchBits[0] = dtype === "bfloat16" ? float32BitsToBfloat16(bits) << 16 : float16BitsToFloat32(float32BitsToFloat16(bits));
  return scratch[0];
}
function readAt(rt, src, indices, dtype) {
  const base = BigInt(src);
  const bytes = DTYPE_BYTES[dtype];
  const values = new Float32Array(indices.length);
  let k = 0;
  while (k < indices.length) {
    const first = indices[k];
    let last = k;
    while (last + 1 < indices.length && indices[last + 1] - first < CHUNK_ELEMENTS && indices[last + 1] - indices[last] < MAX_GAP)
      last++;
    const count = indices[last] - first + 1;
    const chunk = new Uint8Array(count * bytes);
    rt.copyToHost(chunk, base + BigInt(first * bytes));
    const view = new DataView(chunk.buffer);
    for (; k < indices.length && indices[k] < first + count; k++)
      values[k] = storedAt(view, (indices[k] - first) * bytes, dtype);
  }
  return values;
}
var WARMUP_MS = 25;
function timeLaunches(rt, launch, reps, flush) {
  const events = [];
  try {
    const [start, end] = [rt.eventCreate(), rt.eventCreate()];
    events.push(start, end);
    rt.eventRecord(start);
    for (let i = 0; ; i++) {
      if (flush)
        rt.memset(flush.address, i & 255, flush.bytes);
      launch();
      rt.eventRecord(end);
      if (i >= 2 && rt.eventElapsedMs(start, end) >= WARMUP_MS)
        break;
    }
    const pairs = Array.from({ length: reps }, () => {
      const pair = [rt.eventCreate(), rt.eventCreate()];
      events.push(...pair);
      return pair;
    });
    for (const [i, [before, after]] of pairs.entries()) {
      if (flush)
        rt.memset(flush.address, i & 255, flush.bytes);
      rt.eventRecord(before);
      launch();
      rt.eventRecord(after);
    }
    return median(pairs.map(([before, after]) => rt.eventElapsedMs(before, after)));
  } finally {
    for (const e of events)
      rt.eventDestroy(e);
  }
}

// dist/tools/torch-script.js
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
var TORCH_SCRIPT = fileURLToPath(new URL("../../bench/torch_dwconv.py", import.meta.url));
function torchScriptMissing() {
  return existsSync(TORCH_SCRIPT) ? void 0 : `the PyTorch timing script is not in this installation (looked for ${TORCH_SCRIPT}); reinstall dwconv-jit or pass --no-torch`;
}

export {
  sampleIndices,
  verifyOutputs,
  uploadUniform,
  uniformStored,
  readAt,
  timeLaunches,
  TORCH_SCRIPT,
  torchScriptMissing
};
