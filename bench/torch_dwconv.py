#!/usr/bin/env python3
"""PyTorch's time for depthwise convs: the comparison column of the demo and the benchmark.

One case from flags, or many from --cases FILE (a JSON list of objects with the flag names as
keys). Prints JSON: {"ms", "detail"} for one case, a list of them for many. Exits non-zero, with
the reason on stderr, when torch or a GPU is missing. Times with triton's do_bench (median, L2
flushed before each repetition) when triton is there, else CUDA events.
"""
import argparse
import json
import sys


def pair(text):
    return [int(v) for v in text.split(",")]


def time_case(torch, F, do_bench, case):
    dtype = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}[case["dtype"]]
    n, c, h, w = case["shape"]
    kh, kw = case["kernel"]
    m = case.get("multiplier", 1)
    x = torch.rand(n, c, h, w, device="cuda", dtype=dtype) * 2 - 1
    if case.get("layout", "NCHW") == "NHWC":
        x = x.to(memory_format=torch.channels_last)
    wt = torch.rand(c * m, 1, kh, kw, device="cuda", dtype=dtype) * 2 - 1
    b = torch.rand(c * m, device="cuda", dtype=dtype) if case.get("bias") else None
    top, bottom, left, right = case.get("padding", [0, 0, 0, 0])
    stride, dilation = case.get("stride", [1, 1]), case.get("dilation", [1, 1])
    symmetric = top == bottom and left == right

    def run():
        if symmetric:
            return F.conv2d(x, wt, b, stride, (top, left), dilation, groups=c)
        return F.conv2d(F.pad(x, (left, right, top, bottom)), wt, b, stride, 0, dilation, groups=c)

    if do_bench is not None:
        ms = do_bench(run, warmup=50, rep=300, return_mode="median")
        how = "triton do_bench median"
    else:
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
    del x, wt, b
    torch.cuda.empty_cache()
    layout = case.get("layout", "NCHW")
    return {"ms": ms, "detail": f"torch {torch.__version__} F.conv2d groups=C {case['dtype']} {layout}, {how}" + ("" if symmetric else " (with F.pad)")}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cases", help="JSON file with a list of cases")
    p.add_argument("--shape", type=pair)
    p.add_argument("--kernel", type=pair)
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
    try:
        from triton.testing import do_bench
    except ImportError:
        do_bench = None
    if a.cases:
        with open(a.cases) as f:
            cases = json.load(f)
        print(json.dumps([time_case(torch, F, do_bench, c) for c in cases]))
    else:
        if a.shape is None or a.kernel is None:
            sys.exit("--shape and --kernel are required without --cases")
        case = {k: getattr(a, k) for k in ("shape", "kernel", "stride", "padding", "dilation", "multiplier", "dtype", "layout", "bias")}
        print(json.dumps(time_case(torch, F, do_bench, case)))


if __name__ == "__main__":
    main()
