"""The kernel spec: validated here exactly as the TypeScript normalizeSpec does, in its canonical form.

The canonical JSON object is what the CLI is given, what a cache entry's meta.json records and what
a loaded artifact's ``_info()`` reports, so the three are compared as parsed JSON, never as strings.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from typing import Any, Dict, Optional, Sequence, Tuple, Union

from .errors import SpecError

DTYPES = ("float32", "float16", "bfloat16")
LAYOUTS = ("NCHW", "NHWC")
ACTIVATIONS = ("none", "relu", "relu6", "leaky_relu", "silu", "gelu", "gelu_tanh", "hardswish", "sigmoid")
RESIDUALS = ("none", "after-activation", "before-activation")
DEFAULT_NEGATIVE_SLOPE = 0.01
MAX_POINTWISE_CHANNELS = 4096
LIMITS: Dict[str, Tuple[int, int]] = {
    "kernel_size": (1, 31),
    "stride": (1, 8),
    "padding": (0, 64),
    "dilation": (1, 8),
    "channel_multiplier": (1, 8),
}

Pair = Union[int, Sequence[int]]
Padding = Union[int, Sequence[int], str]


def _integer(field: str, value: Any, limits: Tuple[int, int]) -> int:
    lo, hi = limits
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise SpecError(field, value, f"an integer from {lo} to {hi}")
    return int(value)


def _pair(field: str, value: Any) -> Tuple[int, int]:
    limits = LIMITS[field]
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise SpecError(field, list(value), f"an integer or a pair (h, w) of integers from {limits[0]} to {limits[1]}")
        return _integer(f"{field}[0]", value[0], limits), _integer(f"{field}[1]", value[1], limits)
    n = _integer(field, value, limits)
    return n, n


def _one_of(field: str, value: Any, allowed: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise SpecError(field, value, " | ".join(f"'{a}'" for a in allowed))
    return value


def _float32(value: float) -> float:
    """The value as the float32 the kernel bakes in (JavaScript's Math.fround)."""
    return struct.unpack("<f", struct.pack("<f", value))[0]


def _slope(activation: str, value: Optional[float], field: str) -> Optional[float]:
    if activation != "leaky_relu":
        if value is not None:
            raise SpecError(field, value, "no value unless activation is 'leaky_relu'")
        return None
    v = DEFAULT_NEGATIVE_SLOPE if value is None else value
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or abs(v) > 1e6:
        raise SpecError(field, v, "a finite number of magnitude at most 1e6")
    return _float32(float(v))


def _padding(padding: Padding, kernel: Tuple[int, int], stride: Tuple[int, int], dilation: Tuple[int, int]) -> Tuple[int, int, int, int]:
    if padding == "same":
        if stride != (1, 1):
            raise SpecError("padding", "same", "'same' only with stride 1 (as in PyTorch)")
        th = dilation[0] * (kernel[0] - 1)
        tw = dilation[1] * (kernel[1] - 1)
        # PyTorch puts the odd extra row/column at the bottom/right.
        return th >> 1, th - (th >> 1), tw >> 1, tw - (tw >> 1)
    if padding == "valid":
        return 0, 0, 0, 0
    if isinstance(padding, str):
        raise SpecError("padding", padding, "an integer from 0 to 64, (ph, pw), (top, bottom, left, right), 'same' or 'valid'")
    if isinstance(padding, (tuple, list)) and len(padding) == 4:
        lim = LIMITS["padding"]
        t, b, l, r = (_integer(f"padding[{i}]", p, lim) for i, p in enumerate(padding))
        return t, b, l, r
    ph, pw = _pair("padding", padding)
    return ph, ph, pw, pw


@dataclass(frozen=True)
class PointwiseSpec:
    """The fused 1x1 part of a depthwise-separable block."""

    out_channels: int
    bias: bool = False
    activation: str = "none"
    negative_slope: Optional[float] = None
    tf32: bool = False

    def to_json(self) -> Dict[str, Any]:
        obj: Dict[str, Any] = {"outChannels": self.out_channels, "bias": self.bias, "activation": self.activation}
        if self.negative_slope is not None:
            obj["negativeSlope"] = self.negative_slope
        if self.tf32:
            obj["tf32"] = True
        return obj


@dataclass(frozen=True)
class KernelSpec:
    """The normalized spec; build it with :func:`make_spec`. padding is (top, bottom, left, right)."""

    kernel_size: Tuple[int, int]
    stride: Tuple[int, int]
    padding: Tuple[int, int, int, int]
    dilation: Tuple[int, int]
    channel_multiplier: int
    dtype: str
    layout: str
    bias: bool
    batch_norm: bool
    activation: str
    negative_slope: Optional[float]
    residual: str
    pointwise: Optional[PointwiseSpec]

    def to_json(self) -> Dict[str, Any]:
        """The canonical object, keys in the TypeScript order (for the CLI and for comparisons)."""
        obj: Dict[str, Any] = {
            "kernelSize": list(self.kernel_size),
            "stride": list(self.stride),
            "padding": list(self.padding),
            "dilation": list(self.dilation),
            "channelMultiplier": self.channel_multiplier,
            "dtype": self.dtype,
            "layout": self.layout,
            "bias": self.bias,
            "batchNorm": self.batch_norm,
            "activation": self.activation,
        }
        if self.negative_slope is not None:
            obj["negativeSlope"] = self.negative_slope
        obj["residual"] = self.residual
        if self.pointwise is not None:
            obj["pointwise"] = self.pointwise.to_json()
        return obj

    def json(self) -> str:
        return json.dumps(self.to_json(), separators=(",", ":"))

    def matches(self, other: Any) -> bool:
        """Whether a parsed spec object (meta.json's, or ``_info()``'s) is this spec."""
        return isinstance(other, dict) and other == self.to_json()

    def output_hw(self, h: int, w: int) -> Tuple[int, int]:
        """(Ho, Wo) for an input of h x w; may be < 1 (the caller reports it)."""
        kh, kw = self.kernel_size
        sh, sw = self.stride
        pt, pb, pl, pr = self.padding
        dh, dw = self.dilation
        return (h + pt + pb - dh * (kh - 1) - 1) // sh + 1, (w + pl + pr - dw * (kw - 1) - 1) // sw + 1

    @property
    def fused(self) -> bool:
        """Anything beyond the plain conv (+ bias): the forms whose backward is composed in torch."""
        return self.batch_norm or self.activation != "none" or self.residual != "none" or self.pointwise is not None

    def describe(self) -> str:
        kh, kw = self.kernel_size
        parts = [f"{kh}x{kw} stride {self.stride[0]}x{self.stride[1]} pad {','.join(map(str, self.padding))}"]
        parts.append(f"dilation {self.dilation[0]}x{self.dilation[1]}")
        if self.channel_multiplier > 1:
            parts.append(f"x{self.channel_multiplier} channels")
        parts.append(f"{self.dtype} {self.layout}")
        for flag, text in ((self.bias, "+bias"), (self.batch_norm, "+bn")):
            if flag:
                parts.append(text)
        if self.activation != "none":
            parts.append(self.activation)
        if self.residual != "none":
            parts.append(f"+residual ({self.residual})")
        if self.pointwise is not None:
            parts.append(f"-> 1x1 to {self.pointwise.out_channels}")
        return " ".join(parts)


def make_spec(
    kernel_size: Pair,
    stride: Pair = 1,
    padding: Padding = 0,
    dilation: Pair = 1,
    channel_multiplier: int = 1,
    dtype: str = "float32",
    layout: str = "NCHW",
    bias: bool = False,
    batch_norm: bool = False,
    activation: str = "none",
    negative_slope: Optional[float] = None,
    residual: str = "none",
    pointwise: Optional[PointwiseSpec] = None,
) -> KernelSpec:
    """Validates every field (raising SpecError naming it) and returns the canonical spec."""
    kernel = _pair("kernel_size", kernel_size)
    stride_ = _pair("stride", stride)
    dilation_ = _pair("dilation", dilation)
    padding_ = _padding(padding, kernel, stride_, dilation_)
    m = _integer("channel_multiplier", channel_multiplier, LIMITS["channel_multiplier"])
    dtype = _one_of("dtype", dtype, DTYPES)
    layout = _one_of("layout", layout, LAYOUTS)
    for name, flag in (("bias", bias), ("batch_norm", batch_norm)):
        if not isinstance(flag, bool):
            raise SpecError(name, flag, "True | False")
    activation = _one_of("activation", activation, ACTIVATIONS)
    slope = _slope(activation, negative_slope, "negative_slope")
    residual = _one_of("residual", residual, RESIDUALS)
    pw = None
    if pointwise is not None:
        if not isinstance(pointwise, PointwiseSpec):
            raise SpecError("pointwise", pointwise, "a PointwiseSpec")
        _integer("pointwise.out_channels", pointwise.out_channels, (1, MAX_POINTWISE_CHANNELS))
        pw_act = _one_of("pointwise.activation", pointwise.activation, ACTIVATIONS)
        if pointwise.tf32 and dtype != "float32":
            raise SpecError("pointwise.tf32", True, "False unless dtype is 'float32'")
        if residual != "none":
            raise SpecError("residual", residual, "'none' with pointwise (a residual on the block's output is not supported)")
        pw = PointwiseSpec(
            pointwise.out_channels, bool(pointwise.bias), pw_act,
            _slope(pw_act, pointwise.negative_slope, "pointwise.negative_slope"), bool(pointwise.tf32),
        )
    return KernelSpec(kernel, stride_, padding_, dilation_, m, dtype, layout, bias, batch_norm, activation, slope, residual, pw)
