import type { SpecInput } from '../spec.js';

export interface BenchCase {
  readonly name: string;
  readonly group: 'reference' | 'kernel-size' | 'stride' | 'mobilenet' | 'fused' | 'separable';
  readonly spec: SpecInput;
  /** In the spec's layout. */
  readonly shape: readonly [number, number, number, number];
}

const REF = [64, 128, 256, 512] as const;

/** Ends the name of a separable case whose float32 1x1 runs as one TF32 product (pointwise.tf32). */
export const TF32_SUFFIX = ' tf32';

/** The bench cases: the reference problem per dtype, large kernels, stride 2, MobileNetV2/EfficientNet layers. */
export function benchCases(): BenchCase[] {
  const cases: BenchCase[] = [];
  for (const dtype of ['float32', 'float16', 'bfloat16'] as const) {
    cases.push({ name: `reference 3x3 ${dtype}`, group: 'reference', spec: { kernelSize: 3, dtype }, shape: REF });
  }
  for (const dtype of ['float32', 'float16', 'bfloat16'] as const) {
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
  return cases;
}
