"""DepthwiseConv2d: nn.Conv2d's parameters and state_dict, and its fused options."""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from dwconv_jit import SpecError
from dwconv_jit.torch import DepthwiseConv2d


def test_state_dict_round_trip_with_conv2d() -> None:
    conv = nn.Conv2d(6, 12, 3, stride=2, padding=1, groups=6)
    dw = DepthwiseConv2d(6, 12, 3, stride=2, padding=1)
    assert set(dw.state_dict()) == set(conv.state_dict()) == {"weight", "bias"}
    assert dw.weight.shape == conv.weight.shape and dw.bias.shape == conv.bias.shape
    dw.load_state_dict(conv.state_dict())
    x = torch.randn(2, 6, 11, 10)
    torch.testing.assert_close(dw(x), conv(x), rtol=1e-5, atol=1e-5)
    back = nn.Conv2d(6, 12, 3, stride=2, padding=1, groups=6)
    back.load_state_dict(dw.state_dict())
    torch.testing.assert_close(back.weight, conv.weight)


def test_constructor_takes_conv2d_keywords() -> None:
    dw = DepthwiseConv2d(in_channels=4, out_channels=4, kernel_size=(3, 3), stride=1, padding="same", dilation=1, groups=4, bias=False, padding_mode="zeros")
    assert dw.bias is None and dw.groups == 4 and dw.padding == "same"
    with pytest.raises(SpecError, match="groups"):
        DepthwiseConv2d(4, 4, 3, groups=2)
    with pytest.raises(SpecError, match="out_channels"):
        DepthwiseConv2d(4, 6, 3)
    with pytest.raises(SpecError, match="kernel_size"):
        DepthwiseConv2d(4, 4, 33)


def test_reflect_padding_like_conv2d() -> None:
    conv = nn.Conv2d(4, 4, 3, padding=1, groups=4, padding_mode="reflect")
    dw = DepthwiseConv2d.from_conv(conv)
    assert dw.weight is conv.weight
    x = torch.randn(1, 4, 8, 8)
    torch.testing.assert_close(dw(x), conv(x), rtol=1e-5, atol=1e-5)


def _conv_bn_act():
    conv = nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False)
    bn = nn.BatchNorm2d(8)
    with torch.no_grad():
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-1, 1)
    return conv, bn, nn.ReLU6()


def test_folded_batch_norm_in_eval_and_batch_statistics_in_train() -> None:
    conv, bn, act = _conv_bn_act()
    ref = nn.Sequential(conv, bn, act)
    dw = DepthwiseConv2d.from_conv(conv, batch_norm=bn, activation=act)
    x = torch.randn(4, 8, 10, 9)
    ref.eval(), dw.eval()
    with torch.no_grad():
        torch.testing.assert_close(dw(x), ref(x), rtol=1e-5, atol=1e-5)
    ref.train(), dw.train()
    torch.testing.assert_close(dw(x), ref(x), rtol=1e-5, atol=1e-5)


def test_residual_module() -> None:
    dw = DepthwiseConv2d(4, 4, 3, padding=1, activation="relu", residual=True).eval()
    x, r = torch.randn(1, 4, 6, 6), torch.randn(1, 4, 6, 6)
    with torch.no_grad():
        torch.testing.assert_close(dw(x, r), F.relu(F.conv2d(x, dw.weight, dw.bias, padding=1, groups=4)) + r, rtol=1e-5, atol=1e-5)
    with pytest.raises(SpecError, match="residual"):
        dw(x)


def test_separable_module() -> None:
    dw = DepthwiseConv2d(8, 8, 3, padding=1, activation="relu6", pointwise_out_channels=5).eval()
    x = torch.randn(2, 8, 9, 9)
    with torch.no_grad():
        want = dw.pointwise(F.relu6(F.conv2d(x, dw.weight, dw.bias, padding=1, groups=8)))
        torch.testing.assert_close(dw(x), want, rtol=1e-4, atol=1e-4)
    assert set(dw.state_dict()) == {"weight", "bias", "pointwise.weight", "pointwise.bias"}
