"""The per-call fast paths (a module's last plan, the functional form's plan memo) keep every guard:
after a first successful call, operands that differ in dtype, shape, device, layout or strides are
validated again, so they are refused with the error a first call would give or run correctly, and
never launched on the previous call's plan."""

from __future__ import annotations

import copy
import pickle

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from dwconv_jit import SpecError
from dwconv_jit.torch import DepthwiseConv2d, depthwise_conv2d


def _warm(module: DepthwiseConv2d, x: torch.Tensor) -> torch.Tensor:
    """Two calls: the first validates and records the plan, the second takes the fast path."""
    with torch.no_grad():
        module(x)
        y = module(x)
    call = module._call
    assert call is not None and call.fast is not None, "the module's fast path was not set up: this test would not exercise it"
    return y


def _ref(module: DepthwiseConv2d, x: torch.Tensor) -> torch.Tensor:
    return F.conv2d(x, module.weight, module.bias, module.stride, 1, 1, module.in_channels)


def _refused(module: DepthwiseConv2d, x: object, field: str) -> None:
    with torch.no_grad(), pytest.raises(SpecError) as info:
        module(x)  # type: ignore[arg-type]
    assert info.value.field == field


def test_module_fast_path_refuses_what_a_first_call_would() -> None:
    m = DepthwiseConv2d(4, 4, 3, padding=1)
    x = torch.randn(2, 4, 8, 8)
    torch.testing.assert_close(_warm(m, x), _ref(m, x).detach(), rtol=1e-5, atol=1e-5)
    _refused(m, x.double(), "input.dtype")
    _refused(m, torch.ones(2, 4, 8, 8, dtype=torch.int32), "input.dtype")
    _refused(m, x.half(), "weight.dtype")  # a supported dtype that is not the weight's
    _refused(m, torch.randn(2, 3, 8, 8), "weight.shape")  # 3 channels for 4 filters: not depthwise
    _refused(m, torch.randn(4, 8, 8), "input.shape")
    _refused(m, torch.empty(2, 4, 8, 8, device="meta"), "input.device")
    _refused(m, "not a tensor", "input")
    # The refusals left the fast path sound: the original call still runs on it, correctly.
    with torch.no_grad():
        torch.testing.assert_close(m(x), _ref(m, x), rtol=1e-5, atol=1e-5)
    assert m._call is not None and m._call.fast is not None


def test_parameters_changed_in_place_are_validated_again() -> None:
    m = DepthwiseConv2d(4, 4, 3, padding=1)
    x = torch.randn(2, 4, 8, 8)
    _warm(m, x)
    weight, bias = m.weight.data, m.bias.data
    m.weight.data = weight.double()  # `.data =` keeps the Parameter object: only its metadata tells
    _refused(m, x, "weight.dtype")
    m.weight.data = weight
    m.bias.data = torch.zeros(5)
    _refused(m, x, "bias.shape")
    m.bias.data = bias
    m.weight.data = torch.randn(4, 1, 3, 6)[..., ::2]  # the same shape, not contiguous: made dense first
    with torch.no_grad():
        torch.testing.assert_close(m(x), _ref(m, x), rtol=1e-5, atol=1e-5)
    m.weight.data = torch.randn(8, 1, 3, 3)  # two filters a channel now: another kernel, a larger output
    m.bias.data = torch.randn(8)
    with torch.no_grad():
        y = m(x)
    assert y.shape == (2, 8, 8, 8)
    torch.testing.assert_close(y, _ref(m, x), rtol=1e-5, atol=1e-5)


