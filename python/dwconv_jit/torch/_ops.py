"""Autograd for the plain depthwise conv (+ bias), and its registration as a torch custom op.

The project has no backward kernels yet, so gradients come from torch.nn.grad.conv2d_input and
conv2d_weight. Where torch has ``torch.library.custom_op`` (2.4+), the forward is the op
``dwconv_jit::depthwise_conv2d`` with a fake (meta) implementation and this autograd formula, so
torch.compile keeps it in the graph; otherwise an autograd.Function wraps the same launch.
Fused forms are differentiated by composing torch ops around this one (see functional.py).
"""


from typing import Any, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F

from ..errors import DwconvError

from ._launch import PLAIN, Fusion, check_input, compiling, dense_input, layout_of, memory_format, output_shape, run, spec_for

OP_NAME = "dwconv_jit::depthwise_conv2d"


def conv_backward(
    x: torch.Tensor, weight: torch.Tensor, grad: torch.Tensor, stride: Sequence[int], padding: Sequence[int], dilation: Sequence[int],
    needs: Tuple[bool, bool, bool],
) -> Tuple[Optional[torch.Tensor], Optional[torch.Tensor], Optional[torch.Tensor]]:
    """(grad_input, grad_weight, grad_bias). padding is (top, bottom, left, right); an asymmetric one
    is applied to x explicitly and the input gradient cropped back. On the CPU, 16-bit gradients are
    computed in float32 (old CPU builds of torch have no half convolution) and rounded once."""
    groups = x.shape[1]
    pt, pb, pl, pr = padding
    compute = torch.float32 if (x.device.type == "cpu" and x.dtype != torch.float32) else x.dtype
    xc, wc, gc = x.to(compute), weight.to(compute), grad.to(compute)
    symmetric = pt == pb and pl == pr
    pad2 = [pt, pl] if symmetric else [0, 0]
    xp = xc if symmetric else F.pad(xc, (pl, pr, pt, pb))
    gx = gw = gb = None
    if needs[0]:
        gx = torch.nn.grad.conv2d_input(list(xp.shape), wc, gc, list(stride), pad2, list(dilation), groups)
        if not symmetric:
            gx = gx[:, :, pt : pt + x.shape[2], pl : pl + x.shape[3]]
        gx = gx.to(x.dtype)
    if needs[1]:
        gw = torch.nn.grad.conv2d_weight(xp, list(weight.shape), gc, list(stride), pad2, list(dilation), groups).to(weight.dtype)
    if needs[2]:
        gb = gc.sum(dim=(0, 2, 3)).to(weight.dtype)
    return gx, gw, gb


