// Host emulator of the round-2 kernels (ring2.cuh): runs each block's 128 lanes as fibers on the
// CPU, so the index math, the masks, the barriers and the cp.async ordering can be checked where
// there is no GPU. Built with nvcc as host code only (no device is touched):
//
//   nvcc -std=c++20 -O2 -DWL_EMU -o emu bench/width-lab/emu.cu && ./emu [--quick]
//
// For every design, dtype and window and a set of widths (every residue mod 8; rows shorter than a
// strip, one strip, part-empty strips, tail blocks) and plane shapes (partial steps and segments;
// odd element counts, so 16-bit tensors end inside a word), each output is checked against a
// float64 reference; and:
// - lanes run in three orders (forward, reverse, shuffled) between barriers: a missing barrier or
//   __syncwarp shows as a wrong output in at least one of them;
// - a barrier some lanes skip, or a __syncthreads and __syncwarp mixed, is reported;
// - cp.async copies land only at the wait; the destination holds NaN from the issue until then;
// - shared memory starts as NaN (a read of a word no lane wrote shows in the outputs);
// - every global read must lie inside the input or the weights; writes outside the output show
//   in guard zones either side (NaN-poisoned, checked after each run);
// - global reads, vector stores and cp.async addresses must be aligned to their sizes (the device
//   faults on a misaligned one).
// Then negative controls: the same checks with one bug planted at a time (WL_BUG in ring2.cuh: a
// skipped wait, barrier or __syncwarp, a wrong parity, shift or mask, an unguarded read at the
// tensor's end, a skipped fix-up, a missed output at a warp's end, a tail block without its
// barrier, pairs stored off the row's grid), each of which must fail.
// Prints one line per (design, dtype, window) and per control, and "N passed, N failed".
#define WL_EMU 1
#include <ucontext.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "ring2.cuh"

namespace emu {
int tid;
int bug = 0;
constexpr int LANES = wl2::LANES, WARPS = LANES / 32;
constexpr size_t STACK = 256 * 1024;

struct Copy { char* dst; unsigned char data[4]; };
enum State { RUN, AT_BLOCK, AT_WARP, DONE };
struct Fiber {
  ucontext_t ctx;
  std::vector<char> stack;
  State state = RUN;
  std::vector<std::vector<Copy>> groups{1};  // committed groups, then the open one (last)
};
static Fiber fibers[LANES];
static ucontext_t sched_ctx;
static void (*body)() = nullptr;
static std::string error;
struct Range { const char* lo; const char* hi; };
static std::vector<Range> readable;

void check_align(const void* p, int bytes) {
  if ((reinterpret_cast<unsigned long long>(p) % (unsigned)bytes) != 0 && error.empty())
    error = "misaligned " + std::to_string(bytes) + "-byte access by lane " + std::to_string(tid);
}
void check_read(const void* p, int bytes) {
  check_align(p, bytes);
  const char* c = static_cast<const char*>(p);
  for (const Range& r : readable)
    if (c >= r.lo && c + bytes <= r.hi) return;
  if (error.empty()) error = "global read outside the input and weights by lane " + std::to_string(tid);
}
static void yield_as(State s) {
  fibers[tid].state = s;
  swapcontext(&fibers[tid].ctx, &sched_ctx);
}
void sync_block() { yield_as(AT_BLOCK); }
void sync_warp() { yield_as(AT_WARP); }
static float exchange[LANES];
float shfl_up1(float v) {  // __shfl_up_sync over the whole warp: every lane must come
  exchange[tid] = v;
  sync_warp();
  const float r = exchange[(tid & 31) == 0 ? tid : tid - 1];
  sync_warp();
  return r;
}
void cp_async(char* dst, const void* src, int bytes) {
  Copy c{dst, {0, 0, 0, 0}};
  check_align(dst, 4);
  check_align(src, 4);  // cp.async's source is aligned to the copy's size, however much of it is read
  if (bytes > 0) {
    check_read(src, bytes);
    memcpy(c.data, src, bytes);
  }
  memset(dst, 0xff, 4);  // undefined until the wait
  fibers[tid].groups.back().push_back(c);
}
void cp_commit() { fibers[tid].groups.emplace_back(); }
void cp_wait_all() {
  for (auto& g : fibers[tid].groups)
    for (const Copy& c : g) memcpy(c.dst, c.data, 4);
  fibers[tid].groups.assign(1, {});
}
static void trampoline(int t) {
  tid = t;
  body();
  fibers[t].state = DONE;
  swapcontext(&fibers[t].ctx, &sched_ctx);
}
// Runs one block: lanes in `order` until each stops at a barrier; releases a barrier when every lane
// it binds is at it. Returns false (and sets error) on a barrier not every lane reaches.
static bool run_block(void (*fn)(), int order_kind, std::mt19937& rng) {
  body = fn;
  for (int t = 0; t < LANES; ++t) {
    Fiber& f = fibers[t];
    if (f.stack.empty()) f.stack.resize(STACK);  // once: the stacks are reused block after block
    f.state = RUN;
    f.groups.assign(1, {});
    getcontext(&f.ctx);
    f.ctx.uc_stack.ss_sp = f.stack.data();
    f.ctx.uc_stack.ss_size = STACK;
    f.ctx.uc_link = nullptr;
    makecontext(&f.ctx, (void (*)())trampoline, 1, t);
  }
  std::vector<int> order(LANES);
  for (int t = 0; t < LANES; ++t) order[t] = order_kind == 1 ? LANES - 1 - t : t;
  for (;;) {
    if (order_kind == 2) std::shuffle(order.begin(), order.end(), rng);
    bool ran = false;
    for (int t : order) {
      if (fibers[t].state != RUN) continue;
      tid = t;
      swapcontext(&sched_ctx, &fibers[t].ctx);
      ran = true;
    }
    int done = 0, at_block = 0;
    for (int t = 0; t < LANES; ++t) { done += fibers[t].state == DONE; at_block += fibers[t].state == AT_BLOCK; }
    if (done == LANES) return true;
    bool released = false;
    if (at_block == LANES) {
      for (auto& f : fibers) f.state = RUN;
      released = true;
    }
    for (int w = 0; w < WARPS; ++w) {
      int at = 0;
      for (int t = 32 * w; t < 32 * w + 32; ++t) at += fibers[t].state == AT_WARP;
      if (at == 32) { for (int t = 32 * w; t < 32 * w + 32; ++t) fibers[t].state = RUN; released = true; }
    }
    if (!released && !ran) {
      error = "barrier not reached by every lane it binds (" + std::to_string(done) + " lanes done, " + std::to_string(at_block) + " at __syncthreads)";
      return false;
    }
  }
}
}  // namespace emu

