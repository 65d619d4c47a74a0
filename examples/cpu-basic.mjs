// A 3x3 depthwise convolution on the CPU target, checked against the float64 reference.
//   node examples/cpu-basic.mjs
import { compile, reference } from 'dwconv-jit';

const [N, C, H, W] = [1, 4, 16, 16];
const kernel = await compile({ kernelSize: 3, padding: 1 }, { target: 'cpu' });

const input = Float32Array.from({ length: N * C * H * W }, (_, i) => Math.sin(i));
const weight = Float32Array.from({ length: C * 3 * 3 }, (_, i) => (i % 9) / 9 - 0.5); // [C, 1, 3, 3], as PyTorch's
const output = await kernel.run(input, [N, C, H, W], weight);

const expected = reference({ spec: kernel.spec, inputShape: [N, C, H, W], input: (i) => input[i], weight });
const maxError = output.reduce((m, v, i) => Math.max(m, Math.abs(v - expected.values[i])), 0);
console.log(`${kernel.target} kernel ${kernel.key.slice(0, 12)}: output ${kernel.outputShape([N, C, H, W]).join('x')}, max error ${maxError.toExponential(1)}`);
if (maxError > 1e-5) process.exit(1);
