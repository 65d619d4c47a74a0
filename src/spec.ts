import { SpecError } from './errors.js';

export const DTYPES = ['float32', 'float16', 'bfloat16'] as const;
export type DType = (typeof DTYPES)[number];
export const LAYOUTS = ['NCHW', 'NHWC'] as const;
export type Layout = (typeof LAYOUTS)[number];
export const ACTIVATIONS = ['none', 'relu', 'relu6', 'leaky_relu', 'silu', 'gelu', 'gelu_tanh', 'hardswish', 'sigmoid'] as const;
/** As in PyTorch: gelu is the erf form (approximate='none'), gelu_tanh the tanh form. */
export type Activation = (typeof ACTIVATIONS)[number];
export const RESIDUALS = ['none', 'after-activation', 'before-activation'] as const;
export type Residual = (typeof RESIDUALS)[number];
/** PyTorch's default negative_slope for leaky_relu. */
export const DEFAULT_NEGATIVE_SLOPE = 0.01;

/** n for both dimensions, or [height, width]. */
export type Pair = number | readonly [number, number];

/** What a user may pass: every field but kernelSize has a PyTorch-like default. */
export interface SpecInput {
  /** n or [kh, kw], each 1..31. */
  readonly kernelSize: Pair;
  /** n or [sh, sw], each 1..8. Default 1. */
  readonly stride?: Pair;
  /**
   * n, [ph, pw], [top, bottom, left, right] (each 0..64), or 'same' (stride 1 only; the odd extra row
   * or column goes bottom/right like PyTorch). Default 0. The 4-element form is the canonical one, so a
   * normalized spec is a valid input.
   */
  readonly padding?: Pair | readonly [number, number, number, number] | 'same';
  /** n or [dh, dw], each 1..8. Default 1. */
  readonly dilation?: Pair;
  /** Output channels per input channel, 1..8. Default 1. */
  readonly channelMultiplier?: number;
  /** Storage type of input, weight, bias and output; accumulation is float32. Default 'float32'. */
  readonly dtype?: DType;
  /**
   * Storage type of the output (and of the residual, which has the output's shape), when it differs
   * from `dtype`: the float32 result is rounded to it once, at the store. Default: `dtype`.
   */
  readonly outputDtype?: DType;
  /**
   * Memory layout of input, output and residual; shapes are given in the same order ([N, H, W, C] for
   * NHWC, PyTorch's channels_last). Weights stay [C*m, 1, kh, kw]. Default 'NCHW'.
   */
  readonly layout?: Layout;
  /** Whether the kernel adds a per-output-channel bias. Default false. */
  readonly bias?: boolean;
  /**
   * Per-output-channel float32 scale and shift after the bias: a folded BatchNorm (see foldBatchNorm).
   * Default false.
   */
  readonly batchNorm?: boolean;
  /** Applied after bias and batchNorm, in float32. Default 'none'. */
  readonly activation?: Activation;
  /** leaky_relu only: the slope for negative inputs, a finite number (stored as float32). Default 0.01. */
  readonly negativeSlope?: number;
  /**
   * Adds a tensor of the output's shape and dtype: after the activation (true or 'after-activation',
   * as in a MobileNetV2 block) or before it ('before-activation', as in a ResNet block). Default 'none'.
   */
  readonly residual?: boolean | Residual;
  /**
   * A fused depthwise-separable block: the depthwise result (after its own bias, batchNorm and
   * activation) feeds a 1x1 convolution to `outChannels` channels in the same kernel, so only the
   * block's output is written. Weights [outChannels, C*m, 1, 1] as in PyTorch. Not with `residual`.
   */
  readonly pointwise?: PointwiseInput;
}

