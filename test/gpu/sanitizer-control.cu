// Negative control for test/gpu/sanitize.sh: a kernel that writes one element past its buffer.
// memcheck must report it; if it does not, a clean matrix run proves nothing.
#include <cstdio>
#include <cuda_runtime.h>

__global__ void past_the_end(float* a, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i <= n) a[i] = 1.f;  // i == n is out of bounds
}

int main() {
  const int n = 1000;
  float* a = nullptr;
  if (cudaMalloc(&a, n * sizeof(float)) != cudaSuccess) return 2;
  past_the_end<<<(n + 128) / 128, 128>>>(a, n);
  cudaError_t e = cudaDeviceSynchronize();
  std::printf("control kernel finished: %s\n", cudaGetErrorString(e));
  cudaFree(a);
  return 0;
}
