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
    layout = case.get("layout", "NCHW")
    if layout == "NHWC":
        x = x.to(memory_format=torch.channels_last)
    wt = torch.rand(c * m, 1, kh, kw, device="cuda", dtype=dtype) * 2 - 1
    b = torch.rand(c * m, device="cuda", dtype=dtype) if case.get("bias") else None
    top, bottom, left, right = case.get("padding", [0, 0, 0, 0])
    stride, dilation = case.get("stride", [1, 1]), case.get("dilation", [1, 1])
    symmetric = top == bottom and left == right

    def conv():
        if symmetric:
            return F.conv2d(x, wt, b, stride, (top, left), dilation, groups=c)
        return F.conv2d(F.pad(x, (left, right, top, bottom)), wt, b, stride, 0, dilation, groups=c)

    # The fused epilogue as eager PyTorch runs it: one op (one pass over memory) each.
    activation, residual = case.get("activation", "none"), case.get("residual", "none")
    act = activation_fn(F, torch, activation, case.get("negativeSlope", 0.01))
    r = torch.rand_like(conv()) * 2 - 1 if residual != "none" else None
    bn = None
    if case.get("batchNorm"):
        bn = [torch.rand(c * m, device="cuda", dtype=dtype) for _ in range(4)]  # mean, var, gamma, beta

    # A separable block's 1x1 (a second conv2d, as eager PyTorch and torch.compile both run it: inductor
    # leaves convolutions to cuDNN and fuses only the elementwise ops around them).
    pw = case.get("pointwise")
    if pw is not None:
        pw_w = (torch.rand(pw["outChannels"], c * m, 1, 1, device="cuda", dtype=dtype) * 2 - 1) / (c * m) ** 0.5
        pw_b = torch.rand(pw["outChannels"], device="cuda", dtype=dtype) if pw.get("bias") else None
        pw_act = activation_fn(F, torch, pw.get("activation", "none"), pw.get("negativeSlope", 0.01))
        if layout == "NHWC":
            pw_w = pw_w.to(memory_format=torch.channels_last)

    def run():
        y = conv()
        if bn is not None:
            y = F.batch_norm(y, bn[0], bn[1], bn[2], bn[3], False, 0.0, 1e-5)
        if residual == "before-activation":
            y = y + r
        if act is not None:
            y = act(y)
        if residual == "after-activation":
            y = y + r
        if pw is not None:
            y = F.conv2d(y, pw_w, pw_b)
            if pw_act is not None:
                y = pw_act(y)
        return y

    ms, how = bench(torch, do_bench, run)
    result = {"ms": ms}
    if case.get("exactFloat32"):  # the same ops at float32 accuracy: TF32 off for the convolutions
        flags = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
        torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
        try:
            result["exactMs"] = bench(torch, do_bench, run)[0]
        finally:
            torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = flags
    if case.get("compile"):
        try:
            compiled = torch.compile(run)
            compiled()
            result["compiledMs"] = bench(torch, do_bench, compiled)[0]
        except Exception as e:  # torch.compile needs a working triton/inductor: report, do not fail
            result["compiledUnavailable"] = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
    ops = "".join(f" +{o}" for o, on in (("batch_norm", bn is not None), (activation, act is not None), ("residual", residual != "none"), ("conv1x1", pw is not None)) if on)
    del x, wt, b, r, bn
    if pw is not None:
        del pw_w, pw_b
    torch.cuda.empty_cache()
    tf32 = f", cudnn.allow_tf32={torch.backends.cudnn.allow_tf32}" if case["dtype"] == "float32" else ""
    result["detail"] = f"torch {torch.__version__} F.conv2d groups=C{ops} {case['dtype']} {layout}{tf32}, {how}" + ("" if symmetric else " (with F.pad)")
    return result


def activation_fn(F, torch, name, slope):
    return {
        "none": None, "relu": F.relu, "relu6": F.relu6, "leaky_relu": lambda y: F.leaky_relu(y, slope),
        "silu": F.silu, "gelu": F.gelu, "gelu_tanh": lambda y: F.gelu(y, approximate="tanh"),
        "hardswish": F.hardswish, "sigmoid": torch.sigmoid,
    }[name]


def bench(torch, do_bench, run):
    if do_bench is not None:
        return do_bench(run, warmup=50, rep=300, return_mode="median"), "triton do_bench median"
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
        return sorted(times)[len(times) // 2], "CUDA events median of 20"


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
    p.add_argument("--batchNorm", action="store_true")
    p.add_argument("--activation", default="none")
    p.add_argument("--negativeSlope", type=float, default=0.01)
    p.add_argument("--residual", default="none")
    p.add_argument("--pointwise", type=json.loads, help='a separable block\'s 1x1 as JSON: {"outChannels", "bias", "activation", "negativeSlope"}')
    p.add_argument("--compile", action="store_true", help="also time torch.compile of the same ops")
    p.add_argument("--rounds", type=int, default=1, help="with --cases: time every case this many times, one pass over the cases per round, and keep each time's minimum")
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
        # Rounds are passes over all the cases, so that a stretch of slow GPU time (seen in some runs:
        # one case 1.5-2.5x its usual time) is unlikely to hit a case in every round.
        results = [time_case(torch, F, do_bench, c) for c in cases]
        for _ in range(a.rounds - 1):
            for r, again in zip(results, (time_case(torch, F, do_bench, c) for c in cases)):
                for key in ("ms", "compiledMs", "exactMs"):
                    if key in r and key in again:
                        r[key] = min(r[key], again[key])
        print(json.dumps(results))
    else:
        if a.shape is None or a.kernel is None:
            sys.exit("--shape and --kernel are required without --cases")
        case = {k: getattr(a, k) for k in ("shape", "kernel", "stride", "padding", "dilation", "multiplier", "dtype", "layout", "bias", "batchNorm", "activation", "negativeSlope", "residual", "pointwise", "compile")}
        print(json.dumps(time_case(torch, F, do_bench, case)))


if __name__ == "__main__":
    main()
