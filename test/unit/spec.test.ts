import { describe, expect, it } from 'vitest';
import { SpecError } from '../../src/errors.js';
import { canonicalJson, describeSpec, normalizeSpec, outputDtypeOf, outputShape, specTag } from '../../src/spec.js';

describe('normalizeSpec', () => {
  it('fills PyTorch defaults: nn.Conv2d(C, C, k, groups=C, bias=False)', () => {
    expect(normalizeSpec({ kernelSize: 3 })).toEqual({
      kernelSize: [3, 3], stride: [1, 1], padding: [0, 0, 0, 0], dilation: [1, 1],
      channelMultiplier: 1, dtype: 'float32', layout: 'NCHW', bias: false,
      batchNorm: false, activation: 'none', residual: 'none',
    });
  });

  it('normalizes the epilogue: residual true is after the activation, the leaky slope is a float32 present only for leaky_relu', () => {
    expect(normalizeSpec({ kernelSize: 3, residual: true }).residual).toBe('after-activation');
    expect(normalizeSpec({ kernelSize: 3, residual: false }).residual).toBe('none');
    expect(normalizeSpec({ kernelSize: 3, activation: 'leaky_relu' }).negativeSlope).toBe(Math.fround(0.01));
    expect(normalizeSpec({ kernelSize: 3, activation: 'leaky_relu', negativeSlope: 0.2 }).negativeSlope).toBe(Math.fround(0.2));
    expect('negativeSlope' in normalizeSpec({ kernelSize: 3, activation: 'relu' })).toBe(false);
    const full = normalizeSpec({ kernelSize: 3, bias: true, batchNorm: true, activation: 'leaky_relu', negativeSlope: -0.3, residual: 'before-activation' });
    expect(normalizeSpec(full)).toEqual(full);
    // A slope other than the default is in the tag (its float32 bits): two slopes never share a C symbol.
    expect(specTag(full)).toBe('k3x3_s1x1_p0_0_0_0_d1x1_m1_f32_nchw_bias_bn_preres_leaky_relu_nbe99999a');
    const slopes = [0.01, 0.02, 0.2, -0.3, 1e-7].map((negativeSlope) => specTag(normalizeSpec({ kernelSize: 3, activation: 'leaky_relu', negativeSlope })));
    expect(new Set(slopes).size).toBe(slopes.length);
    expect(slopes[0]).toBe('k3x3_s1x1_p0_0_0_0_d1x1_m1_f32_nchw_leaky_relu'); // the default adds nothing
    expect(canonicalJson(full)).toContain('"activation":"leaky_relu","negativeSlope":-0.30000001192092896,"residual":"before-activation"');
  });

  it('normalizes a pointwise part: defaults filled, canonical JSON round-trips, tag and description name it', () => {
    const block = normalizeSpec({ kernelSize: 3, activation: 'relu6', pointwise: { outChannels: 24, activation: 'leaky_relu', negativeSlope: 0.2 } });
    expect(block.pointwise).toEqual({ outChannels: 24, bias: false, activation: 'leaky_relu', negativeSlope: Math.fround(0.2) });
    expect(normalizeSpec(block)).toEqual(block);
    expect(normalizeSpec(JSON.parse(canonicalJson(block)))).toEqual(block);
    expect(canonicalJson(block)).toContain('"pointwise":{"bias":false,"activation":"leaky_relu","negativeSlope":0.20000000298023224,"outChannels":24}');
    expect(specTag(block)).toBe('k3x3_s1x1_p0_0_0_0_d1x1_m1_f32_nchw_relu6_pw24_leaky_relu_n3e4ccccd');
    expect(Object.isFrozen(block.pointwise)).toBe(true);
    expect('pointwise' in normalizeSpec({ kernelSize: 3 })).toBe(false);
  });

  it('outputDtype: present only when it differs from dtype, in the tag, the description and the canonical JSON', () => {
    const same = normalizeSpec({ kernelSize: 3, dtype: 'float16', outputDtype: 'float16' });
    const cast = normalizeSpec({ kernelSize: 3, dtype: 'float16', outputDtype: 'float32' });
    expect('outputDtype' in same).toBe(false);
    expect(same).toEqual(normalizeSpec({ kernelSize: 3, dtype: 'float16' }));
    expect(cast.outputDtype).toBe('float32');
    expect(outputDtypeOf(cast)).toBe('float32');
    expect(outputDtypeOf(same)).toBe('float16');
    expect(specTag(cast)).toBe('k3x3_s1x1_p0_0_0_0_d1x1_m1_f16tof32_nchw');
    expect(describeSpec(cast)).toContain('float16 -> float32');
    expect(canonicalJson(cast)).toContain('"outputDtype":"float32"');
    expect(normalizeSpec(JSON.parse(canonicalJson(cast)))).toEqual(cast);
    expect(normalizeSpec({ kernelSize: 3, outputDtype: 'bfloat16' }).outputDtype).toBe('bfloat16');
  });

  it('pointwise.tf32: present only when true (float32 only), in the tag, the description and the canonical JSON', () => {
    const exact = normalizeSpec({ kernelSize: 3, pointwise: { outChannels: 24, tf32: false } });
    const tf32 = normalizeSpec({ kernelSize: 3, pointwise: { outChannels: 24, tf32: true } });
    expect('tf32' in exact.pointwise!).toBe(false);
    expect(exact).toEqual(normalizeSpec({ kernelSize: 3, pointwise: { outChannels: 24 } }));
    expect(tf32.pointwise!.tf32).toBe(true);
    expect(specTag(tf32)).toBe(`${specTag(exact).replace('_pw24', '_pw24_tf32')}`);
    expect(canonicalJson(tf32)).not.toBe(canonicalJson(exact));
    expect(canonicalJson(tf32)).toContain('"tf32":true');
    expect(normalizeSpec(tf32)).toEqual(tf32);
    expect(describeSpec(tf32)).toContain('1x1 (tf32)');
  });

  it('is frozen, deeply', () => {
    const s = normalizeSpec({ kernelSize: [3, 5] });
    expect(Object.isFrozen(s)).toBe(true);
    expect(Object.isFrozen(s.kernelSize)).toBe(true);
  });

  it('gives one canonical JSON for equivalent inputs', () => {
    const a = canonicalJson(normalizeSpec({ kernelSize: 3, stride: [1, 1], padding: 1 }));
    const b = canonicalJson(normalizeSpec({ padding: [1, 1], kernelSize: [3, 3], dtype: 'float32', bias: false }));
    expect(a).toBe(b);
    expect(specTag(normalizeSpec({ kernelSize: 3 }))).toMatch(/^[a-z0-9_]+$/);
  });

  it('accepts its own output: normalizing twice changes nothing', () => {
    const once = normalizeSpec({ kernelSize: [4, 2], padding: 'same', dilation: [2, 1], bias: true, dtype: 'bfloat16' });
    expect(normalizeSpec(once)).toEqual(once);
    expect(normalizeSpec({ kernelSize: 3, padding: [1, 2, 0, 3] }).padding).toEqual([1, 2, 0, 3]);
  });

  it("puts 'same' padding's odd extra at the bottom/right like PyTorch", () => {
    expect(normalizeSpec({ kernelSize: 3, padding: 'same' }).padding).toEqual([1, 1, 1, 1]);
    expect(normalizeSpec({ kernelSize: [4, 2], padding: 'same' }).padding).toEqual([1, 2, 0, 1]);
    expect(normalizeSpec({ kernelSize: 3, dilation: 2, padding: 'same' }).padding).toEqual([2, 2, 2, 2]);
  });

  const invalid: [string, unknown][] = [
    ['spec', null], ['spec', 3], ['spec', [3]], ['spec', 'k3'],
    ['kernelSize', {}], ['kernelSize', { kernelSize: 0 }], ['kernelSize', { kernelSize: 32 }], ['kernelSize', { kernelSize: 2.5 }],
    ['kernelSize', { kernelSize: Number.NaN }], ['kernelSize', { kernelSize: Number.POSITIVE_INFINITY }], ['kernelSize', { kernelSize: '3' }],
    ['kernelSize', { kernelSize: [3] }], ['kernelSize[1]', { kernelSize: [3, -1] }], ['kernelSize', { kernelSize: 3n }],
    ['stride', { kernelSize: 3, stride: 0 }], ['stride', { kernelSize: 3, stride: 9 }], ['stride[0]', { kernelSize: 3, stride: [1.5, 1] }],
    ['padding', { kernelSize: 3, padding: -1 }], ['padding', { kernelSize: 3, padding: 65 }], ['padding', { kernelSize: 3, padding: 'valid' }],
    ['padding', { kernelSize: 3, padding: 'same', stride: 2 }],
    ['padding[3]', { kernelSize: 3, padding: [1, 1, 1, 65] }], ['padding', { kernelSize: 3, padding: [1, 1, 1] }],
    ['dilation', { kernelSize: 3, dilation: 0 }], ['dilation', { kernelSize: 3, dilation: 9 }],
    ['channelMultiplier', { kernelSize: 3, channelMultiplier: 0 }], ['channelMultiplier', { kernelSize: 3, channelMultiplier: 9 }],
    ['channelMultiplier', { kernelSize: 3, channelMultiplier: [2, 2] }],
    ['dtype', { kernelSize: 3, dtype: 'float64' }], ['dtype', { kernelSize: 3, dtype: 'FLOAT32' }],
    ['layout', { kernelSize: 3, layout: 'NHWC ' }], ['layout', { kernelSize: 3, layout: 1 }],
    ['bias', { kernelSize: 3, bias: 'yes' }], ['bias', { kernelSize: 3, bias: 1 }],
    ['batchNorm', { kernelSize: 3, batchNorm: 'true' }], ['batchNorm', { kernelSize: 3, batchNorm: null }],
    ['activation', { kernelSize: 3, activation: 'ReLU' }], ['activation', { kernelSize: 3, activation: 'gelu"); system("x' }],
    ['activation', { kernelSize: 3, activation: ['relu'] }],
    ['negativeSlope', { kernelSize: 3, activation: 'leaky_relu', negativeSlope: Number.NaN }],
    ['negativeSlope', { kernelSize: 3, activation: 'leaky_relu', negativeSlope: Number.POSITIVE_INFINITY }],
    ['negativeSlope', { kernelSize: 3, activation: 'leaky_relu', negativeSlope: '0.1' }],
    ['negativeSlope', { kernelSize: 3, activation: 'leaky_relu', negativeSlope: 1e300 }],
    ['negativeSlope', { kernelSize: 3, activation: 'relu', negativeSlope: 0.1 }],
    ['residual', { kernelSize: 3, residual: 'yes' }], ['residual', { kernelSize: 3, residual: 1 }],
    ['pointwise', { kernelSize: 3, pointwise: 24 }], ['pointwise', { kernelSize: 3, pointwise: null }],
    ['pointwise.outChannels', { kernelSize: 3, pointwise: {} }], ['pointwise.outChannels', { kernelSize: 3, pointwise: { outChannels: 0 } }],
    ['pointwise.outChannels', { kernelSize: 3, pointwise: { outChannels: 4097 } }], ['pointwise.outChannels', { kernelSize: 3, pointwise: { outChannels: 2.5 } }],
    ['pointwise.bias', { kernelSize: 3, pointwise: { outChannels: 8, bias: 'yes' } }],
    ['pointwise.activation', { kernelSize: 3, pointwise: { outChannels: 8, activation: 'tanh' } }],
    ['pointwise.negativeSlope', { kernelSize: 3, pointwise: { outChannels: 8, negativeSlope: 0.1 } }],
    ['pointwise.negativeSlope', { kernelSize: 3, pointwise: { outChannels: 8, activation: 'leaky_relu', negativeSlope: Number.NaN } }],
    ['pointwise.groups', { kernelSize: 3, pointwise: { outChannels: 8, groups: 2 } }],
    ['pointwise.tf32', { kernelSize: 3, pointwise: { outChannels: 8, tf32: 1 } }],
    ['outputDtype', { kernelSize: 3, outputDtype: 'float64' }],
    ['pointwise.tf32', { kernelSize: 3, dtype: 'float16', pointwise: { outChannels: 8, tf32: true } }],
    ['residual', { kernelSize: 3, residual: true, pointwise: { outChannels: 8 } }],
    ['spec.kernel_size', { kernelSize: 3, kernel_size: 3 }],
    ['spec.__proto__', JSON.parse('{"kernelSize":3,"__proto__":{"bias":true}}')],
  ];
  it.each(invalid)('rejects bad %s with a SpecError naming it', (field, input) => {
    let caught: unknown;
    try {
      normalizeSpec(input);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SpecError);
    expect((caught as SpecError).field).toBe(field);
    expect((caught as SpecError).message).toContain('allowed');
  });
});