/** The 1x1 part of a depthwise-separable block. */
export interface PointwiseInput {
  /** 1..4096. */
  readonly outChannels: number;
  /** Whether the 1x1 adds a per-output-channel bias (fold its BatchNorm into weights and bias). Default false. */
  readonly bias?: boolean;
  /** Applied after the 1x1 and its bias. Default 'none'. */
  readonly activation?: Activation;
  /** leaky_relu only, as the depthwise one. */
  readonly negativeSlope?: number;
  /**
   * float32 blocks only: the 1x1 as one TF32 product per term (10-bit mantissas, about 1e-3 relative;
   * PyTorch's default for float32 convolutions, allow_tf32) instead of three (float32 accuracy, the
   * default). Faster where the 1x1 dominates (many channels, small planes). Default false.
   */
  readonly tf32?: boolean;
}

export interface PointwiseSpec {
  readonly outChannels: number;
  readonly bias: boolean;
  readonly activation: Activation;
  readonly negativeSlope?: number;
  /** Present (true) only when asked for: see PointwiseInput.tf32. */
  readonly tf32?: true;
}

/** The normalized, frozen, canonical form. padding is [top, bottom, left, right]. */
export interface KernelSpec {
  readonly kernelSize: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number, number, number];
  readonly dilation: readonly [number, number];
  readonly channelMultiplier: number;
  readonly dtype: DType;
  /** Present only when it differs from dtype: see outputDtypeOf. */
  readonly outputDtype?: DType;
  readonly layout: Layout;
  readonly bias: boolean;
  readonly batchNorm: boolean;
  readonly activation: Activation;
  /** Present only when activation is 'leaky_relu'. */
  readonly negativeSlope?: number;
  readonly residual: Residual;
  /** Present only for a depthwise-separable block. */
  readonly pointwise?: PointwiseSpec;
}

const FIELDS = ['kernelSize', 'stride', 'padding', 'dilation', 'channelMultiplier', 'dtype', 'outputDtype', 'layout', 'bias', 'batchNorm', 'activation', 'negativeSlope', 'residual', 'pointwise'] as const;
const POINTWISE_FIELDS = ['outChannels', 'bias', 'activation', 'negativeSlope', 'tf32'] as const;
export const MAX_POINTWISE_CHANNELS = 4096;
export const LIMITS = {
  kernelSize: [1, 31],
  stride: [1, 8],
  padding: [0, 64],
  dilation: [1, 8],
  channelMultiplier: [1, 8],
} as const satisfies Record<string, readonly [number, number]>;

function integerIn(field: string, value: unknown, [lo, hi]: readonly [number, number]): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < lo || value > hi) {
    throw new SpecError(field, value, `an integer from ${lo} to ${hi}`);
  }
  return value;
}

function pair(field: keyof typeof LIMITS, value: unknown): [number, number] {
  const range = LIMITS[field];
  if (Array.isArray(value)) {
    if (value.length !== 2) throw new SpecError(field, value, `an integer or a pair [h, w] of integers from ${range[0]} to ${range[1]}`);
    return [integerIn(`${field}[0]`, value[0], range), integerIn(`${field}[1]`, value[1], range)];
  }
  const n = integerIn(field, value, range);
  return [n, n];
}

function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new SpecError(field, value, allowed.map((a) => `'${a}'`).join(' | '));
  }
  return value as T;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Validates every field and returns the canonical, deeply frozen spec. Throws SpecError. */
