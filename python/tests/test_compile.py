"""torch.compile on the CPU: the custom op's fake implementation (static and dynamic shapes) and its
autograd formula inside a traced graph. aot_eager runs dynamo and AOT autograd on fake tensors, which
is where the op's registration matters, without inductor's code generation (the GPU test compiles
with inductor). Skipped where torch has no torch.library.custom_op (2.4+)."""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn

from dwconv_jit.torch import depthwise_conv2d, swap_depthwise
from dwconv_jit.torch._ops import CUSTOM_OP

pytestmark = pytest.mark.skipif(CUSTOM_OP is None, reason=f"torch {torch.__version__} has no torch.library.custom_op (2.4+): torch.compile breaks the graph at the autograd.Function fallback")


def _model() -> nn.Module:
    torch.manual_seed(3)
    model = nn.Sequential(
        nn.Conv2d(8, 16, 1), nn.ReLU6(),
        nn.Conv2d(16, 16, 3, padding=1, groups=16, bias=False), nn.BatchNorm2d(16), nn.ReLU6(),
        nn.Conv2d(16, 8, 1),
    )
    with torch.no_grad():
        model[3].running_mean.uniform_(-0.5, 0.5)
        model[3].running_var.uniform_(0.5, 2.0)
    return model.eval()


def test_fullgraph_compile_with_the_fused_op_matches_eager() -> None:
    model = _model()
    x = torch.randn(2, 8, 12, 10)
    with torch.no_grad():
        want = model(x)
        assert len(swap_depthwise(model).swapped) == 1
        got = torch.compile(model, fullgraph=True, backend="aot_eager")(x)
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4)


def test_dynamic_shapes_reach_the_fake_implementation_as_symbols() -> None:
    """dynamic=True hands the fake implementation SymInt sizes: it must neither hash them nor fail."""
    model = _model()
    xs = [torch.randn(2, 8, 12, 10), torch.randn(3, 8, 7, 15).contiguous(memory_format=torch.channels_last)]
    with torch.no_grad():
        want = [model(x) for x in xs]
        swap_depthwise(model)
        compiled = torch.compile(model, fullgraph=True, backend="aot_eager", dynamic=True)
        for x, w in zip(xs, want):
            y = compiled(x)
            torch.testing.assert_close(y, w, rtol=1e-4, atol=1e-4)
            assert y.is_contiguous(memory_format=torch.channels_last) == x.is_contiguous(memory_format=torch.channels_last)


def test_gradients_through_a_compiled_graph_match_eager() -> None:
    w = torch.randn(6, 1, 3, 3, requires_grad=True)
    b = torch.randn(6, requires_grad=True)
    fn = lambda a, c, d: depthwise_conv2d(a, c, d, stride=2, padding=1)  # noqa: E731
    compiled = torch.compile(fn, fullgraph=True, backend="aot_eager")
    x = torch.randn(2, 6, 9, 8, requires_grad=True)
    g = torch.randn(2, 6, 5, 4)
    got = torch.autograd.grad(compiled(x, w, b), (x, w, b), g)
    want = torch.autograd.grad(fn(x, w, b), (x, w, b), g)
    for a, e in zip(got, want):
        torch.testing.assert_close(a, e, rtol=1e-4, atol=1e-4)
