// The lab's kernels for one dtype and window, built once per (DT, KS) by run.sh:
//   nvcc -DDT=f16 -DKS=3 -c lab_kernels.cu
// KS = 3: 3x3, no padding (the reference problem); KS = 7: 7x7, padding 3 ('same').
// Exports lab_kernels_<DT>_k<KS>(): the designs' names and launchers with the harness's signature.
// Round 2 (ring2.cuh) by default; -DWL_ROUND1 adds round 1's (ring_any.cuh) after them.
#include "lab_abi.h"
#include "ring2.cuh"
#ifdef WL_ROUND1
#include "ring_any.cuh"
#endif

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)

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
// Blocks an SM for __launch_bounds__: the most that ptxas 13.0 fits without spilling any design
// (the weights live in uniform registers): 8 (64 registers), but 6 (80) for float32 7x7, where the
// register loader spills 128 bytes at 8 and, with pair stores, 64 at 7 (72). Unbounded, the designs
// take 70-158 registers (README.md). The *_free entries are the pair-store designs without the
// bound. -DMINB_OVERRIDE=n to try others.
#ifdef MINB_OVERRIDE
constexpr int MINB2 = MINB_OVERRIDE;
#else
constexpr int MINB2 = !SIXTEEN && KS_ == 7 ? 6 : 8;
#endif

template <int L, int S, int B>
using C2 = wl2::Cfg<T, KS_, KS_, PAD, PAD, PAD, PAD, TH, SEG, L, S, B>;

#define R2(NAME, L, S, B) static int NAME(const void* x, const void* w, void* y, long long N, long long C, long long H, long long W, cudaStream_t s) { \
    return wl2::launch<C2<L, S, B>>(x, w, y, N, C, H, W, s); }
R2(nar_nat, wl2::LOAD_NAR, wl2::STORE_NAT, MINB2)
R2(nar_pr, wl2::LOAD_NAR, wl2::STORE_PAIR, MINB2)
R2(nar_co, wl2::LOAD_NAR, wl2::STORE_CO, MINB2)
R2(cpa_nat, wl2::LOAD_CPA, wl2::STORE_NAT, MINB2)
R2(cpa_pr, wl2::LOAD_CPA, wl2::STORE_PAIR, MINB2)
R2(cpa_co, wl2::LOAD_CPA, wl2::STORE_CO, MINB2)
R2(nar_pr_free, wl2::LOAD_NAR, wl2::STORE_PAIR, 0)
R2(cpa_pr_free, wl2::LOAD_CPA, wl2::STORE_PAIR, 0)

#ifdef WL_ROUND1
constexpr int MINB1 = KS_ == 3 ? (SIXTEEN ? 8 : 6) : SIXTEEN ? 6 : 5;
template <int L, int S, int B = MINB1>
using C1 = wl::Cfg<T, KS_, KS_, PAD, PAD, PAD, PAD, TH, SEG, L, S, B>;
#define R1(NAME, L, S, ...) static int NAME(const void* x, const void* w, void* y, long long N, long long C, long long H, long long W, cudaStream_t s) { \
    return wl::launch<C1<L, S, ##__VA_ARGS__>>(x, w, y, N, C, H, W, s); }
R1(shfl_nat, wl::LOAD_SHFL, wl::STORE_NATURAL)
R1(shfl_shift, wl::LOAD_SHFL, wl::STORE_SHIFT)
R1(dual_nat, wl::LOAD_DUAL, wl::STORE_NATURAL)
R1(dual_shift, wl::LOAD_DUAL, wl::STORE_SHIFT)
R1(shfl_free, wl::LOAD_SHFL, wl::STORE_NATURAL, 1)
#endif

static const LabKernel kTable[] = {
    {"nar_nat", nar_nat}, {"nar_pr", nar_pr}, {"nar_co", nar_co}, {"cpa_nat", cpa_nat}, {"cpa_pr", cpa_pr}, {"cpa_co", cpa_co},
    {"nar_pr_free", nar_pr_free}, {"cpa_pr_free", cpa_pr_free},
#ifdef WL_ROUND1
    {"shfl_nat", shfl_nat}, {"shfl_shift", shfl_shift}, {"dual_nat", dual_nat}, {"dual_shift", dual_shift}, {"shfl_free", shfl_free},
#endif
};

#define TABLE_FN(d, k) CAT(CAT(CAT(lab_kernels_, d), _k), k)
extern "C" int TABLE_FN(DT, KS)(const LabKernel** out) {
  *out = kTable;
  return (int)(sizeof kTable / sizeof kTable[0]);
}