// ---- Cases.
template <class T> struct Host;
template <> struct Host<float> {
  static float to(float v) { return v; }
  static float from(float v) { return v; }
  static constexpr double ulp = 0;
};
template <> struct Host<__half> {
  static __half to(float v) { return __float2half_rn(v); }
  static float from(__half v) { return __half2float(v); }
  static constexpr double ulp = 1.0 / 2048;
};
template <> struct Host<__nv_bfloat16> {
  static __nv_bfloat16 to(float v) { return __float2bfloat16_rn(v); }
  static float from(__nv_bfloat16 v) { return __bfloat162float(v); }
  static constexpr double ulp = 1.0 / 256;
};

struct Launch {
  const void *x, *w;
  void* y;
  int C, H, W, Ho, Wo, strips, tail, bx, by, bz;
  long long total;
  char* smem;
};
static Launch g_launch;
template <class K>
static void block_entry() {
  typedef typename K::storage T;
  const Launch& a = g_launch;
  wl2::ring_body<K>(a.smem, (const T*)a.x, (const T*)a.w, (T*)a.y, a.C, a.H, a.W, a.Ho, a.Wo, a.total, a.strips, a.tail, a.bx, a.by, a.bz);
}

// One case: returns "" or what went wrong.
template <class K>
static std::string run_case(int N, int C, int H, int W, int order_kind, unsigned seed) {
  typedef typename K::storage T;
  const int Ho = H + K::PT + K::PB - K::KH + 1, Wo = W + K::PL + K::PR - K::KW + 1;
  if (Ho < 1 || Wo < 1) return "";
  const long long nin = (long long)N * C * H * W, nout = (long long)N * C * Ho * Wo;
  const int guard = 64;  // elements either side
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> ux(-2.f, 2.f), uw(-1.f, 1.f);
  std::vector<T> xb(nin + 2 * guard), wb((size_t)C * K::KH * K::KW), yb(nout + 2 * guard);
  T nan = Host<T>::to(NAN);
  for (auto& v : xb) v = nan;
  for (long long i = 0; i < nin; ++i) xb[guard + i] = Host<T>::to(ux(rng));
  for (auto& v : wb) v = Host<T>::to(uw(rng));
  for (auto& v : yb) v = nan;
  T* x = xb.data() + guard;
  T* y = yb.data() + guard;
  emu::readable = {{(const char*)x, (const char*)(x + nin)}, {(const char*)wb.data(), (const char*)(wb.data() + wb.size())}};
  emu::error.clear();
  const wl2::Grid g = wl2::grid_of<K>(Ho, Wo);
  std::vector<char> smem(K::SMEM);
  for (int bz = 0; bz < N * C; ++bz)
    for (int by = 0; by < g.segments; ++by)
      for (int bx = 0; bx < g.strips + (g.tail > 0 ? 1 : 0); ++bx) {
        memset(smem.data(), 0xff, smem.size());  // NaN in every dtype
        g_launch = Launch{x, wb.data(), y, C, H, W, Ho, Wo, g.strips, g.tail, bx, by, bz, nin, smem.data()};
        if (!emu::run_block(block_entry<K>, order_kind, rng)) return emu::error;
        if (!emu::error.empty()) return emu::error;
      }
  for (int i = 0; i < guard; ++i)
    if (memcmp(&yb[i], &nan, sizeof(T)) || memcmp(&yb[guard + nout + i], &nan, sizeof(T))) return "write outside the output";
  int bad = 0;
  std::string first;
  for (long long o = 0; o < nout; ++o) {
    const int ow = (int)(o % Wo), oh = (int)(o / Wo % Ho);
    const long long plane = o / Wo / Ho;
    const int co = (int)(plane % C);
    double ref = 0, mag = 0;
    for (int i = 0; i < K::KH; ++i)
      for (int j = 0; j < K::KW; ++j) {
        const int ih = oh - K::PT + i, iw = ow - K::PL + j;
        if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
        const double p = (double)Host<T>::from(x[(plane * H + ih) * W + iw]) * Host<T>::from(wb[(co * K::KH + i) * K::KW + j]);
        ref += p;
        mag += fabs(p);
      }
    const double got = Host<T>::from(y[o]);
    const double tol = 1e-5 * mag + Host<T>::ulp * (fabs(ref) + 1e-5 * mag) * 1.001 + 1e-7;
    if (!(fabs(got - ref) <= tol)) {
      if (bad++ == 0) {
        char buf[160];
        snprintf(buf, sizeof buf, "output (plane %lld, row %d, col %d) = %.7g, expected %.7g", plane, oh, ow, got, ref);
        first = buf;
      }
    }
  }
  if (bad) return first + " (" + std::to_string(bad) + " wrong)";
  return "";
}

