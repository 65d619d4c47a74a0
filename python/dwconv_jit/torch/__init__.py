"""PyTorch API: a drop-in DepthwiseConv2d, the functional form, and a model-swapping helper."""

from ._ops import CUSTOM_OP
from .functional import depthwise_conv2d
from .module import DepthwiseConv2d
from .swap import SwapReport, swap_depthwise

__all__ = ["DepthwiseConv2d", "depthwise_conv2d", "swap_depthwise", "SwapReport", "CUSTOM_OP"]
