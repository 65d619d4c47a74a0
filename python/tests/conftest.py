"""Shared fixtures: one temporary kernel cache for the whole test run (each CPU kernel compiles once,
~0.3-1 s with g++), and the helpers the tests share."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from typing import Iterator

import pytest
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from dwconv_jit import kernels  # noqa: E402

HAS_CUDA = torch.cuda.is_available()
requires_cuda = pytest.mark.skipif(not HAS_CUDA, reason="needs a CUDA GPU and a CUDA build of torch")


@pytest.fixture(scope="session", autouse=True)
def session_cache() -> Iterator[str]:
    """A private DWCONV_JIT_CACHE_DIR (0700, as the CLI requires) shared by every test."""
    keep = os.environ.get("DWCONV_JIT_CACHE_DIR")
    root = tempfile.mkdtemp(prefix="dwconv-py-")
    os.chmod(root, 0o700)
    cache = os.path.join(root, "cache")
    os.environ["DWCONV_JIT_CACHE_DIR"] = os.environ.get("DWCONV_JIT_TEST_CACHE_DIR", cache)
    kernels.clear_memory()
    yield os.environ["DWCONV_JIT_CACHE_DIR"]
    if keep is None:
        del os.environ["DWCONV_JIT_CACHE_DIR"]
    else:
        os.environ["DWCONV_JIT_CACHE_DIR"] = keep
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def device() -> torch.device:
    return torch.device("cpu")


def magnitude_tolerance(dtype: torch.dtype) -> float:
    """Allowed error relative to sum(|w| |x|): float32 accumulation everywhere, plus one rounding of
    the output to the storage type."""
    return {torch.float32: 1e-5, torch.float16: 2e-3, torch.bfloat16: 1.2e-2}[dtype]
