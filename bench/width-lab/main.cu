// width-lab harness: for one dtype and window (3x3 no padding, or 7x7 padding 3) and a list of row
// widths, times a device copy of the input's bytes, the library's kernel (its own launcher, which
// picks ring / tiled / direct per call) and the lab's designs (lab_kernels.cu), and checks every
// kernel's outputs against a float64 CPU reference before timing it.
//
//   width_lab DT K [--small] [--quick] [--lab-only] W...      DT: f32 | f16 | bf16, K: 3 | 7
//
// Shape per width: C = 128, H = 256, N = 64 / 32 / 16 for widths near 512 / 1024 / 2048, so every case
// moves about the reference problem's bytes (2^30 input elements). --small: N = 1, C = 3, H = 41 (for
// compute-sanitizer); --quick: check only, no timing; --lab-only: the lab's designs only (not the
// library's kernels). Input and output are allocated for each case at their exact sizes (the output
// with a 4 KiB guard after it), so that a read past the input's end is outside its allocation at
// every width. Prints a table, a TSV line "ROW ..." per kernel and a "JSON {...}" line per case. Env:
// WL_CASE_TIMEOUT (s, default 40): a case running longer ends the process with status 124 after
// naming it (run.sh goes on with the next width).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include "lab_abi.h"

typedef long long i64;
#define CK(x)                                                                                     \
  do {                                                                                            \
    cudaError_t e_ = (x);                                                                         \
    if (e_ != cudaSuccess) { printf("CUDA error %s at line %d\n", cudaGetErrorString(e_), __LINE__); fflush(stdout); exit(3); } \
  } while (0)

typedef LabLaunch Launch;
// The library's launcher for each spec (gen/, by gen.mjs) and the lab's table of designs (lab_kernels.cu).
#define DECL(dt, k) extern "C" int lib_##dt##_k##k(const void*, const void*, void*, i64, i64, i64, i64, cudaStream_t); \
  extern "C" int lab_kernels_##dt##_k##k(const LabKernel** out);
DECL(f32, 3) DECL(f32, 7) DECL(f16, 3) DECL(f16, 7) DECL(bf16, 3) DECL(bf16, 7)

struct Kernel { const char* name; Launch fn; };
static std::vector<Kernel> kernels_of(const std::string& dt, int k, bool lab_only) {
  Launch lib = nullptr;
  const LabKernel* table = nullptr;
  int n = 0;
#define PICK(d, kk) if (dt == #d && k == kk) { lib = lib_##d##_k##kk; n = lab_kernels_##d##_k##kk(&table); }
  PICK(f32, 3) PICK(f32, 7) PICK(f16, 3) PICK(f16, 7) PICK(bf16, 3) PICK(bf16, 7)
#undef PICK
  std::vector<Kernel> ks;
  if (!lab_only && lib) ks.push_back({"library", lib});
  for (int i = 0; i < n; ++i) ks.push_back({table[i].name, table[i].fn});
  return ks;
}

enum Dtype { F32, F16, BF16 };

