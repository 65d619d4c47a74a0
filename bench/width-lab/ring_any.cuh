// A row ring for NCHW rows of any width (W % VEC != 0, rows not 16-byte aligned): the library's
// ring (templates/cuda/ring.hbs) with its row loader and its stores changed, plus tail blocks for the
// few columns past the last full 512-column strip. Standalone lab code: it does not use or change
// the library's templates. README.md gives each design's prediction.
//
// Loads. A ring row holds the input columns c0 .. c0 + ROW - 1 of one input row (c0 = ow0 - A, A =
// PL rounded up to a quad), so that each lane's window starts at a compile-time offset O into an
// aligned shared quad, as in the library. In global memory that span starts at element g = (row
// start) + c0 of the tensor, which is not a multiple of VEC when W % VEC != 0. The loader reads the
// aligned vectors a + VEC * j (a = g rounded down to VEC, relative to the tensor base, which is 256-byte
// aligned) and shifts them by s = g - a elements before the shared store:
//   LOAD_SHFL: lane l loads raw vector l; vector l + 1 comes from lane l + 1 by __shfl_down_sync (lane
//              31 of each warp loads it itself), then a funnel shift by s picks the VEC elements.
//   LOAD_DUAL: lane l loads raw vectors l and l + 1 itself (L1 serves the second), no shuffles.
// Elements of the shifted vector outside the row (columns < 0 or >= W: neighbouring rows' data) are
// zeroed; a raw vector that runs past the tensor's last element is read element by element.
//
// Stores. STORE_NATURAL: each lane's 4 outputs with the widest store every row allows (16 / 8 bytes
// when Wo % 4 == 0, pairs when Wo is even, else single elements). STORE_SHIFT: each output row's
// aligned 4-element units, the lane's unit holding its predecessor lane's last t outputs (t = the
// row's misalignment, by __shfl_up_sync) and its own first 4 - t; the two ragged pieces at a warp's
// edges and the row's ends are stored element by element.
//
// Strips. Full 512-column strips, and the Wo % 512 columns past them either as one more (part-empty)
// ring strip or, when at most TAIL_MAX wide, as tail blocks: each thread of a tail block computes
// one output of the tail columns straight from global memory (a few columns, 0.2-1% of the outputs).
#pragma once
#include <cuda_fp16.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>

