// Round 2 of the width lab: row rings for NCHW rows of any width that do no shifting in registers.
// The library's ring (templates/cuda/ring.hbs): a block of 128 lanes owns a 512-column strip of one
// plane and a segment of output rows, 4 rows a step, the step's input rows in a shared-memory ring,
// each lane reading its window with aligned shared loads at compile-time offsets. Round 1 read the
// 16-byte-aligned superset of each row and shifted it in registers (ring_any.cuh); here the shift
// happens in the shared-memory address instead, so the window reads and the arithmetic stay the
// library's. README.md ("Round 2") gives each design's reasoning and prediction.
//
// Loads (LOADM):
//   LOAD_NAR  narrow coalesced loads into registers a step ahead (as the library's ring holds its
//             vectors), stored to a float ring at each element's own column: lane l takes 4-byte
//             words l, l + 128, ... of the row's span (fp32: one element; 16-bit: two, converted, the
//             word grid starting one element early on rows of odd parity), so a warp's loads are
//             128 contiguous bytes and its shared stores conflict-free.
//   LOAD_CPA  cp.async (sm_80+) of 4-byte words straight from global memory to the ring, no
//             registers; the ring holds R + TH rows so that the next step's rows land while this
//             step computes (one barrier a step). fp32: a float ring at the library's layout.
//             16-bit: the ring holds the raw halves, each row placed at a parity the copies allow
//             (its first column at half HP + P, P in {-1, 0, 1}, chosen so that a lane's window
//             starts in the same word on every row); a lane reads its window with 8-byte shared
//             loads and one funnel shift a word (by 0 or 16 bits, uniform for the row), and converts.
// Stores (STOREM):
//   STORE_NAT each lane's 4 outputs with the widest store every row allows: 16 bytes (fp32) / 8 bytes
//             (16-bit) when Wo % 4 == 0, pairs when Wo is even, else one element at a time.
//   STORE_PAIR quads when Wo % 4 == 0; otherwise pairs on the row's own 2-element grid at any
//             parity (one shuffle: on a row starting on an odd element, lane l stores its
//             predecessor's last output with its first, then its second and third; the two
//             outputs at a warp's ends alone): the library's pair stores at every width.
//   STORE_CO  quads when Wo % 4 == 0; otherwise through a per-warp staging row in shared memory, so
//             that a warp's stores are contiguous: fp32 lane l stores columns l, l + 32, l + 64,
//             l + 96 of the warp's 128; 16-bit lanes store 4-byte words on the row's own word grid
//             (and the one or two halves at the ends of the warp's span alone). Full sectors at any
//             alignment, where single-element stores 16 bytes apart write 4 partial sectors a row.
// Strips: full 512-column strips; the Wo % 512 columns past them are one more, part-empty strip or,
// when at most TAIL_MAX wide, tail blocks (their input patch staged in shared memory, one output a
// thread).
//
// The kernel body is written once for the device and for the host emulator (emu.cu), which runs a
// block as 128 host fibers; the few device primitives below have an emulated twin.
#pragma once
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <cstring>

#ifdef WL_EMU
#define WL_HD __host__ __device__ inline
#if !defined(__CUDA_ARCH__)
#define WL_HOST_EMU 1
#endif
namespace emu {  // emu.cu: a block's threads as host fibers
extern int tid;
extern int bug;  // negative controls: the emulator's run with a bug planted (WL_BUG(n) below)
void check_read(const void* p, int bytes);  // a global read inside an allocation, aligned to its size
void check_align(const void* p, int bytes);  // a vector access aligned to its size
void sync_block();
void sync_warp();
float shfl_up1(float v);  // lane - 1's v (lane 0 of a warp: its own)
void cp_async(char* dst, const void* src, int bytes_read);  // 4 bytes at dst, the last 4 - bytes_read zeroed
void cp_commit();
void cp_wait_all();
}  // namespace emu
#else
#define WL_HD __device__ __forceinline__
#endif
// What the host launcher calls as well as the kernel. A __device__ function called from a host
// template compiles without a diagnostic, as a call to exit(1): the launchers exited before their
// first launch on the GPU until grid_of took this.
#define WL_HOST_AND_DEVICE __host__ __device__ inline

// A vector access's alignment, checked by the emulator (the device faults on a misaligned one).
#ifdef WL_HOST_EMU
#define WL_ALIGNED(p, bytes) emu::check_align((p), (bytes))
#else
#define WL_ALIGNED(p, bytes) ((void)0)
#endif

// A planted bug for the emulator's negative controls (always false on the device).
#ifdef WL_HOST_EMU
#define WL_BUG(n) (emu::bug == (n))
#else
#define WL_BUG(n) false
#endif

// Static analysis builds (-DWL_ANALYZE=1: rows of odd Wo and odd parity, 2: Wo % 4 == 0) fix the block-uniform
// conditions to an interior block's so that the step loop's SASS is the path it runs (run.sh
// does not build them; README.md, "Round 2", has the counts).
#ifdef WL_ANALYZE
#define WL_AN(cond, fixed) (fixed)
#else
#define WL_AN(cond, fixed) (cond)
#endif

