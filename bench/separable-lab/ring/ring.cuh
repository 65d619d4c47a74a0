// Lab: the shared-memory row ring for wide windows (issue 3), fp32 NCHW, stride 1, no padding.
// A block of 128 threads owns a strip of 512 output columns of one plane (4 a lane, lanes on
// neighbouring quads) and a segment of SEG output rows; it walks down them TH rows a step. A ring of
// KH + TH - 1 input rows of the strip (plus the halo) lives in shared memory; each step loads TH new
// rows (16-byte loads, issued before the step's arithmetic so that they overlap it) and every lane
// reads its 4 + KW - 1 columns of a ring row with aligned 16-byte shared loads. Weights: registers for
// small windows (fully unrolled), shared memory (broadcast 16-byte loads) otherwise.
// Defines before inclusion: RK (window), RTH (rows a step), RSEG (output rows a block).
#include <cuda_runtime.h>
typedef long long i64;
constexpr int KH = RK, KW = RK, M = 1;
#define LAB_CHECK_VALID 1  // main.cu checks samples against a float64 valid (unpadded) convolution

namespace ring {
constexpr int THREADS = 128;
constexpr int COLS = 4 * THREADS;                 // output columns of a strip
constexpr int TH = RTH;
constexpr int SEG = RSEG;
constexpr int R = KH + TH - 1;                    // ring rows
constexpr int NQ = (KW + 3 + 3) / 4;              // 16-byte shared loads a lane needs from a row
constexpr int ROWQ = THREADS + NQ - 1;            // quads of a ring row
constexpr int ROW = 4 * ROWQ;                     // floats of a ring row
constexpr int KWP = (KW + 3) / 4 * 4;             // a weight row padded to whole quads
constexpr bool REG_WEIGHTS = KH * KW <= 49;
constexpr int EXTRA = ROWQ - THREADS;             // halo quads a row, loaded by lanes 0..EXTRA-1
constexpr int SMEM = (R * ROW + (REG_WEIGHTS ? 0 : KH * KWP)) * 4;

struct Row { float4 a, b; };

// Input row ih of the strip starting at input column c0 (a multiple of 4): zeros outside the plane.
__device__ __forceinline__ Row load_row(const float* xp, int ih, int H, int W, int c0) {
  Row r{make_float4(0.f, 0.f, 0.f, 0.f), make_float4(0.f, 0.f, 0.f, 0.f)};
  if (ih >= H) return r;
  const float* row = xp + (i64)ih * W;
  const int c = c0 + 4 * threadIdx.x;
  if (c < W) r.a = __ldg(reinterpret_cast<const float4*>(row + c));  // W % 4 == 0: whole quads
  if (threadIdx.x < EXTRA) {
    const int ce = c0 + 4 * (THREADS + threadIdx.x);
    if (ce < W) r.b = __ldg(reinterpret_cast<const float4*>(row + ce));
  }
  return r;
}

__device__ __forceinline__ void store_row(float* slot, const Row& r) {
  reinterpret_cast<float4*>(slot)[threadIdx.x] = r.a;
  if (threadIdx.x < EXTRA) reinterpret_cast<float4*>(slot)[THREADS + threadIdx.x] = r.b;
}

extern "C" __global__ void __launch_bounds__(THREADS)
ring_kernel(const float* __restrict__ x, const float* __restrict__ w, float* __restrict__ y,
            int C, int H, int W, int Ho, int Wo, int strips, int segs) {
  extern __shared__ float4 smem4[];
  float (*ring)[ROW] = reinterpret_cast<float (*)[ROW]>(smem4);
  float* wsm = reinterpret_cast<float*>(smem4) + R * ROW;
  const int strip = blockIdx.x % strips;
  const int seg = blockIdx.x / strips % segs;
  const i64 plane = blockIdx.x / strips / segs;     // n * C + c
  const int c = (int)(plane % C);
  const float* xp = x + plane * (i64)H * W;
  float* yp = y + plane * (i64)Ho * Wo;
  const float* wp = w + (i64)c * KH * KW;
  const int ow0 = strip * COLS;
  const int oh_begin = seg * SEG, oh_end = min(Ho, oh_begin + SEG);

  float wr[REG_WEIGHTS ? KH : 1][REG_WEIGHTS ? KW : 1];
  if constexpr (REG_WEIGHTS) {
#pragma unroll
    for (int i = 0; i < KH; ++i)
#pragma unroll
      for (int j = 0; j < KW; ++j) wr[i][j] = __ldg(wp + i * KW + j);
  } else {
    for (int t = threadIdx.x; t < KH * KWP; t += THREADS) {
      const int i = t / KWP, j = t % KWP;
      wsm[t] = j < KW ? __ldg(wp + i * KW + j) : 0.f;
    }
  }
  // Prologue: the first KH - 1 rows of the segment's ring (slots 0..KH-2), then the first TH new rows.
  for (int r = 0; r < KH - 1; ++r) store_row(ring[r], load_row(xp, oh_begin + r, H, W, ow0));
  Row next[TH];
#pragma unroll
  for (int i = 0; i < TH; ++i) next[i] = load_row(xp, oh_begin + KH - 1 + i, H, W, ow0);
  int base = 0;  // the slot of input row oh0
  for (int oh0 = oh_begin; oh0 < oh_end; oh0 += TH) {
    // Store the rows loaded last step, then load the next step's while this one computes.
#pragma unroll
    for (int i = 0; i < TH; ++i) {
      int s = base + KH - 1 + i; if (s >= R) s -= R;
      store_row(ring[s], next[i]);
    }
    __syncthreads();
#pragma unroll
    for (int i = 0; i < TH; ++i) next[i] = load_row(xp, oh0 + TH + KH - 1 + i, H, W, ow0);

    float acc[TH][4];
#pragma unroll
    for (int i = 0; i < TH; ++i)
#pragma unroll
      for (int j = 0; j < 4; ++j) acc[i][j] = 0.f;
    if constexpr (REG_WEIGHTS) {
#pragma unroll
      for (int r = 0; r < R; ++r) {
        int s = base + r; if (s >= R) s -= R;
        float win[4 * NQ];
#pragma unroll
        for (int q = 0; q < NQ; ++q) {
          const float4 v = reinterpret_cast<const float4*>(ring[s])[threadIdx.x + q];
          win[4 * q] = v.x; win[4 * q + 1] = v.y; win[4 * q + 2] = v.z; win[4 * q + 3] = v.w;
        }
#pragma unroll
        for (int i = 0; i < TH; ++i) {
          const int kh = r - i;
          if (kh < 0 || kh >= KH) continue;
#pragma unroll
          for (int kw = 0; kw < KW; ++kw)
#pragma unroll
            for (int j = 0; j < 4; ++j) acc[i][j] = fmaf(win[j + kw], wr[kh][kw], acc[i][j]);
        }
      }
    } else {
#pragma unroll 1
      for (int r = 0; r < R; ++r) {
        int s = base + r; if (s >= R) s -= R;
        float win[4 * NQ];
#pragma unroll
        for (int q = 0; q < NQ; ++q) {
          const float4 v = reinterpret_cast<const float4*>(ring[s])[threadIdx.x + q];
          win[4 * q] = v.x; win[4 * q + 1] = v.y; win[4 * q + 2] = v.z; win[4 * q + 3] = v.w;
        }
#pragma unroll
        for (int i = 0; i < TH; ++i) {
          const int kh = r - i;
          if (kh < 0 || kh >= KH) continue;
          const float4* wq = reinterpret_cast<const float4*>(wsm + kh * KWP);
#pragma unroll
          for (int q = 0; q < KWP / 4; ++q) {
            const float4 wv = wq[q];
            const float wk[4] = {wv.x, wv.y, wv.z, wv.w};
#pragma unroll
            for (int e = 0; e < 4; ++e) {
              if (4 * q + e >= KW) break;
#pragma unroll
              for (int j = 0; j < 4; ++j) acc[i][j] = fmaf(win[j + 4 * q + e], wk[e], acc[i][j]);
            }
          }
        }
      }
    }
#pragma unroll
    for (int i = 0; i < TH; ++i) {
      const int oh = oh0 + i;
      if (oh >= oh_end) break;
      const int ow = ow0 + 4 * threadIdx.x;
      float* yr = yp + (i64)oh * Wo + ow;
      if (ow + 3 < Wo) {  // Wo even: 8-byte stores (lab shapes)
        reinterpret_cast<float2*>(yr)[0] = make_float2(acc[i][0], acc[i][1]);
        reinterpret_cast<float2*>(yr)[1] = make_float2(acc[i][2], acc[i][3]);
      } else {
#pragma unroll
        for (int j = 0; j < 4; ++j) if (ow + j < Wo) yr[j] = acc[i][j];
      }
    }
    __syncthreads();  // every lane is done with the oldest TH rows before they are overwritten
    base += TH; if (base >= R) base -= R;
  }
}
}  // namespace ring

extern "C" int dwconv_cuda_ring(const void* x, const void* w, const void*, const void*, const void*, const void*,
                                const void*, const void*, void* y, i64 N, i64 C, i64 H, i64 W, void* stream) {
  const i64 Ho = H - KH + 1, Wo = W - KW + 1;
  if (W % 4 || Ho < 1 || Wo < 1) return -1;
  const int strips = (int)((Wo + ring::COLS - 1) / ring::COLS);
  const int segs = (int)((Ho + ring::SEG - 1) / ring::SEG);
  static bool attr = false;
  if (!attr) { cudaFuncSetAttribute(ring::ring_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, ring::SMEM); attr = true; }
  ring::ring_kernel<<<(unsigned)(N * C * strips * segs), ring::THREADS, ring::SMEM, (cudaStream_t)stream>>>(
      (const float*)x, (const float*)w, (float*)y, (int)C, (int)H, (int)W, (int)Ho, (int)Wo, strips, segs);
  return (int)cudaGetLastError();
}
