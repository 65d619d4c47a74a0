// Lab harness: times one generated separable kernel (included via -include) on random data.
#include <cstdio>
#include <cstdlib>
#include <vector>
#include <algorithm>
#include <cuda_runtime.h>
#define CK(x) do { cudaError_t e_ = (x); if (e_ != cudaSuccess) { printf("CUDA %s at %d\n", cudaGetErrorString(e_), __LINE__); exit(1); } } while (0)
static void fill(void* d, size_t bytes) {
  std::vector<unsigned short> h(bytes / 2);
  unsigned s = 12345;
  for (auto& v : h) { s = s * 1664525u + 1013904223u; v = (unsigned short)(0x3000 + ((s >> 16) & 0x07ff)); }  // small positive halves / floats
  CK(cudaMemcpy(d, h.data(), bytes, cudaMemcpyHostToDevice));
}
int main(int argc, char** argv) {
  long long N = atoll(argv[1]), C = atoll(argv[2]), H = atoll(argv[3]), W = atoll(argv[4]), CO = atoll(argv[5]);
  const int es = atoi(argv[6]);  // bytes per element
  void *x, *w, *db, *pw, *pb, *y;  // db: the depthwise bias, read only by specs with one
  CK(cudaMalloc(&x, N * C * H * W * es)); CK(cudaMalloc(&w, C * 9 * es)); CK(cudaMalloc(&pw, C * CO * es));
  CK(cudaMalloc(&pb, CO * es)); CK(cudaMalloc(&db, C * es)); CK(cudaMalloc(&y, N * CO * H * W * es));
  fill(x, N * C * H * W * es); fill(w, C * 9 * es); fill(pw, C * CO * es); fill(pb, CO * es); fill(db, C * es);
  cudaEvent_t a, b; CK(cudaEventCreate(&a)); CK(cudaEventCreate(&b));
  std::vector<float> t;
  // Warm-up long enough for the clocks to rise (a 15 us kernel timed 10x slow after idle: session 4).
  for (int i = 0; i < 200; ++i) SYM(x, w, db, nullptr, nullptr, nullptr, pw, pb, y, N, C, H, W, nullptr);
  for (int i = 0; i < 25; ++i) {
    CK(cudaEventRecord(a));
    int st = SYM(x, w, db, nullptr, nullptr, nullptr, pw, pb, y, N, C, H, W, nullptr);
    CK(cudaEventRecord(b)); CK(cudaEventSynchronize(b));
    if (st) { printf("status %d\n", st); return 1; }
    float ms; CK(cudaEventElapsedTime(&ms, a, b)); if (i >= 5) t.push_back(ms);
  }
  CK(cudaGetLastError());
  std::sort(t.begin(), t.end());
  printf("%s N=%lld C=%lld H=%lld W=%lld CO=%lld median %.4f ms\n", argv[7], N, C, H, W, CO, t[t.size() / 2]);
}
