"""Swap a MobileNetV2's depthwise layers for dwconv-jit kernels; compare outputs and speed.

    python python/examples/swap_mobilenet.py [--device cuda|cpu] [--batch 8] [--channels-last]

Uses torchvision's MobileNetV2 when installed, else a hand-built model of MobileNetV2 blocks.
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import time

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from dwconv_jit.torch import swap_depthwise  # noqa: E402


def hand_built() -> nn.Module:
    """Three MobileNetV2 inverted-residual bodies (expand 1x1, depthwise 3x3, project 1x1) and a head."""
    def cna(cin: int, cout: int, k: int, stride: int, groups: int) -> nn.Sequential:
        return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout), nn.ReLU6())

    layers = [cna(3, 32, 3, 2, 1)]
    for cin, hidden, cout, stride in ((32, 96, 24, 2), (24, 144, 24, 1), (24, 144, 32, 2)):
        layers.append(nn.Sequential(cna(cin, hidden, 1, 1, 1), cna(hidden, hidden, 3, stride, hidden), nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout)))
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 1000)]
    return nn.Sequential(*layers)


def timed(model: nn.Module, x: torch.Tensor, reps: int) -> float:
    with torch.no_grad():
        for _ in range(3):
            model(x)
        if x.is_cuda:
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(reps):
            model(x)
        if x.is_cuda:
            torch.cuda.synchronize()
    return (time.perf_counter() - t0) / reps * 1e3


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--dtype", default="float32", choices=["float32", "float16", "bfloat16"])
    parser.add_argument("--channels-last", action="store_true")
    parser.add_argument("--reps", type=int, default=20)
    args = parser.parse_args()
    try:
        import torchvision  # type: ignore

        model, name = torchvision.models.mobilenet_v2(), "torchvision MobileNetV2"
    except ImportError:
        model, name = hand_built(), "hand-built MobileNetV2 blocks (torchvision not installed)"
    dtype = getattr(torch, args.dtype)
    fmt = torch.channels_last if args.channels_last else torch.contiguous_format
    model = model.eval().to(args.device, dtype).to(memory_format=fmt)
    swapped = copy.deepcopy(model)
    report = swap_depthwise(swapped)
    print(f"{name}\n{report}\n")
    x = torch.randn(args.batch, 3, args.size, args.size, device=args.device, dtype=dtype).contiguous(memory_format=fmt)
    with torch.no_grad():
        want, got = model(x).double(), swapped(x).double()  # the first call also compiles (or loads) each kernel
    err = (got - want).abs().max().item()
    scale = want.abs().max().item()
    base, ours = timed(model, x, args.reps), timed(swapped, x, args.reps)
    print(f"max |difference| {err:.3g} (outputs up to {scale:.3g})")
    print(f"PyTorch {base:.2f} ms, swapped {ours:.2f} ms per batch of {args.batch} ({base / ours:.2f}x) on {args.device}, {args.dtype}{', channels_last' if args.channels_last else ''}")


if __name__ == "__main__":
    main()