describe('outputShape', () => {
  it('a separable block outputs its 1x1 channels, in the spec layout', () => {
    expect(outputShape(normalizeSpec({ kernelSize: 3, padding: 1, pointwise: { outChannels: 24 } }), [2, 144, 56, 56])).toEqual([2, 24, 56, 56]);
    expect(outputShape(normalizeSpec({ kernelSize: 3, stride: 2, channelMultiplier: 2, layout: 'NHWC', pointwise: { outChannels: 5 } }), [1, 9, 9, 3])).toEqual([1, 4, 4, 5]);
  });

  it('follows PyTorch output size arithmetic', () => {
    expect(outputShape(normalizeSpec({ kernelSize: 3 }), [64, 128, 256, 512])).toEqual([64, 128, 254, 510]);
    expect(outputShape(normalizeSpec({ kernelSize: 3, stride: 2, padding: 1 }), [1, 8, 7, 8])).toEqual([1, 8, 4, 4]);
    expect(outputShape(normalizeSpec({ kernelSize: 3, dilation: 2, channelMultiplier: 3 }), [2, 4, 9, 5])).toEqual([2, 12, 5, 1]);
    expect(outputShape(normalizeSpec({ kernelSize: [4, 2], padding: 'same' }), [1, 1, 5, 6])).toEqual([1, 1, 5, 6]);
  });

  it('takes and gives NHWC shapes in NHWC order', () => {
    const s = normalizeSpec({ kernelSize: 3, stride: 2, padding: 1, channelMultiplier: 2, layout: 'NHWC' });
    expect(outputShape(s, [1, 7, 8, 3])).toEqual([1, 4, 4, 6]);
    expect(() => outputShape(s, [1, 7, 8])).toThrow(/\[N, H, W, C\]/);
  });

  it.each([
    [[1, 1, 2, 2]], [[1, 1, 3]], [[0, 1, 3, 3]], [[1, 1, 3, 3.5]], [[1, 1, -3, 3]], ['1,1,3,3'], [[1, 1, 2 ** 31, 3]],
  ])('rejects input shape %j', (shape) => {
    expect(() => outputShape(normalizeSpec({ kernelSize: 3 }), shape)).toThrow(SpecError);
  });
});
