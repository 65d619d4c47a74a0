"""One validated launch on torch tensors: every check happens here, before the native call.

No autograd here (see _ops.py). Inputs are used in place: the only conversions are the ones PyTorch's
own convolution makes (a strided input made dense in its suggested memory format; weights and the
small per-channel operands made contiguous, a no-op for parameters).
"""

from __future__ import annotations

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


def compiling() -> bool:
    """Whether torch.compile (dynamo) is tracing this call: memos are then bypassed."""
    compiler = getattr(torch, "compiler", None)
    if compiler is not None and hasattr(compiler, "is_compiling"):
        return bool(compiler.is_compiling())
    dynamo = getattr(torch, "_dynamo", None)
    return bool(dynamo is not None and hasattr(dynamo, "is_compiling") and dynamo.is_compiling())


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
    """Validates everything, then launches the kernel for this spec on x's device and current stream."""
    x = dense_input(check_input(x))
    layout = layout_of(x)
    assert layout is not None
    if (scale is None) != (shift is None):
        raise SpecError("scale" if scale is None else "shift", None, "scale and shift together (a folded BatchNorm)")
    spec, m = spec_for(x, weight, bias, stride, padding, dilation, scale is not None, fusion, pointwise_weight, pointwise_bias, layout)
    device, dtype = x.device, x.dtype
    n, c, h, w = x.shape
    cm = c * m
    weight = _check_tensor("weight", weight, (cm, 1, *spec.kernel_size), dtype, device).contiguous()
    if bias is not None:
        bias = _check_tensor("bias", bias, (cm,), dtype, device).contiguous()
    if scale is not None and shift is not None:
        scale = _check_tensor("scale", scale, (cm,), torch.float32, device).contiguous()
        shift = _check_tensor("shift", shift, (cm,), torch.float32, device).contiguous()
    if pointwise_weight is not None:
        pointwise_weight = _check_tensor("pointwise_weight", pointwise_weight, (pointwise_weight.shape[0], cm, 1, 1), dtype, device).contiguous()
        if pointwise_bias is not None:
            pointwise_bias = _check_tensor("pointwise_bias", pointwise_bias, (pointwise_weight.shape[0],), dtype, device).contiguous()
    if max(h, w, cm) > _INT32_MAX:
        raise SpecError("input.shape", list(x.shape), "H, W and C*m below 2^31")
    out_shape = output_shape(spec, x)
    fmt = memory_format(layout)
    if spec.residual != "none":
        if residual is None:
            raise SpecError("residual", None, f"a tensor of the output's shape {list(out_shape)} (residual mode {spec.residual!r})")
        residual = _check_tensor("residual", residual, out_shape, dtype, device)
        if not residual.is_contiguous(memory_format=fmt):
            residual = residual.contiguous(memory_format=fmt)
    elif residual is not None:
        raise SpecError("residual", "a tensor", "None unless a residual mode is set")
    if out is None:
        out = torch.empty(out_shape, dtype=dtype, device=device, memory_format=fmt)
    else:
        _check_tensor("out", out, out_shape, dtype, device)
        if not out.is_contiguous(memory_format=fmt):
            raise SpecError("out", f"strides {list(out.stride())}", f"a tensor dense in the input's layout ({layout})")
        for name, t in (("input", x), ("weight", weight), ("bias", bias), ("scale", scale), ("shift", shift), ("pointwise_weight", pointwise_weight), ("pointwise_bias", pointwise_bias)):
            if t is not None and t.numel() and _overlaps(out, t):
                raise SpecError("out", f"memory shared with {name}", "a tensor that overlaps no input (only the residual may be out itself)")
        if residual is not None and _overlaps(out, residual) and (residual.data_ptr() != out.data_ptr() or residual.stride() != out.stride()):
            raise SpecError("out", "memory partly shared with residual", "the residual tensor itself, or memory apart from it")
    if n == 0:
        return out
    kernel = kernel_for(spec, device)
    ptr = lambda t: t.data_ptr() if t is not None else None  # noqa: E731
    args = (ptr(x), ptr(weight), ptr(bias), ptr(scale), ptr(shift), ptr(residual), ptr(pointwise_weight), ptr(pointwise_bias), ptr(out), n, c, h, w)
    if device.type == "cuda":
        # The host launcher launches on the current device: switch only when x lives on another one.
        stream = torch.cuda.current_stream(device).cuda_stream
        if device.index == torch.cuda.current_device():
            status = kernel.launch(*args, stream)
        else:
            with torch.cuda.device(device):
                status = kernel.launch(*args, stream)
    else:
        status = kernel.launch(*args, None)
    if status != 0:
        if status < 0:
            raise DwconvError(f"{kernel.symbol} rejected its arguments (status {status}) after they passed validation: a binding bug; please report it with the shapes")
        raise CudaError(kernel.symbol, status, "the launch failed (see cudaGetErrorName for the code)")
    return out