__device__ unsigned hash_index(unsigned long long i, unsigned seed) {
  unsigned h = (unsigned)(i ^ (i >> 32)) * 2654435761u ^ seed;
  h ^= h >> 15; h *= 2246822519u; h ^= h >> 13; h *= 3266489917u; h ^= h >> 16;
  return h;
}
// Uniform in [-2, 2) (weights: [-1, 1)), rounded to the storage type.
__global__ void fill_kernel(void* p, i64 n, Dtype dt, unsigned seed, float scale) {
  for (i64 i = blockIdx.x * (i64)blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x) {
    const float f = ((float)(hash_index(i, seed) >> 8) / 16777216.f * 4.f - 2.f) * scale;
    if (dt == F32) static_cast<float*>(p)[i] = f;
    else if (dt == F16) static_cast<__half*>(p)[i] = __float2half_rn(f);
    else static_cast<__nv_bfloat16*>(p)[i] = __float2bfloat16_rn(f);
  }
}
__device__ __forceinline__ float elem(const void* p, i64 i, Dtype dt) {
  if (dt == F32) return static_cast<const float*>(p)[i];
  if (dt == F16) return __half2float(static_cast<const __half*>(p)[i]);
  return __bfloat162float(static_cast<const __nv_bfloat16*>(p)[i]);
}
__global__ void to_float_kernel(const void* p, i64 n, Dtype dt, float* out) {
  for (i64 i = blockIdx.x * (i64)blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x) out[i] = elem(p, i, dt);
}
// For each sampled output index: the output as float, and its KH x KW input window (zeros outside).
__global__ void gather_kernel(const void* x, const void* y, Dtype dt, const i64* idx, int n, int C, int H, int W, int Ho, int Wo,
                              int KH, int KW, int PT, int PL, float* yo, float* win) {
  const int s = blockIdx.x * blockDim.x + threadIdx.x;
  if (s >= n) return;
  const i64 i = idx[s];
  const int ow = (int)(i % Wo), oh = (int)(i / Wo % Ho);
  const i64 plane = i / Wo / Ho;
  yo[s] = elem(y, i, dt);
  for (int a = 0; a < KH; ++a)
    for (int b = 0; b < KW; ++b) {
      const int ih = oh - PT + a, iw = ow - PL + b;
      win[(i64)s * KH * KW + a * KW + b] = (ih >= 0 && ih < H && iw >= 0 && iw < W) ? elem(x, (plane * H + ih) * W + iw, dt) : 0.f;
    }
}

static std::atomic<long long> g_case_start{0};
static std::string g_case_name;
static long long now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct Check { int samples = 0, bad = 0, guard = 0; double worst = 0; int status = 0; };

