import type { SpecInput } from '../spec.js';
import { caseTargets, type Targets } from './bench-targets.js';

export const BENCH_GROUPS = ['reference', 'kernel-size', 'stride', 'fused', 'mobilenet', 'separable', 'widths', 'convnext'] as const;
export type BenchGroup = (typeof BENCH_GROUPS)[number];

export interface BenchCase {
  readonly name: string;
  readonly group: BenchGroup;
  readonly spec: SpecInput;
  /** In the spec's layout. */
  readonly shape: readonly [number, number, number, number];
  /** What the case should reach (bench-targets.ts); a chart draws them. */
  readonly targets: Targets;
  /** The case at the nearest aligned width (widths group): this case's GB/s is reported as a share of its. */
  readonly alignedTo?: string;
  /** false: not timed in PyTorch (the widths group compares widths with each other, not with PyTorch). */
  readonly torch: boolean;
}

const REF = [64, 128, 256, 512] as const;
const DTYPES = ['float32', 'float16', 'bfloat16'] as const;

/**
 * Input row widths of the widths group: around 512, 1024 and 2048, on both sides of each, so every
 * remainder modulo the vector widths the kernels load (4 float32 or 8 16-bit values) appears.
 */
export const WIDTH_RANGES: readonly (readonly number[])[] = [
  [509, 510, 511, 512, 513, 514, 515, 516],
  [1023, 1024, 1025, 1026],
  [2047, 2048, 2049, 2050],
];

/**
 * Widths counted as aligned: multiples of 16 elements, which every vector width the kernels load
 * divides (16 bytes: 4 float32 or 8 16-bit values; 64 bytes a row at most). Each width range above
 * holds exactly one (512, 1024, 2048).
 */
export const ALIGNED_ELEMENTS = 16;

/** The aligned width nearest to w. */
export function alignedWidth(w: number): number {
  return Math.max(ALIGNED_ELEMENTS, Math.round(w / ALIGNED_ELEMENTS) * ALIGNED_ELEMENTS);
}

/**
 * Batch of the widths group at input width w: the reference problem's bytes (N = 64 at W = 512)
 * kept about constant as the rows grow, so every width is timed on a tensor far past the L2.
 */
export function widthBatch(w: number): number {
  return Math.max(1, Math.round((REF[0] * REF[3]) / alignedWidth(w)));
}

/** The ConvNeXt stages' depthwise layers (channels, plane side): 7x7, padding 3, channels_last. */
export const CONVNEXT_STAGES: readonly (readonly [number, number])[] = [[96, 56], [192, 28], [384, 14], [768, 7]];
export const CONVNEXT_BATCH = 64;

type CaseInput = Omit<BenchCase, 'targets' | 'torch'> & { readonly torch?: boolean };
const benchCase = (c: CaseInput): BenchCase => ({ ...c, torch: c.torch ?? true, targets: caseTargets(c.group, c.spec) });

/**
 * The widths group: the reference problem (3x3, no padding) and 7x7 'same', NCHW, every dtype, at
 * each width of WIDTH_RANGES (H = 256, C = 128, N from widthBatch), each against its aligned width.
 */
export function widthCases(): BenchCase[] {
  const windows = [['3x3', { kernelSize: 3 }], ['7x7 same', { kernelSize: 7, padding: 'same' }]] as const;
  const name = (w: number, window: string, dtype: string) => `width ${w} ${window} ${dtype}`;
  return windows.flatMap(([window, spec]) => DTYPES.flatMap((dtype) => WIDTH_RANGES.flat().map((w) => benchCase({
    name: name(w, window, dtype), group: 'widths', spec: { ...spec, dtype }, shape: [widthBatch(w), REF[1], REF[2], w],
    alignedTo: name(alignedWidth(w), window, dtype), torch: false,
  }))));
}

/** The convnext group: each stage's 7x7 depthwise layer, batch 64, NHWC, every dtype, against PyTorch's channels_last. */
export function convnextCases(): BenchCase[] {
  return CONVNEXT_STAGES.flatMap(([c, hw]) => DTYPES.map((dtype) => benchCase({
    name: `convnext C${c} ${hw}x${hw} ${dtype} NHWC`, group: 'convnext',
    spec: { kernelSize: 7, padding: 3, dtype, layout: 'NHWC' }, shape: [CONVNEXT_BATCH, hw, hw, c],
  })));
}

