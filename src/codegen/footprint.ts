// Builders of the launch plan's input footprints (src/plan/plan.ts): what one tile of an entry reads,
// written by each family from the constants its device template is rendered with.
import { num, type Expr, type Operand } from '../plan/expr.js';
import type { FootprintAxis } from '../plan/plan.js';
import type { KernelSpec } from '../spec.js';

const lift = (e: Operand): Expr => (typeof e === 'number' ? num(e) : e);

/**
 * Tile t along grid axis `axis` reads input indices [t * step + first, + span) of `extent`, elements
 * one by one (align 1) unless `align` says whole vectors; reads outside the input are masked.
 */
export function tileAxis(axis: 0 | 1 | 2, step: number, first: Operand, span: Operand, extent: Expr, more: Partial<Pick<FootprintAxis, 'align' | 'unit' | 'outside' | 'slack'>> = {}): FootprintAxis {
  const axisRead: FootprintAxis = { axis, step, first: lift(first), span: lift(span), extent, outside: more.outside ?? 'masked', align: more.align ?? 1, unit: more.unit ?? 'pixels' };
  return more.slack ? { ...axisRead, slack: more.slack } : axisRead;
}

/** One output pixel's window along an axis: from o * stride - pad, (k - 1) * dilation + 1 indices. */
export function pixelAxis(stride: number, pad: number, k: number, dilation: number, extent: Expr, outside: FootprintAxis['outside']): FootprintAxis {
  return { step: stride, first: num(-pad), span: num((k - 1) * dilation + 1), extent, outside, align: 1, unit: 'pixels' };
}

/**
 * Input columns, relative to the first one a tile (or strip) reads, that its outputs 0..tileW-1 read
 * in one tap row: each tap's column for each output, once, in order. The register-held families size
 * their tiles by it and write one load per column.
 */
export function columnsRead(spec: KernelSpec, tileW: number): number[] {
  const cols = new Set<number>();
  for (let t = 0; t < tileW; t++) for (let s = 0; s < spec.kernelSize[1]; s++) cols.add(t * spec.stride[1] + s * spec.dilation[1]);
  return [...cols].sort((a, b) => a - b);
}
