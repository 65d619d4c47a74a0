"""``DepthwiseConv2d``: nn.Conv2d(groups=in_channels)'s constructor, parameters and state_dict, on the
generated kernels, with the fused forms (activation, folded BatchNorm, residual, separable 1x1) as options."""

from __future__ import annotations

import math
from typing import Any, Optional, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.modules.utils import _pair

from ..errors import SpecError
from ..spec import RESIDUALS, make_spec
from .activations import activation_fn, activation_of
from ._launch import PLAIN, Fusion, Plan, compiling as _compiling, execute, fire, plan_for
from ._ops import PLAIN_OR_NONE, PLAIN_TYPES, direct, launch, no_modes
from .functional import depthwise_conv2d, normalize_conv_args

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
#: The attributes the per-module call configuration is computed from: setting one drops it.
_CALL_ATTRIBUTES = frozenset((
    "stride", "padding", "dilation", "padding_mode", "_padding4", "activation", "negative_slope", "residual",
    "pointwise", "pointwise_activation", "pointwise_negative_slope", "pointwise_tf32", "weight", "bn",
))
_grad_enabled = torch.is_grad_enabled


class _Call:
    """The module's validated launch arguments that are not tensors (the conv arguments and the
    epilogue), so a forward passes them straight to the launch; and the last direct launch's plan
    with the operand metadata it was validated for (``fast``)."""

    __slots__ = ("stride", "padding", "dilation", "fusion", "plain", "fast")

    def __init__(self, stride: Any, padding: Any, dilation: Any, fusion: Fusion) -> None:
        self.stride, self.padding, self.dilation, self.fusion = stride, padding, dilation, fusion
        self.plain = fusion is PLAIN
        self.fast: Optional[_Fast] = None

    def __reduce__(self) -> Tuple[Any, ...]:
        # Pickled or deep-copied (torch.save of a module, copy.deepcopy) without ``fast``: a plan
        # holds a ctypes function, which neither can copy, and belongs to this process anyway.
        return (_Call, (self.stride, self.padding, self.dilation, self.fusion))


def _meta(t: Optional[torch.Tensor]) -> object:
    return None if t is None else (t.shape, t.stride(), t.dtype, t.device)


def _bn_stamp(bn: nn.BatchNorm2d) -> Optional[Tuple[Any, ...]]:
    """What a BatchNorm's fold depends on: each tensor's identity (the fold keeps its sources alive,
    so no other tensor takes their ids meanwhile), where its data is (`.data =` and `.to()` move it)
    and its version (in-place updates bump it), and eps. The running statistics are also updated in
    place by a train-mode forward, inside the native batch_norm, which leaves their versions as
    they were; that forward also counts the batch in num_batches_tracked with an in-place add,
    whose version does move, so it is in the stamp too. None when a gradient must flow through the
    fold (it is then recomputed as torch ops). Read from the module's dicts: nn.Module.__getattr__
    costs about a microsecond a name."""
    params, buffers = bn._parameters, bn._buffers
    w, b, mean, var = params.get("weight"), params.get("bias"), buffers.get("running_mean"), buffers.get("running_var")
    if mean is None or var is None:
        return None
    if _grad_enabled() and ((w is not None and w.requires_grad) or (b is not None and b.requires_grad) or mean.requires_grad or var.requires_grad):
        return None
    batches = buffers.get("num_batches_tracked")
    return (
        bn.eps, id(mean), mean.data_ptr(), mean._version, id(var), var.data_ptr(), var._version,
        id(batches), None if batches is None else batches._version,
        id(w), None if w is None else w.data_ptr(), None if w is None else w._version,
        id(b), None if b is None else b.data_ptr(), None if b is None else b._version,
    )


class _Fast:
    """One validated plan and what it was validated for: the metadata (shape, strides, dtype, device)
    of the input, the parameters, the pointwise parameters and the residual, and the folded
    BatchNorm's own tensors by identity. A later forward whose operands show the same metadata
    launches the plan with no other check: the plan's validation depended on nothing else."""

    __slots__ = ("plan", "meta", "extra", "scale", "shift")

    def __init__(self, plan: Plan, meta: object, extra: object, scale: Optional[torch.Tensor], shift: Optional[torch.Tensor]) -> None:
        self.plan, self.meta, self.extra, self.scale, self.shift = plan, meta, extra, scale, shift