template <class T, int KS, int L, int S>
using Cf = wl2::Cfg<T, KS, KS, (KS == 3 ? 0 : KS / 2), (KS == 3 ? 0 : KS / 2), (KS == 3 ? 0 : KS / 2), (KS == 3 ? 0 : KS / 2), 4,
                    (sizeof(T) == 2 && KS == 3 ? 16 : 64), L, S, 0>;

static int passed = 0, failed = 0;
static bool quick = false;

// Runs a design over the widths and shapes; returns the failed cases (the first described in msg).
template <class T, int KS, int L, int S>
static int sweep(std::string& msg, int& ok) {
  typedef Cf<T, KS, L, S> K;
  // Widths: every residue mod 8 around one strip (509-516 with 3x3 gives Wo 507-514), narrow rows,
  // rows ending a few columns into a second strip (tail blocks) or far into it (part-empty strips),
  // and rows of three strips.
  std::vector<int> widths = quick ? std::vector<int>{5, 509, 510, 511, 513, 514, 546, 1027}
                                  : std::vector<int>{3, 5, 8, 9, 13, 100, 255, 256, 257, 509, 510, 511, 512, 513, 514, 515, 516, 517, 518,
                                                     519, 520, 521, 530, 543, 544, 545, 546, 547, 600, 1023, 1024, 1025, 1026, 1027, 1100, 1541, 1542};
  struct Shape { int N, C, H; };
  // Planes: odd sizes (16-bit tensors that end inside a word); H giving partial steps and
  // segments (16 and 64 rows a segment), and rows of the tensor's first and last planes.
  const std::vector<Shape> shapes = quick ? std::vector<Shape>{{1, 3, 11}} : std::vector<Shape>{{1, 3, 11}, {2, 1, 21}, {1, 2, 70}};
  // Lane orders: all three on the first shape, one (shuffled) on the others.
  int bad = 0;
  ok = 0;
  unsigned seed = 1;
  for (int W : widths)
    for (const Shape& sh : shapes) {
      if ((long long)sh.H * W > 80000) continue;  // keeps the run short
      for (int order = &sh == &shapes[0] ? 0 : 2; order < 3; ++order) {
        const std::string e = run_case<K>(sh.N, sh.C, sh.H, W, order, seed++);
        if (e.empty()) { ++ok; continue; }
        if (bad++ == 0) {
          char buf[96];
          snprintf(buf, sizeof buf, "W=%d N=%d C=%d H=%d order=%s: ", W, sh.N, sh.C, sh.H, order == 0 ? "forward" : order == 1 ? "reverse" : "shuffled");
          msg = buf + e;
        }
      }
    }
  return bad;
}

