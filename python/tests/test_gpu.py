"""CUDA: the same checks on the GPU, streams, and torch.compile. Skipped without a CUDA GPU."""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from conftest import requires_cuda
from dwconv_jit import SpecError
from dwconv_jit.torch import DepthwiseConv2d, depthwise_conv2d, swap_depthwise
from dwconv_jit.torch._ops import CUSTOM_OP

pytestmark = requires_cuda


def _ref(x, w, b, **kw):
    return F.conv2d(x.double(), w.double(), None if b is None else b.double(), groups=x.shape[1], **kw)


@pytest.mark.parametrize("dtype, tol", [(torch.float32, 1e-4), (torch.float16, 4e-3), (torch.bfloat16, 3e-2)])
@pytest.mark.parametrize("channels_last", [False, True])
def test_cuda_forward(dtype, tol, channels_last) -> None:
    x = torch.randn(2, 32, 40, 72, device="cuda").to(dtype)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    w = torch.randn(32, 1, 3, 3, device="cuda").to(dtype)
    b = torch.randn(32, device="cuda").to(dtype)
    y = depthwise_conv2d(x, w, b, padding=1)
    assert y.device == x.device and y.is_contiguous(memory_format=torch.channels_last if channels_last else torch.contiguous_format)
    torch.testing.assert_close(y.double(), _ref(x, w, b, padding=1), rtol=tol, atol=tol * 3)


def test_non_default_stream_without_added_synchronisation() -> None:
    x = torch.randn(8, 64, 128, 128, device="cuda")
    w = torch.randn(64, 1, 3, 3, device="cuda")
    depthwise_conv2d(x, w, padding=1)  # load outside the timed part
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        y = depthwise_conv2d(x, w, padding=1)
        done = torch.cuda.Event()
        done.record(s)
    torch.cuda.current_stream().wait_stream(s)
    torch.cuda.synchronize()
    assert done.query()
    torch.testing.assert_close(y.double(), _ref(x, w, None, padding=1), rtol=1e-4, atol=1e-4)


def test_two_streams_concurrently() -> None:
    xs = [torch.randn(4, 32, 96, 96, device="cuda") for _ in range(2)]
    w = torch.randn(32, 1, 5, 5, device="cuda")
    streams = [torch.cuda.Stream() for _ in range(2)]
    outs = []
    for s, x in zip(streams, xs):
        s.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(s):
            outs.append([depthwise_conv2d(x, w, padding=2) for _ in range(10)][-1])
    torch.cuda.synchronize()
    for x, y in zip(xs, outs):
        torch.testing.assert_close(y.double(), _ref(x, w, None, padding=2), rtol=1e-4, atol=1e-4)


def test_cuda_backward_and_module() -> None:
    conv = nn.Conv2d(16, 16, 3, padding=1, groups=16).cuda()
    dw = DepthwiseConv2d.from_conv(conv)
    x = torch.randn(2, 16, 20, 20, device="cuda", requires_grad=True)
    g = torch.randn(2, 16, 20, 20, device="cuda")
    got = torch.autograd.grad(dw(x), (x, conv.weight, conv.bias), g)
    want = torch.autograd.grad(conv(x), (x, conv.weight, conv.bias), g)
    for a, b in zip(got, want):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)


@pytest.mark.skipif(CUSTOM_OP is None, reason="torch.compile keeps the kernel only through torch.library.custom_op (torch 2.4+)")
def test_torch_compile_of_a_model_holding_the_module() -> None:
    model = nn.Sequential(
        nn.Conv2d(16, 32, 1), nn.ReLU6(),
        nn.Conv2d(32, 32, 3, padding=1, groups=32, bias=False), nn.BatchNorm2d(32), nn.ReLU6(),
        nn.Conv2d(32, 16, 1),
    ).cuda().eval()
    x = torch.randn(4, 16, 32, 32, device="cuda")
    # The 1x1 layers around the kernel: cuDNN's default TF32 in eager mode and inductor's own lowering
    # in the compiled graph differ by ~1e-3 relative; in full float32 only the depthwise layer can differ.
    tf32 = (torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32)
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    try:
        with torch.no_grad():
            want = model(x)
            report = swap_depthwise(model)
            assert len(report.swapped) == 1
            compiled = torch.compile(model, fullgraph=True)
            got = compiled(x)
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4)
    # Training graph: the op's autograd formula inside the compiled graph.
    model.train()
    compiled = torch.compile(model)
    compiled(x.requires_grad_()).sum().backward()
    assert x.grad is not None


def test_module_fast_path_follows_the_device_and_the_current_stream() -> None:
    """After a first CUDA call has set up the module's fast path: a CPU input is refused, the
    module moved to the CPU runs there, and back on the GPU a call on a side stream launches on
    that stream (a launch on another stream would race the side stream's pending write of its input)."""
    m = DepthwiseConv2d(8, 8, 3, padding=1, bias=False).cuda()  # no bias: m(2x) == 2 m(x)
    x = torch.randn(2, 8, 64, 64, device="cuda")
    with torch.no_grad():
        m(x)
        y = m(x)
        assert m._call is not None and m._call.fast is not None
        with pytest.raises(SpecError) as info:
            m(x.cpu())
        assert info.value.field == "weight.device"
        m.cpu()  # the parameters move through `.data`: the same objects, another device
        torch.testing.assert_close(m(x.cpu()), y.cpu(), rtol=1e-4, atol=1e-4)
        with pytest.raises(SpecError) as info:
            m(x)
        assert info.value.field == "weight.device"
        m.cuda()
        m(x), m(x)
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            torch.cuda._sleep(50_000_000)  # keeps the side stream busy while the host runs ahead
            doubled = x * 2
            y2 = m(doubled)
        torch.cuda.synchronize()
        torch.testing.assert_close(y2, 2 * y, rtol=1e-4, atol=1e-4)


def test_cuda_graph_capture_and_replay() -> None:
    """A chain of depthwise layers (the module's fast path and the functional call) captured in a
    CUDA graph replays on new inputs: small layers bound by launch latency run as one graph launch.
    Loaded and planned on a side stream first, as torch's capture asks; each replay's output is
    poisoned before it and checked against float64 after it."""
    m = DepthwiseConv2d(48, 48, 3, padding=1).cuda()
    w = torch.randn(48, 1, 5, 5, device="cuda")
    static_x = torch.randn(4, 48, 14, 14, device="cuda")

    def chain(x: torch.Tensor) -> torch.Tensor:
        return depthwise_conv2d(m(x), w, None, padding=2)

    with torch.no_grad():
        warm = torch.cuda.Stream()
        warm.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(warm):
            for _ in range(3):
                chain(static_x)
        torch.cuda.current_stream().wait_stream(warm)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            static_y = chain(static_x)
        for _ in range(3):
            x = torch.randn_like(static_x)
            static_x.copy_(x)
            static_y.fill_(float("nan"))
            graph.replay()
            torch.cuda.synchronize()
            want = _ref(_ref(x, m.weight, m.bias, padding=1), w, None, padding=2)
            torch.testing.assert_close(static_y.double(), want, rtol=1e-4, atol=1e-4)
