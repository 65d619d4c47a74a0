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

/** 4 sqrt 2: past it Phi(-|z|) < 7.7e-9 and the CUDA gelu takes it as 0. */
const GELU_LOWER_TAIL_END = 5.65685425;
/** log2 Phi(-a) on [0, GELU_LOWER_TAIL_END], a degree-6 polynomial in a, constant term first (weighted least squares toward minimax, scipy). */
const GELU_LOG2_PHI = [-0.999999702, -1.15112209, -0.459059983, -0.052965913, 0.00775484042, -0.000658766017, 1.91966446e-05];

/**
 * gelu (erf form) on CUDA without erff, whose two branches a warp of mixed signs runs both of
 * (gelu with erff measured +5.9% over the plain kernel on an H100, docs/perf.md), and with one
 * hardware function: z * Phi(z), where Phi(-|z|) = 2^p(|z|) and p is a degree-6 polynomial fitted to
 * log2 Phi(-a) on [0, 4 sqrt 2] (weighted by Phi(-a), so the error is absolute in Phi); 0 beyond,
 * where Phi(-a) < 7.7e-9, which also makes -inf give NaN as the erf form does. Largest error over z
 * in [-16, 16], float32 evaluation, the exp2's 2^-22 relative error included: 3.0e-7 |z| (the fp32
 * tolerance is 1e-5 of the magnitude; test/toolchain/cuda-gelu.test.ts). The Abramowitz & Stegun
 * 7.1.26 form it replaced took a reciprocal and an exp per output, two operations of the SFU, which
 * does 16 a cycle per SM; on an H200 the fp32 reference + bias + gelu went from +14.9% over the plain
 * kernel to +4.8% (docs/perf.md).
 */
const CUDA_GELU = [
  '  {  // gelu, erf form: z * Phi(z), with Phi(-|z|) = 2^p(|z|) (p fitted to log2 Phi; 0 past 4 sqrt 2)',
  '    const float a = fabsf(z);',
  `    float p = fmaf(${floatLiteral(GELU_LOG2_PHI[6]!)}, a, ${floatLiteral(GELU_LOG2_PHI[5]!)});`,
  ...[4, 3, 2, 1, 0].map((k) => `    p = fmaf(p, a, ${floatLiteral(GELU_LOG2_PHI[k]!)});`),
  `    const float lower = a < ${floatLiteral(GELU_LOWER_TAIL_END)} ? exp2_ftz(p) : 0.f;`,
  '    z *= z < 0.f ? lower : 1.f - lower;',
  '  }',
];

/**
 * The hardware's 2^x (ex2.approx.ftz: one SFU instruction, 2^-22 relative; exp2f is ex2.approx without
 * ftz, which ptxas wraps in a denormal rescale). The CUDA gelu's values of it lie in [7.7e-9, 0.5],
 * normal floats. Host compilers (a test runs the epilogue's arithmetic on the CPU) take exp2f.
 */
const CUDA_EXP2_FTZ = [
  '[[maybe_unused]] __device__ __forceinline__ float exp2_ftz(float x) {',
  '#ifdef __CUDA_ARCH__',
  '  float r;',
  '  asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(r) : "f"(x));',
  '  return r;',
  '#else',
  '  return exp2f(x);',
  '#endif',
  '}',
].join('\n');

/** What the epilogue functions call beyond the math library, before them in a source (empty where nothing). */
export function epilogueHelpers(spec: KernelSpec, target: Target): string {
  const gelu = spec.activation === 'gelu' || spec.pointwise?.activation === 'gelu';
  return target === 'cuda' && gelu ? CUDA_EXP2_FTZ : '';
}

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
