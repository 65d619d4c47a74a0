// The lab's kernels for one dtype and window, built once per (DT, KS) by run.sh:
//   nvcc -DDT=f16 -DKS=3 -c lab_kernels.cu
// KS = 3: 3x3, no padding (the reference problem); KS = 7: 7x7, padding 3 ('same').
// Each design is an extern "C" launcher lab_<DT>_k<KS>_<load>_<store> with the harness's signature.
#include "ring_any.cuh"

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define STR2(a) #a
#define STR(a) STR2(a)

#define f32 1
#define f16 2
#define bf16 3
#if DT == f32
typedef float T;
#elif DT == f16
typedef __half T;
#else
typedef __nv_bfloat16 T;
#endif
#undef f32
#undef f16
#undef bf16

constexpr int KS_ = KS;
constexpr int PAD = KS_ == 3 ? 0 : KS_ / 2;
constexpr bool SIXTEEN = sizeof(T) == 2;
// The library's ring choices (src/codegen/cuda-ring.ts): 4 rows a step; 16-row segments for 16-bit
// unpadded 3x3, 64 otherwise.
constexpr int TH = 4;
constexpr int SEG = SIXTEEN && KS_ == 3 && PAD == 0 ? 16 : 64;
// Blocks an SM for __launch_bounds__: unbounded, ptxas gave these kernels 108-191 registers where
// the library's rings hold 64-96; bounded to about the library's: 8 (64 registers) for 16-bit 3x3,
// 6 (80) for float32 3x3 (64 spilled 0.5-0.8 KB) and 16-bit 7x7, 5 (96) for float32 7x7. The
// *_free entries are shfl_nat without the bound. -DMINB_OVERRIDE=n to try others.
#ifdef MINB_OVERRIDE
constexpr int MINB = MINB_OVERRIDE;
#else
constexpr int MINB = KS_ == 3 ? (SIXTEEN ? 8 : 6) : SIXTEEN ? 6 : 5;
#endif

template <int L, int S, int B = MINB>
using Cf = wl::Cfg<T, KS_, KS_, PAD, PAD, PAD, PAD, TH, SEG, L, S, B>;

#define ENTRY(DTN, KSN, LN, SN, L, S, ...)                                                                           \
  extern "C" int lab_##DTN##_k##KSN##_##LN##_##SN(const void* x, const void* w, void* y, long long N, long long C, \
                                                  long long H, long long W, cudaStream_t s) {                     \
    return wl::launch<Cf<L, S, ##__VA_ARGS__>>(x, w, y, N, C, H, W, s);                                                           \
  }
#ifdef ONLY  // one design (register experiments): -DONLY
#define ENTRIES(DTN, KSN) ENTRY(DTN, KSN, shfl, nat, wl::LOAD_SHFL, wl::STORE_NATURAL)
#else
#define ENTRIES(DTN, KSN)                                             \
  ENTRY(DTN, KSN, shfl, nat, wl::LOAD_SHFL, wl::STORE_NATURAL)        \
  ENTRY(DTN, KSN, shfl, shift, wl::LOAD_SHFL, wl::STORE_SHIFT)        \
  ENTRY(DTN, KSN, dual, nat, wl::LOAD_DUAL, wl::STORE_NATURAL)        \
  ENTRY(DTN, KSN, dual, shift, wl::LOAD_DUAL, wl::STORE_SHIFT)        \
  ENTRY(DTN, KSN, shfl, nat_free, wl::LOAD_SHFL, wl::STORE_NATURAL, 1)
#endif
#define ENTRIES_OF(DTN, KSN) ENTRIES(DTN, KSN)
ENTRIES_OF(DT, KS)