class _DepthwiseFunction(torch.autograd.Function):
    """The fallback for torch without custom_op: the same launch, the same backward."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor], stride: Tuple[int, int], padding: Tuple[int, int, int, int], dilation: Tuple[int, int]) -> torch.Tensor:  # type: ignore[override]
        x = dense_input(x)
        ctx.save_for_backward(x, weight)
        ctx.conf = (stride, padding, dilation)
        ctx.has_bias = bias is not None
        return run(x, weight, bias, stride, padding, dilation)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> Tuple[Any, ...]:  # type: ignore[override]
        x, weight = ctx.saved_tensors
        needs = (ctx.needs_input_grad[0], ctx.needs_input_grad[1], ctx.has_bias and ctx.needs_input_grad[2])
        gx, gw, gb = conv_backward(x, weight, grad, *ctx.conf, needs)
        return gx, gw, gb, None, None, None


def _register_custom_op() -> Optional[Any]:
    """The custom op, or None where this torch has no torch.library.custom_op.

    One op for every form (tensors for the fused operands, None where absent), so inference graphs
    under torch.compile keep fused calls too. Its autograd formula covers the plain form (+ bias);
    fused forms that need gradients never reach it (functional.py composes them in torch).
    """
    library = getattr(torch, "library", None)
    if library is None or not hasattr(library, "custom_op") or not hasattr(library, "register_fake"):
        return None

    @library.custom_op(OP_NAME, mutates_args=())
    def depthwise_conv2d_op(
        x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor], scale: Optional[torch.Tensor], shift: Optional[torch.Tensor],
        residual: Optional[torch.Tensor], pointwise_weight: Optional[torch.Tensor], pointwise_bias: Optional[torch.Tensor],
        stride: List[int], padding: List[int], dilation: List[int], activation: str, negative_slope: Optional[float], residual_mode: str,
        pointwise_activation: str, pointwise_negative_slope: Optional[float], pointwise_tf32: bool,
    ) -> torch.Tensor:
        fusion = Fusion(activation, negative_slope, residual_mode, pointwise_activation, pointwise_negative_slope, pointwise_tf32)
        return run(x, weight, bias, stride, padding, dilation, scale, shift, residual, pointwise_weight, pointwise_bias, fusion)

    @depthwise_conv2d_op.register_fake
    def _fake(
        x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor], scale: Optional[torch.Tensor], shift: Optional[torch.Tensor],
        residual: Optional[torch.Tensor], pointwise_weight: Optional[torch.Tensor], pointwise_bias: Optional[torch.Tensor],
        stride: List[int], padding: List[int], dilation: List[int], activation: str, negative_slope: Optional[float], residual_mode: str,
        pointwise_activation: str, pointwise_negative_slope: Optional[float], pointwise_tf32: bool,
    ) -> torch.Tensor:
        # The same spec validation and output shape as the real launch; the memory format follows the input's.
        x = check_input(x)
        layout = layout_of(x) or ("NHWC" if x.stride(1) < x.stride(3) and x.shape[1] > 1 else "NCHW")
        fusion = Fusion(activation, negative_slope, residual_mode, pointwise_activation, pointwise_negative_slope, pointwise_tf32)
        spec, _ = spec_for(x, weight, bias, stride, padding, dilation, scale is not None, fusion, pointwise_weight, pointwise_bias, layout)
        return torch.empty(output_shape(spec, x), dtype=x.dtype, device=x.device, memory_format=memory_format(layout))

    def _setup(ctx: Any, inputs: Tuple[Any, ...], output: torch.Tensor) -> None:
        x, weight, bias = inputs[0], inputs[1], inputs[2]
        ctx.save_for_backward(x, weight)
        ctx.conf = (list(inputs[8]), list(inputs[9]), list(inputs[10]))
        ctx.has_bias = bias is not None
        ctx.fused = any(t is not None for t in inputs[3:8]) or inputs[11] != "none" or inputs[13] != "none"

    def _backward(ctx: Any, grad: torch.Tensor) -> Tuple[Any, ...]:
        if ctx.fused:
            raise DwconvError("the fused op has no backward formula; call dwconv_jit.torch.depthwise_conv2d, which composes fused forms in torch when gradients are needed")
        x, weight = ctx.saved_tensors
        needs_input = getattr(ctx, "needs_input_grad", (True, True, True))
        needs = (bool(needs_input[0]), bool(needs_input[1]), ctx.has_bias and bool(needs_input[2]))
        gx, gw, gb = conv_backward(x, weight, grad, *ctx.conf, needs)
        return (gx, gw, gb) + (None,) * 14

    depthwise_conv2d_op.register_autograd(_backward, setup_context=_setup)
    return depthwise_conv2d_op


CUSTOM_OP = _register_custom_op()


_Tensor, _Parameter = torch.Tensor, torch.nn.Parameter
_dispatch_modes = getattr(torch._C, "_len_torch_dispatch_stack", lambda: 0)
_function_modes = getattr(torch._C, "_is_torch_function_mode_enabled", lambda: False)
_functorch_active = getattr(torch._C, "_are_functorch_transforms_active", lambda: False)
_tracing_state = getattr(torch._C, "_get_tracing_state", lambda: None)


def no_modes() -> bool:
    """Whether no dispatch or function mode, functorch transform or JIT tracer would expect to see
    the op (a few C calls)."""
    return not (_dispatch_modes() or _function_modes() or _functorch_active() or _tracing_state() is not None)


def eager() -> bool:
    """Whether nothing would expect to see the op: no torch.compile trace either."""
    return not compiling() and no_modes()


#: The types a direct launch takes as they are (type() in a set: cheaper than isinstance chains).
PLAIN_TYPES = frozenset((_Tensor, _Parameter))
PLAIN_OR_NONE = frozenset((_Tensor, _Parameter, type(None)))


def direct(tensors: Sequence[Optional[torch.Tensor]]) -> bool:
    """Whether this call may skip the dispatcher and run the launch itself: a plain eager call that
    needs no gradient, with no mode, transform, tracer or tensor subclass that would expect to see
    the op (the custom op's dispatch costs tens of microseconds, more than the rest of a small call)."""
    if not eager():
        return False
    grad = torch.is_grad_enabled()
    for t in tensors:
        if t is None:
            continue
        kind = type(t)
        if kind is _Tensor or kind is _Parameter:
            if grad and t.requires_grad:
                return False
        elif isinstance(t, torch.Tensor):
            return False  # a subclass (FakeTensor, a wrapper): let the dispatcher handle it
        # Anything else is no tensor at all: the launch's validation names it (SpecError).
    return True


def launch(
    x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor], stride: Tuple[int, int], padding: Tuple[int, int, int, int], dilation: Tuple[int, int],
    scale: Optional[torch.Tensor] = None, shift: Optional[torch.Tensor] = None, residual: Optional[torch.Tensor] = None,
    pointwise_weight: Optional[torch.Tensor] = None, pointwise_bias: Optional[torch.Tensor] = None, fusion: Fusion = PLAIN,
) -> torch.Tensor:
    """One launch, through the custom op where registered (so torch.compile, export, modes and
    autograd see it), with the plain form's gradients; elsewhere through the autograd.Function.
    A plain eager call that needs no gradient runs the launch directly on either torch."""
    if CUSTOM_OP is not None and not direct((x, weight, bias, scale, shift, residual, pointwise_weight, pointwise_bias)):
        check_input(x)  # a bad input named before the dispatcher sees it (the direct launch checks it with its plan)
        return CUSTOM_OP(
            x, weight, bias, scale, shift, residual, pointwise_weight, pointwise_bias, list(stride), list(padding), list(dilation),
            fusion.activation, fusion.negative_slope, fusion.residual, fusion.pointwise_activation, fusion.pointwise_negative_slope, fusion.pointwise_tf32,
        )
    plain = scale is None and residual is None and pointwise_weight is None and (fusion is PLAIN or fusion == PLAIN)
    if CUSTOM_OP is None and plain and torch.is_grad_enabled() and (check_input(x).requires_grad or weight.requires_grad or (bias is not None and bias.requires_grad)):
        return _DepthwiseFunction.apply(x, weight, bias, stride, padding, dilation)
    return run(x, weight, bias, stride, padding, dilation, scale, shift, residual, pointwise_weight, pointwise_bias, fusion)
