"""``depthwise_conv2d``: F.conv2d(groups=C)'s arguments, plus the fused epilogue as options."""

from __future__ import annotations

import functools
from typing import Any, Dict, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F

from ..errors import SpecError
from ..spec import RESIDUALS, make_spec
from ._launch import PLAIN, Fusion, check_input, compiling as _compiling, run
from ._ops import PLAIN_TYPES, launch
from .activations import activation_fn, activation_of

IntPair = Union[int, Sequence[int]]


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


@functools.lru_cache(maxsize=4096, typed=True)  # typed: True == 1 as a key, and make_spec refuses True
def _conv_args(kernel: Tuple[int, int], stride: Any, padding: Any, dilation: Any) -> Tuple[Tuple[int, int], Tuple[int, int, int, int], Tuple[int, int]]:
    spec = make_spec(kernel, stride, padding, dilation)
    return spec.stride, spec.padding, spec.dilation


def normalize_conv_args(weight: Any, stride: IntPair, padding: Union[IntPair, str], dilation: IntPair) -> Tuple[Tuple[int, int], Tuple[int, int, int, int], Tuple[int, int]]:
    """(stride, padding as (top, bottom, left, right), dilation), validated against the kernel's limits
    (memoized: a module passes the same arguments on every call)."""
    if not isinstance(weight, torch.Tensor) or weight.dim() != 4:
        raise SpecError("weight", getattr(weight, "shape", type(weight).__name__), "a 4-dim tensor [C*m, 1, kh, kw]")
    if _compiling():  # dynamo traces plain Python more readily than memo lookups
        spec = make_spec((int(weight.shape[2]), int(weight.shape[3])), _hashable(stride), _hashable(padding), _hashable(dilation))
        return spec.stride, spec.padding, spec.dilation
    window = weight.shape[2:]
    # The types too: True == 1 and 1.0 == 1 as keys, and make_spec refuses both.
    key = (window, stride, padding, dilation, type(stride), type(padding), type(dilation))
    try:
        return _conv_memo[key]
    except KeyError:
        pass
    except TypeError:  # unhashable arguments (lists): as tuples through the lru memo, else uncached
        try:
            return _conv_args((int(window[0]), int(window[1])), _hashable(stride), _hashable(padding), _hashable(dilation))
        except TypeError:
            spec = make_spec((int(window[0]), int(window[1])), stride, padding, dilation)
            return spec.stride, spec.padding, spec.dilation
    found = _conv_args((int(window[0]), int(window[1])), _hashable(stride), _hashable(padding), _hashable(dilation))
    if len(_conv_memo) >= 4096:
        _conv_memo.clear()
    _conv_memo[key] = found
    return found


#: normalize_conv_args' answers by the arguments exactly as given (hashable ones): one dict lookup
#: on the hot path. Only successes are kept: a bad argument raises again each time.
_conv_memo: Dict[Tuple[Any, ...], Tuple[Tuple[int, int], Tuple[int, int, int, int], Tuple[int, int]]] = {}


def _needs_grad(*tensors: Optional[torch.Tensor]) -> bool:
    return torch.is_grad_enabled() and any(t is not None and t.requires_grad for t in tensors)


