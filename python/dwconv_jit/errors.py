"""The error classes, mirroring the TypeScript ones: one base with a stable ``code``, typed fields.

Each also derives from the builtin exception a Python caller would expect (ValueError for bad
arguments, RuntimeError for environment and runtime failures), so generic handlers keep working.
"""

from __future__ import annotations

import json
from typing import Any, Sequence


def describe_value(value: Any) -> str:
    """A short rendering of a user value for messages (long values are cut, never dumped)."""
    if isinstance(value, str):
        return json.dumps(value)
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class DwconvError(Exception):
    """Every error this package raises. ``code`` is stable and safe to match on."""

    code = "ERR_DWCONV"


class SpecError(DwconvError, ValueError):
    """An invalid spec field or tensor argument: names the field, the value given and what is allowed."""

    code = "ERR_DWCONV_SPEC"

    def __init__(self, field: str, value: Any, allowed: str) -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(f"invalid {field}: {describe_value(value)} (allowed: {allowed})")


class ToolchainNotFoundError(DwconvError, RuntimeError):
    """Neither a cached kernel nor a way to build one: says what was searched and how to fix it."""

    code = "ERR_DWCONV_TOOLCHAIN"

    def __init__(self, tool: str, searched: Sequence[str], fix: str) -> None:
        self.tool = tool
        self.searched = tuple(searched)
        self.fix = fix
        super().__init__(f"{tool} not found; searched: {', '.join(searched) or '(nothing)'}. {fix}")


class CompileError(DwconvError, RuntimeError):
    """The JIT (the Node CLI, and the compiler behind it) failed to produce a kernel."""

    code = "ERR_DWCONV_COMPILE"

    def __init__(self, message: str, command: Sequence[str] = (), log: str = "") -> None:
        self.command = tuple(command)
        self.log = log
        super().__init__(message if not log.strip() else f"{message}\n{log.strip()}")


class CacheError(DwconvError, RuntimeError):
    """A cache directory or entry that cannot be trusted or read."""

    code = "ERR_DWCONV_CACHE"

    def __init__(self, message: str, path: str) -> None:
        self.path = path
        super().__init__(f"{message} ({path})")


class KernelLoadError(DwconvError, RuntimeError):
    """An artifact that does not load, or describes itself as another kernel than the one asked for."""

    code = "ERR_DWCONV_LOAD"

    def __init__(self, message: str, path: str) -> None:
        self.path = path
        super().__init__(f"{message} ({path})")


class CudaError(DwconvError, RuntimeError):
    """A kernel launch returned a CUDA error status."""

    code = "ERR_DWCONV_CUDA"

    def __init__(self, call: str, status: int, detail: str) -> None:
        self.call = call
        self.status = status
        self.detail = detail
        super().__init__(f"{call} failed with CUDA error {status}: {detail}")


_BY_NAME = {
    "SpecError": SpecError,
    "CompileError": CompileError,
    "CacheError": CacheError,
    "CudaError": CudaError,
    "ToolchainNotFoundError": ToolchainNotFoundError,
}


def from_cli_error(payload: Any, command: Sequence[str], stderr: str) -> DwconvError:
    """The CLI's ``{"error": {name, message, field?, allowed?}}`` as the matching Python class."""
    name = str(payload.get("name", "DwconvError")) if isinstance(payload, dict) else "DwconvError"
    message = str(payload.get("message", payload)) if isinstance(payload, dict) else str(payload)
    if name == "SpecError" and isinstance(payload, dict) and "field" in payload:
        err: DwconvError = SpecError(str(payload["field"]), message, str(payload.get("allowed", "")))
        err.args = (f"dwconv-jit compile: {message}",)
        return err
    if name == "CacheError":
        return CacheError(f"dwconv-jit compile: {message}", "")
    if name == "ToolchainNotFoundError":
        return ToolchainNotFoundError("a compiler for the JIT", [], f"dwconv-jit compile: {message}")
    return CompileError(f"dwconv-jit compile failed ({name}): {message}", command, stderr)


__all__ = [
    "DwconvError",
    "SpecError",
    "ToolchainNotFoundError",
    "CompileError",
    "CacheError",
    "KernelLoadError",
    "CudaError",
    "from_cli_error",
    "describe_value",
]
