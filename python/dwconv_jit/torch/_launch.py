"""One validated launch on torch tensors: every check happens here, before the native call.

No autograd here (see _ops.py). Inputs are used in place: the only conversions are the ones PyTorch's
own convolution makes (a strided input made dense in its suggested memory format; weights and the
small per-channel operands made contiguous, a no-op for parameters).
"""

from __future__ import annotations

import ctypes
import sys
from dataclasses import dataclass
from typing import Dict, Optional, Sequence, Tuple

import torch

from ..errors import CudaError, DwconvError, SpecError
from ..kernels import get_kernel, on_clear
from ..native import NativeKernel
from ..spec import KernelSpec, PointwiseSpec, make_spec

DTYPE_NAMES: Dict[torch.dtype, str] = {torch.float32: "float32", torch.float16: "float16", torch.bfloat16: "bfloat16"}
_INT32_MAX = 2**31 - 1


@dataclass(frozen=True)
class Fusion:
    """The epilogue configuration that is not a tensor (tensors travel beside it)."""

    activation: str = "none"
    negative_slope: Optional[float] = None
    residual: str = "none"
    pointwise_activation: str = "none"
    pointwise_negative_slope: Optional[float] = None
    pointwise_tf32: bool = False


#: The plain form (no epilogue beyond the bias), shared so a plain call builds no Fusion.
PLAIN = Fusion()


def _compiling_fallback() -> bool:
    # Before torch.compiler.is_compiling (torch < 2.3): dynamo can only be tracing once it is imported,
    # and a sys.modules lookup is cheaper than getattr on torch (a miss raises inside getattr).
    dynamo = sys.modules.get("torch._dynamo")
    return dynamo is not None and bool(getattr(dynamo, "is_compiling", _never)())


def _never() -> bool:
    return False


#: Whether torch.compile (dynamo) is tracing this call: memos are then bypassed. torch.compiler's own
#: function where it exists (dynamo folds it to True while tracing), bound once: it is on the hot path.
compiling = getattr(getattr(torch, "compiler", None), "is_compiling", None) or _compiling_fallback


def layout_of(x: torch.Tensor) -> Optional[str]:
    """'NCHW' for a contiguous tensor, 'NHWC' for a channels_last one, None for anything else."""
    if x.is_contiguous():
        return "NCHW"
    if x.is_contiguous(memory_format=torch.channels_last):
        return "NHWC"
    return None


def dense_input(x: torch.Tensor) -> torch.Tensor:
    """x itself when dense in either layout, else a dense copy in the memory format its strides
    suggest: what PyTorch's convolution does with a strided input."""
    if layout_of(x) is not None:
        return x
    channels_last = x.stride(1) < x.stride(3) and x.shape[1] > 1
    return x.contiguous(memory_format=torch.channels_last if channels_last else torch.contiguous_format)


def memory_format(layout: str) -> torch.memory_format:
    return torch.channels_last if layout == "NHWC" else torch.contiguous_format


