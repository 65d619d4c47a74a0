import { Option, type Command } from 'commander';
import { ACTIVATIONS, DTYPES, LAYOUTS, SpecError, type SpecInput } from '../index.js';

/** "3" → 3, "3x5" or "3,5" → [3, 5]; validation of the numbers is normalizeSpec's job. */
function pairOf(field: string, text: string): number | [number, number] {
  const parts = text.split(/[x,]/).map((p) => (/^\d+$/.test(p.trim()) ? Number(p.trim()) : Number.NaN));
  if (parts.some(Number.isNaN) || parts.length < 1 || parts.length > 2) throw new SpecError(field, text, 'N or HxW with integers');
  return parts.length === 1 ? parts[0]! : [parts[0]!, parts[1]!];
}

const SPEC_FLAG_NAMES = [
  'kernelSize', 'stride', 'padding', 'dilation', 'multiplier', 'dtype', 'outputDtype', 'layout', 'bias', 'batchNorm',
  'activation', 'negativeSlope', 'residual', 'pointwise', 'pointwiseBias', 'pointwiseActivation', 'pointwiseTf32',
] as const;

export interface SpecFlags {
  kernelSize: string;
  stride?: string;
  padding?: string;
  dilation?: string;
  multiplier?: string;
  dtype?: string;
  outputDtype?: string;
  layout?: string;
  bias?: boolean;
  batchNorm?: boolean;
  activation?: string;
  negativeSlope?: string;
  residual?: string;
  pointwise?: string;
  pointwiseBias?: boolean;
  pointwiseActivation?: string;
  pointwiseTf32?: boolean;
}

/** Adds the spec's flags to a command. */
export function addSpecFlags(cmd: Command, defaults: { kernelSize?: string } = {}): Command {
  return cmd
    .addOption(new Option('-k, --kernel-size <n|HxW>', 'kernel size, 1..31').default(defaults.kernelSize ?? '3'))
    .option('--stride <n|HxW>', 'stride, 1..8')
    .option('--padding <n|HxW|same>', "padding, 0..64, or 'same'")
    .option('--dilation <n|HxW>', 'dilation, 1..8')
    .option('--multiplier <m>', 'channel multiplier, 1..8')
    .addOption(new Option('--dtype <dtype>', 'storage dtype').choices([...DTYPES]))
    .addOption(new Option('--output-dtype <dtype>', "the output's (and residual's) storage dtype, when it differs from --dtype").choices([...DTYPES]))
    .addOption(new Option('--layout <layout>', 'memory layout (shapes are given in its order)').choices([...LAYOUTS]))
    .option('--bias', 'add a per-channel bias')
    .option('--batch-norm', 'fuse a per-channel scale and shift (a folded BatchNorm)')
    .addOption(new Option('--activation <name>', 'fused activation').choices([...ACTIVATIONS]))
    .option('--negative-slope <x>', 'leaky_relu slope (default 0.01)')
    .addOption(new Option('--residual [where]', 'add a residual tensor after (default) or before the activation').choices(['after-activation', 'before-activation']))
    .option('--pointwise <channels>', 'fuse a 1x1 conv to this many channels after the depthwise one (a separable block)')
    .option('--pointwise-bias', "add the 1x1's per-channel bias")
    .addOption(new Option('--pointwise-activation <name>', "activation after the 1x1 (leaky_relu uses PyTorch's 0.01)").choices([...ACTIVATIONS]))
    .option('--pointwise-tf32', 'float32 only: the 1x1 as one TF32 product (PyTorch\'s default precision) instead of three');
}

/** The spec flags given on the command line (not defaults), as their long names: --spec-json cannot be combined with them. */
export function specFlagsGiven(cmd: Command): string[] {
  return SPEC_FLAG_NAMES.filter((name) => cmd.getOptionValueSource(name) === 'cli')
    .map((name) => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
}

export function specFromFlags(f: SpecFlags): SpecInput {
  const spec: Record<string, unknown> = { kernelSize: pairOf('kernelSize', f.kernelSize) };
  if (f.stride !== undefined) spec.stride = pairOf('stride', f.stride);
  if (f.padding !== undefined) spec.padding = f.padding === 'same' ? 'same' : pairOf('padding', f.padding);
  if (f.dilation !== undefined) spec.dilation = pairOf('dilation', f.dilation);
  if (f.multiplier !== undefined) spec.channelMultiplier = pairOf('channelMultiplier', f.multiplier);
  if (f.dtype !== undefined) spec.dtype = f.dtype;
  if (f.outputDtype !== undefined) spec.outputDtype = f.outputDtype;
  if (f.layout !== undefined) spec.layout = f.layout;
  if (f.bias) spec.bias = true;
  if (f.batchNorm) spec.batchNorm = true;
  if (f.activation !== undefined) spec.activation = f.activation;
  if (f.negativeSlope !== undefined) {
    const slope = Number(f.negativeSlope);
    if (f.negativeSlope.trim() === '' || !Number.isFinite(slope)) throw new SpecError('negativeSlope', f.negativeSlope, 'a finite number');
    spec.negativeSlope = slope;
  }
  if (f.residual !== undefined) spec.residual = (f.residual as unknown) === true ? 'after-activation' : f.residual;
  if (f.pointwise !== undefined) {
    spec.pointwise = {
      outChannels: /^\d+$/.test(f.pointwise.trim()) ? Number(f.pointwise.trim()) : f.pointwise,
      ...(f.pointwiseBias ? { bias: true } : {}),
      ...(f.pointwiseActivation !== undefined ? { activation: f.pointwiseActivation } : {}),
      ...(f.pointwiseTf32 ? { tf32: true } : {}),
    };
  } else if (f.pointwiseBias || f.pointwiseActivation !== undefined || f.pointwiseTf32) {
    throw new SpecError('pointwise', undefined, '--pointwise <channels> with --pointwise-bias, --pointwise-activation or --pointwise-tf32');
  }
  return spec as unknown as SpecInput;
}

/** "64,128,256,512" or "64x128x256x512" → [64, 128, 256, 512]. */
export function parseShape(text: string): [number, number, number, number] {
  const dims = text.split(/[x,]/).map((p) => (/^\d+$/.test(p.trim()) ? Number(p.trim()) : Number.NaN));
  if (dims.length !== 4 || dims.some((d) => Number.isNaN(d) || d < 1)) throw new SpecError('shape', text, 'N,C,H,W with four positive integers');
  return dims as [number, number, number, number];
}