export function normalizeSpec(input: unknown): KernelSpec {
  if (!isPlainObject(input)) throw new SpecError('spec', input, 'an object such as { kernelSize: 3 }');
  for (const key of Object.keys(input)) {
    if (!(FIELDS as readonly string[]).includes(key)) throw new SpecError(`spec.${key}`, input[key], `known fields: ${FIELDS.join(', ')}`);
  }
  if (input.kernelSize === undefined) throw new SpecError('kernelSize', undefined, 'an integer from 1 to 31 or a pair [kh, kw] (required)');
  const kernelSize = pair('kernelSize', input.kernelSize);
  const stride = pair('stride', input.stride ?? 1);
  const dilation = pair('dilation', input.dilation ?? 1);
  let padding: [number, number, number, number];
  if (input.padding === 'same') {
    if (stride[0] !== 1 || stride[1] !== 1) throw new SpecError('padding', 'same', "'same' only with stride 1 (as in PyTorch)");
    // PyTorch puts the odd extra row/column at the bottom/right.
    const th = dilation[0] * (kernelSize[0] - 1);
    const tw = dilation[1] * (kernelSize[1] - 1);
    padding = [th >> 1, th - (th >> 1), tw >> 1, tw - (tw >> 1)];
  } else if (typeof input.padding === 'string') {
    throw new SpecError('padding', input.padding, "an integer from 0 to 64, [ph, pw], [top, bottom, left, right], or 'same'");
  } else if (Array.isArray(input.padding) && input.padding.length === 4) {
    const p = input.padding as unknown[];
    padding = [0, 1, 2, 3].map((i) => integerIn(`padding[${i}]`, p[i], LIMITS.padding)) as [number, number, number, number];
  } else {
    const [ph, pw] = pair('padding', input.padding ?? 0);
    padding = [ph, ph, pw, pw];
  }
  const channelMultiplier = integerIn('channelMultiplier', input.channelMultiplier ?? 1, LIMITS.channelMultiplier);
  const dtype = oneOf('dtype', input.dtype ?? 'float32', DTYPES);
  const outputDtype = oneOf('outputDtype', input.outputDtype ?? dtype, DTYPES);
  const layout = oneOf('layout', input.layout ?? 'NCHW', LAYOUTS);
  const bias = boolean('bias', input.bias);
  const batchNorm = boolean('batchNorm', input.batchNorm);
  const activation = oneOf('activation', input.activation ?? 'none', ACTIVATIONS);
  const negativeSlope = slope(activation, input.negativeSlope);
  const residual = input.residual === true ? 'after-activation' : input.residual === false ? 'none' : oneOf('residual', input.residual ?? 'none', RESIDUALS);
  const pw = input.pointwise === undefined ? undefined : pointwise(input.pointwise, dtype);
  if (pw && residual !== 'none') throw new SpecError('residual', input.residual, "'none' with pointwise (a residual on the block's output is not supported)");
  return deepFreeze({
    kernelSize, stride, padding, dilation, channelMultiplier, dtype, ...(outputDtype === dtype ? {} : { outputDtype }), layout, bias, batchNorm, activation,
    ...(negativeSlope === undefined ? {} : { negativeSlope }), residual, ...(pw ? { pointwise: pw } : {}),
  });
}

function pointwise(input: unknown, dtype: DType): PointwiseSpec {
  if (!isPlainObject(input)) throw new SpecError('pointwise', input, '{ outChannels, bias?, activation?, negativeSlope?, tf32? }');
  for (const key of Object.keys(input)) {
    if (!(POINTWISE_FIELDS as readonly string[]).includes(key)) throw new SpecError(`pointwise.${key}`, input[key], `known fields: ${POINTWISE_FIELDS.join(', ')}`);
  }
  const outChannels = integerIn('pointwise.outChannels', input.outChannels, [1, MAX_POINTWISE_CHANNELS]);
  const bias = boolean('pointwise.bias', input.bias);
  const activation = oneOf('pointwise.activation', input.activation ?? 'none', ACTIVATIONS);
  const negativeSlope = slope(activation, input.negativeSlope, 'pointwise.negativeSlope');
  const tf32 = boolean('pointwise.tf32', input.tf32);
  if (tf32 && dtype !== 'float32') throw new SpecError('pointwise.tf32', input.tf32, "false unless dtype is 'float32' (16-bit blocks multiply in their own type)");
  return { outChannels, bias, activation, ...(negativeSlope === undefined ? {} : { negativeSlope }), ...(tf32 ? { tf32: true as const } : {}) };
}

function boolean(field: string, value: unknown): boolean {
  if (value !== undefined && typeof value !== 'boolean') throw new SpecError(field, value, 'true | false');
  return value ?? false;
}

/** The float32 slope for leaky_relu; none for other activations. It is baked into source, so only finite numbers pass. */
function slope(activation: Activation, value: unknown, field = 'negativeSlope'): number | undefined {
  if (activation !== 'leaky_relu') {
    if (value !== undefined) throw new SpecError(field, value, "no value unless activation is 'leaky_relu'");
    return undefined;
  }
  const v = value ?? DEFAULT_NEGATIVE_SLOPE;
  if (typeof v !== 'number' || !Number.isFinite(v) || Math.abs(v) > 1e6) throw new SpecError(field, v, 'a finite number of magnitude at most 1e6');
  return Math.fround(v);
}

