#!/usr/bin/env python3
"""PyTorch's time for one depthwise conv: the comparison column of the demo and the benchmark.

Prints one JSON object: {"ms": median milliseconds, "detail": what was timed}. Exits non-zero,
with the reason on stderr, when torch or a GPU is missing.
"""
import argparse
import json
import sys


def pair(text):
    return [int(v) for v in text.split(",")]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--shape", type=pair, required=True)
    p.add_argument("--kernel", type=pair, required=True)
    p.add_argument("--stride", type=pair, default=[1, 1])
    p.add_argument("--padding", type=pair, default=[0, 0, 0, 0], help="top,bottom,left,right")
    p.add_argument("--dilation", type=pair, default=[1, 1])
    p.add_argument("--multiplier", type=int, default=1)
    p.add_argument("--dtype", default="float32")
    p.add_argument("--layout", default="NCHW")
    p.add_argument("--bias", action="store_true")
    a = p.parse_args()
    try:
        import torch
        import torch.nn.functional as F
    except ImportError as e:
        sys.exit(f"torch is not installed: {e}")
    if not torch.cuda.is_available():
        sys.exit("torch sees no CUDA device")
    dtype = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}[a.dtype]
    n, c, h, w = a.shape
    x = torch.rand(n, c, h, w, device="cuda", dtype=dtype) * 2 - 1
    if a.layout == "NHWC":
        x = x.to(memory_format=torch.channels_last)
    wt = torch.rand(c * a.multiplier, 1, *a.kernel, device="cuda", dtype=dtype) * 2 - 1
    b = torch.rand(c * a.multiplier, device="cuda", dtype=dtype) if a.bias else None
    top, bottom, left, right = a.padding
    symmetric = top == bottom and left == right

    def run():
        if symmetric:
            return F.conv2d(x, wt, b, a.stride, (top, left), a.dilation, groups=c)
        return F.conv2d(F.pad(x, (left, right, top, bottom)), wt, b, a.stride, 0, a.dilation, groups=c)

    try:
        from triton.testing import do_bench

        ms = do_bench(run, warmup=100, rep=500, return_mode="median")
        how = "triton do_bench median"
    except ImportError:
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        for _ in range(5):
            run()
        times = []
        for _ in range(20):
            start.record()
            run()
            end.record()
            end.synchronize()
            times.append(start.elapsed_time(end))
        ms = sorted(times)[len(times) // 2]
        how = "CUDA events median of 20"
    print(json.dumps({"ms": ms, "detail": f"torch {torch.__version__} F.conv2d groups=C {a.dtype} {a.layout}, {how}" + ("" if symmetric else " (with F.pad)")}))


if __name__ == "__main__":
    main()