namespace wl {
typedef long long i64;

enum { LOAD_SHFL = 0, LOAD_DUAL = 1 };
enum { STORE_NATURAL = 0, STORE_SHIFT = 1 };
constexpr int LANES = 128;
constexpr int COLS = 4 * LANES;  // output columns of a strip
constexpr int TAIL_MAX = 32;     // widest remainder done by tail blocks

// Storage types as raw bits: 32-bit float words or 16-bit halves of a 32-bit word.
template <class T> struct Dt;
template <> struct Dt<float> {
  static constexpr int VEC = 4;  // elements of a 16-byte vector
  typedef float bits_t;
  static __device__ __forceinline__ float to_f(unsigned short) { return 0.f; }
  static __device__ __forceinline__ float word_lo(unsigned w) { return __uint_as_float(w); }
  static __device__ __forceinline__ float load(const float* p) { return __ldg(p); }
  static __device__ __forceinline__ void store(float* p, float v) { *p = v; }
};
template <> struct Dt<__half> {
  static constexpr int VEC = 8;
  static __device__ __forceinline__ float to_f(unsigned short h) { return __half2float(__ushort_as_half(h)); }
  static __device__ __forceinline__ unsigned short from_f(float v) { return __half_as_ushort(__float2half_rn(v)); }
  static __device__ __forceinline__ unsigned pack(float a, float b) {
    const __half2 h = __floats2half2_rn(a, b);
    return *reinterpret_cast<const unsigned*>(&h);
  }
  static __device__ __forceinline__ float load(const __half* p) { return __half2float(__ldg(p)); }
  static __device__ __forceinline__ void store(__half* p, float v) { *reinterpret_cast<unsigned short*>(p) = from_f(v); }
};
template <> struct Dt<__nv_bfloat16> {
  static constexpr int VEC = 8;
  static __device__ __forceinline__ float to_f(unsigned short h) { return __uint_as_float((unsigned)h << 16); }
  static __device__ __forceinline__ unsigned short from_f(float v) { return __bfloat16_as_ushort(__float2bfloat16_rn(v)); }
  static __device__ __forceinline__ unsigned pack(float a, float b) {
    const __nv_bfloat162 h = __floats2bfloat162_rn(a, b);
    return *reinterpret_cast<const unsigned*>(&h);
  }
  static __device__ __forceinline__ float load(const __nv_bfloat16* p) { return __bfloat162float(__ldg(p)); }
  static __device__ __forceinline__ void store(__nv_bfloat16* p, float v) { *reinterpret_cast<unsigned short*>(p) = from_f(v); }
};

__device__ __forceinline__ uint4 shfl_down4(const uint4& v) {
  return make_uint4(__shfl_down_sync(0xffffffffu, v.x, 1), __shfl_down_sync(0xffffffffu, v.y, 1),
                    __shfl_down_sync(0xffffffffu, v.z, 1), __shfl_down_sync(0xffffffffu, v.w, 1));
}

// The 4 words starting `s` words into (c, n), s in [0, 3]: two stages of selects (s is the same for
// every lane of a block, so these are selects, not branches).
__device__ __forceinline__ void shift_words(const unsigned* w8, int s, unsigned* o) {
  unsigned t[6];
#pragma unroll
  for (int k = 0; k < 6; ++k) t[k] = (s & 2) ? w8[k + 2] : w8[k];
#pragma unroll
  for (int k = 0; k < 5; ++k) o[k] = (s & 1) ? t[k + 1] : t[k];
}

template <class T, int KH_, int KW_, int PT_, int PB_, int PL_, int PR_, int TH_, int SEG_, int LOADM_, int STOREM_, int MINB_>
struct Cfg {
  typedef T storage;
  static constexpr int KH = KH_, KW = KW_, PT = PT_, PB = PB_, PL = PL_, PR = PR_, TH = TH_, SEG = SEG_;
  static constexpr int LOADM = LOADM_, STOREM = STOREM_, MINB = MINB_;
  static constexpr int VEC = Dt<T>::VEC;
  static constexpr int R = TH + KH - 1;                        // ring rows
  static constexpr int A = (PL + 3) / 4 * 4;                   // the strip's first ring column is ow0 - A
  static constexpr int O = A - PL;                             // a lane's window offset in its first quad
  static constexpr int NQ = (O + 4 + KW - 1 + 3) / 4;          // shared quads a lane reads from a row
  static constexpr int NVS = (4 * (LANES + NQ - 1) + VEC - 1) / VEC;  // shifted vectors of a ring row
  static constexpr int ROW = NVS * VEC;                        // floats of a ring row
  static constexpr int NR = NVS + 1;                           // raw vectors a shifted row is cut from
  static constexpr bool BSET = NR > LANES;                     // some lanes hold a second vector
  static constexpr int SMEM = R * ROW * 4;
  static_assert(NR - LANES <= 31, "second vectors within warp 0");
  static_assert(SMEM <= 48 * 1024, "static-size launch");
};

// Raw 16-byte vectors of one ring row held in registers during a step (a lane's share).
struct Raw {
  uint4 a;   // raw vector l
  uint4 b;   // LOAD_SHFL: raw l + LANES (lanes < NR - LANES) or raw l + 1 (lane 31 of a warp); LOAD_DUAL: raw l + 1
  uint4 c;   // LOAD_DUAL with BSET: raw l + LANES
  uint4 d;   // LOAD_DUAL with BSET: raw l + LANES + 1
};

template <class K>
struct Ring {
  typedef typename K::storage T;
  static constexpr int VEC = K::VEC;

  // Raw vector number j of the row whose aligned start is `a` (element index into the tensor); zeros
  // unless it holds some element of the row [rs, rs + W). Past the tensor's end: element by element.
  static __device__ __forceinline__ uint4 raw(const T* row, int d, int j, int W, bool edge, i64 left) {
    uint4 v = make_uint4(0u, 0u, 0u, 0u);
    const int e = d + VEC * j;  // first element of the vector, relative to the row's first element
    if (e >= W || e + VEC <= 0) return v;
    if (!edge || e + VEC <= left) return __ldg(reinterpret_cast<const uint4*>(row + e));
    unsigned wds[4] = {0u, 0u, 0u, 0u};  // the tensor ends inside this vector: element by element
    const unsigned short* h = reinterpret_cast<const unsigned short*>(row + e);
    const i64 halves = (left - e) * (16 / VEC) / 2;
#pragma unroll
    for (int k = 0; k < 8; ++k)
      if (k < halves) wds[k / 2] |= (unsigned)h[k] << (16 * (k % 2));
    return make_uint4(wds[0], wds[1], wds[2], wds[3]);
  }

