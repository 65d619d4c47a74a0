"""dwconv-jit's Python binding: the project's generated depthwise-conv kernels, called with ctypes.

The PyTorch API is in :mod:`dwconv_jit.torch` (imported on demand, so this package imports without
torch). Kernels come from a precompiled cache directory when one holds them, else from the JIT
through the ``dwconv-jit`` Node CLI; nothing is loaded or compiled at import time.
"""

from ._version import ABI_VERSION, PACKAGE_VERSION, __version__
from .errors import CacheError, CompileError, CudaError, DwconvError, KernelLoadError, SpecError, ToolchainNotFoundError
from .spec import KernelSpec, PointwiseSpec, make_spec

__all__ = [
    "ABI_VERSION",
    "PACKAGE_VERSION",
    "__version__",
    "DwconvError",
    "SpecError",
    "ToolchainNotFoundError",
    "CompileError",
    "CacheError",
    "KernelLoadError",
    "CudaError",
    "KernelSpec",
    "PointwiseSpec",
    "make_spec",
]