namespace wl2 {
typedef long long i64;

enum { LOAD_NAR = 0, LOAD_CPA = 1 };
enum { STORE_NAT = 0, STORE_CO = 1, STORE_PAIR = 2 };
constexpr int LANES = 128;
constexpr int COLS = 4 * LANES;  // output columns of a strip
constexpr int TAIL_MAX = 32;     // widest remainder done by tail blocks

// ---- Device primitives and their emulated twins.
WL_HD int lane_id() {
#ifdef WL_HOST_EMU
  return emu::tid;
#else
  return threadIdx.x;
#endif
}
WL_HD void sync_block() {
#ifdef WL_HOST_EMU
  emu::sync_block();
#else
  __syncthreads();
#endif
}
WL_HD void sync_warp() {
#ifdef WL_HOST_EMU
  emu::sync_warp();
#else
  __syncwarp();
#endif
}
WL_HD float shfl_up1(float v) {
#ifdef WL_HOST_EMU
  return emu::shfl_up1(v);
#else
  return __shfl_up_sync(0xffffffffu, v, 1);
#endif
}
template <class U>
WL_HD U ldg(const U* p) {
#ifdef WL_HOST_EMU
  emu::check_read(p, (int)sizeof(U));
  return *p;
#else
  return __ldg(p);
#endif
}
WL_HD float as_float(unsigned u) {
#ifdef WL_HOST_EMU
  float f;
  memcpy(&f, &u, 4);
  return f;
#else
  return __uint_as_float(u);
#endif
}
WL_HD unsigned as_uint(float f) {
#ifdef WL_HOST_EMU
  unsigned u;
  memcpy(&u, &f, 4);
  return u;
#else
  return __float_as_uint(f);
#endif
}
// The 32 bits of (hi:lo) from bit sh on (sh in {0, 16} here).
WL_HD unsigned funnel_r(unsigned lo, unsigned hi, unsigned sh) {
#ifdef WL_HOST_EMU
  return (unsigned)((((unsigned long long)hi << 32) | lo) >> (sh & 31));
#else
  return __funnelshift_r(lo, hi, sh);
#endif
}
// Bytes of (hi:lo) picked by selector s (PRMT; only the plain byte selects, 0-7, used here).
WL_HD unsigned byte_perm(unsigned lo, unsigned hi, unsigned s) {
#ifdef WL_HOST_EMU
  const unsigned long long v = ((unsigned long long)hi << 32) | lo;
  unsigned r = 0;
  for (int i = 0; i < 4; ++i) r |= (unsigned)((v >> (8 * ((s >> (4 * i)) & 7))) & 0xffu) << (8 * i);
  return r;
#else
  return __byte_perm(lo, hi, s);
#endif
}
// Shared-memory addresses as cp.async takes them (32-bit on the device).
#ifdef WL_HOST_EMU
typedef char* saddr_t;
WL_HD saddr_t saddr(void* p) { return static_cast<char*>(p); }
#else
typedef unsigned saddr_t;
WL_HD saddr_t saddr(void* p) { return (unsigned)__cvta_generic_to_shared(p); }
#endif
// 4 bytes from global to shared memory without registers; of them, `bytes` (0, 2 or 4) are read
// and the rest zeroed (bytes == 0 reads nothing, but the address must still be a valid one).
WL_HD void cp_async4(saddr_t dst, const void* src, int bytes) {
#ifdef WL_HOST_EMU
  emu::cp_async(dst, src, bytes);
#else
  asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;" ::"r"(dst), "l"(src), "r"(bytes) : "memory");
#endif
}
WL_HD void cp_commit() {
#ifdef WL_HOST_EMU
  emu::cp_commit();
#else
  asm volatile("cp.async.commit_group;" ::: "memory");
#endif
}
WL_HD void cp_wait_all() {
#ifdef WL_HOST_EMU
  emu::cp_wait_all();
#else
  asm volatile("cp.async.wait_group 0;" ::: "memory");
#endif
}

// ---- Storage types.
template <class T> struct Dt;
template <> struct Dt<float> {
  static constexpr bool HALF = false;
  static WL_HD float load(const float* p) { return ldg(p); }
  static WL_HD void store(float* p, float v) { *p = v; }
};
template <> struct Dt<__half> {
  static constexpr bool HALF = true;
  static WL_HD float lo(unsigned w) { return __half2float(__ushort_as_half((unsigned short)(w & 0xffffu))); }
  static WL_HD float hi(unsigned w) { return __half2float(__ushort_as_half((unsigned short)(w >> 16))); }
  static WL_HD unsigned short bits(float v) { return __half_as_ushort(__float2half_rn(v)); }
  static WL_HD unsigned pack(float a, float b) { return (unsigned)bits(a) | ((unsigned)bits(b) << 16); }
  static WL_HD float load(const __half* p) { return lo(ldg(reinterpret_cast<const unsigned short*>(p))); }
  static WL_HD void store(__half* p, float v) { *reinterpret_cast<unsigned short*>(p) = bits(v); }
};
template <> struct Dt<__nv_bfloat16> {
  static constexpr bool HALF = true;
  static WL_HD float lo(unsigned w) { return as_float(w << 16); }
  static WL_HD float hi(unsigned w) { return as_float(w & 0xffff0000u); }
  static WL_HD unsigned short bits(float v) { return __bfloat16_as_ushort(__float2bfloat16_rn(v)); }
  static WL_HD unsigned pack(float a, float b) { return (unsigned)bits(a) | ((unsigned)bits(b) << 16); }
  static WL_HD float load(const __nv_bfloat16* p) { return lo(ldg(reinterpret_cast<const unsigned short*>(p))); }
  static WL_HD void store(__nv_bfloat16* p, float v) { *reinterpret_cast<unsigned short*>(p) = bits(v); }
};

// ---- Geometry. A ring row holds input columns c0 .. c0 + ROW - 1 of one input row, c0 = ow0 - A
// (A = PL rounded up to a quad), so lane l's window starts O columns into quad l.
template <class T, int KH_, int KW_, int PT_, int PB_, int PL_, int PR_, int TH_, int SEG_, int LOADM_, int STOREM_, int MINB_>
struct Cfg {
  typedef T storage;
  static constexpr int KH = KH_, KW = KW_, PT = PT_, PB = PB_, PL = PL_, PR = PR_, TH = TH_, SEG = SEG_;
  static constexpr int LOADM = LOADM_, STOREM = STOREM_, MINB = MINB_;
  static constexpr bool HALF = Dt<T>::HALF;
  static constexpr bool PADDED = PL > 0 || PR > 0;  // zeros outside the row are read (else only by lanes past Wo)
  static constexpr bool RAW = LOADM == LOAD_CPA && HALF;  // the ring holds raw halves
  static constexpr int R = TH + KH - 1;                   // input rows a step reads
  static constexpr int RS = LOADM == LOAD_CPA ? R + TH : R;  // ring slots (cp.async: the next step's rows too)
  static constexpr int A = (PL + 3) / 4 * 4;
  static constexpr int O = A - PL;
  static constexpr int NQ = (O + 4 + KW - 1 + 3) / 4;  // float ring: shared quads a lane reads from a row
  static constexpr int ROW = 4 * (LANES + NQ - 1);     // columns of a ring row
  static constexpr int NWIN = 4 + KW - 1;              // window columns a lane needs from a row
  // Float ring: a slot is ROW floats with a quad either side (16-bit words on an odd grid write one
  // float before the first column or after the last).
  static constexpr int FPAD = 4, FSLOT = ROW + 2 * FPAD;
  // Words a lane takes from a row's span: fp32 elements, or 16-bit words (ROW / 2 + 1 of them: the
  // grid may start one element before c0).
  static constexpr int WORDS = HALF ? ROW / 2 + 1 : ROW;
  static constexpr int J = (WORDS + LANES - 1) / LANES;
  // Raw ring (halves): column c0 + i at half HP + P + i. HP makes a lane's first window word even
  // (8-byte shared loads): word 2l + WC.
  static constexpr int HP = (O / 2) % 2 == 0 ? 4 : 6;
  static constexpr int WC = HP / 2 + O / 2;
  static constexpr int NWO = (NWIN + 1) / 2;        // shifted words holding the window
  static constexpr int NWR = (NWO + 1 + 1) / 2 * 2;  // raw words read (one more for the shift), whole 8-byte pairs
  static constexpr int HSLOT = (HP + ROW + 8 + 7) / 8 * 8;  // halves a slot, a 16-byte multiple
  static constexpr int SLOT_BYTES = RAW ? HSLOT * 2 : FSLOT * 4;
  static constexpr int STAGE_FLOATS = STOREM == STORE_CO ? LANES * (HALF ? 2 : 4) : 0;  // a staging row of 128 columns a warp (16-bit: packed)
  static constexpr int SMEM = RS * SLOT_BYTES + STAGE_FLOATS * 4;
  static_assert(WC % 2 == 0, "8-byte window loads");
  static_assert(2 * (2 * (LANES - 1) + WC + NWR) <= HSLOT, "raw window inside its slot");
  static_assert(HP + ROW + 2 <= HSLOT, "raw row inside its slot");
  static_assert(SMEM <= 48 * 1024, "static shared memory");
  static_assert((SEG + KH - 1) * (TAIL_MAX + KW - 1) * 4 <= SMEM, "a tail block's patch fits the ring's shared memory");
  static_assert(SLOT_BYTES % 16 == 0, "16-byte aligned slots");
};

// Placement of a raw row of parity s (its word grid starts s elements before c0): P = 0 for s = 0,
// else +1 or -1 so that half HP + P + O + 4l stays in word 2l + WC whatever s is.
template <class K>
WL_HD int raw_place(int s) { return s == 0 ? 0 : (K::O % 2 == 1 ? -1 : 1); }
// Word k of a row's grid (elements c0 - s + 2k, + 1) lands at this word of its raw slot.
template <class K>
WL_HD int raw_word_slot(int k, int s) { return k + (K::HP + raw_place<K>(s) - s) / 2; }
// Bits a lane's window words are shifted by on a row of parity s: its first column's half parity.
template <class K>
WL_HD unsigned raw_shift(int s) { return 16u * (unsigned)((K::O + raw_place<K>(s)) & 1); }

// Parity of element `c0` of row ih of a plane whose first element has parity pe (c0 a quad multiple).
WL_HD int row_parity(int pe, int ih, int W) { return (pe ^ (ih & W)) & 1; }

// What a block needs to load one input row.
template <class K>
struct RowSrc {
  typedef typename K::storage T;
  const T* xp;   // the plane
  int H, W, c0;  // c0: the strip's first ring column
  int pe;        // parity of the plane's first element (16-bit word grids)
  bool mask;     // zeros outside the row are read in this strip (a padded window, an edge strip)
  int g_lo, g_hi;  // rows ih < g_lo or >= g_hi come within a word of the tensor's ends: loads there are guarded
};

// The rows of a plane whose span (with the word grid's extra element either side) reaches past
// the tensor: ih < g_lo at its start, ih >= g_hi at its end (only in the first and last planes).
template <class K>
WL_HD void guard_rows(int& g_lo, int& g_hi, i64 plane_elem, i64 total, int H, int W, int c0) {
  const i64 lo = 1 - c0 - plane_elem;  // rows with ih * W < lo start before the tensor
  g_lo = lo <= 0 ? 0 : (int)min((i64)H, (lo + W - 1) / W);
  const i64 hi = total - plane_elem - c0 - K::ROW - 2;  // rows with ih * W > hi end past it
  g_hi = hi < 0 ? 0 : (int)min((i64)H, hi / W + 1);
}

// ---- LOAD_NAR: a lane's words of one row, held in registers a step.
template <class K>
struct NarRow {
  unsigned v[K::J];
};

// Row ih into registers. Outside the row: zeros where they are read (src.mask), anything (the
// neighbouring rows' data) elsewhere; nothing outside the tensor is read. Lane l takes words
// l + 128 j: one base address a row and compile-time offsets.
template <class K>
WL_HD void nar_load(NarRow<K>& r, const RowSrc<K>& src, int ih) {
  typedef typename K::storage T;
  const int l = lane_id();
#pragma unroll
  for (int j = 0; j < K::J; ++j) r.v[j] = 0u;
  if (WL_AN((unsigned)ih >= (unsigned)src.H, false)) return;
  const bool guard = WL_AN(!WL_BUG(6) && (src.mask || ih < src.g_lo || ih >= src.g_hi), false);
  if constexpr (!K::HALF) {
    const int cl = src.c0 + l;  // the lane's first column
    const T* rp = src.xp + (i64)ih * src.W + cl;
    if (!guard) {
#pragma unroll
      for (int j = 0; j < K::J; ++j)
        if (j < K::J - 1 || l + LANES * j < K::ROW) r.v[j] = as_uint(ldg(rp + LANES * j));
    } else {
#pragma unroll
      for (int j = 0; j < K::J; ++j)
        if ((j < K::J - 1 || l + LANES * j < K::ROW) && (unsigned)(cl + LANES * j) < (unsigned)src.W) r.v[j] = as_uint(ldg(rp + LANES * j));
    }
  } else {
    const int s = row_parity(src.pe, ih, src.W);
    const int cl = src.c0 - s + 2 * l;  // the first column of the lane's first word
    const T* rp = src.xp + (i64)ih * src.W + cl;
    const unsigned* wp = reinterpret_cast<const unsigned*>(rp);
    if (!guard) {
#pragma unroll
      for (int j = 0; j < K::J; ++j)
        if (j < K::J - 1 || l + LANES * j < K::WORDS) r.v[j] = ldg(wp + LANES * j);
    } else {
      const unsigned short* hp = reinterpret_cast<const unsigned short*>(rp);
#pragma unroll
      for (int j = 0; j < K::J; ++j) {
        if (j == K::J - 1 && l + LANES * j >= K::WORDS) break;
        const int c = cl + 2 * LANES * j;
        const bool lo = (unsigned)c < (unsigned)src.W, hi = (unsigned)(c + 1) < (unsigned)src.W;
        if (lo && hi) r.v[j] = ldg(wp + LANES * j);
        else if (lo) r.v[j] = ldg(hp + 2 * LANES * j);                      // the row's last column (maybe the tensor's)
        else if (hi) r.v[j] = (unsigned)ldg(hp + 2 * LANES * j + 1) << 16;  // the row's first column
      }
    }
  }
}

// A lane's words into float slot `slot` (its column 0 is c0) of a row of parity s.
template <class K>
WL_HD void nar_put(float* slot, const NarRow<K>& r, int s) {
  typedef typename K::storage T;
  const int l = lane_id();
  if constexpr (!K::HALF) {
#pragma unroll
    for (int j = 0; j < K::J; ++j)
      if (j < K::J - 1 || l + LANES * j < K::ROW) slot[l + LANES * j] = as_float(r.v[j]);
  } else {
    float* f = slot + 2 * l - (WL_BUG(5) ? 0 : s);
#pragma unroll
    for (int j = 0; j < K::J; ++j) {
      if (j == K::J - 1 && l + LANES * j >= K::WORDS) break;
      f[2 * LANES * j] = Dt<T>::lo(r.v[j]);
      f[2 * LANES * j + 1] = Dt<T>::hi(r.v[j]);
    }
  }
}

// ---- LOAD_CPA: row ih's copies into slot `slot` (float or raw); a zero row outside the plane.
// Outside the row: zeros where read (src.mask: every word of the slot's span is written every row,
// as the raw placement moves with the row's parity), anything elsewhere.
template <class K>
WL_HD void cpa_issue(char* slot, const RowSrc<K>& src, int ih) {
  typedef typename K::storage T;
  const int l = lane_id();
  if (WL_AN((unsigned)ih >= (unsigned)src.H, false)) {  // block-uniform
#pragma unroll 1
    for (int q = l; q < K::SLOT_BYTES / 16; q += LANES) reinterpret_cast<uint4*>(slot)[q] = make_uint4(0u, 0u, 0u, 0u);
    return;
  }
  const bool guard = WL_AN(!WL_BUG(6) && (src.mask || ih < src.g_lo || ih >= src.g_hi), false);
  if constexpr (!K::HALF) {
    const int cl = src.c0 + l;
    const T* rp = src.xp + (i64)ih * src.W + cl;
    float* f = reinterpret_cast<float*>(slot) + K::FPAD + l;
    const saddr_t base = saddr(f);
    if (!guard) {
#pragma unroll
      for (int j = 0; j < K::J; ++j)
        if (j < K::J - 1 || l + LANES * j < K::ROW) cp_async4(base + 4 * LANES * j, rp + LANES * j, 4);
    } else {
#pragma unroll
      for (int j = 0; j < K::J; ++j) {
        if (j == K::J - 1 && l + LANES * j >= K::ROW) break;
        if ((unsigned)(cl + LANES * j) < (unsigned)src.W) cp_async4(base + 4 * LANES * j, rp + LANES * j, 4);
        else f[LANES * j] = 0.f;
      }
    }
  } else {
    const int s = row_parity(src.pe, ih, src.W);
    const int cl = src.c0 - s + 2 * l;
    const T* rp = src.xp + (i64)ih * src.W + cl;
    unsigned* wd = reinterpret_cast<unsigned*>(slot) + raw_word_slot<K>(l, s);
    const saddr_t base = saddr(wd);
    if (!guard) {
#pragma unroll
      for (int j = 0; j < K::J; ++j)
        if (j < K::J - 1 || l + LANES * j < K::WORDS) cp_async4(base + 4 * LANES * j, rp + 2 * LANES * j, 4);
    } else {
#pragma unroll
      for (int j = 0; j < K::J; ++j) {
        if (j == K::J - 1 && l + LANES * j >= K::WORDS) break;
        const int c = cl + 2 * LANES * j;
        const bool lo = (unsigned)c < (unsigned)src.W, hi = (unsigned)(c + 1) < (unsigned)src.W;
        if (lo || hi) cp_async4(base + 4 * LANES * j, rp + 2 * LANES * j, hi ? 4 : 2);  // hi only: the lo half is zeroed after the wait
        else wd[LANES * j] = 0u;
      }
    }
  }
}

// After the wait: the raw row's half before column 0, copied with column 0 (a row of odd parity in
// the first strip of a padded window), zeroed by the lane that copied it.
template <class K>
WL_HD void cpa_fixup(char* slot, const RowSrc<K>& src, int ih) {
  if constexpr (K::RAW && K::PADDED) {
    if (WL_AN(src.c0 >= 0, true) || (unsigned)ih >= (unsigned)src.H) return;
    const int s = row_parity(src.pe, ih, src.W);
    if (s == 0) return;
    const int k = (1 - src.c0) / 2;  // the word of columns -1, 0
    if (lane_id() == k % LANES)
      reinterpret_cast<unsigned short*>(slot)[K::HP + raw_place<K>(s) - 1 - src.c0] = 0;
  }
}

// ---- Window reads. Float ring: quads l .. l + NQ - 1; window column e at win[O + e].
template <class K>
WL_HD void window_float(const char* slot, float* win) {
  const float4* q4 = reinterpret_cast<const float4*>(reinterpret_cast<const float*>(slot) + K::FPAD);
  const int l = lane_id();
#pragma unroll
  for (int q = 0; q < K::NQ; ++q) {
    const float4 v = q4[l + q];
    win[4 * q] = v.x; win[4 * q + 1] = v.y; win[4 * q + 2] = v.z; win[4 * q + 3] = v.w;
  }
}
// Raw ring: words 2l + WC .. (8-byte loads), shifted by `sh` bits, converted; column e at win[e].
template <class K>
WL_HD void window_raw(const char* slot, unsigned sh, float* win) {
  typedef typename K::storage T;
  const uint2* w2 = reinterpret_cast<const uint2*>(slot) + (K::WC / 2 + lane_id());
  unsigned w[K::NWR];
#pragma unroll
  for (int q = 0; q < K::NWR / 2; ++q) {
    const uint2 v = w2[q];
    w[2 * q] = v.x; w[2 * q + 1] = v.y;
  }
#pragma unroll
  for (int q = 0; q < K::NWO; ++q) {
    const unsigned o = funnel_r(w[q], w[q + 1], sh);
    win[2 * q] = Dt<T>::lo(o);
    if (2 * q + 1 < K::NWIN) win[2 * q + 1] = Dt<T>::hi(o);
  }
}

// ---- Stores: a lane's 4 outputs of one output row (columns ow0 + 4l ..).
// Two consecutive outputs at p (aligned to two elements).
template <class K>
WL_HD void store_pair(typename K::storage* p, float a, float b) {
  typedef typename K::storage T;
  WL_ALIGNED(p, 2 * (int)sizeof(T));
  if constexpr (!K::HALF) *reinterpret_cast<float2*>(p) = make_float2(a, b);
  else *reinterpret_cast<unsigned*>(p) = Dt<T>::pack(a, b);
}
template <class K>
WL_HD void store_row(typename K::storage* y, i64 row_elem, int ow0, int Wo, const float* v, float* stage) {
  typedef typename K::storage T;
  const int l = lane_id();
  const int ow = ow0 + 4 * l;
  T* yr = y + row_elem + ow;
  const bool full = WL_AN(ow + 3 < Wo, true);
  if (WL_AN(Wo % 4 == 0, WL_ANALYZE == 2)) {  // rows of whole quads, aligned (ow < Wo is then ow + 3 < Wo); uniform, as is every branch on Wo
    if (ow < Wo) {
      WL_ALIGNED(yr, 4 * (int)sizeof(T));
      if constexpr (!K::HALF) *reinterpret_cast<float4*>(yr) = make_float4(v[0], v[1], v[2], v[3]);
      else *reinterpret_cast<uint2*>(yr) = make_uint2(Dt<T>::pack(v[0], v[1]), Dt<T>::pack(v[2], v[3]));
    }
    return;
  }
  if constexpr (K::STOREM == STORE_PAIR) {
    const float p3 = shfl_up1(v[3]);      // every lane of the warp is here (the branch above is on Wo alone)
    const int par = WL_BUG(12) ? 0 : WL_AN((int)(row_elem & 1), 1);  // of column ow0 too: ow0 is a multiple of 4
    const int lane = l & 31;
    if (par == 0) {
      if (full) {
        store_pair<K>(yr, v[0], v[1]);
        store_pair<K>(yr + 2, v[2], v[3]);
      } else {
#pragma unroll
        for (int j = 0; j < 4; ++j)
          if (ow + j < Wo) Dt<T>::store(yr + j, v[j]);
      }
    } else if (WL_AN(ow + 2 < Wo, true)) {  // columns ow - 1 .. ow + 2 are this lane's
      if (lane != 0) store_pair<K>(yr - 1, p3, v[0]);
      else Dt<T>::store(yr, v[0]);  // column ow - 1 is the previous warp's
      store_pair<K>(yr + 1, v[1], v[2]);
      if (lane == 31 && ow + 3 < Wo && !WL_BUG(10)) Dt<T>::store(yr + 3, v[3]);  // the next warp's lane 0 starts at ow + 4
    } else {
      if (lane != 0 && ow - 1 < Wo) Dt<T>::store(yr - 1, p3);
#pragma unroll
      for (int j = 0; j < 3; ++j)
        if (ow + j < Wo) Dt<T>::store(yr + j, v[j]);
    }
  } else if constexpr (K::STOREM == STORE_NAT) {
    if (full && WL_AN(Wo % 2 == 0, false)) {
      WL_ALIGNED(yr, 2 * (int)sizeof(T));
      if constexpr (!K::HALF) {
        reinterpret_cast<float2*>(yr)[0] = make_float2(v[0], v[1]);
        reinterpret_cast<float2*>(yr)[1] = make_float2(v[2], v[3]);
      } else {
        reinterpret_cast<unsigned*>(yr)[0] = Dt<T>::pack(v[0], v[1]);
        reinterpret_cast<unsigned*>(yr)[1] = Dt<T>::pack(v[2], v[3]);
      }
      return;
    }
#pragma unroll
    for (int j = 0; j < 4; ++j)
      if (ow + j < Wo) Dt<T>::store(yr + j, v[j]);
  } else {
    // Through the warp's staging row: columns ow_w .. ow_w + 127 of the output row (every lane of the
    // warp is here: the branches above are on Wo alone).
    const int lane = l & 31;
    const int ow_w = ow0 + 4 * (l & ~31);
    const int n = WL_AN(Wo - ow_w, 128);  // valid columns of the warp's span (may be <= 0 or > 128)
    if constexpr (!K::HALF) {
      float* st = stage + (l & ~31) * 4;  // 128 floats a warp
      reinterpret_cast<float4*>(st)[lane] = make_float4(v[0], v[1], v[2], v[3]);
      if (!WL_BUG(4)) sync_warp();
      float* yw = y + row_elem + ow_w;
#pragma unroll
      for (int m = 0; m < 4; ++m) {
        const int c = 32 * m + lane;
        if (c < n) yw[c] = st[c];
      }
    } else {
      // Staged as halves (64 words a warp); stored as words of the row's own grid: word k holds
      // columns 2k - par, 2k + 1 - par of the span (par: the span's first element's parity), so
      // with par = 1 a word is the high half of staged word k - 1 and the low half of word k.
      unsigned* sw = reinterpret_cast<unsigned*>(stage) + (l & ~31) * 2;
      reinterpret_cast<uint2*>(sw)[lane] = make_uint2(Dt<T>::pack(v[0], v[1]), Dt<T>::pack(v[2], v[3]));
      if (!WL_BUG(4)) sync_warp();
      const int par = WL_AN((int)((row_elem + ow_w) & 1), 1);
      unsigned short* ys = reinterpret_cast<unsigned short*>(y + row_elem + ow_w);
      unsigned* yw = reinterpret_cast<unsigned*>(ys - par);  // 4-byte aligned: y is
#pragma unroll
      for (int m = 0; m < 2; ++m) {
        const int k = 32 * m + lane;
        const unsigned cur = sw[k];
        const unsigned wd = par ? byte_perm(sw[k > 0 ? k - 1 : 0], cur, 0x5432) : cur;
        const int lo = 2 * k - par, hi = lo + 1;  // hi <= 127
        if (lo >= 0 && hi < n) {
          WL_ALIGNED(yw + k, 4);
          yw[k] = wd;
        } else {
          if (lo >= 0 && lo < n) ys[lo] = (unsigned short)(wd & 0xffffu);
          if (hi < n) ys[hi] = (unsigned short)(wd >> 16);
        }
      }
      if (par && lane == 0 && 127 < n) ys[127] = (unsigned short)(sw[63] >> 16);  // the span's last column, alone on its word
    }
    sync_warp();  // the staging row is reused by the next output row
  }
}

// ---- Tail block: columns ow_t .. Wo - 1 (at most TAIL_MAX) of the segment's rows. The input patch
// they read ((rows + KH - 1) x (tail + KW - 1), zeros outside the plane) is staged in shared memory
// first, every element with its own load, so a block waits for one round of loads instead of one a
// kernel row (round 1 read each tap from global memory, KH dependent rounds a thread); then one output
// a thread from the patch and the weights in registers.
template <class K>
WL_HD void tail_block(char* smem, const typename K::storage* x, const float (*wr)[K::KW], typename K::storage* y, int H, int W, int Ho, int Wo,
                      int plane, int oh_begin, int oh_end, int ow_t, int tail) {
  typedef typename K::storage T;
  const T* xp = x + (i64)plane * H * W;
  float* patch = reinterpret_cast<float*>(smem);
  const int rows = oh_end - oh_begin, ncol = tail + K::KW - 1, nrow = rows + K::KH - 1;
  const int ih0 = oh_begin - K::PT, iw0 = ow_t - K::PL;
#pragma unroll 4
  for (int p = lane_id(); p < nrow * ncol; p += LANES) {
    const int ih = ih0 + p / ncol, iw = iw0 + p % ncol;
    patch[p] = (unsigned)ih < (unsigned)H && (unsigned)iw < (unsigned)W ? Dt<T>::load(xp + (i64)ih * W + iw) : 0.f;
  }
  if (!WL_BUG(11)) sync_block();
  for (int p = lane_id(); p < rows * tail; p += LANES) {
    const int r = p / tail, c = p % tail;
    float acc = 0.f;
#pragma unroll
    for (int i = 0; i < K::KH; ++i)
#pragma unroll
      for (int j = 0; j < K::KW; ++j) acc = fmaf(patch[(r + i) * ncol + c + j], wr[i][j], acc);
    Dt<T>::store(y + ((i64)plane * Ho + oh_begin + r) * Wo + ow_t + c, acc);
  }
}

// ---- The kernel body. Block (bx, by, bz) = (strip, segment of SEG output rows, plane); bx ==
// strips is the tail block where tail > 0.
template <class K>
WL_HD void ring_body(char* smem, const typename K::storage* x, const typename K::storage* w, typename K::storage* y, int C, int H, int W, int Ho,
                     int Wo, i64 total, int strips, int tail, int bx, int by, int bz) {
  typedef typename K::storage T;
  constexpr int KH = K::KH, KW = K::KW, TH = K::TH, R = K::R, RS = K::RS;
  const int plane = bz, co = plane % C;
  const int oh_begin = by * K::SEG, oh_end = min(Ho, oh_begin + K::SEG);

  const i64 plane_elem = (i64)plane * H * W;
  const int ow0 = bx * COLS, c0 = ow0 - K::A;
  RowSrc<K> src{x + plane_elem, H, W, c0, (int)(plane_elem & 1), !WL_BUG(3) && K::PADDED && (c0 < 0 || c0 + K::ROW + 1 > W), 0, 0};
  guard_rows<K>(src.g_lo, src.g_hi, plane_elem, total, H, W, c0);
  float wr[KH][KW];
#pragma unroll
  for (int i = 0; i < KH; ++i)
#pragma unroll
    for (int j = 0; j < KW; ++j) wr[i][j] = Dt<T>::load(w + (co * KH + i) * KW + j);
  if (tail > 0 && bx == strips) {  // block-uniform
    tail_block<K>(smem, x, wr, y, H, W, Ho, Wo, plane, oh_begin, oh_end, strips * COLS, tail);
    return;
  }
  float* stage = reinterpret_cast<float*>(smem + RS * K::SLOT_BYTES);
  auto slot = [&](int s) { return smem + s * K::SLOT_BYTES; };
  auto wrap = [](int s) { return s >= RS ? s - RS : s; };
  const int ih_begin = oh_begin - K::PT;
  const int steps = (oh_end - oh_begin + TH - 1) / TH;

  NarRow<K> next[K::LOADM == LOAD_NAR ? TH : 1];
  if constexpr (K::LOADM == LOAD_NAR) {
    for (int r = 0; r < R - TH; ++r) {
      NarRow<K> v;
      nar_load<K>(v, src, ih_begin + r);
      nar_put<K>(reinterpret_cast<float*>(slot(r)) + K::FPAD, v, row_parity(src.pe, ih_begin + r, W));
    }
#pragma unroll
    for (int i = 0; i < TH; ++i) nar_load<K>(next[i], src, ih_begin + R - TH + i);
  } else {
    for (int r = 0; r < R; ++r) cpa_issue<K>(slot(r), src, ih_begin + r);
    cp_commit();
  }

  int base = 0;  // slot of the step's first input row
  for (int oh0 = oh_begin, k = 0; oh0 < oh_end; oh0 += TH, ++k) {
    const int ih0 = ih_begin + k * TH;  // the step's first input row
    if constexpr (K::LOADM == LOAD_NAR) {
#pragma unroll
      for (int i = 0; i < TH; ++i) {
        const int ih = ih0 + R - TH + i;
        nar_put<K>(reinterpret_cast<float*>(slot(wrap(base + R - TH + i))) + K::FPAD, next[i], row_parity(src.pe, ih, W));
      }
      if (!WL_BUG(7)) sync_block();
      if (k + 1 < steps) {
#pragma unroll
        for (int i = 0; i < TH; ++i) nar_load<K>(next[i], src, ih0 + TH + R - TH + i);
      }
    } else {
      if (!WL_BUG(1)) cp_wait_all();  // this lane's copies of the step's rows have landed
      if (k == 0) {
        for (int r = 0; r < R; ++r) if (!WL_BUG(9)) cpa_fixup<K>(slot(r), src, ih0 + r);
      } else {
#pragma unroll
        for (int i = 0; i < TH; ++i) if (!WL_BUG(9)) cpa_fixup<K>(slot(wrap(base + R - TH + i)), src, ih0 + R - TH + i);
      }
      if (!WL_BUG(8)) sync_block();  // every lane's copies visible; every lane done with the previous step's rows
      if (k + 1 < steps) {
        // The next step's new rows into the slots of this step's predecessor's oldest rows.
#pragma unroll
        for (int i = 0; i < TH; ++i) cpa_issue<K>(slot(wrap(base + R + i)), src, ih0 + R + i);
        cp_commit();
      }
    }

    float acc[TH][4];
#pragma unroll
    for (int i = 0; i < TH; ++i)
#pragma unroll
      for (int j = 0; j < 4; ++j) acc[i][j] = 0.f;
#pragma unroll
    for (int r = 0; r < R; ++r) {
      constexpr int WINF = K::RAW ? K::NWIN : 4 * K::NQ;
      constexpr int OFF = K::RAW ? 0 : K::O;
      float win[WINF];
      if constexpr (K::RAW) window_raw<K>(slot(wrap(base + r)), raw_shift<K>(row_parity(src.pe, ih0 + r, W) ^ (WL_BUG(2) ? 1 : 0)), win);
      else window_float<K>(slot(wrap(base + r)), win);
#pragma unroll
      for (int i = 0; i < TH; ++i) {
        const int d = r - i;
        if (d < 0 || d >= KH) continue;
#pragma unroll
        for (int kw = 0; kw < KW; ++kw)
#pragma unroll
          for (int j = 0; j < 4; ++j) acc[i][j] = fmaf(win[OFF + j + kw], wr[d][kw], acc[i][j]);
      }
    }
#pragma unroll
    for (int i = 0; i < TH; ++i) {
      const int oh = oh0 + i;
      if (oh >= oh_end) break;  // block-uniform
      store_row<K>(y, ((i64)plane * Ho + oh) * Wo, ow0, Wo, acc[i], stage);
    }
    if constexpr (K::LOADM == LOAD_NAR) sync_block();  // every lane done with the oldest rows before the next put
    base = wrap(base + TH);
  }
}

// Blocks an SM for __launch_bounds__ (0: no bound).
#ifndef WL_EMU
template <class K>
__global__ void __launch_bounds__(LANES, K::MINB > 0 ? K::MINB : 1)
    ring2(const typename K::storage* __restrict__ x, const typename K::storage* __restrict__ w, typename K::storage* y, int C, int H, int W,
          int Ho, int Wo, i64 total, int strips, int tail) {
  __shared__ __align__(16) char smem[K::SMEM];
  ring_body<K>(smem, x, w, y, C, H, W, Ho, Wo, total, strips, tail, blockIdx.x, blockIdx.y, blockIdx.z);
}
#endif

// The grid of a call: full strips, then either tail blocks (Wo % COLS <= TAIL_MAX) or one more
// part-empty strip.
struct Grid {
  int strips, tail, segments;
};
template <class K>
WL_HOST_AND_DEVICE Grid grid_of(i64 Ho, i64 Wo) {
  const i64 full = Wo / COLS, rem = Wo % COLS;
  const int tail = (rem > 0 && rem <= TAIL_MAX && full > 0) ? (int)rem : 0;
  const int strips = (int)(tail > 0 ? full : (Wo + COLS - 1) / COLS);
  return Grid{strips, tail, (int)((Ho + K::SEG - 1) / K::SEG)};
}

// Host launcher: needs x and y 16-byte aligned (cudaMalloc gives 256) and a plane under 2^31 elements.
#ifndef WL_EMU
template <class K>
int launch(const void* x, const void* w, void* y, i64 N, i64 C, i64 H, i64 W, cudaStream_t s) {
  const i64 Ho = H + K::PT + K::PB - K::KH + 1, Wo = W + K::PL + K::PR - K::KW + 1;
  if (Ho < 1 || Wo < 1 || ((unsigned long long)x | (unsigned long long)y) % 16 != 0 || N * C > 65535 || H * W >= (1ll << 31)) return -1;
  const Grid g = grid_of<K>(Ho, Wo);
  const dim3 grid(g.strips + (g.tail > 0 ? 1 : 0), (unsigned)g.segments, (unsigned)(N * C));
  ring2<K><<<grid, LANES, 0, s>>>((const typename K::storage*)x, (const typename K::storage*)w, (typename K::storage*)y, (int)C, (int)H, (int)W,
                                  (int)Ho, (int)Wo, N * C * H * W, g.strips, g.tail);
  return (int)cudaGetLastError();
}
#endif
}  // namespace wl2