template <class T, int KS, int L, int S>
static void run_design(const char* dt, const char* name) {
  std::string msg;
  int ok = 0;
  const int bad = sweep<T, KS, L, S>(msg, ok);
  printf("%-5s k%d %-8s %4d cases ok, %d failed%s%s\n", dt, KS, name, ok, bad, bad ? ": " : "", msg.c_str());
  fflush(stdout);
  (bad ? failed : passed) += 1;
}

template <class T, int KS>
static void run_window(const char* dt) {
  run_design<T, KS, wl2::LOAD_NAR, wl2::STORE_NAT>(dt, "nar_nat");
  run_design<T, KS, wl2::LOAD_NAR, wl2::STORE_CO>(dt, "nar_co");
  run_design<T, KS, wl2::LOAD_NAR, wl2::STORE_PAIR>(dt, "nar_pr");
  run_design<T, KS, wl2::LOAD_CPA, wl2::STORE_NAT>(dt, "cpa_nat");
  run_design<T, KS, wl2::LOAD_CPA, wl2::STORE_CO>(dt, "cpa_co");
  run_design<T, KS, wl2::LOAD_CPA, wl2::STORE_PAIR>(dt, "cpa_pr");
}

// A planted bug must make its design fail.
template <class T, int KS, int L, int S>
static void control(int bug, const char* what) {
  std::string msg;
  int ok = 0;
  emu::bug = bug;
  const bool saved = quick;
  quick = true;
  const int bad = sweep<T, KS, L, S>(msg, ok);
  quick = saved;
  emu::bug = 0;
  printf("control %d (%s): %s%s\n", bug, what, bad ? "caught: " : "NOT CAUGHT", bad ? msg.c_str() : "");
  fflush(stdout);
  (bad ? passed : failed) += 1;
}

int main(int argc, char** argv) {
  bool controls_only = false;
  for (int a = 1; a < argc; ++a) {
    if (!strcmp(argv[a], "--quick")) quick = true;
    if (!strcmp(argv[a], "--controls")) controls_only = true;
  }
  using namespace wl2;
  control<float, 3, LOAD_CPA, STORE_NAT>(1, "cp.async wait skipped");
  control<__half, 7, LOAD_CPA, STORE_NAT>(2, "raw window shifted by the wrong parity");
  control<float, 7, LOAD_NAR, STORE_NAT>(3, "padding columns not zeroed, fp32");
  control<__half, 7, LOAD_CPA, STORE_NAT>(3, "padding columns not zeroed, raw 16-bit");
  control<float, 3, LOAD_NAR, STORE_CO>(4, "staging row read without __syncwarp");
  control<__half, 3, LOAD_NAR, STORE_NAT>(5, "16-bit words put without the row's parity");
  control<float, 3, LOAD_NAR, STORE_NAT>(6, "reads past the tensor's end unguarded, registers");
  control<__nv_bfloat16, 3, LOAD_CPA, STORE_NAT>(6, "reads past the tensor's end unguarded, cp.async");
  control<float, 7, LOAD_NAR, STORE_NAT>(7, "barrier after the put skipped");
  control<float, 7, LOAD_CPA, STORE_NAT>(8, "barrier after the wait skipped");
  control<__nv_bfloat16, 7, LOAD_CPA, STORE_CO>(9, "raw row's half before column 0 not zeroed");
  control<float, 3, LOAD_NAR, STORE_PAIR>(10, "odd-parity pairs: a warp's last output not stored");
  control<__half, 7, LOAD_CPA, STORE_PAIR>(11, "tail block's patch read before its barrier");
  control<float, 3, LOAD_CPA, STORE_PAIR>(12, "pairs stored on the even grid of an odd row (misaligned)");
  if (controls_only) {
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
  }
  run_window<float, 3>("f32");
  run_window<float, 7>("f32");
  run_window<__half, 3>("f16");
  run_window<__half, 7>("f16");
  run_window<__nv_bfloat16, 3>("bf16");
  run_window<__nv_bfloat16, 7>("bf16");
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