// One dtype and window: argv = {program, DT, K, flags and widths...}.
static int run_group(int argc, char** argv) {
  const std::string dts = argv[1];
  const int K = atoi(argv[2]);
  const Dtype dt = dts == "f32" ? F32 : dts == "f16" ? F16 : BF16;
  const int es = dt == F32 ? 4 : 2, vec = 16 / es;
  const int PAD = K == 3 ? 0 : K / 2;
  bool small = false, quick = false, lab_only = false;
  std::vector<int> widths;
  for (int a = 3; a < argc; ++a) {
    if (!strcmp(argv[a], "--small")) small = true;
    else if (!strcmp(argv[a], "--quick")) quick = true;
    else if (!strcmp(argv[a], "--lab-only")) lab_only = true;
    else widths.push_back(atoi(argv[a]));
  }
  if ((dts != "f32" && dts != "f16" && dts != "bf16") || (K != 3 && K != 7)) { printf("unknown group %s:%d\n", dts.c_str(), K); return 2; }
  const std::vector<Kernel> kernels = kernels_of(dts, K, lab_only);
  const int case_timeout = getenv("WL_CASE_TIMEOUT") ? atoi(getenv("WL_CASE_TIMEOUT")) : 40;
  static bool watching = false;  // one watchdog for all groups
  if (!watching) {
    watching = true;
    std::thread([case_timeout] {
      for (;;) {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        const long long s = g_case_start.load();
        if (s && now_ms() - s > case_timeout * 1000ll) {
          printf("TIMEOUT %s after %d s\n", g_case_name.c_str(), case_timeout);
          fflush(stdout);
          _exit(124);
        }
      }
    }).detach();
  }

  // x and y (+ a guard region poisoned like y and checked) are allocated for each case; weights once.
  auto shape_of = [&](int W, i64& N, i64& C, i64& H) {
    if (small) { N = 1; C = 3; H = 41; return; }  // 123 W elements: odd W ends the tensor mid-vector
    C = 128; H = 256;
    N = W < 768 ? 64 : W < 1536 ? 32 : 16;
  };
  const size_t guard = 4096;
  void *x = nullptr, *y = nullptr, *w;
  float* wf;
  CK(cudaMalloc(&w, 128 * 49 * es));
  CK(cudaMalloc(&wf, 128 * 49 * 4));
  cudaStream_t st;
  CK(cudaStreamCreate(&st));
  std::vector<cudaEvent_t> ev(16);
  for (auto& e : ev) CK(cudaEventCreate(&e));
  cudaDeviceProp prop;
  CK(cudaGetDeviceProperties(&prop, 0));
  printf("# %s, %s %dx%d pad %d; x %% of copy = (in + out bytes / t) / (2 in bytes / t_copy)\n", prop.name, dts.c_str(), K, K, PAD);

  for (int W : widths) {
    i64 N, C, H; shape_of(W, N, C, H);
    const i64 Ho = H + 2 * PAD - K + 1, Wo = W + 2 * PAD - K + 1;
    const i64 nin = N * C * H * W, nout = N * C * Ho * Wo;
    char cname[128];
    snprintf(cname, sizeof cname, "%s k%d W=%d (N=%lld C=%lld H=%lld)", dts.c_str(), K, W, N, C, H);
    g_case_name = cname;
    g_case_start = now_ms();
    CK(cudaMalloc(&x, nin * es));
    // The timed copy writes the input's bytes to y; a check-only run allocates the output exactly.
    CK(cudaMalloc(&y, (quick ? nout : std::max(nin, nout)) * es + guard));
    fill_kernel<<<4096, 256, 0, st>>>(x, nin, dt, 1234u + W, 1.f);
    fill_kernel<<<64, 256, 0, st>>>(w, C * K * K, dt, 777u + W, 0.5f);
    to_float_kernel<<<64, 256, 0, st>>>(w, C * K * K, dt, wf);
    CK(cudaStreamSynchronize(st));
    CK(cudaGetLastError());
    std::vector<float> hw(C * K * K);
    CK(cudaMemcpy(hw.data(), wf, hw.size() * 4, cudaMemcpyDeviceToHost));

    // Samples: 100k random outputs, and in planes 0, P/2, P-1 every output of rows 0, 1, Ho-2, Ho-1
    // and of columns 0-3, Wo-4..Wo-1 and two either side of each multiple of 128 (warp and strip edges).
    std::vector<i64> idx;
    {
      unsigned s = 99;
      for (int k = 0; k < (small ? 2000 : 100000); ++k) {
        s = s * 1664525u + 1013904223u;
        idx.push_back((i64)(((unsigned long long)s * 2654435761ull + k) % (unsigned long long)nout));
      }
      const i64 P = N * C;
      std::vector<i64> planes = {0, P / 2, P - 1};
      std::vector<i64> rows = {0, 1, Ho - 2, Ho - 1}, cols;
      for (i64 c = 0; c < 4; ++c) { cols.push_back(c); cols.push_back(Wo - 1 - c); }
      for (i64 m = 128; m < Wo + 2; m += 128) for (i64 c = m - 2; c < m + 2; ++c) cols.push_back(c);
      for (i64 p : planes) {
        for (i64 r : rows) if (r >= 0 && r < Ho) for (i64 c = 0; c < Wo; ++c) idx.push_back((p * Ho + r) * Wo + c);
        for (i64 c : cols) if (c >= 0 && c < Wo) for (i64 r = 0; r < Ho; ++r) idx.push_back((p * Ho + r) * Wo + c);
      }
    }
    const int ns = (int)idx.size(), taps = K * K;
    i64* didx; float *dyo, *dwin;
    CK(cudaMalloc(&didx, ns * 8));
    CK(cudaMalloc(&dyo, ns * 4));
    CK(cudaMalloc(&dwin, (size_t)ns * taps * 4));
    CK(cudaMemcpy(didx, idx.data(), ns * 8, cudaMemcpyHostToDevice));
    std::vector<float> hyo(ns), hwin((size_t)ns * taps);
    const double eps_out = dt == F32 ? 0 : dt == F16 ? 1.0 / 2048 : 1.0 / 256;

    auto check = [&](Launch fn) {
      Check c;
      CK(cudaMemsetAsync(y, 0xff, nout * es + guard, st));  // NaN in every dtype
      c.status = fn(x, w, y, N, C, H, W, st);
      if (c.status) return c;
      CK(cudaStreamSynchronize(st));
      CK(cudaGetLastError());
      std::vector<unsigned char> g(guard);
      CK(cudaMemcpy(g.data(), (char*)y + nout * es, guard, cudaMemcpyDeviceToHost));
      for (unsigned char b : g) c.guard += b != 0xff;
      gather_kernel<<<(ns + 255) / 256, 256, 0, st>>>(x, y, dt, didx, ns, (int)C, (int)H, (int)W, (int)Ho, (int)Wo, K, K, PAD, PAD, dyo, dwin);
      CK(cudaStreamSynchronize(st));
      CK(cudaGetLastError());
      CK(cudaMemcpy(hyo.data(), dyo, ns * 4, cudaMemcpyDeviceToHost));
      CK(cudaMemcpy(hwin.data(), dwin, hwin.size() * 4, cudaMemcpyDeviceToHost));
      c.samples = ns;
      for (int s = 0; s < ns; ++s) {
        const i64 ch = idx[s] / Wo / Ho % C;
        double ref = 0, mag = 0;
        for (int t = 0; t < taps; ++t) {
          const double p = (double)hwin[(size_t)s * taps + t] * hw[ch * taps + t];
          ref += p; mag += fabs(p);
        }
        const double err = fabs(hyo[s] - ref), tol = 1e-5 * mag + eps_out * (fabs(ref) + 1e-5 * mag) * 1.001 + 1e-7;
        const double rel = err / (mag + 1e-30);
        if (!(err <= tol)) {
          if (c.bad++ < 3) {
            const i64 i = idx[s];
            printf("  mismatch at plane %lld row %lld col %lld: %.7g vs %.7g\n", i / Wo / Ho, i / Wo % Ho, i % Wo, hyo[s], ref);
          }
        }
        if (!(rel <= c.worst)) c.worst = rel;  // NaN too
      }
      return c;
    };
    // Median of 15 launches queued back to back (3 untimed first), in ms.
    auto time_fn = [&](auto&& launch) {
      for (int i = 0; i < 3; ++i) launch();
      CK(cudaEventRecord(ev[0], st));
      for (int i = 0; i < 15; ++i) { launch(); CK(cudaEventRecord(ev[i + 1], st)); }
      CK(cudaEventSynchronize(ev[15]));
      CK(cudaGetLastError());
      std::vector<float> t(15);
      for (int i = 0; i < 15; ++i) CK(cudaEventElapsedTime(&t[i], ev[i], ev[i + 1]));
      std::sort(t.begin(), t.end());
      return (double)t[7];
    };

    std::vector<Check> checks;
    for (const Kernel& k : kernels) checks.push_back(check(k.fn));
    const double in_b = (double)nin * es, out_b = (double)nout * es;
    std::vector<double> ms(kernels.size(), INFINITY);
    double copy_ms = INFINITY;
    if (!quick) {
      for (int pass = 0; pass < 2; ++pass) {  // two passes over all, each time's fastest kept
        copy_ms = std::min(copy_ms, time_fn([&] { CK(cudaMemcpyAsync(y, x, nin * es, cudaMemcpyDeviceToDevice, st)); }));
        for (size_t k = 0; k < kernels.size(); ++k)
          if (!checks[k].status) ms[k] = std::min(ms[k], time_fn([&] { kernels[k].fn(x, w, y, N, C, H, W, st); }));
      }
    }
    const double copy_gbs = 2 * in_b / copy_ms / 1e6;
    printf("%-4s k%d W=%-5d Wo=%-5lld %s copy %.3f ms (%.0f GB/s)\n", dts.c_str(), K, W, Wo, W % vec ? "unaligned" : "aligned  ", copy_ms, copy_gbs);
    std::string json = "{\"dtype\":\"" + dts + "\",\"k\":" + std::to_string(K) + ",\"pad\":" + std::to_string(PAD) +
                       ",\"N\":" + std::to_string(N) + ",\"C\":" + std::to_string(C) + ",\"H\":" + std::to_string(H) +
                       ",\"W\":" + std::to_string(W) + ",\"Ho\":" + std::to_string(Ho) + ",\"Wo\":" + std::to_string(Wo) +
                       ",\"aligned\":" + (W % vec ? "false" : "true") + ",\"copyMs\":" + std::to_string(quick ? -1.0 : copy_ms) +
                       ",\"copyGBs\":" + std::to_string(quick ? -1.0 : copy_gbs) + ",\"kernels\":[";
    for (size_t k = 0; k < kernels.size(); ++k) {
      const Check& c = checks[k];
      const double gbs = (in_b + out_b) / ms[k] / 1e6, pct = 100 * gbs / copy_gbs;
      const bool ok = !c.status && c.bad == 0 && c.guard == 0;
      printf("    %-11s %8.3f ms %6.0f GB/s %5.1f%% of copy  check %s (%d samples, %d off, worst %.2g, guard %d, status %d)\n", kernels[k].name, ms[k], gbs, pct,
             ok ? "ok" : "FAILED", c.samples, c.bad, c.worst, c.guard, c.status);
      printf("ROW\t%s\t%d\t%d\t%d\t%s\t%.4f\t%.1f\t%.2f\t%s\n", dts.c_str(), K, W, W % vec ? 0 : 1, kernels[k].name, ms[k], gbs, pct, ok ? "ok" : "FAILED");
      char buf[400];
      snprintf(buf, sizeof buf, "%s{\"name\":\"%s\",\"ms\":%.5f,\"GBs\":%.1f,\"pctOfCopy\":%.2f,\"check\":{\"ok\":%s,\"samples\":%d,\"off\":%d,\"worst\":%.3g,\"guardBytesChanged\":%d,\"status\":%d}}",
               k ? "," : "", kernels[k].name, std::isfinite(ms[k]) ? ms[k] : -1.0, std::isfinite(gbs) ? gbs : -1.0, std::isfinite(pct) ? pct : -1.0,
               ok ? "true" : "false", c.samples, c.bad, std::isfinite(c.worst) ? c.worst : -1.0, c.guard, c.status);
      json += buf;
    }
    printf("JSON %s]}\n", json.c_str());
    fflush(stdout);
    CK(cudaFree(didx)); CK(cudaFree(dyo)); CK(cudaFree(dwin));
    CK(cudaFree(x)); CK(cudaFree(y));
    g_case_start = 0;
  }
  for (auto& e : ev) CK(cudaEventDestroy(e));
  CK(cudaStreamDestroy(st));
  CK(cudaFree(w)); CK(cudaFree(wf));
  return 0;
}

// width_lab DT K [flags] W...   or   width_lab DT:K[,DT:K...] [flags] W...  (several groups, one process:
// the sanitizer passes start once).
int main(int argc, char** argv) {
  if (argc < 3) { printf("usage: width_lab f32|f16|bf16 3|7 [--small] [--quick] [--lab-only] W...  (or f32:3,f16:7 [flags] W...)\n"); return 2; }
  const std::string first = argv[1];
  if (first.find(':') == std::string::npos) return argc < 4 ? 2 : run_group(argc, argv);
  std::vector<std::string> groups;
  for (size_t a = 0; a <= first.size();) {
    const size_t b = std::min(first.find(',', a), first.size());
    groups.push_back(first.substr(a, b - a));
    a = b + 1;
  }
  for (const std::string& g : groups) {
    const size_t c = g.find(':');
    if (c == std::string::npos) { printf("bad group %s\n", g.c_str()); return 2; }
    std::string dt = g.substr(0, c), k = g.substr(c + 1);
    std::vector<char*> args = {argv[0], dt.data(), k.data()};
    for (int a = 2; a < argc; ++a) args.push_back(argv[a]);
    const int rc = run_group((int)args.size(), args.data());
    if (rc) return rc;
  }
  return 0;
}