def depthwise_conv2d(
    input: torch.Tensor,
    weight: torch.Tensor,
    bias: Optional[torch.Tensor] = None,
    stride: IntPair = 1,
    padding: Union[IntPair, str] = 0,
    dilation: IntPair = 1,
    *,
    activation: Any = None,
    negative_slope: Optional[float] = None,
    scale: Optional[torch.Tensor] = None,
    shift: Optional[torch.Tensor] = None,
    residual: Optional[torch.Tensor] = None,
    residual_mode: str = "after-activation",
    pointwise_weight: Optional[torch.Tensor] = None,
    pointwise_bias: Optional[torch.Tensor] = None,
    pointwise_activation: Any = None,
    pointwise_tf32: bool = False,
    out: Optional[torch.Tensor] = None,
) -> torch.Tensor:
    """A depthwise conv (groups = input channels, weight [C*m, 1, kh, kw]) through a generated kernel.

    The result equals ``F.conv2d(input, weight, bias, stride, padding, dilation, groups=C)`` followed,
    in this order, by ``* scale + shift`` (float32 [C*m]: a folded BatchNorm), ``+ residual`` when
    ``residual_mode='before-activation'``, the activation, ``+ residual`` (the default,
    'after-activation'), and for a separable block ``F.conv2d(., pointwise_weight, pointwise_bias)``
    and ``pointwise_activation``. All of it runs in one kernel, on input's device and current CUDA
    stream, in its layout (NCHW or channels_last); the output is new, or ``out``.

    ``padding`` is an int, (ph, pw), (top, bottom, left, right), 'same' (stride 1) or 'valid'.
    ``activation`` is a name ('relu', 'relu6', 'leaky_relu', 'silu', 'gelu', 'gelu_tanh',
    'hardswish', 'sigmoid') or the matching nn module. When gradients are needed, fused forms run the
    kernel for the conv alone and the rest as torch ops (the kernels have no backward yet); ``out=``
    then is refused, as PyTorch refuses out= under autograd.
    """
    if (
        not _compiling() and out is None and activation is None and negative_slope is None and scale is None and shift is None and residual is None
        and pointwise_weight is None and pointwise_bias is None and pointwise_activation is None and not pointwise_tf32 and type(input) in PLAIN_TYPES
    ):
        # The plain eager call, the common one: straight to the launch, which validates input with the
        # plan (fully on a plan miss; a hit means the same metadata passed that validation before).
        stride_, padding_, dilation_ = normalize_conv_args(weight, stride, padding, dilation)
        return launch(input, weight, bias, stride_, padding_, dilation_)
    check_input(input)
    stride_, padding_, dilation_ = normalize_conv_args(weight, stride, padding, dilation)
    act, slope = activation_of(activation)
    if negative_slope is not None:
        if act != "leaky_relu":
            raise SpecError("negative_slope", negative_slope, "None unless activation is 'leaky_relu'")
        slope = negative_slope
    pw_act, pw_slope = activation_of(pointwise_activation)
    if residual_mode not in RESIDUALS[1:]:
        raise SpecError("residual_mode", residual_mode, "'after-activation' | 'before-activation'")
    res = residual_mode if residual is not None else "none"
    plain_epilogue = act == "none" and res == "none" and pw_act == "none" and not pointwise_tf32
    fusion = PLAIN if plain_epilogue else Fusion(act, slope, res, pw_act, pw_slope, bool(pointwise_tf32))
    if pointwise_weight is None and (pointwise_activation is not None or pointwise_tf32 or pointwise_bias is not None):
        raise SpecError("pointwise_weight", None, "a [out_channels, C*m, 1, 1] tensor when pointwise_bias / pointwise_activation / pointwise_tf32 are given")
    tensors = (input, weight, bias, scale, shift, residual, pointwise_weight, pointwise_bias)
    if out is not None:
        if _needs_grad(*tensors):
            raise SpecError("out", "a tensor", "None when gradients are needed (out= does not support automatic differentiation, as in PyTorch)")
        return run(input, weight, bias, stride_, padding_, dilation_, scale, shift, residual, pointwise_weight, pointwise_bias, fusion, out)
    plain = fusion is PLAIN and scale is None and pointwise_weight is None
    if plain or not _needs_grad(*tensors):
        return launch(input, weight, bias, stride_, padding_, dilation_, scale, shift, residual, pointwise_weight, pointwise_bias, fusion)
    return _composed(input, weight, bias, stride_, padding_, dilation_, scale, shift, residual, pointwise_weight, pointwise_bias, fusion)


def _composed(
    x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor], stride: Tuple[int, int], padding: Tuple[int, int, int, int], dilation: Tuple[int, int],
    scale: Optional[torch.Tensor], shift: Optional[torch.Tensor], residual: Optional[torch.Tensor], pw: Optional[torch.Tensor], pb: Optional[torch.Tensor],
    fusion: Fusion,
) -> torch.Tensor:
    """The fused result as the kernel's conv plus torch ops, so every operand gets its gradient."""
    # The kernel runs the same checks; a fused call fails the same way whichever path it takes.
    y = launch(x, weight, bias, stride, padding, dilation)
    if scale is not None and shift is not None:
        if scale.dtype != torch.float32 or shift.dtype != torch.float32:
            raise SpecError("scale.dtype", str(scale.dtype), "torch.float32 (scale and shift are float32)")
        y = (y.float() * scale.view(1, -1, 1, 1) + shift.view(1, -1, 1, 1)).to(y.dtype)
    if residual is not None and fusion.residual == "before-activation":
        y = y + residual
    y = activation_fn(fusion.activation, fusion.negative_slope)(y)
    if residual is not None and fusion.residual == "after-activation":
        y = y + residual
    if pw is not None:
        y = activation_fn(fusion.pointwise_activation, fusion.pointwise_negative_slope)(F.conv2d(y, pw, pb))
    return y
