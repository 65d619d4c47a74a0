"""DepthwiseConv2d vs nn.Conv2d through the PyTorch call (the binding's overhead counts), on the GPU.

    python python/bench/bench_module.py [--quick] > bench.json
    python python/bench/bench_module.py --host-only cpu       # the host overhead alone (no GPU needed)

Cases: the reference problem (N=64, C=128, H=256, W=512, 3x3) in fp32/fp16/bf16, NCHW and
channels_last; a few MobileNetV2 depthwise layers (batch 64); and the per-call host overhead on a tiny
shape (the time of back-to-back calls whose kernels finish faster than the host issues them).
Times: triton.testing.do_bench where available (median ms), else CUDA events around repeated calls.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Callable, Dict, List

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from dwconv_jit.torch import DepthwiseConv2d  # noqa: E402

DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}
# (name, N, C, H, W, k, stride): MobileNetV2's depthwise layers at 224x224.
MOBILENET = [("mbv2-144x56-s1", 64, 144, 56, 56, 3, 1), ("mbv2-144x56-s2", 64, 144, 56, 56, 3, 2), ("mbv2-384x14", 64, 384, 14, 14, 3, 1), ("mbv2-960x7", 64, 960, 7, 7, 3, 1)]


def timer() -> Callable[[Callable[[], object]], float]:
    try:
        from triton.testing import do_bench  # type: ignore

        return lambda fn: float(do_bench(fn, warmup=25, rep=200, return_mode="median"))
    except Exception:
        def events(fn: Callable[[], object], reps: int = 50) -> float:
            for _ in range(5):
                fn()
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            times = []
            for _ in range(reps):
                start.record()
                fn()
                end.record()
                end.synchronize()
                times.append(start.elapsed_time(end))
            return sorted(times)[len(times) // 2]
        return events


def case(name: str, n: int, c: int, h: int, w: int, k: int, stride: int, dtype: str, channels_last: bool, bench: Callable) -> Dict[str, object]:
    dt = DTYPES[dtype]
    conv = nn.Conv2d(c, c, k, stride, k // 2 if name.startswith("mbv2") else 0, groups=c, bias=False).cuda().to(dt).eval()
    dw = DepthwiseConv2d.from_conv(conv).eval()
    x = torch.randn(n, c, h, w, device="cuda", dtype=dt)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
        conv = conv.to(memory_format=torch.channels_last)
    with torch.no_grad():
        y, ref = dw(x), conv(x)
        err = (y.double() - ref.double()).abs().max().item()
        torch_ms = bench(lambda: conv(x))
        ours_ms = bench(lambda: dw(x))
    bytes_moved = (x.numel() + y.numel()) * x.element_size()
    return {"case": name, "dtype": dtype, "layout": "NHWC" if channels_last else "NCHW", "shape": [n, c, h, w], "k": k, "stride": stride,
            "torchMs": torch_ms, "dwconvMs": ours_ms, "speedup": torch_ms / ours_ms, "dwconvGBs": bytes_moved / ours_ms / 1e6, "maxAbsErr": err}


def host_overhead(device: str = "cuda", reps: int = 2000) -> Dict[str, float]:
    """Microseconds per call on a 1x8x8x8 input: the host cost of the module (plain, and with a folded
    BatchNorm + ReLU6), the functional form, nn.Conv2d and a bare torch.empty of the output. On the
    GPU the kernels finish faster than the host issues them, so this is the host's time per call; on
    the CPU it includes the (tiny) kernel itself."""
    from dwconv_jit.torch import depthwise_conv2d

    x = torch.randn(1, 8, 8, 8, device=device)
    conv = nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False).to(device)
    dw = DepthwiseConv2d.from_conv(conv)
    fused = DepthwiseConv2d(8, 8, 3, padding=1, bias=False, batch_norm=True, activation="relu6").to(device).eval()
    w = conv.weight.detach()
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    out: Dict[str, float] = {}
    cases = (
        ("dwconvModuleUs", lambda: dw(x)), ("dwconvFusedBnModuleUs", lambda: fused(x)), ("dwconvFunctionalUs", lambda: depthwise_conv2d(x, w, padding=1)),
        ("torchConv2dUs", lambda: conv(x)), ("torchEmptyUs", lambda: torch.empty(1, 8, 8, 8, device=device)),
    )
    with torch.no_grad():
        for label, fn in cases:
            for _ in range(100):
                fn()
            sync()
            best = float("inf")
            for _ in range(3):  # the best of three: other work on the host only ever adds time
                t0 = time.perf_counter()
                for _ in range(reps):
                    fn()
                t1 = time.perf_counter()
                sync()
                best = min(best, (t1 - t0) / reps * 1e6)
            out[label] = best
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fp32 only, reference problem and one MobileNet layer")
    parser.add_argument("--host-only", metavar="DEVICE", choices=("cpu", "cuda"), help="only the per-call host overhead, on this device (cpu works without a GPU)")
    args = parser.parse_args()
    if args.host_only:
        print(json.dumps({"torch": torch.__version__, "device": args.host_only, "hostOverhead": host_overhead(args.host_only)}, indent=2))
        return
    if not torch.cuda.is_available():
        raise SystemExit("bench_module.py needs a CUDA GPU")
    bench = timer()
    rows: List[Dict[str, object]] = []
    dtypes = ["float32"] if args.quick else list(DTYPES)
    for dtype in dtypes:
        for cl in (False, True):
            rows.append(case("reference", 64, 128, 256, 512, 3, 1, dtype, cl, bench))
            for name, n, c, h, w, k, s in MOBILENET[: 1 if args.quick else None]:
                rows.append(case(name, n, c, h, w, k, s, dtype, cl, bench))
            print(json.dumps(rows[-1]), file=sys.stderr)
    result = {"torch": torch.__version__, "device": torch.cuda.get_device_name(), "timer": "do_bench" if "triton" in sys.modules else "cuda-events", "cases": rows, "hostOverhead": host_overhead()}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