/** Ends the name of a separable case whose float32 1x1 runs as one TF32 product (pointwise.tf32). */
export const TF32_SUFFIX = ' tf32';

/**
 * The bench cases: the reference problem per dtype and layout, large kernels, stride 2, fused
 * epilogues, MobileNetV2/EfficientNet layers, separable blocks, row widths, ConvNeXt stages.
 */
export function benchCases(): BenchCase[] {
  const cases: CaseInput[] = [];
  for (const dtype of DTYPES) {
    cases.push({ name: `reference 3x3 ${dtype}`, group: 'reference', spec: { kernelSize: 3, dtype }, shape: REF });
  }
  for (const dtype of DTYPES) {
    cases.push({ name: `reference 3x3 ${dtype} NHWC`, group: 'reference', spec: { kernelSize: 3, dtype, layout: 'NHWC' }, shape: [REF[0], REF[2], REF[3], REF[1]] });
  }
  for (const k of [5, 7, 11, 31]) {
    cases.push({ name: `${k}x${k} pad ${k >> 1} fp32`, group: 'kernel-size', spec: { kernelSize: k, padding: k >> 1 }, shape: REF });
  }
  cases.push({ name: '3x3 stride 2 pad 1 fp32', group: 'stride', spec: { kernelSize: 3, stride: 2, padding: 1 }, shape: REF });
  // Fused epilogues on the reference problem: each against eager PyTorch running the same ops.
  const fused: [string, Omit<SpecInput, 'kernelSize'>][] = [
    ['+bias+relu6', { bias: true, activation: 'relu6' }],
    ['+bias+bn+relu6', { bias: true, batchNorm: true, activation: 'relu6' }],
    ['+bias+silu', { bias: true, activation: 'silu' }],
    ['+bias+gelu', { bias: true, activation: 'gelu' }],
    ['+bias+bn+residual', { bias: true, batchNorm: true, residual: true }],
  ];
  for (const [what, epi] of fused) {
    cases.push({ name: `reference 3x3 fp32 ${what}`, group: 'fused', spec: { kernelSize: 3, ...epi }, shape: REF });
  }
  cases.push({ name: 'reference 3x3 bf16 +bias+bn+relu6', group: 'fused', spec: { kernelSize: 3, dtype: 'bfloat16', bias: true, batchNorm: true, activation: 'relu6' }, shape: REF });
  // MobileNetV2 depthwise layers (3x3, pad 1) and EfficientNet-B0 5x5 ones, batch 64.
  const layers: [number, number, number, number][] = [
    [32, 112, 3, 1], [96, 112, 3, 2], [144, 56, 3, 1], [144, 56, 3, 2], [192, 28, 3, 1], [192, 28, 3, 2],
    [384, 14, 3, 1], [576, 14, 3, 1], [576, 14, 3, 2], [960, 7, 3, 1],
    [240, 28, 5, 1], [480, 14, 5, 1], [672, 14, 5, 2], [1152, 7, 5, 1],
  ];
  for (const [c, hw, k, s] of layers) {
    for (const dtype of ['float32', 'float16'] as const) {
      cases.push({ name: `C${c} ${hw}x${hw} ${k}x${k} s${s} ${dtype}`, group: 'mobilenet', spec: { kernelSize: k, stride: s, padding: k >> 1, dtype }, shape: [64, c, hw, hw] });
    }
  }
  // Separable blocks: MobileNetV2 inverted-residual depthwise (3x3, BN folded into the bias,
  // relu6) and projection (1x1, BN folded, linear), batch 64. float32 twice: float32 accuracy (the
  // default), and with pointwise.tf32 (TF32_SUFFIX), the precision of PyTorch's float32 convolutions.
  const blocks: [number, number, number][] = [[144, 24, 56], [192, 32, 28], [384, 64, 14], [960, 160, 7]];
  for (const [c, cout, hw] of blocks) {
    for (const [dtype, tf32] of [['float32', false], ['float32', true], ['float16', false], ['bfloat16', false]] as const) {
      cases.push({
        name: `block C${c}->${cout} ${hw}x${hw} ${dtype}${tf32 ? TF32_SUFFIX : ''}`, group: 'separable', shape: [64, c, hw, hw],
        spec: { kernelSize: 3, padding: 1, dtype, bias: true, activation: 'relu6', pointwise: { outChannels: cout, bias: true, ...(tf32 ? { tf32 } : {}) } },
      });
    }
  }
  return [...cases.map(benchCase), ...widthCases(), ...convnextCases()];
}