def _check_tensor(name: str, t: object, shape: Sequence[int], dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    if not isinstance(t, torch.Tensor):
        raise SpecError(name, type(t).__name__, f"a torch.Tensor of shape {list(shape)}")
    if t.device != device:
        raise SpecError(f"{name}.device", str(t.device), f"{device} (the input's device)")
    if t.dtype != dtype:
        raise SpecError(f"{name}.dtype", str(t.dtype), str(dtype))
    if tuple(t.shape) != tuple(shape):
        raise SpecError(f"{name}.shape", list(t.shape), str(list(shape)))
    return t


def _span(t: torch.Tensor) -> Tuple[int, int]:
    """The byte range a tensor's elements cover."""
    start = t.data_ptr()
    extent = 1 + sum((s - 1) * st for s, st in zip(t.shape, t.stride()) if s > 0)
    return start, start + extent * t.element_size()


def _overlaps(a: torch.Tensor, b: torch.Tensor) -> bool:
    (a0, a1), (b0, b1) = _span(a), _span(b)
    return a0 < b1 and b0 < a1


def check_input(x: object) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise SpecError("input", type(x).__name__, "a torch.Tensor [N, C, H, W]")
    if x.dim() != 4:
        raise SpecError("input.shape", list(x.shape), "4 dims [N, C, H, W] (NCHW or channels_last)")
    if x.dtype not in DTYPE_NAMES:
        raise SpecError("input.dtype", str(x.dtype), "torch.float32 | torch.float16 | torch.bfloat16")
    if x.device.type not in ("cpu", "cuda"):
        raise SpecError("input.device", str(x.device), "a CPU or CUDA tensor")
    if x.is_sparse or x.is_quantized or (hasattr(x, "is_nested") and x.is_nested):
        raise SpecError("input", "a sparse, quantized or nested tensor", "a dense strided tensor")
    return x


def _spec_for(
    x: torch.Tensor, weight: object, bias: object, stride: Sequence[int], padding: Sequence[int], dilation: Sequence[int],
    batch_norm: bool, fusion: Fusion, pointwise_weight: object, pointwise_bias: object, layout: str,
) -> Tuple[KernelSpec, int]:
    channels = x.shape[1]
    if not isinstance(weight, torch.Tensor) or weight.dim() != 4:
        raise SpecError("weight", getattr(weight, "shape", type(weight).__name__), "a 4-dim tensor [C*m, 1, kh, kw]")
    if weight.shape[1] != 1 or weight.shape[0] % channels != 0 or weight.shape[0] == 0:
        raise SpecError(
            "weight.shape", list(weight.shape),
            f"[C*m, 1, kh, kw] with C = {channels} input channels: a depthwise conv (groups == channels); got groups = {channels // max(1, weight.shape[1])}",
        )
    # int() of a SymInt (the fake implementation under dynamic shapes) guards on the value: the
    # kernel is specialised on the window and the multiplier, whatever C is.
    m = int(weight.shape[0] // channels)
    pw = None
    if pointwise_weight is not None:
        if not isinstance(pointwise_weight, torch.Tensor) or pointwise_weight.dim() != 4:
            raise SpecError("pointwise_weight", getattr(pointwise_weight, "shape", type(pointwise_weight).__name__), "[out_channels, C*m, 1, 1]")
        pw = PointwiseSpec(int(pointwise_weight.shape[0]), pointwise_bias is not None, fusion.pointwise_activation, fusion.pointwise_negative_slope, fusion.pointwise_tf32)
    elif pointwise_bias is not None:
        raise SpecError("pointwise_bias", "a tensor", "None without pointwise_weight")
    spec = make_spec(
        (int(weight.shape[2]), int(weight.shape[3])), tuple(stride), tuple(padding), tuple(dilation), m, DTYPE_NAMES[x.dtype], layout,
        bias is not None, batch_norm, fusion.activation, fusion.negative_slope, fusion.residual, pw,
    )
    return spec, m


_specs: Dict[Tuple[object, ...], Tuple[KernelSpec, int]] = {}


def _concrete(*dims: object) -> bool:
    """Whether every dim is a plain int: under fake tensors with dynamic shapes they are SymInts,
    which are unhashable (and the memo must not specialise them)."""
    return all(type(d) is int for d in dims)


def spec_for(
    x: torch.Tensor, weight: object, bias: object, stride: Sequence[int], padding: Sequence[int], dilation: Sequence[int],
    batch_norm: bool, fusion: Fusion, pointwise_weight: object, pointwise_bias: object, layout: str,
) -> Tuple[KernelSpec, int]:
    """The spec of this call (validated) and the channel multiplier; SpecError names what is wrong.
    Memoized on everything the spec depends on: a model calls with the same few every time."""
    if (
        not compiling() and isinstance(weight, torch.Tensor) and (pointwise_weight is None or isinstance(pointwise_weight, torch.Tensor))
        and _concrete(x.shape[1], *weight.shape, *(() if pointwise_weight is None else pointwise_weight.shape))
    ):
        memo = (
            x.shape[1], tuple(weight.shape), tuple(stride), tuple(padding), tuple(dilation), x.dtype, layout, bias is not None, batch_norm, fusion,
            None if pointwise_weight is None else tuple(pointwise_weight.shape), pointwise_bias is not None,
        )
        found = _specs.get(memo)
        if found is None:
            found = _specs[memo] = _spec_for(x, weight, bias, stride, padding, dilation, batch_norm, fusion, pointwise_weight, pointwise_bias, layout)
        return found
    return _spec_for(x, weight, bias, stride, padding, dilation, batch_norm, fusion, pointwise_weight, pointwise_bias, layout)


def output_shape(spec: KernelSpec, x: torch.Tensor) -> Tuple[int, int, int, int]:
    n, c, h, w = x.shape
    ho, wo = spec.output_hw(h, w)
    if ho < 1 or wo < 1:
        raise SpecError("input.shape", list(x.shape), f"H and W large enough for a non-empty output with this {spec.kernel_size[0]}x{spec.kernel_size[1]} window (output would be {ho}x{wo})")
    cout = spec.pointwise.out_channels if spec.pointwise else c * spec.channel_multiplier
    return n, cout, ho, wo


def _arch(device: torch.device) -> str:
    major, minor = torch.cuda.get_device_capability(device)
    return f"sm_{major}{minor}"


_kernels: Dict[Tuple[KernelSpec, torch.device], NativeKernel] = {}


def kernel_for(spec: KernelSpec, device: torch.device) -> NativeKernel:
    """The loaded kernel for this spec on this device (memoized here too: get_kernel keys on the JSON)."""
    kernel = _kernels.get((spec, device))
    if kernel is None:
        kernel = get_kernel(spec, "cuda", _arch(device)) if device.type == "cuda" else get_kernel(spec, "cpu")
        _kernels[(spec, device)] = kernel
    return kernel


on_clear(_kernels.clear)


class Plan:
    """What one call's tensor metadata decides, worked out once by the full validation and reused
    for every later call with the same metadata (see ``plan_for``): a model calls each layer with the
    same few shapes, so the hot path is a lookup, the output's allocation and the native call."""

    __slots__ = (
        "launch", "symbol", "dims", "dims_c", "out_shape", "dtype", "device", "fmt", "densify", "dense_operands", "residual_fmt",
        "cuda_index", "like_input", "direct", "prototype",
    )

    def __init__(
        self, kernel: Optional[NativeKernel], dims: Tuple[int, int, int, int], out_shape: Tuple[int, int, int, int], dtype: torch.dtype,
        device: torch.device, layout: str, densify: bool, dense_operands: bool, residual_fmt: Optional[torch.memory_format],
    ) -> None:
        #: None for an empty batch (nothing to launch).
        self.launch = kernel.launch if kernel is not None else None
        self.symbol = kernel.symbol if kernel is not None else ""
        self.dims = dims
        #: The dims as the c_int64 the entry point takes: ctypes passes an instance of the argument's
        #: own type as it is, where an int is converted on every call.
        self.dims_c = tuple(ctypes.c_int64(d) for d in dims)
        self.out_shape = out_shape
        self.dtype = dtype
        self.device = device
        self.fmt = memory_format(layout)
        #: The memory format a strided input is first copied into (None: x is dense already).
        self.densify = self.fmt if densify else None
        #: Whether some weight-like operand is not contiguous (rare: parameters are).
        self.dense_operands = dense_operands
        self.residual_fmt = residual_fmt
        self.cuda_index = device.index if device.type == "cuda" else None
        #: The output has the (dense) input's shape: torch.empty_like(x) allocates it, in x's strides.
        self.like_input = out_shape == dims
        #: Else torch.empty_like of this (one element seen in the output's shape and dtype, on its
        #: device: not dense, so empty_like lays it out contiguously, or in the memory format it is
        #: given) allocates it: empty_like costs about half of torch.empty with its keywords.
        self.prototype = torch.empty(1, dtype=dtype, device=device).expand(out_shape)
        #: Every operand is used as given (no copy first): ``fire`` launches it.
        self.direct = not densify and not dense_operands and residual_fmt is None


_plans: Dict[Tuple[object, ...], Plan] = {}
#: Many distinct shapes (varying image sizes) would grow the memo without bound: start over past this.
_MAX_PLANS = 4096
on_clear(_plans.clear)


def _meta(t: Optional[torch.Tensor]) -> object:
    return None if t is None else (t.shape, t.stride(), t.dtype, t.device)


def _plan_key(
    x: object, weight: object, bias: object, scale: object, shift: object, residual: object, pointwise_weight: object, pointwise_bias: object,
    stride: Sequence[int], padding: Sequence[int], dilation: Sequence[int], fusion: Fusion,
) -> Optional[Tuple[object, ...]]:
    """Everything the validation reads: the operands' shapes, strides, dtypes and devices, and the
    configuration. None where it cannot be built (not tensors, sparse ones): those calls take the
    full validation, which says what is wrong."""
    try:
        extra = None if scale is None and shift is None and residual is None and pointwise_weight is None and pointwise_bias is None else (
            _meta(scale), _meta(shift), _meta(residual), _meta(pointwise_weight), _meta(pointwise_bias))  # type: ignore[arg-type]
        return (
            x.shape, x.stride(), x.dtype, x.device, weight.shape, weight.stride(), weight.dtype, weight.device,  # type: ignore[union-attr]
            _meta(bias), extra, tuple(stride), tuple(padding), tuple(dilation), None if fusion is PLAIN else fusion,  # type: ignore[arg-type]
        )
    except Exception:
        return None


def _suggested_layout(x: torch.Tensor) -> Tuple[str, bool]:
    """(the layout x runs in, whether x must first be made dense in it): dense_input's choice."""
    layout = layout_of(x)
    if layout is not None:
        return layout, False
    return ("NHWC" if x.stride(1) < x.stride(3) and x.shape[1] > 1 else "NCHW"), True


def make_plan(
    x: object, weight: object, bias: Optional[torch.Tensor], stride: Sequence[int], padding: Sequence[int], dilation: Sequence[int],
    scale: Optional[torch.Tensor], shift: Optional[torch.Tensor], residual: Optional[torch.Tensor], pointwise_weight: Optional[torch.Tensor],
    pointwise_bias: Optional[torch.Tensor], fusion: Fusion,
) -> Plan:
    """Validates everything about a call that its metadata decides; SpecError names what is wrong."""
    x = check_input(x)
    layout, densify = _suggested_layout(x)
    if (scale is None) != (shift is None):
        raise SpecError("scale" if scale is None else "shift", None, "scale and shift together (a folded BatchNorm)")
    spec, m = spec_for(x, weight, bias, stride, padding, dilation, scale is not None, fusion, pointwise_weight, pointwise_bias, layout)
    device, dtype = x.device, x.dtype
    n, c, h, w = (int(d) for d in x.shape)
    cm = c * m
    operands = [_check_tensor("weight", weight, (cm, 1, *spec.kernel_size), dtype, device)]
    if bias is not None:
        operands.append(_check_tensor("bias", bias, (cm,), dtype, device))
    if scale is not None and shift is not None:
        operands.append(_check_tensor("scale", scale, (cm,), torch.float32, device))
        operands.append(_check_tensor("shift", shift, (cm,), torch.float32, device))
    if pointwise_weight is not None:
        operands.append(_check_tensor("pointwise_weight", pointwise_weight, (pointwise_weight.shape[0], cm, 1, 1), dtype, device))
        if pointwise_bias is not None:
            operands.append(_check_tensor("pointwise_bias", pointwise_bias, (pointwise_weight.shape[0],), dtype, device))
    if max(h, w, cm) > _INT32_MAX:
        raise SpecError("input.shape", list(x.shape), "H, W and C*m below 2^31")
    out_shape = output_shape(spec, x)
    fmt = memory_format(layout)
    residual_fmt = None
    if spec.residual != "none":
        if residual is None:
            raise SpecError("residual", None, f"a tensor of the output's shape {list(out_shape)} (residual mode {spec.residual!r})")
        residual = _check_tensor("residual", residual, out_shape, dtype, device)
        if not residual.is_contiguous(memory_format=fmt):
            residual_fmt = fmt
    elif residual is not None:
        raise SpecError("residual", "a tensor", "None unless a residual mode is set")
    kernel = kernel_for(spec, device) if n > 0 else None
    dense_operands = not all(t.is_contiguous() for t in operands)
    return Plan(kernel, (n, c, h, w), out_shape, dtype, device, layout, densify, dense_operands, residual_fmt)


def _contiguous(t: Optional[torch.Tensor]) -> Optional[torch.Tensor]:
    return None if t is None else t.contiguous()


def _check_out(plan: Plan, out: object, operands: Sequence[Tuple[str, Optional[torch.Tensor]]], residual: Optional[torch.Tensor]) -> torch.Tensor:
    layout = "NHWC" if plan.fmt == torch.channels_last else "NCHW"
    out = _check_tensor("out", out, plan.out_shape, plan.dtype, plan.device)
    if not out.is_contiguous(memory_format=plan.fmt):
        raise SpecError("out", f"strides {list(out.stride())}", f"a tensor dense in the input's layout ({layout})")
    for name, t in operands:
        if t is not None and t.numel() and _overlaps(out, t):
            raise SpecError("out", f"memory shared with {name}", "a tensor that overlaps no input (only the residual may be out itself)")
    if residual is not None and _overlaps(out, residual) and (residual.data_ptr() != out.data_ptr() or residual.stride() != out.stride()):
        raise SpecError("out", "memory partly shared with residual", "the residual tensor itself, or memory apart from it")
    return out


_CONTIGUOUS = torch.contiguous_format
_empty_like = torch.empty_like
_raw_stream = getattr(torch._C, "_cuda_getCurrentRawStream", None) or (lambda index: torch.cuda.current_stream(index).cuda_stream)
_current_device = getattr(torch._C, "_cuda_getDevice", None) or (lambda: torch.cuda.current_device())


def plan_for(
    x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor], stride: Sequence[int], padding: Sequence[int], dilation: Sequence[int],
    scale: Optional[torch.Tensor] = None, shift: Optional[torch.Tensor] = None, residual: Optional[torch.Tensor] = None,
    pointwise_weight: Optional[torch.Tensor] = None, pointwise_bias: Optional[torch.Tensor] = None, fusion: Fusion = PLAIN,
) -> Plan:
    """The validated plan of this call: the memo's when the same metadata was validated before, else
    the full validation's (SpecError names what is wrong)."""
    key = _plan_key(x, weight, bias, scale, shift, residual, pointwise_weight, pointwise_bias, stride, padding, dilation, fusion)
    try:
        plan = _plans.get(key) if key is not None else None
    except TypeError:  # an unhashable size (a symbolic one): validate without the memo
        key = plan = None
    if plan is None:
        plan = make_plan(x, weight, bias, stride, padding, dilation, scale, shift, residual, pointwise_weight, pointwise_bias, fusion)
        if key is not None:
            if len(_plans) >= _MAX_PLANS:
                _plans.clear()
            _plans[key] = plan
    return plan


def run(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: Optional[torch.Tensor],
    stride: Sequence[int],
    padding: Sequence[int],
    dilation: Sequence[int],
    scale: Optional[torch.Tensor] = None,
    shift: Optional[torch.Tensor] = None,
    residual: Optional[torch.Tensor] = None,
    pointwise_weight: Optional[torch.Tensor] = None,
    pointwise_bias: Optional[torch.Tensor] = None,
    fusion: Fusion = PLAIN,
    out: Optional[torch.Tensor] = None,
) -> torch.Tensor:
    """Validates everything (once per distinct metadata: the plan), then launches the kernel for this
    spec on x's device and current stream."""
    plan = plan_for(x, weight, bias, stride, padding, dilation, scale, shift, residual, pointwise_weight, pointwise_bias, fusion)
    if out is None and plan.direct:
        return fire(plan, x, weight, bias, scale, shift, residual, pointwise_weight, pointwise_bias)
    return execute(plan, x, weight, bias, scale, shift, residual, pointwise_weight, pointwise_bias, out)


def execute(
    plan: Plan, x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor], scale: Optional[torch.Tensor], shift: Optional[torch.Tensor],
    residual: Optional[torch.Tensor], pointwise_weight: Optional[torch.Tensor], pointwise_bias: Optional[torch.Tensor], out: Optional[torch.Tensor],
) -> torch.Tensor:
    """The launch of a plan made for these operands' metadata, with the conversions it asks and a
    checked ``out``."""
    if plan.densify is not None:
        x = x.contiguous(memory_format=plan.densify)
    if plan.dense_operands:
        weight = weight.contiguous()
        bias, scale, shift = _contiguous(bias), _contiguous(scale), _contiguous(shift)
        pointwise_weight, pointwise_bias = _contiguous(pointwise_weight), _contiguous(pointwise_bias)
    if plan.residual_fmt is not None:
        residual = residual.contiguous(memory_format=plan.residual_fmt)  # type: ignore[union-attr]
    if out is None:
        return fire(plan, x, weight, bias, scale, shift, residual, pointwise_weight, pointwise_bias)
    operands = (("input", x), ("weight", weight), ("bias", bias), ("scale", scale), ("shift", shift), ("pointwise_weight", pointwise_weight), ("pointwise_bias", pointwise_bias))
    out = _check_out(plan, out, operands, residual)
    return fire(plan, x, weight, bias, scale, shift, residual, pointwise_weight, pointwise_bias, out)