def test_input_layout_strides_and_shape_are_validated_again() -> None:
    m = DepthwiseConv2d(4, 4, 3, padding=1)
    x = torch.randn(2, 4, 8, 16)
    _warm(m, x)
    with torch.no_grad():
        cl = x.contiguous(memory_format=torch.channels_last)
        y = m(cl)
        assert y.is_contiguous(memory_format=torch.channels_last)
        torch.testing.assert_close(y, _ref(m, x), rtol=1e-5, atol=1e-5)
        strided = x[..., ::2]
        torch.testing.assert_close(m(strided), _ref(m, strided), rtol=1e-5, atol=1e-5)
        small = torch.randn(1, 4, 5, 7)
        torch.testing.assert_close(m(small), _ref(m, small), rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(m(x), _ref(m, x), rtol=1e-5, atol=1e-5)


def test_gradients_are_not_skipped_by_the_fast_path() -> None:
    m = DepthwiseConv2d(4, 4, 3, padding=1)
    x = torch.randn(2, 4, 8, 8)
    _warm(m, x)
    xg = x.clone().requires_grad_()
    y = m(xg)
    assert y.grad_fn is not None
    g = torch.randn_like(y)
    got = torch.autograd.grad(y, (xg, m.weight, m.bias), g)
    xr = x.clone().requires_grad_()
    want = torch.autograd.grad(_ref(m, xr), (xr, m.weight, m.bias), g)
    for a, b in zip(got, want):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


def _conv_bn_act():
    conv = nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False)
    bn = nn.BatchNorm2d(8)
    with torch.no_grad():
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-1, 1)
    return conv, bn, nn.ReLU6()


def test_folded_batch_norm_follows_its_tensors_on_the_fast_path() -> None:
    conv, bn, act = _conv_bn_act()
    ref = nn.Sequential(conv, bn, act).eval()
    dw = DepthwiseConv2d.from_conv(conv, batch_norm=bn, activation=act).eval()
    x = torch.randn(2, 8, 9, 10)

    def same() -> None:
        with torch.no_grad():
            torch.testing.assert_close(dw(x), ref(x), rtol=1e-5, atol=1e-5)

    _warm(dw, x)
    same()
    with torch.no_grad():
        bn.running_var.mul_(2)  # in place: its version moves
    same()
    bn.running_mean = torch.zeros(8)  # the buffer replaced
    same()
    bn.weight.data = bn.weight.data * 3  # `.data =`: the pointer moves, not the version
    same()
    bn.eps = 0.1
    same()
    dw.train(), ref.train()  # batch statistics: no fold
    torch.testing.assert_close(dw(x), ref(x), rtol=1e-5, atol=1e-5)
    dw.eval(), ref.eval()
    same()
    _refused(dw, x.double(), "input.dtype")
    _refused(dw, torch.randn(2, 3, 9, 10), "weight.shape")  # 8 filters on 3 channels


def test_functional_memo_refuses_what_a_first_call_would() -> None:
    x, w, b = torch.randn(2, 4, 8, 8), torch.randn(4, 1, 3, 3), torch.randn(4)
    for _ in range(2):
        torch.testing.assert_close(depthwise_conv2d(x, w, b, padding=1), F.conv2d(x, w, b, padding=1, groups=4), rtol=1e-5, atol=1e-5)
    for args, field in [
        ((x.double(), w, b), "input.dtype"), ((x, w.half(), b), "weight.dtype"), ((x, w, b[:3]), "bias.shape"),
        ((torch.randn(2, 3, 8, 8), w, b), "weight.shape"), ((torch.empty(2, 4, 8, 8, device="meta"), w, b), "input.device"),
        ((x[0], w, b), "input.shape"),
    ]:
        with pytest.raises(SpecError) as info:
            depthwise_conv2d(*args, padding=1)
        assert info.value.field == field
    with pytest.raises(SpecError) as info:
        depthwise_conv2d(x, w, b, padding=True)  # a bool is no padding, even after padding=1 was memoized
    assert info.value.field == "padding"


def test_a_module_copies_and_pickles_after_its_fast_path_is_set_up() -> None:
    conv, bn, act = _conv_bn_act()
    dw = DepthwiseConv2d.from_conv(conv, batch_norm=bn, activation=act).eval()
    x = torch.randn(2, 8, 9, 10)
    y = _warm(dw, x)
    twin = copy.deepcopy(dw)
    loaded = pickle.loads(pickle.dumps(dw))  # what torch.save of a whole module does
    with torch.no_grad():
        for other in (twin, loaded):
            torch.testing.assert_close(other(x), y)
            torch.testing.assert_close(other(x), y)
