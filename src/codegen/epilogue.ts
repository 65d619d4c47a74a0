import type { Activation, KernelSpec } from '../spec.js';
import type { Target } from '../target.js';

/** A float32 value as a C literal that reads back exactly (9 significant digits round-trip a float). */
export function floatLiteral(value: number): string {
  const v = Math.fround(value);
  if (!Number.isFinite(v)) throw new Error(`not a finite float: ${value}`); // normalizeSpec lets none through
  return `${v.toPrecision(9)}f`;
}

/** How the epilogue functions are declared on each target. */
const QUALIFIER: Readonly<Record<Target, string>> = { cuda: '[[maybe_unused]] __device__ __forceinline__', cpu: 'static inline' };

/** The activation of float z as a C expression; the math functions are the float ones of each target. */
function activationExpr(activation: Activation, target: Target, negativeSlope: number | undefined): string {
  const fn = (name: 'exp' | 'erf' | 'tanh') => (target === 'cuda' ? `${name}f` : `std::${name}`);
  switch (activation) {
    case 'none': return 'z';
    // Written as z < 0 ? ... : z so that NaN passes through, as in PyTorch.
    case 'relu': return 'z < 0.f ? 0.f : z';
    case 'relu6': return 'z < 0.f ? 0.f : (z > 6.f ? 6.f : z)';
    case 'leaky_relu': return `z < 0.f ? z * ${floatLiteral(negativeSlope ?? 0.01)} : z`;
    // On CUDA the hardware exp2 and divide (a few ulp, far inside the fp32 tolerance): docs/perf.md measured the
    // full-precision forms at 5.3% over the plain kernel, against a 5% budget.
    case 'silu': return target === 'cuda' ? '__fdividef(z, 1.f + __expf(-z))' : `z / (1.f + ${fn('exp')}(-z))`;
    case 'gelu': return `0.5f * z * (1.f + ${fn('erf')}(z * 0.707106781f))`; // CUDA: CUDA_GELU (activationStatements)
    case 'gelu_tanh': return `0.5f * z * (1.f + ${fn('tanh')}(0.797884561f * (z + 0.044715f * z * z * z)))`;
    // PyTorch computes z * relu6(z + 3) / 6: below -3 that is z * 0, which is -0 for finite z and NaN for -inf.
    case 'hardswish': return 'z <= -3.f ? z * 0.f : (z >= 3.f ? z : z * (z + 3.f) * (1.f / 6.f))';
    case 'sigmoid': return target === 'cuda' ? '__fdividef(1.f, 1.f + __expf(-z))' : `1.f / (1.f + ${fn('exp')}(-z))`;
  }
}

/**
 * gelu (erf form) on CUDA without erff, whose two branches a warp of mixed signs runs both of
 * (gelu with erff measured +5.9% over the plain kernel, against a 5% budget: docs/perf.md). Phi(z) from
 * erfc by Abramowitz & Stegun 7.1.26 (|error| <= 1.5e-7), branch-free with the hardware reciprocal
 * and exp2; erfc is taken directly for z < 0, so small negative outputs keep their relative accuracy.
 * Largest error over z in [-12, 12] in float32: 3.0e-7 |z| (the fp32 tolerance is 1e-5 of the magnitude).
 */
const CUDA_GELU = [
  '  {  // gelu, erf form: z * Phi(z), Phi from erfc(|z|/sqrt 2) (Abramowitz & Stegun 7.1.26)',
  '    const float u = fabsf(z) * 0.707106781f;',
  '    const float t = __fdividef(1.f, fmaf(0.327591091f, u, 1.f));',
  '    float p = fmaf(1.06140542f, t, -1.45315206f);',
  '    p = fmaf(p, t, 1.42141378f);',
  '    p = fmaf(p, t, -0.284496725f);',
  '    p = fmaf(p, t, 0.254829586f);',
  '    const float half_erfc = 0.5f * p * t * __expf(-u * u);',
  '    z *= z < 0.f ? half_erfc : 1.f - half_erfc;',
  '  }',
];

/** The statements that apply the activation to z. */
function activationStatements(activation: Activation, target: Target, negativeSlope: number | undefined): string[] {
  if (activation === 'none') return [];
  if (activation === 'gelu' && target === 'cuda') return CUDA_GELU;
  return [`  z = ${activationExpr(activation, target, negativeSlope)};`];
}

/**
 * The fused epilogue as one inline function of the accumulator and the per-element operands, in the
 * spec's order: bias, batchNorm (scale, shift), residual before the activation, activation, residual
 * after it. Callers pass 0 for operands the spec lacks; the compiler drops them.
 */
export function epilogueFunction(spec: KernelSpec, target: Target): string {
  const fma = target === 'cuda' ? 'fmaf' : 'std::fma';
  const body: string[] = [];
  // Bias then BatchNorm as one multiply-add, z * scale + (bias * scale + shift): the bracket is the
  // same for a thread's outputs of one channel, so the compiler computes it once.
  if (spec.bias && spec.batchNorm) body.push(`  z = ${fma}(z, scale, ${fma}(bias, scale, shift));`);
  else if (spec.bias) body.push('  z += bias;');
  else if (spec.batchNorm) body.push(`  z = ${fma}(z, scale, shift);`);
  if (spec.residual === 'before-activation') body.push('  z += res;');
  body.push(...activationStatements(spec.activation, target, spec.negativeSlope));
  if (spec.residual === 'after-activation') body.push('  z += res;');
  const unused = ['bias', 'scale', 'shift', 'res'].map((n) => `(void)${n};`).join(' ');
  return [
    `// Epilogue: ${describeEpilogueOrder(spec)}.`,
    `${QUALIFIER[target]} float epilogue(float z, float bias, float scale, float shift, float res) {`,
    `  ${unused}`,
    ...body,
    '  return z;',
    '}',
  ].join('\n');
}

function describeEpilogueOrder(spec: KernelSpec): string {
  const steps = [
    spec.bias && 'bias',
    spec.batchNorm && 'scale and shift',
    spec.residual === 'before-activation' && 'residual',
    spec.activation !== 'none' && spec.activation,
    spec.residual === 'after-activation' && 'residual',
  ].filter(Boolean);
  return steps.length ? steps.join(', then ') : 'none';
}

/** Whether the spec has any epilogue beyond the plain convolution. */
export function hasEpilogue(spec: KernelSpec): boolean {
  return spec.bias || spec.batchNorm || spec.activation !== 'none' || spec.residual !== 'none';
}

/** The 1x1's epilogue of a depthwise-separable block: its bias, then its activation. Empty without pointwise. */
export function pointwiseEpilogueFunction(spec: KernelSpec, target: Target): string {
  const pw = spec.pointwise;
  if (!pw) return '';
  return [
    `// Pointwise epilogue: ${[pw.bias && 'bias', pw.activation !== 'none' && pw.activation].filter(Boolean).join(', then ') || 'none'}.`,
    `${QUALIFIER[target]} float pw_epilogue(float z, float bias) {`,
    '  (void)bias;',
    ...(pw.bias ? ['  z += bias;'] : []),
    ...activationStatements(pw.activation, target, pw.negativeSlope),
    '  return z;',
    '}',
  ].join('\n');
}