function deepFreeze<T extends object>(value: T): T {
  for (const v of Object.values(value)) if (typeof v === 'object' && v !== null) deepFreeze(v);
  return Object.freeze(value);
}

/** The output's (and the residual's) storage type. */
export function outputDtypeOf(spec: KernelSpec): DType {
  return spec.outputDtype ?? spec.dtype;
}

/** Same spec, same string: fields in a fixed order, no whitespace. */
export function canonicalJson(spec: KernelSpec): string {
  return JSON.stringify(spec, [...FIELDS, ...POINTWISE_FIELDS]);
}

/** A short name made only of [a-z0-9_], safe as a C symbol suffix and in file names. */
export function specTag(spec: KernelSpec): string {
  const [kh, kw] = spec.kernelSize;
  const [sh, sw] = spec.stride;
  const [pt, pb, pl, pr] = spec.padding;
  const [dh, dw] = spec.dilation;
  const short = { float32: 'f32', float16: 'f16', bfloat16: 'bf16' } as const;
  const dt = `${short[spec.dtype]}${spec.outputDtype ? `to${short[spec.outputDtype]}` : ''}`;
  return `k${kh}x${kw}_s${sh}x${sw}_p${pt}_${pb}_${pl}_${pr}_d${dh}x${dw}_m${spec.channelMultiplier}_${dt}_${spec.layout.toLowerCase()}${epilogueTag(spec)}`;
}

/**
 * A leaky slope other than PyTorch's default, as the hex of its float32 bits: two specs that differ
 * only in the slope must not share a C symbol (one library would answer for the other). The default
 * adds nothing, so the common symbols stay as they were.
 */
function slopeTag(slope: number | undefined): string {
  if (slope === undefined || slope === Math.fround(DEFAULT_NEGATIVE_SLOPE)) return '';
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, slope);
  return `_n${view.getUint32(0).toString(16).padStart(8, '0')}`;
}

/** The epilogue part of specTag. */
function epilogueTag(spec: KernelSpec): string {
  const res = { none: '', 'after-activation': '_res', 'before-activation': '_preres' }[spec.residual];
  const act = spec.activation === 'none' ? '' : `_${spec.activation}${slopeTag(spec.negativeSlope)}`;
  const pw = spec.pointwise;
  const block = pw ? `_pw${pw.outChannels}${pw.tf32 ? '_tf32' : ''}${pw.bias ? '_bias' : ''}${pw.activation === 'none' ? '' : `_${pw.activation}${slopeTag(pw.negativeSlope)}`}` : '';
  return `${spec.bias ? '_bias' : ''}${spec.batchNorm ? '_bn' : ''}${spec.residual === 'before-activation' ? res : ''}${act}${spec.residual === 'after-activation' ? res : ''}${block}`;
}

/** One line in words, for logs and the CLI. */
export function describeSpec(spec: KernelSpec): string {
  const [kh, kw] = spec.kernelSize;
  const [pt, pb, pl, pr] = spec.padding;
  const pad = pt === pb && pl === pr ? (pt === pl ? `${pt}` : `${pt}x${pl}`) : `${pt},${pb},${pl},${pr}`;
  return `${kh}x${kw} stride ${spec.stride.join('x')} pad ${pad} dilation ${spec.dilation.join('x')}${spec.channelMultiplier > 1 ? ` x${spec.channelMultiplier} channels` : ''} ${spec.dtype}${spec.outputDtype ? ` -> ${spec.outputDtype}` : ''} ${spec.layout}${describeEpilogue(spec)}`;
}

