"""DepthwiseConv2d vs nn.Conv2d through the PyTorch call (the binding's overhead counts), on the GPU.

    python python/bench/bench_module.py [--quick] > bench.json
    python python/bench/bench_module.py --host-only cpu       # the host overhead alone (no GPU needed)

Cases (batch 64, names as `dwconv-jit bench` prints them, plus " NHWC" for channels_last):
the reference problem (C=128, 256x512, 3x3), MobileNetV2's depthwise layers (3x3, pad 1) and
ConvNeXt-T's (7x7, pad 3), each in fp32/fp16/bf16 and NCHW/channels_last. --quick: fp32, the
reference problem and three MobileNetV2 layers (the two smallest-kernel ones included), both layouts,
sized for gpu_check.sh. Then the per-call host overhead on a tiny shape (bench_overhead.py).

Per case, three callables on the same input: ``torch`` (the nn.Conv2d), ``dwconv`` (the module,
through its forward) and ``bare`` (the same kernel's ctypes function with pointers and stream
computed beforehand and a preallocated output: the kernel as TypeScript's bench times it, with no
Python per call). Two timings of each:

- ``*Ms``: triton.testing.do_bench where available (median ms; it clears a 256 MB L2 buffer before
  each call and does not synchronise between calls, so host work shorter than that clear is hidden),
  else CUDA events around each call (host work then counts).
- ``*BackToBackMs``: wall time per call of many back-to-back calls with one sync at the end: the
  larger of the host's and the GPU's time per call, what a model's sequence of layers sees.

``dwconvVsBare`` = bareMs / dwconvMs (and the back-to-back ratio): the share of the kernel's own speed
the module keeps (the goal: >= 0.95).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Dict, List, Optional, Tuple

import torch
import torch.nn as nn

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(here))
sys.path.insert(0, here)
from bench_overhead import bare_launch, host_overhead  # noqa: E402
from dwconv_jit import kernels, make_spec  # noqa: E402
from dwconv_jit.torch import DepthwiseConv2d  # noqa: E402
from dwconv_jit.torch._launch import plan_for  # noqa: E402

DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}
# (name, N, C, H, W, k, stride, padding)
Layer = Tuple[str, int, int, int, int, int, int, int]
REFERENCE: Layer = ("reference 3x3", 64, 128, 256, 512, 3, 1, 0)
# MobileNetV2's depthwise layers at 224x224 (the list `dwconv-jit bench` times), batch 64.
MOBILENET: List[Layer] = [
    (f"C{c} {hw}x{hw} 3x3 s{s}", 64, c, hw, hw, 3, s, 1)
    for c, hw, s in [(32, 112, 1), (96, 112, 2), (144, 56, 1), (144, 56, 2), (192, 28, 1), (192, 28, 2), (384, 14, 1), (576, 14, 1), (576, 14, 2), (960, 7, 1)]
]
# ConvNeXt-T's depthwise layers (7x7, pad 3) at 224x224, batch 64.
CONVNEXT: List[Layer] = [(f"C{c} {hw}x{hw} 7x7 s1", 64, c, hw, hw, 7, 1, 3) for c, hw in [(96, 56), (192, 28), (384, 14), (768, 7)]]
QUICK: List[Layer] = [REFERENCE, MOBILENET[2], MOBILENET[3], MOBILENET[6]]

Timer = Callable[[Callable[[], object]], float]


def do_bench_timer() -> Tuple[str, Timer]:
    try:
        from triton.testing import do_bench  # type: ignore

        return "do_bench", lambda fn: float(do_bench(fn, warmup=25, rep=100, return_mode="median"))
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
        return "cuda-events", events


def back_to_back(fn: Callable[[], object], budget_s: float = 0.02, rounds: int = 3) -> float:
    """ms per call of back-to-back calls (one sync per round), about ``budget_s`` a round, best round."""
    fn()
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    fn()
    torch.cuda.synchronize()
    calls = max(5, min(500, int(budget_s / max(time.perf_counter() - t0, 1e-6))))
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        torch.cuda.synchronize()
        best = min(best, (time.perf_counter() - t0) / calls * 1e3)
    return best


def case(layer: Layer, dtype: str, channels_last: bool, bench: Timer) -> Dict[str, object]:
    name, n, c, h, w, k, stride, padding = layer
    dt = DTYPES[dtype]
    conv = nn.Conv2d(c, c, k, stride, padding, groups=c, bias=False).cuda().to(dt).eval()
    module = DepthwiseConv2d.from_conv(conv).eval()
    x = torch.randn(n, c, h, w, device="cuda", dtype=dt)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
        conv = conv.to(memory_format=torch.channels_last)
    with torch.no_grad():
        y, ref = module(x), conv(x)
        err = (y.double() - ref.double()).abs().max().item()
        weight = conv.weight.detach()
        bare, _ = bare_launch(plan_for(x, weight, None, (stride, stride), (padding,) * 4, (1, 1)), x, weight)
        fns = {"torch": lambda: conv(x), "dwconv": lambda: module(x), "bare": bare}
        row: Dict[str, object] = {
            "case": f"{name} {dtype}{' NHWC' if channels_last else ''}", "dtype": dtype, "layout": "NHWC" if channels_last else "NCHW",
            "shape": [n, c, h, w], "k": k, "stride": stride, "padding": padding,
        }
        for label, fn in fns.items():
            row[f"{label}Ms"] = bench(fn)
        for label, fn in fns.items():
            row[f"{label}BackToBackMs"] = back_to_back(fn)
    ms = {k_: float(v) for k_, v in row.items() if k_.endswith("Ms")}
    row["speedup"] = ms["torchMs"] / ms["dwconvMs"]
    row["dwconvVsBare"] = ms["bareMs"] / ms["dwconvMs"]
    row["dwconvVsBareBackToBack"] = ms["bareBackToBackMs"] / ms["dwconvBackToBackMs"]
    row["dwconvGBs"] = (x.numel() + y.numel()) * x.element_size() / ms["dwconvMs"] / 1e6
    row["maxAbsErr"] = err
    return row


def precompile(layers: List[Layer], dtypes: List[str], jobs: int) -> Optional[str]:
    """Builds every case's kernel before timing, ``jobs`` CLI compiles at once (nvcc takes seconds a
    kernel; the binding alone would build them one after another). None, or why it was skipped."""
    from dwconv_jit.cli import locate_cli, run_compile
    from dwconv_jit.env import read_environment

    env = read_environment()
    cli, _ = locate_cli(env)
    if cli is None:
        return "no CLI: kernels compile at first use"
    major, minor = torch.cuda.get_device_capability()
    arch = f"sm_{major}{minor}"
    specs = {
        make_spec(k, stride, padding, 1, 1, dtype, layout).json(): make_spec(k, stride, padding, 1, 1, dtype, layout)
        for _, _, _, _, _, k, stride, padding in layers for dtype in dtypes for layout in ("NCHW", "NHWC")
    }
    # The host-overhead cases' kernels (1x1x4x4, 3x3 pad 1 fp32: plain, and folded BatchNorm + ReLU6).
    for extra in (make_spec(3, 1, 1), make_spec(3, 1, 1, batch_norm=True, activation="relu6")):
        specs[extra.json()] = extra
    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    try:
        failures = [f for f in pool.map(lambda s: _try_compile(run_compile, cli, s, arch, env.cache_dir), specs.values()) if f]
    finally:  # interrupted: leave the compiles running rather than wait for them
        pool.shutdown(wait=False, cancel_futures=True)
    kernels.clear_memory()  # the directory indexes are re-read with the new entries
    return "; ".join(failures) or None


def _try_compile(run_compile: Callable[..., object], cli: List[str], spec: object, arch: str, cache_dir: Optional[str]) -> Optional[str]:
    try:
        run_compile(cli, spec, "cuda", arch, cache_dir)
        return None
    except Exception as err:  # reported, and the case then compiles (and fails visibly) at first use
        return f"{spec.describe()}: {err}"  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fp32 only: the reference problem and three MobileNetV2 layers, both layouts")
    parser.add_argument("--cases", metavar="REGEX", help="only the cases whose name matches (e.g. 'C384|C144')")
    parser.add_argument("--jobs", type=int, default=max(1, (os.cpu_count() or 2) // 2), help="concurrent kernel compiles before timing")
    parser.add_argument("--host-only", metavar="DEVICE", choices=("cpu", "cuda"), help="only the per-call host overhead, on this device (cpu works without a GPU)")
    args = parser.parse_args()
    if args.host_only:
        print(json.dumps({"torch": torch.__version__, "device": args.host_only, "hostOverhead": host_overhead(args.host_only)}, indent=2))
        return
    if not torch.cuda.is_available():
        raise SystemExit("bench_module.py needs a CUDA GPU")
    layers = QUICK if args.quick else [REFERENCE, *MOBILENET, *CONVNEXT]
    dtypes = ["float32"] if args.quick else list(DTYPES)
    if args.cases:
        pattern = re.compile(args.cases)
        layers = [layer for layer in layers if pattern.search(layer[0])]
    # A time limit (gpu_check.sh's timeout sends SIGTERM) still gets the JSON of what was measured.
    signal.signal(signal.SIGTERM, _interrupted)
    t0 = time.perf_counter()
    timer_name, bench = do_bench_timer()
    result: Dict[str, object] = {"torch": torch.__version__, "device": torch.cuda.get_device_name(), "timer": timer_name}
    rows: List[Dict[str, object]] = []
    try:
        result["precompile"] = precompile(layers, dtypes, args.jobs)
        print(json.dumps({"precompileS": round(time.perf_counter() - t0, 1), "problems": result["precompile"]}), file=sys.stderr)
        # First: the figure the goal is stated in, whatever time is left for the cases.
        result["hostOverhead"] = host_overhead("cuda")
        print(json.dumps({"hostOverhead": result["hostOverhead"]}), file=sys.stderr)
        for dtype in dtypes:
            for cl in (False, True):
                for layer in layers:
                    rows.append(case(layer, dtype, cl, bench))
                    print(json.dumps(rows[-1]), file=sys.stderr)
    except KeyboardInterrupt:
        result["interrupted"] = f"after {time.perf_counter() - t0:.0f} s, {len(rows)} cases measured"
    result["cases"] = rows
    print(json.dumps(result, indent=2), flush=True)


def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    main()
