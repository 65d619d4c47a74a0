"""Gradients: the formula (torch.nn.grad) around the kernel's forward, against F.conv2d's autograd."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from dwconv_jit.torch import depthwise_conv2d
from dwconv_jit.torch._ops import CUSTOM_OP


def _leaves(dtype: torch.dtype = torch.float32, m: int = 1, channels_last: bool = False):
    g = torch.Generator().manual_seed(11)
    x = torch.randn(2, 4, 9, 8, generator=g).to(dtype)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    w = torch.randn(4 * m, 1, 3, 3, generator=g).to(dtype)
    b = torch.randn(4 * m, generator=g).to(dtype)
    return [t.requires_grad_() for t in (x, w, b)]


@pytest.mark.parametrize("conf", [
    dict(stride=1, padding=1, dilation=1, m=1, channels_last=False),
    dict(stride=2, padding=(1, 0), dilation=1, m=2, channels_last=True),
    dict(stride=1, padding="same", dilation=2, m=1, channels_last=False),
], ids=["s1p1", "s2-m2-nhwc", "same-d2"])
def test_backward_matches_conv2d_autograd(conf) -> None:
    x, w, b = _leaves(m=conf["m"], channels_last=conf["channels_last"])
    y = depthwise_conv2d(x, w, b, conf["stride"], conf["padding"], conf["dilation"])
    grad = torch.randn_like(y)
    got = torch.autograd.grad(y, (x, w, b), grad)
    xr, wr, br = (t.detach().double().requires_grad_() for t in (x, w, b))
    ref = F.conv2d(xr, wr, br, conf["stride"], conf["padding"], conf["dilation"], groups=4)
    want = torch.autograd.grad(ref, (xr, wr, br), grad.double())
    for g_, w_ in zip(got, want):
        torch.testing.assert_close(g_.double(), w_, rtol=1e-4, atol=1e-4)


def test_backward_with_asymmetric_padding_of_an_even_window() -> None:
    """'same' with a 2x2 window pads bottom/right only: the formula pads explicitly and crops."""
    g = torch.Generator().manual_seed(5)
    x = torch.randn(1, 3, 7, 6, generator=g, requires_grad=True)
    w = torch.randn(3, 1, 2, 2, generator=g, requires_grad=True)
    y = depthwise_conv2d(x, w, padding="same")
    grad = torch.randn_like(y)
    got = torch.autograd.grad(y, (x, w), grad)
    ref = F.conv2d(x, w, padding="same", groups=3)
    want = torch.autograd.grad(ref, (x, w), grad)
    for g_, w_ in zip(got, want):
        torch.testing.assert_close(g_, w_, rtol=1e-4, atol=1e-4)


def test_gradcheck_in_float32() -> None:
    """float64 is not a kernel dtype: gradcheck in float32 with tolerances for float32 differences."""
    g = torch.Generator().manual_seed(2)
    x = torch.randn(1, 2, 5, 5, generator=g, requires_grad=True)
    w = torch.randn(2, 1, 3, 3, generator=g, requires_grad=True)
    b = torch.randn(2, generator=g, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, c, d: depthwise_conv2d(a, c, d, 1, 1, 1), (x, w, b), eps=1e-2, atol=2e-2, rtol=2e-2)


def test_16bit_backward_on_the_cpu() -> None:
    x, w, b = _leaves(torch.bfloat16)
    y = depthwise_conv2d(x, w, b, padding=1)
    y.float().sum().backward()
    assert x.grad is not None and x.grad.dtype == torch.bfloat16 and torch.isfinite(x.grad.float()).all()
    assert w.grad is not None and b.grad is not None


def test_fused_forms_get_gradients_through_the_composition() -> None:
    x, w, b = _leaves()
    scale = torch.rand(4).add_(0.5).requires_grad_()
    shift = torch.randn(4).requires_grad_()
    r = torch.randn(2, 4, 9, 8).requires_grad_()
    y = depthwise_conv2d(x, w, b, padding=1, activation="silu", scale=scale, shift=shift, residual=r)
    grad = torch.randn_like(y)
    got = torch.autograd.grad(y, (x, w, b, scale, shift, r), grad)
    ref = F.silu(F.conv2d(x, w, b, padding=1, groups=4) * scale.view(1, -1, 1, 1) + shift.view(1, -1, 1, 1)) + r
    want = torch.autograd.grad(ref, (x, w, b, scale, shift, r), grad)
    for g_, w_ in zip(got, want):
        torch.testing.assert_close(g_, w_, rtol=1e-4, atol=1e-4)


def test_out_is_refused_under_autograd() -> None:
    from dwconv_jit import SpecError

    x, w, b = _leaves()
    with pytest.raises(SpecError, match="out"):
        depthwise_conv2d(x, w, b, padding=1, out=torch.empty(2, 4, 9, 8))


@pytest.mark.skipif(CUSTOM_OP is None, reason=f"torch {torch.__version__} has no torch.library.custom_op (2.4+); the autograd.Function fallback is in use")
def test_custom_op_is_registered_with_opcheck() -> None:
    x, w, b = _leaves()
    torch.library.opcheck(CUSTOM_OP, (x.detach(), w.detach(), b.detach(), None, None, None, None, None, [1, 1], [1, 1, 1, 1], [1, 1], "none", None, "none", "none", None, False))
