"""Forward results against F.conv2d computed in float64 from the same (rounded) operands."""

from __future__ import annotations

import random
from typing import Any, Dict, List

import pytest
import torch
import torch.nn.functional as F

from conftest import magnitude_tolerance
from dwconv_jit.torch import depthwise_conv2d

DTYPES = [torch.float32, torch.float16, torch.bfloat16]


def _random_cases(count: int, seed: int) -> List[Dict[str, Any]]:
    """Random specs across the fields the kernel specializes on; shapes are random per case."""
    rng = random.Random(seed)
    cases = []
    for i in range(count):
        k = rng.choice([1, 2, 3, 3, 5, 7, (3, 5), (1, 7), 9, (2, 4)])
        kh, kw = (k, k) if isinstance(k, int) else k
        stride = rng.choice([1, 1, 2, (1, 2), 3])
        dilation = rng.choice([1, 1, 2, (2, 1)])
        if stride == 1 and rng.random() < 0.25:
            padding: Any = "same"
        else:
            padding = rng.choice([0, 1, (kh // 2, kw // 2), (1, 0), 2])
        cases.append({
            "kernel": (kh, kw), "stride": stride, "padding": padding, "dilation": dilation,
            "m": rng.choice([1, 1, 1, 2, 3]), "layout": rng.choice(["NCHW", "NHWC"]), "dtype": DTYPES[i % 3],
            "bias": rng.random() < 0.5, "seed": rng.randrange(1 << 30),
        })
    return cases


CASES = _random_cases(18, seed=20261201)


def _reference(x: torch.Tensor, w: torch.Tensor, b: Any, case: Dict[str, Any]) -> torch.Tensor:
    return F.conv2d(x.double(), w.double(), None if b is None else b.double(), case["stride"], case["padding"], case["dilation"], groups=x.shape[1])


def _inputs(case: Dict[str, Any]):
    g = torch.Generator().manual_seed(case["seed"])
    n, c = 1 + case["seed"] % 2, 1 + case["seed"] % 7
    dh = case["dilation"] if isinstance(case["dilation"], int) else case["dilation"][0]
    h = dh * (case["kernel"][0] - 1) + 1 + (case["seed"] >> 3) % 9
    w_ = (case["dilation"] if isinstance(case["dilation"], int) else case["dilation"][1]) * (case["kernel"][1] - 1) + 1 + (case["seed"] >> 7) % 11
    x = torch.randn(n, c, h, w_, generator=g).to(case["dtype"])
    if case["layout"] == "NHWC":
        x = x.contiguous(memory_format=torch.channels_last)
    weight = torch.randn(c * case["m"], 1, *case["kernel"], generator=g).to(case["dtype"])
    bias = torch.randn(c * case["m"], generator=g).to(case["dtype"]) if case["bias"] else None
    return x, weight, bias


def _check(y: torch.Tensor, ref: torch.Tensor, x: torch.Tensor, w: torch.Tensor, b: Any, case: Dict[str, Any]) -> None:
    mag = F.conv2d(x.double().abs(), w.double().abs(), None if b is None else b.double().abs(), case["stride"], case["padding"], case["dilation"], groups=x.shape[1])
    assert y.shape == ref.shape
    assert torch.isfinite(y).all()
    err = (y.double() - ref).abs()
    bound = magnitude_tolerance(case["dtype"]) * (mag + 1e-6)
    worst = (err - bound).max().item()
    assert worst <= 0, f"max error {err.max().item():.3g} exceeds tolerance for {case}"


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"k{c['kernel']}-s{c['stride']}-p{c['padding']}-d{c['dilation']}-m{c['m']}-{c['layout']}-{str(c['dtype'])[6:]}")
def test_random_specs_match_float64_reference(case: Dict[str, Any]) -> None:
    x, w, b = _inputs(case)
    y = depthwise_conv2d(x, w, b, case["stride"], case["padding"], case["dilation"])
    _check(y, _reference(x, w, b, case), x, w, b, case)
    assert y.dtype == x.dtype
    assert y.is_contiguous(memory_format=torch.channels_last if case["layout"] == "NHWC" else torch.contiguous_format)


@pytest.mark.parametrize("case", CASES[:4], ids=lambda c: f"out-{c['layout']}-{str(c['dtype'])[6:]}")
def test_out_buffer_is_written_completely(case: Dict[str, Any]) -> None:
    x, w, b = _inputs(case)
    ref = _reference(x, w, b, case)
    fmt = torch.channels_last if case["layout"] == "NHWC" else torch.contiguous_format
    out = torch.full(ref.shape, float("nan"), dtype=x.dtype).contiguous(memory_format=fmt)
    y = depthwise_conv2d(x, w, b, case["stride"], case["padding"], case["dilation"], out=out)
    assert y is out
    _check(out, ref, x, w, b, case)


def test_strided_input_is_made_dense_like_pytorch() -> None:
    case = CASES[0]
    x, w, b = _inputs(case)
    wide = torch.randn(x.shape[0], x.shape[1], x.shape[2], x.shape[3] * 2).to(x.dtype)
    view = wide[:, :, :, ::2]
    assert not view.is_contiguous() and not view.is_contiguous(memory_format=torch.channels_last)
    y = depthwise_conv2d(view, w, b, case["stride"], case["padding"], case["dilation"])
    _check(y, _reference(view, w, b, case), view, w, b, case)


def test_channels_last_output_follows_input_layout() -> None:
    x = torch.randn(2, 6, 9, 11).contiguous(memory_format=torch.channels_last)
    w = torch.randn(6, 1, 3, 3)
    y = depthwise_conv2d(x, w, padding=1)
    assert y.is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(y.double(), F.conv2d(x.double(), w.double(), padding=1, groups=6), rtol=1e-5, atol=1e-5)


def test_empty_batch_gives_empty_output() -> None:
    y = depthwise_conv2d(torch.randn(0, 4, 8, 8), torch.randn(4, 1, 3, 3), padding=1)
    assert y.shape == (0, 4, 8, 8)


FUSED = [
    dict(activation="relu6", bn=True, residual="after-activation", dtype=torch.float32, layout="NCHW"),
    dict(activation="leaky_relu", bn=False, residual="before-activation", dtype=torch.float32, layout="NHWC"),
    dict(activation="gelu", bn=True, residual=None, dtype=torch.float32, layout="NHWC"),
    dict(activation="hardswish", bn=False, residual=None, dtype=torch.float16, layout="NCHW"),
    dict(activation="silu", bn=True, residual=None, dtype=torch.bfloat16, layout="NHWC"),
]


@pytest.mark.parametrize("f", FUSED, ids=lambda f: f"{f['activation']}-bn{f['bn']}-{f['residual']}-{str(f['dtype'])[6:]}-{f['layout']}")
def test_fused_epilogue_matches_torch_composition(f: Dict[str, Any]) -> None:
    from dwconv_jit.torch.activations import activation_fn

    g = torch.Generator().manual_seed(7)
    dtype = f["dtype"]
    x = torch.randn(2, 8, 13, 10, generator=g).to(dtype)
    if f["layout"] == "NHWC":
        x = x.contiguous(memory_format=torch.channels_last)
    w = torch.randn(8, 1, 3, 3, generator=g).to(dtype) * 0.3
    b = torch.randn(8, generator=g).to(dtype)
    scale = torch.rand(8, generator=g) + 0.5 if f["bn"] else None
    shift = torch.randn(8, generator=g) if f["bn"] else None
    r = torch.randn(2, 8, 13, 10, generator=g).to(dtype) if f["residual"] else None
    y = depthwise_conv2d(x, w, b, padding=1, activation=f["activation"], scale=scale, shift=shift, residual=r, residual_mode=f["residual"] or "after-activation")
    ref = F.conv2d(x.double(), w.double(), b.double(), padding=1, groups=8)
    if scale is not None:
        ref = ref * scale.double().view(1, -1, 1, 1) + shift.double().view(1, -1, 1, 1)
    if r is not None and f["residual"] == "before-activation":
        ref = ref + r.double()
    ref = activation_fn(f["activation"], 0.01)(ref)
    if r is not None and f["residual"] == "after-activation":
        ref = ref + r.double()
    tol = {torch.float32: 1e-5, torch.float16: 4e-3, torch.bfloat16: 3e-2}[dtype]
    torch.testing.assert_close(y.double(), ref, rtol=tol, atol=tol)


def test_separable_block_matches_torch() -> None:
    g = torch.Generator().manual_seed(3)
    x = torch.randn(2, 8, 9, 9, generator=g)
    w = torch.randn(8, 1, 3, 3, generator=g)
    b = torch.randn(8, generator=g)
    pw = torch.randn(5, 8, 1, 1, generator=g)
    pb = torch.randn(5, generator=g)
    y = depthwise_conv2d(x, w, b, padding=1, activation="relu6", pointwise_weight=pw, pointwise_bias=pb)
    ref = F.conv2d(F.relu6(F.conv2d(x.double(), w.double(), b.double(), padding=1, groups=8)), pw.double(), pb.double())
    assert y.shape == (2, 5, 9, 9)
    torch.testing.assert_close(y.double(), ref, rtol=1e-4, atol=1e-4)