def fire(
    plan: Plan, x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor], scale: Optional[torch.Tensor], shift: Optional[torch.Tensor],
    residual: Optional[torch.Tensor], pointwise_weight: Optional[torch.Tensor], pointwise_bias: Optional[torch.Tensor],
    out: Optional[torch.Tensor] = None,
) -> torch.Tensor:
    """The native call for operands that are exactly what ``plan`` was validated for (same shapes,
    strides, dtypes and devices, dense as the kernel reads them), on x's device and current stream;
    the output is allocated here unless a checked ``out`` is given. Nothing is checked here: callers
    prove the operands match the plan (the plan memo's key, or a module's guard of the same metadata)."""
    if out is None:
        if plan.like_input:
            out = _empty_like(x)
        elif plan.fmt is _CONTIGUOUS:
            out = _empty_like(plan.prototype)
        else:
            out = _empty_like(plan.prototype, memory_format=plan.fmt)
    launch = plan.launch
    if launch is None:
        return out
    n, c, h, w = plan.dims_c
    index = plan.cuda_index
    if index is None:
        stream = None
    elif index == _current_device():
        stream = _raw_stream(index)  # the host launcher launches on the current device and this stream
    else:
        with torch.cuda.device(index):  # x's device made current for the launch; the caller's is restored
            return fire(plan, x, weight, bias, scale, shift, residual, pointwise_weight, pointwise_bias, out)
    status = launch(
        x.data_ptr(), weight.data_ptr(), None if bias is None else bias.data_ptr(), None if scale is None else scale.data_ptr(),
        None if shift is None else shift.data_ptr(), None if residual is None else residual.data_ptr(),
        None if pointwise_weight is None else pointwise_weight.data_ptr(), None if pointwise_bias is None else pointwise_bias.data_ptr(),
        out.data_ptr(), n, c, h, w, stream,
    )
    if status != 0:
        _failed(plan, status)
    return out


def _failed(plan: Plan, status: int) -> None:
    if status < 0:
        raise DwconvError(f"{plan.symbol} rejected its arguments (status {status}) after they passed validation: a binding bug; please report it with the shapes")
    raise CudaError(plan.symbol, status, "the launch failed (see cudaGetErrorName for the code)")