  // Row ih's raw vectors, a lane's share; zeros outside the plane. The ring span's first element g =
  // (row start) + c0 is rounded down to a vector (relative to the tensor base): d = that vector's
  // offset from the row start. `edge`: the tensor ends within a vector of this row's end.
  static __device__ __forceinline__ Raw load(const T* x, i64 plane_elem, int ih, int H, int W, int c0, i64 total) {
    Raw r{make_uint4(0u, 0u, 0u, 0u), make_uint4(0u, 0u, 0u, 0u), make_uint4(0u, 0u, 0u, 0u), make_uint4(0u, 0u, 0u, 0u)};
    if ((unsigned)ih >= (unsigned)H) return r;
    const i64 rs = plane_elem + (i64)ih * W;
    const int s = (int)((rs + c0) & (VEC - 1));
    const int d = c0 - s;
    const T* row = x + rs;
    const i64 left = total - rs;  // elements from the row start to the tensor's end
    const bool edge = left < (i64)W + VEC;
    const int l = threadIdx.x;
    if (l < K::NR) r.a = raw(row, d, l, W, edge, left);
    if constexpr (K::LOADM == LOAD_SHFL) {
      if (K::BSET && l < K::NR - LANES) r.b = raw(row, d, l + LANES, W, edge, left);
      else if ((l & 31) == 31 && l + 1 < K::NR) r.b = raw(row, d, l + 1, W, edge, left);
    } else {
      if (l + 1 < K::NR) r.b = raw(row, d, l + 1, W, edge, left);
      if constexpr (K::BSET) {
        if (l < K::NVS - LANES) { r.c = raw(row, d, l + LANES, W, edge, left); r.d = raw(row, d, l + LANES + 1, W, edge, left); }
      }
    }
    return r;
  }

  // Shifted vector j (columns c0 + VEC j ..) from raw vectors cur = j, nxt = j + 1, masked to the
  // row, converted to float and stored at slot[VEC j].
  static __device__ __forceinline__ void put_vector(float* slot, int j, const uint4& cur, const uint4& nxt, int s, int c0, int W) {
    const unsigned w8[8] = {cur.x, cur.y, cur.z, cur.w, nxt.x, nxt.y, nxt.z, nxt.w};
    unsigned o[5];
    const int col0 = c0 + VEC * j;
    const bool inside = col0 >= 0 && col0 + VEC <= W;
    if constexpr (VEC == 4) {
      shift_words(w8, s, o);
      float f[4];
#pragma unroll
      for (int k = 0; k < 4; ++k) f[k] = (inside || (unsigned)(col0 + k) < (unsigned)W) ? __uint_as_float(o[k]) : 0.f;
      reinterpret_cast<float4*>(slot)[j] = make_float4(f[0], f[1], f[2], f[3]);
    } else {
      shift_words(w8, s >> 1, o);  // whole words, then half a word
      const unsigned sel = (s & 1) ? 0x5432u : 0x3210u;
      float f[8];
#pragma unroll
      for (int k = 0; k < 4; ++k) {
        const unsigned wd = __byte_perm(o[k], o[k + 1], sel);
        f[2 * k] = Dt<T>::to_f((unsigned short)(wd & 0xffffu));
        f[2 * k + 1] = Dt<T>::to_f((unsigned short)(wd >> 16));
      }
      if (!inside) {
#pragma unroll
        for (int k = 0; k < 8; ++k) if ((unsigned)(col0 + k) >= (unsigned)W) f[k] = 0.f;
      }
      reinterpret_cast<float4*>(slot)[2 * j] = make_float4(f[0], f[1], f[2], f[3]);
      reinterpret_cast<float4*>(slot)[2 * j + 1] = make_float4(f[4], f[5], f[6], f[7]);
    }
  }

