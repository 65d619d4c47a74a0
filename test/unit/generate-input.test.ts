// generate() is exported: what it is given is user input, not a spec normalizeSpec() made. Fields
// carrying code (the payloads an outside battery used) are refused before any source is written,
// and nothing but validated numbers and enums ever reaches the source.
import { describe, expect, it } from 'vitest';
import { generate } from '../../src/codegen/generate.js';
import { SpecError } from '../../src/errors.js';
import { normalizeSpec, type KernelSpec } from '../../src/spec.js';

const PAYLOAD = '1); } __attribute__((constructor)) static void evil() { system("id"); } //';
const good = normalizeSpec({ kernelSize: 3, bias: true, activation: 'leaky_relu' });

describe('generate() on input that is not a normalized spec', () => {
  it.each([
    ['kernelSize', [PAYLOAD, 3]],
    ['stride', PAYLOAD],
    ['padding', [PAYLOAD, 1, 1, 1]],
    ['dilation', [1, PAYLOAD]],
    ['channelMultiplier', PAYLOAD],
    ['dtype', `float"; ${PAYLOAD}`],
    ['layout', PAYLOAD],
    ['activation', PAYLOAD],
    ['negativeSlope', PAYLOAD],
    ['bias', PAYLOAD],
    ['residual', PAYLOAD],
    ['pointwise', { outChannels: PAYLOAD }],
    ['evil', PAYLOAD],
  ])('%s carrying code: a SpecError naming it, for both targets', (field, value) => {
    for (const target of ['cpu', 'cuda'] as const) {
      let err: unknown;
      try {
        generate({ ...good, [field]: value } as unknown as KernelSpec, target);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SpecError);
      expect((err as SpecError).field).toMatch(new RegExp(`^(spec\\.)?${field}`));
    }
  });

  it('a spec given as a plain object gives the same source as its normalized form, with no field copied verbatim', () => {
    for (const target of ['cpu', 'cuda'] as const) {
      const fromPlain = generate({ kernelSize: 3, bias: true, activation: 'leaky_relu' } as unknown as KernelSpec, target);
      expect(fromPlain.source).toBe(generate(good, target).source);
    }
  });

  it('a target other than cpu or cuda is a SpecError', () => {
    expect(() => generate(good, PAYLOAD as never)).toThrow(SpecError);
  });
});
