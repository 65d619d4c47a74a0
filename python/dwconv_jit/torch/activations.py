"""Activation names (the kernel's), the PyTorch modules they stand for, and their torch functions."""

from __future__ import annotations

from typing import Any, Callable, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..errors import SpecError
from ..spec import ACTIVATIONS, DEFAULT_NEGATIVE_SLOPE


def activation_of(value: Any) -> Tuple[str, Optional[float]]:
    """(name, negative_slope) for None, a kernel name, or a PyTorch activation module; SpecError otherwise."""
    if value is None:
        return "none", None
    if isinstance(value, str):
        if value not in ACTIVATIONS:
            raise SpecError("activation", value, " | ".join(f"'{a}'" for a in ACTIVATIONS))
        return value, (DEFAULT_NEGATIVE_SLOPE if value == "leaky_relu" else None)
    if isinstance(value, nn.Identity):
        return "none", None
    if isinstance(value, nn.ReLU):
        return "relu", None
    if isinstance(value, nn.Hardtanh) and value.min_val == 0.0 and value.max_val == 6.0:
        return "relu6", None  # nn.ReLU6 is Hardtanh(0, 6)
    if isinstance(value, nn.LeakyReLU):
        return "leaky_relu", float(value.negative_slope)
    if isinstance(value, nn.SiLU):
        return "silu", None
    if isinstance(value, nn.GELU):
        approximate = getattr(value, "approximate", "none")
        if approximate in ("none", "tanh"):
            return ("gelu" if approximate == "none" else "gelu_tanh"), None
    if isinstance(value, nn.Hardswish):
        return "hardswish", None
    if isinstance(value, nn.Sigmoid):
        return "sigmoid", None
    raise SpecError("activation", type(value).__name__, "None, a name (" + ", ".join(ACTIVATIONS) + ") or nn.ReLU / ReLU6 / LeakyReLU / SiLU / GELU / Hardswish / Sigmoid / Identity")


def activation_fn(name: str, negative_slope: Optional[float]) -> Callable[[torch.Tensor], torch.Tensor]:
    """The torch function with the kernel's semantics (used under autograd and as the reference)."""
    if name == "none":
        return lambda t: t
    if name == "relu":
        return F.relu
    if name == "relu6":
        return F.relu6
    if name == "leaky_relu":
        slope = DEFAULT_NEGATIVE_SLOPE if negative_slope is None else negative_slope
        return lambda t: F.leaky_relu(t, slope)
    if name == "silu":
        return F.silu
    if name == "gelu":
        return F.gelu
    if name == "gelu_tanh":
        return lambda t: F.gelu(t, approximate="tanh")
    if name == "hardswish":
        return F.hardswish
    if name == "sigmoid":
        return torch.sigmoid
    raise SpecError("activation", name, " | ".join(ACTIVATIONS))
