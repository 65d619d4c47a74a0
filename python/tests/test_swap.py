"""swap_depthwise on a hand-built MobileNet-style model (and torchvision's MobileNetV2 when installed)."""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn

from dwconv_jit.torch import DepthwiseConv2d, swap_depthwise


def _block(cin: int, hidden: int, cout: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Sequential(nn.Conv2d(cin, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6()),
        nn.Sequential(nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6()),
        nn.Conv2d(hidden, cout, 1, bias=False),
        nn.BatchNorm2d(cout),
    )


def _model() -> nn.Module:
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(3, 8, 3, 2, 1), nn.BatchNorm2d(8), nn.ReLU6(),
        _block(8, 16, 8, 1), _block(8, 16, 12, 2),
        nn.Conv2d(12, 12, 5, padding=2, groups=12),  # a lone depthwise conv, no chain
        nn.Conv2d(12, 12, 3, groups=4),  # grouped, not depthwise
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(12, 10),
    )
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            with torch.no_grad():
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
    return model.eval()


def test_swap_replaces_depthwise_chains_and_keeps_outputs() -> None:
    model = _model()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        want = model(x)
    before = set(model.state_dict())
    report = swap_depthwise(model)
    assert sorted(report.swapped) == ["3.1.0", "4.1.0", "5"]
    assert "Identity" in report.swapped["3.1.0"]
    assert "groups=4" in report.skipped["6"] and "not depthwise" in report.skipped["6"]
    assert "0" in report.skipped  # the stem conv: groups=1
    assert isinstance(model[3][1][0], DepthwiseConv2d) and isinstance(model[3][1][1], nn.Identity)
    assert model[3][1][0].bn is not None and model[3][1][0].activation == "relu6"
    with torch.no_grad():
        got = model(x)
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4)
    # Other layers keep their keys; the fused BatchNorm moved under the conv.
    after = set(model.state_dict())
    assert "3.1.0.bn.running_mean" in after and "3.1.1.running_mean" in before
    assert {k for k in before if not k.startswith(("3.1.", "4.1."))} <= after
    assert str(report).startswith("swapped 3")


def test_swap_without_fusion_and_training_step() -> None:
    model = _model().train()
    report = swap_depthwise(model, fuse=False)
    assert len(report.swapped) == 3 and not any("Identity" in v for v in report.swapped.values())
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loss = model(torch.randn(2, 3, 32, 32)).square().mean()
    loss.backward()
    assert model[3][1][0].weight.grad is not None
    opt.step()


def test_torchvision_mobilenet_v2() -> None:
    tv = pytest.importorskip("torchvision", reason="torchvision is not installed")
    model = tv.models.mobilenet_v2(num_classes=10).eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        want = model(x)
        report = swap_depthwise(model)
        got = model(x)
    assert len(report.swapped) == 17
    torch.testing.assert_close(got, want, rtol=1e-3, atol=1e-3)