function describeEpilogue(spec: KernelSpec): string {
  const act = spec.activation === 'none' ? '' : ` ${spec.activation}${spec.negativeSlope === undefined ? '' : `(${spec.negativeSlope})`}`;
  const pre = spec.residual === 'before-activation' ? ' +residual' : '';
  const post = spec.residual === 'after-activation' ? ' +residual' : '';
  const pw = spec.pointwise;
  const block = pw ? ` -> 1x1${pw.tf32 ? ' (tf32)' : ''} to ${pw.outChannels}${pw.bias ? ' +bias' : ''}${pw.activation === 'none' ? '' : ` ${pw.activation}${pw.negativeSlope === undefined ? '' : `(${pw.negativeSlope})`}`}` : '';
  return `${spec.bias ? ' +bias' : ''}${spec.batchNorm ? ' +bn' : ''}${pre}${act}${post}${block}`;
}

/** [N, C, H, W] of a shape given in the spec's layout. */
export function logicalDims(spec: KernelSpec, shape: readonly [number, number, number, number]): [number, number, number, number] {
  const [a, b, c, d] = shape;
  return spec.layout === 'NHWC' ? [a, d, b, c] : [a, b, c, d];
}

/** A shape in the spec's layout from [N, C, H, W]. */
export function inLayout(spec: KernelSpec, [n, c, h, w]: readonly [number, number, number, number]): [number, number, number, number] {
  return spec.layout === 'NHWC' ? [n, h, w, c] : [n, c, h, w];
}

/** The weight shape PyTorch uses for this conv on `channels` input channels: [C*m, 1, kh, kw]. */
export function weightShape(spec: KernelSpec, channels: number): [number, number, number, number] {
  return [channels * spec.channelMultiplier, 1, spec.kernelSize[0], spec.kernelSize[1]];
}

/** The 1x1 weights' shape, as PyTorch's: [outChannels, C*m, 1, 1] for `channels` input channels. */
export function pointwiseWeightShape(pointwise: PointwiseSpec, spec: KernelSpec, channels: number): [number, number, number, number] {
  return [pointwise.outChannels, channels * spec.channelMultiplier, 1, 1];
}

/** The input channel count of a shape in the spec's layout. */
export function channelsOf(spec: KernelSpec, shape: readonly number[]): number {
  return shape[spec.layout === 'NHWC' ? 3 : 1]!;
}

/**
 * Output shape for an input shape, both in the spec's layout ([N, C*m, Ho, Wo] for NCHW, [N, Ho, Wo,
 * C*m] for NHWC); SpecError when the input is invalid or the output empty.
 */
export function outputShape(spec: KernelSpec, inputShape: unknown): [number, number, number, number] {
  const [n, c, h, w] = logicalDims(spec, checkShape('inputShape', inputShape, spec.layout));
  const ho = outputExtent(h, spec.kernelSize[0], spec.stride[0], spec.padding[0] + spec.padding[1], spec.dilation[0]);
  const wo = outputExtent(w, spec.kernelSize[1], spec.stride[1], spec.padding[2] + spec.padding[3], spec.dilation[1]);
  if (ho < 1 || wo < 1) {
    throw new SpecError('inputShape', inputShape, `H and W large enough for a non-empty output with this ${spec.kernelSize.join('x')} kernel (output would be ${ho}x${wo})`);
  }
  return inLayout(spec, [n, spec.pointwise?.outChannels ?? c * spec.channelMultiplier, ho, wo]);
}

export function outputExtent(size: number, k: number, s: number, padTotal: number, d: number): number {
  return Math.floor((size + padTotal - d * (k - 1) - 1) / s) + 1;
}

const MAX_DIM = 2 ** 31 - 1;
export function checkShape(field: string, shape: unknown, layout: Layout = 'NCHW'): [number, number, number, number] {
  if (!Array.isArray(shape) || shape.length !== 4) throw new SpecError(field, shape, `[${layout.split('').join(', ')}] with 4 positive integers`);
  const dims = shape.map((d, i) => integerIn(`${field}[${i}]`, d, [1, MAX_DIM]));
  const total = dims.reduce((a, b) => a * b, 1);
  if (total > Number.MAX_SAFE_INTEGER) throw new SpecError(field, shape, 'at most 2^53 elements');
  return dims as [number, number, number, number];
}
