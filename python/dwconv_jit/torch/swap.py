"""``swap_depthwise``: replaces a model's depthwise convolutions with DepthwiseConv2d, in place.

Every ``nn.Conv2d`` (the class itself: subclasses may override forward) with groups == in_channels
that the kernels can take is swapped, sharing its parameters. Inside an nn.Sequential, an exact
conv -> BatchNorm2d -> activation chain (or conv -> BatchNorm2d, or conv -> activation) becomes one
fused module; the BatchNorm and activation slots become nn.Identity, so the other layers keep their
indices (and state_dict keys). Everything else is left alone, with the reason in the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple


import torch.nn as nn

from ..errors import SpecError
from ..spec import make_spec
from ._launch import DTYPE_NAMES
from .activations import activation_of
from .module import DepthwiseConv2d


@dataclass
class SwapReport:
    """What was swapped (module path -> description) and what was not (module path -> why)."""

    swapped: Dict[str, str] = field(default_factory=dict)
    skipped: Dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        lines = [f"swapped {len(self.swapped)} depthwise conv(s), left {len(self.skipped)} conv(s)"]
        lines += [f"  swapped {name}: {what}" for name, what in self.swapped.items()]
        lines += [f"  kept    {name}: {why}" for name, why in self.skipped.items()]
        return "\n".join(lines)


def ineligible(conv: nn.Module) -> Optional[str]:
    """Why this module cannot become a DepthwiseConv2d, or None when it can."""
    if type(conv) is not nn.Conv2d:
        return f"{type(conv).__name__} is not nn.Conv2d itself (a subclass may change forward)"
    if conv.groups != conv.in_channels:
        return f"groups={conv.groups}, in_channels={conv.in_channels}: not depthwise"
    if conv.out_channels % conv.in_channels:
        return "out_channels is not a multiple of in_channels"
    if conv.weight.dtype not in DTYPE_NAMES:
        return f"weight dtype {conv.weight.dtype} (kernels: float32, float16, bfloat16)"
    if conv.weight.device.type not in ("cpu", "cuda"):
        return f"device {conv.weight.device} (kernels: cpu, cuda)"
    try:
        make_spec(conv.kernel_size, conv.stride, conv.padding, conv.dilation, conv.out_channels // conv.in_channels)  # type: ignore[arg-type]
    except SpecError as err:
        return str(err)
    return None


def _activation(module: Any) -> Optional[Tuple[str, Optional[float]]]:
    try:
        name, slope = activation_of(module)
    except SpecError:
        return None
    return None if isinstance(module, nn.Identity) or name == "none" else (name, slope)


def _chain(seq: nn.Sequential, i: int, conv: nn.Conv2d) -> Tuple[Optional[nn.BatchNorm2d], Any, List[int]]:
    """The BatchNorm and activation right after seq[i] (exact pattern), and the indices they occupy."""
    children = list(seq._modules.values())
    used: List[int] = []
    bn = None
    j = i + 1
    if j < len(children) and type(children[j]) is nn.BatchNorm2d and children[j].num_features == conv.out_channels:
        candidate = children[j]
        if candidate.track_running_stats and candidate.affine:
            bn = candidate
            used.append(j)
            j += 1
    act = None
    if j < len(children) and _activation(children[j]) is not None:
        act = children[j]
        used.append(j)
    return bn, act, used


def _describe(conv: nn.Conv2d, bn: Any, act: Any) -> str:
    parts = [f"Conv2d({conv.in_channels}, {conv.out_channels}, {conv.kernel_size}, stride={conv.stride}, padding={conv.padding})"]
    if bn is not None:
        parts.append("BatchNorm2d")
    if act is not None:
        parts.append(type(act).__name__)
    return " + ".join(parts)


def swap_depthwise(model: nn.Module, *, fuse: bool = True) -> SwapReport:
    """Swaps in place (and returns what it did); ``fuse=False`` swaps the convolutions alone."""
    report = SwapReport()

    def visit(parent: nn.Module, prefix: str) -> None:
        names = list(parent._modules.keys())
        for i, name in enumerate(names):
            child = parent._modules[name]
            if child is None:
                continue
            path = f"{prefix}{name}"
            if isinstance(child, DepthwiseConv2d):
                continue
            if isinstance(child, nn.modules.conv._ConvNd):
                why = ineligible(child)
                if why is not None:
                    report.skipped[path] = why
                    continue
                bn, act, used = _chain(parent, i, child) if fuse and isinstance(parent, nn.Sequential) else (None, None, [])
                fused: Dict[str, Any] = {}
                if bn is not None:
                    fused["batch_norm"] = bn
                if act is not None:
                    fused["activation"] = act
                parent._modules[name] = DepthwiseConv2d.from_conv(child, **fused)
                for j in used:
                    parent._modules[names[j]] = nn.Identity()
                report.swapped[path] = _describe(child, bn, act) + (f" (fused; {', '.join(prefix + names[j] for j in used)} now Identity)" if used else "")
                continue
            visit(child, f"{path}.")

    visit(model, "")
    return report