  // A row's raw vectors (load) into ring row `slot`. Every lane of a warp that holds any of them
  // takes part (the shuffles need the whole warp).
  static __device__ __forceinline__ void put(float* slot, const Raw& r, i64 plane_elem, int ih, int W, int c0) {
    const int l = threadIdx.x;
    if ((l & ~31) >= K::NR) return;  // warps past the row's vectors (warp-uniform)
    const int s = (int)((plane_elem + (i64)ih * W + c0) & (VEC - 1));
    if constexpr (K::LOADM == LOAD_SHFL) {
      uint4 nxt = shfl_down4(r.a);
      if ((l & 31) == 31) nxt = r.b;
      if (l < K::NVS) put_vector(slot, l, r.a, nxt, s, c0, W);
      if constexpr (K::BSET) {
        if (l < 32) {
          const uint4 nb = shfl_down4(r.b);
          if (l < K::NVS - LANES) put_vector(slot, l + LANES, r.b, nb, s, c0, W);
        }
      }
    } else {
      if (l < K::NVS) put_vector(slot, l, r.a, r.b, s, c0, W);
      if constexpr (K::BSET) {
        if (l < K::NVS - LANES) put_vector(slot, l + LANES, r.c, r.d, s, c0, W);
      }
    }
  }
};

// A lane's 4 outputs of one output row (columns ow .. ow + 3 of the strip at ow0) into y.
template <class K>
__device__ __forceinline__ void store_row(typename K::storage* y, i64 row_elem, int ow0, int Wo, const float* v) {
  typedef typename K::storage T;
  const int l = threadIdx.x;
  const int ow = ow0 + 4 * l;
  if constexpr (K::STOREM == STORE_NATURAL) {
    T* yr = y + row_elem + ow;
    if (ow + 3 < Wo) {
      if constexpr (sizeof(T) == 4) {
        if (Wo % 4 == 0) { *reinterpret_cast<float4*>(yr) = make_float4(v[0], v[1], v[2], v[3]); return; }
        if (Wo % 2 == 0) { reinterpret_cast<float2*>(yr)[0] = make_float2(v[0], v[1]); reinterpret_cast<float2*>(yr)[1] = make_float2(v[2], v[3]); return; }
      } else {
        if (Wo % 4 == 0) { *reinterpret_cast<uint2*>(yr) = make_uint2(Dt<T>::pack(v[0], v[1]), Dt<T>::pack(v[2], v[3])); return; }
        if (Wo % 2 == 0) { reinterpret_cast<unsigned*>(yr)[0] = Dt<T>::pack(v[0], v[1]); reinterpret_cast<unsigned*>(yr)[1] = Dt<T>::pack(v[2], v[3]); return; }
      }
    }
#pragma unroll
    for (int j = 0; j < 4; ++j) if (ow + j < Wo) Dt<T>::store(yr + j, v[j]);
  } else {
    // Unit l covers strip columns 4l - t .. 4l - t + 3, aligned in y (t: the row's misalignment).
    const int t = (int)((row_elem + ow0) & 3);
    const int lane = l & 31;
    const int u0 = ow - t;  // the unit's first column
    T* yu = y + row_elem + u0;
    if constexpr (sizeof(T) == 4) {
      // a[0..6] = predecessor's v[1..3], own v[0..3]; unit = a[3 - t ..].
      const float p1 = __shfl_up_sync(0xffffffffu, v[1], 1), p2 = __shfl_up_sync(0xffffffffu, v[2], 1), p3 = __shfl_up_sync(0xffffffffu, v[3], 1);
      const unsigned a[8] = {__float_as_uint(p1), __float_as_uint(p2), __float_as_uint(p3), __float_as_uint(v[0]),
                             __float_as_uint(v[1]), __float_as_uint(v[2]), __float_as_uint(v[3]), 0u};
      unsigned o[5];
      shift_words(a, 3 - t, o);
      if (lane != 0 || t == 0) {
        if (u0 + 3 < Wo) {
          *reinterpret_cast<uint4*>(yu) = make_uint4(o[0], o[1], o[2], o[3]);
        } else {
#pragma unroll
          for (int j = 0; j < 4; ++j) if (u0 + j < Wo && u0 + j >= ow0) *reinterpret_cast<unsigned*>(yu + j) = o[j];
        }
      } else {
#pragma unroll
        for (int j = 0; j < 4; ++j) if (j < 4 - t && ow + j < Wo) Dt<T>::store(y + row_elem + ow + j, v[j]);
      }
    } else {
      // 16-bit: own words m0, m1 (4 halves), predecessor's p0, p1; unit = halves 4 - t .. 7 - t of (p, m).
      const unsigned m0 = Dt<T>::pack(v[0], v[1]), m1 = Dt<T>::pack(v[2], v[3]);
      const unsigned p0 = __shfl_up_sync(0xffffffffu, m0, 1), p1 = __shfl_up_sync(0xffffffffu, m1, 1);
      const int r = 4 - t;  // halves into (p0, p1, m0, m1)
      const unsigned q[4] = {p0, p1, m0, m1};
      const unsigned w0 = (r & 2) ? q[1] : q[0], w1 = (r & 2) ? q[2] : q[1], w2 = (r & 2) ? q[3] : q[2];
      const unsigned x0 = (r & 4) ? m0 : w0, x1 = (r & 4) ? m1 : w1, x2 = (r & 4) ? m1 : w2;
      const unsigned sel = (r & 1) ? 0x5432u : 0x3210u;
      const unsigned o0 = __byte_perm(x0, x1, sel), o1 = __byte_perm(x1, x2, sel);
      if (lane != 0 || t == 0) {
        if (u0 + 3 < Wo) {
          *reinterpret_cast<uint2*>(yu) = make_uint2(o0, o1);
        } else {
          const unsigned oo[2] = {o0, o1};
#pragma unroll
          for (int j = 0; j < 4; ++j)
            if (u0 + j < Wo && u0 + j >= ow0) reinterpret_cast<unsigned short*>(yu)[j] = (unsigned short)(oo[j / 2] >> (16 * (j % 2)));
        }
      } else {
#pragma unroll
        for (int j = 0; j < 4; ++j) if (j < 4 - t && ow + j < Wo) Dt<T>::store(y + row_elem + ow + j, v[j]);
      }
    }
    // The last t outputs of a warp's last lane: the next lane (another warp, or the next strip) does
    // not hold them.
    if (lane == 31 && t > 0) {
#pragma unroll
      for (int j = 0; j < 4; ++j) if (j >= 4 - t && ow + j < Wo) Dt<T>::store(y + row_elem + ow + j, v[j]);
    }
  }
}

// grid: x = strip (the last one, where tail > 0, the tail block), y = segment of SEG output rows,
// z = plane (image * C + channel).
template <class K>
__global__ void __launch_bounds__(LANES, K::MINB) ring_any(const typename K::storage* __restrict__ x, const typename K::storage* __restrict__ w,
                                                           typename K::storage* y, int C, int H, int W, int Ho, int Wo, i64 total, int strips, int tail) {
  typedef typename K::storage T;
  typedef Ring<K> RG;
  constexpr int KH = K::KH, KW = K::KW, TH = K::TH, R = K::R;
  __shared__ __align__(16) float ring[R][K::ROW];
  const int plane = blockIdx.z, co = plane % C;
  const i64 plane_elem = (i64)plane * H * W;
  const int oh_begin = blockIdx.y * K::SEG, oh_end = min(Ho, oh_begin + K::SEG);
  if (tail > 0 && (int)blockIdx.x == strips) {  // tail block: columns strips * COLS .. Wo - 1, straight from global
    const int ow_t = strips * COLS, rows = oh_end - oh_begin;
    for (int p = threadIdx.x; p < rows * tail; p += LANES) {
      const int oh = oh_begin + p / tail, ow = ow_t + p % tail;
      float acc = 0.f;
#pragma unroll 1
      for (int i = 0; i < KH; ++i) {  // rolled, weights from L1: the ring path's registers stay the kernel's bound
        const int ih = oh - K::PT + i;
        if ((unsigned)ih >= (unsigned)H) continue;
        const T* xr = x + plane_elem + (i64)ih * W;
        const T* wi = w + (co * KH + i) * KW;
#pragma unroll
        for (int j = 0; j < KW; ++j) {
          const int iw = ow - K::PL + j;
          if ((unsigned)iw < (unsigned)W) acc = fmaf(Dt<T>::load(xr + iw), Dt<T>::load(wi + j), acc);
        }
      }
      Dt<T>::store(y + ((i64)plane * Ho + oh) * Wo + ow, acc);
    }
    return;
  }

  float wr[KH][KW];
#pragma unroll
  for (int i = 0; i < KH; ++i)
#pragma unroll
    for (int j = 0; j < KW; ++j) wr[i][j] = Dt<T>::load(w + (co * KH + i) * KW + j);
  const int ow0 = blockIdx.x * COLS, c0 = ow0 - K::A;
  const int ih_begin = oh_begin - K::PT;
  const int l = threadIdx.x;
  for (int r = 0; r < R - TH; ++r) {
    const Raw v = RG::load(x, plane_elem, ih_begin + r, H, W, c0, total);
    RG::put(ring[r], v, plane_elem, ih_begin + r, W, c0);
  }
  const int steps = (oh_end - oh_begin + TH - 1) / TH;
  Raw next[TH];
#pragma unroll
  for (int i = 0; i < TH; ++i) next[i] = RG::load(x, plane_elem, ih_begin + R - TH + i, H, W, c0, total);
  int base = 0;
  auto wrap = [](int s) { return s >= R ? s - R : s; };
  for (int oh0 = oh_begin, k = 0; oh0 < oh_end; oh0 += TH, ++k) {
#pragma unroll
    for (int i = 0; i < TH; ++i) RG::put(ring[wrap(base + R - TH + i)], next[i], plane_elem, ih_begin + R - TH + k * TH + i, W, c0);
    __syncthreads();
    if (k + 1 < steps) {
#pragma unroll
      for (int i = 0; i < TH; ++i) next[i] = RG::load(x, plane_elem, ih_begin + R - TH + (k + 1) * TH + i, H, W, c0, total);
    }
    float acc[TH][4];
#pragma unroll
    for (int i = 0; i < TH; ++i)
#pragma unroll
      for (int j = 0; j < 4; ++j) acc[i][j] = 0.f;
#pragma unroll
    for (int r = 0; r < R; ++r) {
      float win[4 * K::NQ];
      const float* slot = ring[wrap(base + r)];
#pragma unroll
      for (int q = 0; q < K::NQ; ++q) {
        const float4 v = reinterpret_cast<const float4*>(slot)[l + q];
        win[4 * q] = v.x; win[4 * q + 1] = v.y; win[4 * q + 2] = v.z; win[4 * q + 3] = v.w;
      }
#pragma unroll
      for (int i = 0; i < TH; ++i) {
        const int d = r - i;
        if (d < 0 || d >= KH) continue;
#pragma unroll
        for (int kw = 0; kw < KW; ++kw)
#pragma unroll
          for (int j = 0; j < 4; ++j) acc[i][j] = fmaf(win[K::O + j + kw], wr[d][kw], acc[i][j]);
      }
    }
#pragma unroll
    for (int i = 0; i < TH; ++i) {
      const int oh = oh0 + i;
      if (oh >= oh_end) break;  // block-uniform: the shuffles of STORE_SHIFT see whole warps
      store_row<K>(y, ((i64)plane * Ho + oh) * Wo, ow0, Wo, acc[i]);
    }
    __syncthreads();
    base = wrap(base + TH);
  }
}

// Host launcher. Needs x and y 16-byte aligned (cudaMalloc gives 256).
template <class K>
int launch(const void* x, const void* w, void* y, i64 N, i64 C, i64 H, i64 W, cudaStream_t s) {
  const i64 Ho = H + K::PT + K::PB - K::KH + 1, Wo = W + K::PL + K::PR - K::KW + 1;
  if (Ho < 1 || Wo < 1 || ((unsigned long long)x | (unsigned long long)y) % 16 != 0 || N * C > 65535) return -1;
  const i64 full = Wo / COLS, rem = Wo % COLS;
  const int tail = (rem > 0 && rem <= TAIL_MAX && full > 0) ? (int)rem : 0;
  const int strips = (int)(tail > 0 ? full : (Wo + COLS - 1) / COLS);
  const dim3 grid(strips + (tail > 0 ? 1 : 0), (unsigned)((Ho + K::SEG - 1) / K::SEG), (unsigned)(N * C));
  ring_any<K><<<grid, LANES, 0, s>>>((const typename K::storage*)x, (const typename K::storage*)w, (typename K::storage*)y,
                                     (int)C, (int)H, (int)W, (int)Ho, (int)Wo, N * C * H * W, strips, tail);
  return (int)cudaGetLastError();
}
}  // namespace wl
