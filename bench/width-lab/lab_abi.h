// What lab_kernels.cu exports to the harness (main.cu): for each dtype and window, a table of the
// designs' names and launchers, lab_kernels_<dt>_k<k>(&table) returning its length.
#pragma once
#include <cuda_runtime.h>

typedef int (*LabLaunch)(const void* x, const void* w, void* y, long long N, long long C, long long H, long long W, cudaStream_t s);
struct LabKernel {
  const char* name;
  LabLaunch fn;
};
