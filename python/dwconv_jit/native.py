"""Loads an artifact with ctypes and checks its self-description before anything is launched.

The entry point is ``int <symbol>(x, w, b, scale, shift, r, pw, pb, y, N, C, H, W, stream)``: nine
pointers (null for absent operands), the logical dims as int64 whatever the layout, and a CUDA stream
(ignored on the CPU). It returns 0, -1 for arguments it cannot take, or a CUDA error status. ctypes
releases the GIL around the call, so a CPU kernel's threads do not hold up other Python threads.
"""

from __future__ import annotations

import ctypes
import json
import os
from dataclasses import dataclass
from typing import Any, Dict

from ._version import ABI_VERSION
from .errors import KernelLoadError
from .spec import KernelSpec

_ARGTYPES = [ctypes.c_void_p] * 9 + [ctypes.c_int64] * 4 + [ctypes.c_void_p]


@dataclass(frozen=True)
class NativeKernel:
    """A loaded, checked kernel: call ``launch`` with addresses (ints, 0 for none) and logical dims."""

    spec: KernelSpec
    target: str
    symbol: str
    path: str
    origin: str
    info: Dict[str, Any]
    launch: Any  # the ctypes function; typed loosely because ctypes' stubs have no callable signature
    library: ctypes.CDLL


def load_kernel(path: str, symbol: str, spec: KernelSpec, target: str, origin: str) -> NativeKernel:
    """dlopens ``path`` (RTLD_LOCAL: kernels never resolve each other's symbols) and checks ``_info``."""
    try:
        lib = ctypes.CDLL(path, mode=getattr(os, "RTLD_LOCAL", 0) | getattr(os, "RTLD_NOW", 0))
    except OSError as err:
        raise KernelLoadError(f"cannot load the kernel library: {err}", path) from err
    try:
        info_fn = getattr(lib, f"{symbol}_info")
        launch = getattr(lib, symbol)
    except AttributeError as err:
        raise KernelLoadError(f"the library has no {symbol} / {symbol}_info entry points", path) from err
    info_fn.argtypes = []
    info_fn.restype = ctypes.c_char_p
    try:
        raw = info_fn()
        info = json.loads(raw.decode("ascii")) if raw else None
    except (UnicodeDecodeError, ValueError) as err:
        raise KernelLoadError("the library has an unreadable self-description", path) from err
    if (
        not isinstance(info, dict)
        or info.get("abi") != ABI_VERSION
        or info.get("symbol") != symbol
        or info.get("target") != target
        or not spec.matches(info.get("spec"))
    ):
        raise KernelLoadError(f"the library describes itself as {json.dumps(info)}, not as {symbol} (abi {ABI_VERSION}, {target}, {spec.json()})", path)
    launch.argtypes = _ARGTYPES
    launch.restype = ctypes.c_int
    return NativeKernel(spec, target, symbol, path, origin, info, launch, lib)
