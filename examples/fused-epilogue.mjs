// A MobileNetV2-style layer in one kernel: depthwise 3x3, bias, a folded BatchNorm, ReLU6, and a residual add.
//   node examples/fused-epilogue.mjs
import { compile, foldBatchNorm } from 'dwconv-jit';

const [N, C, H, W] = [2, 8, 12, 12];
const kernel = await compile(
  { kernelSize: 3, padding: 'same', bias: true, batchNorm: true, activation: 'relu6', residual: true },
  { target: 'cpu' },
);

const input = Float32Array.from({ length: N * C * H * W }, (_, i) => Math.cos(i));
const weight = Float32Array.from({ length: C * 9 }, (_, i) => ((i * 7) % 9) / 9 - 0.4);
const bias = Float32Array.from({ length: C }, (_, c) => c / C);
// The inference BatchNorm's running statistics, folded into a per-channel scale and shift.
const { scale, shift } = foldBatchNorm({ mean: new Float32Array(C).fill(0.1), variance: new Float32Array(C).fill(0.5) });
const residual = new Float32Array(N * C * H * W).fill(0.25);

const out = await kernel.run(input, [N, C, H, W], weight, bias, { scale, shift, residual });
const inRange = out.every((v) => v >= 0.25 - 1e-6 && v <= 6.25 + 1e-6); // relu6 then + 0.25
console.log(`fused layer: ${out.length} outputs, all within [0.25, 6.25]: ${inRange}`);
if (!inRange) process.exit(1);
