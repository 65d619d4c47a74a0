// A depthwise-separable block in one kernel: depthwise 5x5 with ReLU, then a 1x1 convolution to 16 channels.
// Only the block's output is written; the depthwise result never leaves the kernel.
//   node examples/separable-block.mjs
import { compile, pointwiseWeightShape } from 'dwconv-jit';

const [N, C, H, W] = [1, 8, 10, 10];
const kernel = await compile(
  { kernelSize: 5, padding: 2, activation: 'relu', pointwise: { outChannels: 16, bias: true } },
  { target: 'cpu' },
);

const input = Float32Array.from({ length: N * C * H * W }, (_, i) => ((i * 13) % 17) / 17 - 0.5);
const weight = new Float32Array(C * 25).fill(1 / 25); // a box blur per channel
const pwShape = pointwiseWeightShape(kernel.spec.pointwise, kernel.spec, C); // [16, 8, 1, 1], as PyTorch's
const pointwiseWeight = Float32Array.from({ length: pwShape.reduce((a, b) => a * b, 1) }, (_, i) => (i % 3) - 1);
const pointwiseBias = new Float32Array(16).fill(0.5);

const out = await kernel.run(input, [N, C, H, W], weight, undefined, { pointwiseWeight, pointwiseBias });
console.log(`separable block: input ${[N, C, H, W].join('x')} -> output ${kernel.outputShape([N, C, H, W]).join('x')} (${out.length} values)`);
if (out.length !== N * 16 * H * W || out.some(Number.isNaN)) process.exit(1);
