// Tensors: the zero-copy path. Operands live in Tensors (host memory here; device memory on CUDA) and
// forward() writes into an output you own, so a loop of launches allocates nothing.
//   node examples/tensors.mjs
import { compile, Tensor } from 'dwconv-jit';

const shape = [1, 4, 32, 32];
const kernel = await compile({ kernelSize: 3, padding: 1, dtype: 'bfloat16' }, { target: 'cpu' });

const opts = { dtype: 'bfloat16', device: 'cpu' };
const x = Tensor.fromArray(Float32Array.from({ length: 4 * 32 * 32 }, (_, i) => i / 4096), shape, opts);
const w = Tensor.fromArray(new Float32Array(4 * 9).fill(1 / 9), kernel.weightShape(4), opts);
const out = Tensor.empty(kernel.outputShape(shape), opts);
try {
  for (let i = 0; i < 3; i++) kernel.forward(x, w, undefined, { out });
  const y = out.toArray(); // decoded to float32
  console.log(`bfloat16 output ${out.shape.join('x')}, ${out.byteLength} bytes; y[33] = ${y[33].toFixed(4)}`);
  if (y.some(Number.isNaN)) process.exit(1);
} finally {
  for (const t of [x, w, out]) t.dispose();
}
