"""The binding's per-call host cost on a tiny shape, where the kernel's own time is negligible.

    python python/bench/bench_overhead.py --device cuda > overhead.json
    python python/bench/bench_overhead.py --device cpu            # no GPU needed (includes the tiny CPU kernel)

Each case is called back to back many times with one synchronisation at the end of a round only, so
on the GPU the kernels finish faster than the host issues them and a call's wall time is the host's
work. The floor is ``bareLaunch``: the same ctypes function with the pointers, dims and stream
computed beforehand (the C launcher and cudaLaunchKernel, or the tiny CPU kernel, are in it);
``bareLaunchAlloc`` adds torch's output allocation and the data_ptr reads every real call needs.
``*OverBareUs`` is a case minus its own kernel's bare launch: the binding's cost per call. Rounds
of the cases are interleaved and the best round of each kept (other work on the host only ever
adds time).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Callable, Dict, List, Tuple

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from dwconv_jit.torch import DepthwiseConv2d, depthwise_conv2d  # noqa: E402
from dwconv_jit.torch._launch import Plan, plan_for  # noqa: E402

Case = Callable[[], object]


def bare_launch(plan: Plan, x: torch.Tensor, weight: torch.Tensor, scale: object = None, shift: object = None) -> Tuple[Case, Case]:
    """(the plan's ctypes call with everything computed beforehand, the same plus the output's
    allocation and the data_ptr reads). The tensors are held by the closures: the kernel writes
    memory they own."""
    launch = plan.launch
    assert launch is not None
    n, c, h, w = plan.dims
    out = torch.empty(plan.out_shape, dtype=plan.dtype, device=plan.device, memory_format=plan.fmt)
    stream = torch.cuda.current_stream(plan.cuda_index).cuda_stream if plan.cuda_index is not None else None
    sp = None if scale is None else scale.data_ptr()  # type: ignore[attr-defined]
    hp = None if shift is None else shift.data_ptr()  # type: ignore[attr-defined]
    xp, wp, yp = x.data_ptr(), weight.data_ptr(), out.data_ptr()
    keep = (x, weight, out, scale, shift)

    def bare(_keep: object = keep) -> object:
        return launch(xp, wp, None, sp, hp, None, None, None, yp, n, c, h, w, stream)

    def bare_alloc() -> object:
        y = torch.empty_like(x) if plan.like_input else torch.empty(plan.out_shape, dtype=plan.dtype, device=plan.device, memory_format=plan.fmt)
        launch(x.data_ptr(), weight.data_ptr(), None, sp, hp, None, None, None, y.data_ptr(), n, c, h, w, stream)
        return y

    return bare, bare_alloc


def measure(cases: Dict[str, Case], sync: Callable[[], None], calls: int, rounds: int, clock: Callable[[], float] = time.perf_counter) -> Dict[str, float]:
    """Microseconds per call: the best of ``rounds`` rounds of ``calls`` back-to-back calls each,
    the cases interleaved round by round, one sync at the end of each round."""
    for fn in cases.values():
        for _ in range(min(calls, 200)):
            fn()
    sync()
    best = {name: float("inf") for name in cases}
    for _ in range(rounds):
        for name, fn in cases.items():
            t0 = clock()
            for _ in range(calls):
                fn()
            sync()
            best[name] = min(best[name], (clock() - t0) / calls * 1e6)
    return best


def host_overhead(
    device: str = "cuda", shape: Tuple[int, int, int, int] = (1, 1, 4, 4), calls: int = 2000, rounds: int = 15, clock: str = "wall",
) -> Dict[str, object]:
    """The per-call figures (µs) of the module (plain; folded BatchNorm + ReLU6), the functional
    form, nn.Conv2d and torch's allocation alone, against the bare launch of the same kernels."""
    n, c, h, w = shape
    x = torch.randn(n, c, h, w, device=device)
    conv = nn.Conv2d(c, c, 3, padding=1, groups=c, bias=False).to(device)
    module = DepthwiseConv2d.from_conv(conv)
    fused = DepthwiseConv2d(c, c, 3, padding=1, bias=False, batch_norm=True, activation="relu6").to(device).eval()
    weight = conv.weight.detach()
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    with torch.no_grad():
        module(x), fused(x)  # load the kernels and take the first (validating) call out of the timing
        plan = plan_for(x, weight, None, (1, 1), (1, 1, 1, 1), (1, 1))
        scale, shift = fused._bn_scale_shift()
        fused_call = fused._call
        assert fused_call is not None and fused_call.fast is not None
        bare, bare_alloc = bare_launch(plan, x, weight)
        fused_bare, _ = bare_launch(fused_call.fast.plan, x, fused.weight.detach(), scale, shift)
        cases: Dict[str, Case] = {
            "bareLaunchUs": bare,
            "bareLaunchAllocUs": bare_alloc,
            "moduleUs": lambda: module(x),
            "fusedBnModuleBareLaunchUs": fused_bare,
            "fusedBnModuleUs": lambda: fused(x),
            "functionalUs": lambda: depthwise_conv2d(x, weight, padding=1),
            "torchConv2dUs": lambda: conv(x),
            "torchEmptyLikeUs": lambda: torch.empty_like(x),
        }
        us = measure(cases, sync, calls, rounds, time.thread_time if clock == "thread" else time.perf_counter)
    result: Dict[str, object] = {"device": device, "shape": list(shape), "callsPerRound": calls, "rounds": rounds, "clock": clock}
    result.update({k: round(v, 3) for k, v in us.items()})
    result["moduleOverBareUs"] = round(us["moduleUs"] - us["bareLaunchUs"], 3)
    result["fusedBnModuleOverBareUs"] = round(us["fusedBnModuleUs"] - us["fusedBnModuleBareLaunchUs"], 3)
    result["functionalOverBareUs"] = round(us["functionalUs"] - us["bareLaunchUs"], 3)
    result["moduleOverBareAllocUs"] = round(us["moduleUs"] - us["bareLaunchAllocUs"], 3)
    return result


def _shape(text: str) -> Tuple[int, int, int, int]:
    dims: List[int] = [int(v) for v in text.split(",")]
    if len(dims) != 4:
        raise argparse.ArgumentTypeError("N,C,H,W")
    return dims[0], dims[1], dims[2], dims[3]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", choices=("cuda", "cpu"), default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--shape", type=_shape, default=(1, 1, 4, 4), help="N,C,H,W (default 1,1,4,4)")
    parser.add_argument("--calls", type=int, default=2000, help="back-to-back calls per round")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument(
        "--clock", choices=("wall", "thread"), default="wall",
        help="wall (perf_counter; what a dedicated GPU host should use) or thread (this thread's CPU time: steadier on a shared "
        "machine; run the CPU target with OMP_NUM_THREADS=1 so the kernel's work stays on this thread)",
    )
    args = parser.parse_args()
    print(json.dumps({"torch": torch.__version__, "hostOverhead": host_overhead(args.device, args.shape, args.calls, args.rounds, args.clock)}, indent=2))


if __name__ == "__main__":
    main()