class DepthwiseConv2d(nn.Module):
    """A depthwise nn.Conv2d (groups = in_channels, out_channels = in_channels * m) on dwconv-jit kernels.

    ``weight`` is [out_channels, 1, kh, kw] and ``bias`` [out_channels], with nn.Conv2d's names and
    initialisation, so ``load_state_dict`` takes a Conv2d's state unchanged. Options fuse more into
    the one kernel:

    - ``activation``: a name ('relu', 'relu6', ...) or an nn activation module.
    - ``batch_norm``: True (a new BatchNorm2d) or an existing nn.BatchNorm2d, kept as ``self.bn``.
      In eval mode its running statistics are folded into the kernel's scale and shift; in train
      mode it runs as a torch op after the kernel (batch statistics cannot be folded).
    - ``residual``: 'after-activation' (or True) / 'before-activation': forward(x, residual) adds it.
    - ``pointwise_out_channels``: a fused 1x1 conv (``self.pointwise``, an nn.Conv2d) after the
      depthwise conv and its activation: a depthwise-separable block.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Union[int, Tuple[int, int]],
        stride: Union[int, Tuple[int, int]] = 1,
        padding: Union[int, Tuple[int, int], str] = 0,
        dilation: Union[int, Tuple[int, int]] = 1,
        groups: Optional[int] = None,
        bias: bool = True,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Optional[torch.dtype] = None,
        *,
        activation: Any = None,
        batch_norm: Union[bool, nn.BatchNorm2d] = False,
        residual: Union[bool, str, None] = None,
        pointwise_out_channels: Optional[int] = None,
        pointwise_bias: bool = True,
        pointwise_activation: Any = None,
        pointwise_tf32: bool = False,
    ) -> None:
        super().__init__()
        factory = {"device": device, "dtype": dtype}
        if not isinstance(in_channels, int) or in_channels < 1:
            raise SpecError("in_channels", in_channels, "a positive integer")
        if groups is not None and groups != in_channels:
            raise SpecError("groups", groups, f"{in_channels} (= in_channels: a depthwise conv) or None")
        if not isinstance(out_channels, int) or out_channels < 1 or out_channels % in_channels:
            raise SpecError("out_channels", out_channels, f"a multiple of in_channels ({in_channels}): in_channels * m, m from 1 to 8")
        if padding_mode not in _PADDING_MODES:
            raise SpecError("padding_mode", padding_mode, " | ".join(f"'{m}'" for m in _PADDING_MODES))
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _pair(kernel_size)
        self.stride = _pair(stride)
        self.padding = padding if isinstance(padding, str) else _pair(padding)
        self.dilation = _pair(dilation)
        self.groups = in_channels
        self.padding_mode = padding_mode
        self.transposed = False
        self.output_padding = (0, 0)
        # Fails now, not at the first forward, for windows, strides or paddings the kernels cannot take.
        spec = make_spec(self.kernel_size, self.stride, self.padding, self.dilation, out_channels // in_channels)
        self._padding4 = spec.padding
        self.weight = nn.Parameter(torch.empty((out_channels, 1, *self.kernel_size), **factory))
        if bias:
            self.bias: Optional[nn.Parameter] = nn.Parameter(torch.empty(out_channels, **factory))
        else:
            self.register_parameter("bias", None)
        self.activation, self.negative_slope = activation_of(activation)
        if residual is True:
            residual = "after-activation"
        if residual in (None, False):
            residual = "none"
        if residual not in RESIDUALS:
            raise SpecError("residual", residual, "None | True | 'after-activation' | 'before-activation'")
        self.residual: str = str(residual)
        if isinstance(batch_norm, nn.BatchNorm2d):
            if batch_norm.num_features != out_channels:
                raise SpecError("batch_norm.num_features", batch_norm.num_features, str(out_channels))
            self.bn: Optional[nn.BatchNorm2d] = batch_norm
        elif batch_norm is True:
            self.bn = nn.BatchNorm2d(out_channels, **factory)
        elif batch_norm is False or batch_norm is None:
            self.bn = None
        else:
            raise SpecError("batch_norm", type(batch_norm).__name__, "True | False | an nn.BatchNorm2d")
        self.pointwise: Optional[nn.Conv2d] = None
        self.pointwise_activation, self.pointwise_negative_slope = activation_of(pointwise_activation)
        self.pointwise_tf32 = bool(pointwise_tf32)
        if pointwise_out_channels is not None:
            if self.residual != "none":
                raise SpecError("residual", self.residual, "None with pointwise_out_channels (no residual on a separable block's output)")
            self.pointwise = nn.Conv2d(out_channels, pointwise_out_channels, 1, bias=pointwise_bias, **factory)
        self._folded: Optional[Tuple[Tuple[Any, ...], torch.Tensor, torch.Tensor, Tuple[Any, ...]]] = None
        self._call: Optional[_Call] = None
        self.reset_parameters()

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name in _CALL_ATTRIBUTES:
            self.__dict__["_call"] = None

    def _make_call(self) -> _Call:
        """What depthwise_conv2d would compute from this module's attributes, validated the same way."""
        padding = self._padding4 if self.padding_mode == "zeros" else 0
        stride, padding4, dilation = normalize_conv_args(self.weight, self.stride, padding, self.dilation)
        pw = self.pointwise is not None
        residual = self.residual if self.residual != "none" else "none"
        pw_act = self.pointwise_activation if pw else "none"
        tf32 = self.pointwise_tf32 if pw else False
        if self.activation == "none" and residual == "none" and pw_act == "none" and not tf32:
            fusion = PLAIN
        else:
            slope = self.negative_slope if self.activation == "leaky_relu" else None
            fusion = Fusion(self.activation, slope, residual, pw_act, self.pointwise_negative_slope if pw else None, bool(tf32))
        return _Call(stride, padding4, dilation, fusion)

    def reset_parameters(self) -> None:
        """nn.Conv2d's initialisation (kaiming-uniform with a = sqrt(5); bias from the fan-in)."""
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.kernel_size[0] * self.kernel_size[1]
            bound = 1 / math.sqrt(fan_in)
            nn.init.uniform_(self.bias, -bound, bound)

    @classmethod
    def from_conv(cls, conv: nn.Conv2d, **fused: Any) -> "DepthwiseConv2d":
        """A module sharing ``conv``'s parameters (the same Parameter objects: optimizers keep working)."""
        module = cls(
            conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding, conv.dilation, conv.groups,  # type: ignore[arg-type]
            conv.bias is not None, conv.padding_mode, device=conv.weight.device, dtype=conv.weight.dtype, **fused,
        )
        module.weight = conv.weight
        module.bias = conv.bias
        return module

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode!r}"
        if self.activation != "none":
            s += f", activation={self.activation!r}"
        if self.residual != "none":
            s += f", residual={self.residual!r}"
        return s

    def _bn_scale_shift(self) -> Tuple[torch.Tensor, torch.Tensor]:
        """The eval-mode BatchNorm as float32 scale and shift; cached while its tensors are unchanged
        and nothing needs their gradient (a fold is a few small kernel launches). The same two
        tensors come back while the cache holds, which is what lets the fast path check them by
        identity."""
        bn = self._modules.get("bn")
        # Under torch.compile the fold is traced as torch ops (data pointers and versions are not traceable).
        stamp = None if _compiling() else _bn_stamp(bn)  # type: ignore[arg-type]
        if stamp is None:
            return self._fold(bn)  # type: ignore[arg-type]
        folded = self._folded
        if folded is not None and folded[0] == stamp:
            return folded[1], folded[2]
        scale, shift = self._fold(bn)  # type: ignore[arg-type]
        scale, shift = scale.detach().contiguous(), shift.detach().contiguous()
        # The sources are kept with the fold: while they live no other tensor takes their ids.
        params, buffers = bn._parameters, bn._buffers  # type: ignore[union-attr]
        self._folded = (stamp, scale, shift, (params.get("weight"), params.get("bias"), *buffers.values()))
        return scale, shift

    @staticmethod
    def _fold(bn: nn.BatchNorm2d) -> Tuple[torch.Tensor, torch.Tensor]:
        assert bn.running_mean is not None and bn.running_var is not None
        inv = torch.rsqrt(bn.running_var.float() + bn.eps)
        scale = inv * bn.weight.float() if bn.weight is not None else inv
        shift = -bn.running_mean.float() * scale
        if bn.bias is not None:
            shift = shift + bn.bias.float()
        return scale, shift

    def _conv_padding(self, x: torch.Tensor) -> Tuple[torch.Tensor, Any]:
        if self.padding_mode == "zeros":
            return x, self._padding4
        # As nn.Conv2d does: pad explicitly in that mode, then convolve without padding.
        t, b, l, r = self._padding4
        return F.pad(x, (l, r, t, b), mode=self.padding_mode), 0

    def forward(self, input: torch.Tensor, residual: Optional[torch.Tensor] = None) -> torch.Tensor:
        if _compiling():  # torch.compile traces the general path (attributes read the ordinary way there)
            self._check_residual(residual)
            bn = self.bn
            return self._forward_composed(input, residual, bn is not None and not bn.training and bn.track_running_stats and bn.running_mean is not None)
        call = self.__dict__["_call"]
        fast = None if call is None else call.fast
        if fast is not None:
            # The last direct launch's plan, when this call's operands show the metadata it was
            # validated for and nothing needs the dispatcher (no gradient, mode, tracer or tensor
            # subclass). Every check the validation made is one of these comparisons: the cache
            # skips no guard, it only skips recomputing what the same metadata decides.
            params = self._parameters
            weight, bias = params.get("weight"), params.get("bias")
            if (
                type(input) in PLAIN_TYPES and type(weight) in PLAIN_TYPES and type(bias) in PLAIN_OR_NONE and no_modes()
                and not (_grad_enabled() and (input.requires_grad or weight.requires_grad or (bias is not None and bias.requires_grad)))  # type: ignore[union-attr]
                and fast.meta == (
                    input.shape, input.stride(), input.dtype, input.device, weight.shape, weight.stride(), weight.dtype, weight.device,  # type: ignore[union-attr]
                    None if bias is None else (bias.shape, bias.stride(), bias.dtype, bias.device),
                )
            ):
                if fast.extra is None:  # the plain form: no BatchNorm, pointwise or residual
                    if residual is None:
                        return fire(fast.plan, input, weight, bias, None, None, None, None, None)  # type: ignore[arg-type]
                else:
                    out = self._forward_fused_fast(fast, input, weight, bias, residual)  # type: ignore[arg-type]
                    if out is not None:
                        return out
        return self._forward_eager(input, residual)

    def _forward_fused_fast(
        self, fast: _Fast, x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor], residual: Optional[torch.Tensor],
    ) -> Optional[torch.Tensor]:
        """forward's fast path for the fused forms, once x, weight and bias matched: the folded
        BatchNorm's tensors by identity (the fold cache returns the same two while its sources are
        unchanged), the pointwise parameters' and the residual's metadata. None: the eager path decides."""
        modules = self._modules
        bn, pw = modules.get("bn"), modules.get("pointwise")
        scale = shift = pw_weight = pw_bias = None
        if bn is not None:
            if bn.training or not bn.track_running_stats:
                return None
            folded = self._folded
            if folded is None or folded[1] is not fast.scale or folded[2] is not fast.shift or folded[0] != _bn_stamp(bn):  # type: ignore[arg-type]
                return None
            scale, shift = fast.scale, fast.shift
        if pw is not None:
            pw_params = pw._parameters
            pw_weight, pw_bias = pw_params.get("weight"), pw_params.get("bias")
        if type(pw_weight) not in PLAIN_OR_NONE or type(pw_bias) not in PLAIN_OR_NONE or type(residual) not in PLAIN_OR_NONE:
            return None
        if _grad_enabled() and any(t is not None and t.requires_grad for t in (pw_weight, pw_bias, residual)):
            return None
        if (_meta(pw_weight), _meta(pw_bias), _meta(residual)) != fast.extra:
            return None
        return fire(fast.plan, x, weight, bias, scale, shift, residual, pw_weight, pw_bias)

    def _check_residual(self, residual: Optional[torch.Tensor]) -> None:
        if self.residual != "none" and residual is None:
            raise SpecError("residual", None, f"a tensor of the output's shape (this module adds one {self.residual})")
        if self.residual == "none" and residual is not None:
            raise SpecError("residual", "a tensor", "None (this module was built with residual=None)")

    def _bn_folds(self) -> bool:
        """Whether the BatchNorm (if any) runs folded into the kernel: eval mode with running statistics."""
        bn = self._modules.get("bn")
        return bn is not None and not bn.training and bn.track_running_stats and bn._buffers.get("running_mean") is not None

    def _forward_eager(self, input: torch.Tensor, residual: Optional[torch.Tensor]) -> torch.Tensor:
        self._check_residual(residual)
        bn = self.bn
        fused_bn = self._bn_folds()
        params = self._parameters
        if self.padding_mode != "zeros" or (bn is not None and not fused_bn) or "weight" not in params:
            return self._forward_composed(input, residual, fused_bn)
        # The configuration validated once (and again after an attribute changes), parameters read
        # from the module's dict (nn.Module.__getattr__ costs a microsecond each), then one launch.
        call = self.__dict__.get("_call") or self._cached_call()
        weight, bias, pw = params["weight"], params.get("bias"), self.pointwise
        if pw is not None:
            pw_params = pw._parameters
            pw_weight, pw_bias = pw_params["weight"], pw_params.get("bias")
        else:
            pw_weight = pw_bias = None
        scale, shift = self._bn_scale_shift() if fused_bn else (None, None)
        tensors = (input, weight, bias, scale, shift, residual, pw_weight, pw_bias)
        if direct(tensors):
            # No dispatcher needed: the plan launched here, and kept for the next call's fast path.
            plan = plan_for(input, weight, bias, call.stride, call.padding, call.dilation, scale, shift, residual, pw_weight, pw_bias, call.fusion)
            if not plan.direct:
                return execute(plan, input, weight, bias, scale, shift, residual, pw_weight, pw_bias, None)
            out = fire(plan, input, weight, bias, scale, shift, residual, pw_weight, pw_bias)
            extra = None if scale is None and pw is None and residual is None else (_meta(pw_weight), _meta(pw_bias), _meta(residual))
            call.fast = _Fast(plan, (*_meta(input), *_meta(weight), _meta(bias)), extra, scale, shift)  # type: ignore[misc]
            return out
        if (call.plain and scale is None and pw_weight is None) or not _needs_grad(*tensors):
            return launch(input, weight, bias, call.stride, call.padding, call.dilation, scale, shift, residual, pw_weight, pw_bias, call.fusion)  # type: ignore[arg-type]
        return self._forward_composed(input, residual, fused_bn)

    def _cached_call(self) -> _Call:
        call = self._call = self._make_call()
        return call

    def _forward_composed(self, input: torch.Tensor, residual: Optional[torch.Tensor], fused_bn: bool) -> torch.Tensor:
        """The general path through depthwise_conv2d: padding modes, batch statistics, and fused forms
        that need gradients (composed of torch ops there)."""
        x, padding = self._conv_padding(input)
        pw = self.pointwise
        if self.bn is not None and not fused_bn:
            # Batch statistics: the conv on the kernel, the rest as torch ops.
            y = self.bn(depthwise_conv2d(x, self.weight, self.bias, self.stride, padding, self.dilation))
            if residual is not None and self.residual == "before-activation":
                y = y + residual
            y = activation_fn(self.activation, self.negative_slope)(y)
            if residual is not None and self.residual == "after-activation":
                y = y + residual
            if pw is not None:
                y = activation_fn(self.pointwise_activation, self.pointwise_negative_slope)(pw(y))
            return y
        scale, shift = self._bn_scale_shift() if fused_bn else (None, None)
        return depthwise_conv2d(
            x, self.weight, self.bias, self.stride, padding, self.dilation,
            activation=self.activation, negative_slope=self.negative_slope if self.activation == "leaky_relu" else None,
            scale=scale, shift=shift, residual=residual, residual_mode=self.residual if self.residual != "none" else "after-activation",
            pointwise_weight=pw.weight if pw is not None else None, pointwise_bias=pw.bias if pw is not None else None,
            pointwise_activation=self.pointwise_activation if pw is not None else None, pointwise_tf32=self.pointwise_tf32 if pw is not None else False,
        )


def _needs_grad(*tensors: Optional[torch.Tensor]) -> bool:
    # getattr: a residual that is no tensor is reported by the launch's validation, not here.
    return torch.is_grad_enabled() and any(t is not None and getattr(t, "requires_grad", False) for t in tensors)
