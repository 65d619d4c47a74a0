"""Where a kernel comes from, once per spec per process: memory, then the cache directories read
directly (precompiled layers, then the user cache), then the JIT through the Node CLI."""

from __future__ import annotations

import os
import threading
from typing import Callable, Dict, List, Optional, Tuple

from .cache import CacheEntry, CacheIndex, cpu_identity, read_entry
from .cli import locate_cli, run_compile
from .env import Environment, default_cache_dir, read_environment
from .errors import DwconvError, KernelLoadError, ToolchainNotFoundError
from .fatbin import archs_of_parts, embedded_code, runs_on
from .native import NativeKernel, load_kernel
from .spec import KernelSpec

_loaded: Dict[Tuple[str, str, Optional[str]], NativeKernel] = {}
_indexes: Dict[str, CacheIndex] = {}
# One lock for the slow path: a miss compiles at most once per process even when threads race.
_lock = threading.Lock()


def _package_cache_dirs(env: Environment) -> List[str]:
    """The Node package's own precompiled cache/ (what the CLI itself searches), found from its main.js."""
    cli, _ = locate_cli(env)
    if not cli:
        return []
    main = os.path.realpath(cli[-1])
    if main.endswith(os.path.join("dist", "cli", "main.js")):
        return [os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(main))), "cache")]
    return []


def search_dirs(env: Environment) -> List[str]:
    """Read-only layers first (DWCONV_JIT_PRECOMPILED, the package's cache/), then the user cache."""
    dirs = [*env.precompiled, *_package_cache_dirs(env), default_cache_dir(env)]
    seen: List[str] = []
    for d in dirs:
        d = os.path.abspath(d)
        if d not in seen:
            seen.append(d)
    return seen


def _fits(target: str, arch: Optional[str]):
    cpu = cpu_identity() if target == "cpu" else None

    def fits(meta: dict, data: bytes) -> bool:
        parts = meta.get("parts") or {}
        if target == "cpu":
            return parts.get("arch") == cpu
        claimed = archs_of_parts(str(parts.get("arch", "")))
        if arch is None or not runs_on(claimed.sass, claimed.ptx, arch):
            return False
        actual = embedded_code(data)  # the metadata said it fits; the library's own fatbins must agree
        return (parts.get("compiler") or {}).get("kind") == "nvcc" and runs_on(actual.sass, actual.ptx, arch)

    return fits


def _index(root: str) -> CacheIndex:
    index = _indexes.get(root)
    if index is None:
        index = _indexes[root] = CacheIndex(root)
    return index


def find_cached(spec: KernelSpec, target: str, arch: Optional[str], env: Environment) -> Optional[CacheEntry]:
    fits = _fits(target, arch)
    for root in search_dirs(env):
        entry = _index(root).find(spec, target, fits)
        if entry is not None:
            return entry
    return None


def _compile(spec: KernelSpec, target: str, arch: Optional[str], env: Environment) -> Tuple[CacheEntry, str]:
    cli, searched = locate_cli(env)
    if cli is None:
        dirs = [f"cache {d}" for d in search_dirs(env)]
        raise ToolchainNotFoundError(
            f"a kernel for {spec.describe()} ({target})",
            [*dirs, *searched],
            "precompile it (dwconv-jit precompile) into DWCONV_JIT_PRECOMPILED, or install the CLI (npm i -g dwconv-jit) or set DWCONV_JIT_CLI",
        )
    result = run_compile(cli, spec, target, arch, env.cache_dir)
    # What the CLI printed is checked like any other entry before it is loaded: same folder rules, same hash.
    entry_dir = os.path.dirname(result.artifact)
    root, key = os.path.dirname(entry_dir), os.path.basename(entry_dir)
    if key != result.key:
        raise KernelLoadError(f"the CLI reported artifact {result.artifact} outside the entry of key {result.key}", result.artifact)
    entry, problem = read_entry(root, key)
    if entry is None:
        raise KernelLoadError(f"the compiled entry failed verification: {problem}", entry_dir)
    if entry.symbol != result.symbol:
        raise KernelLoadError(f"meta.json names symbol {entry.symbol}, the CLI {result.symbol}", entry_dir)
    if target == "cuda" and os.path.basename(entry.artifact_path) != "kernel.so":
        raise KernelLoadError("the CLI returned a CUDA artifact that is not an nvcc shared object", entry.artifact_path)
    return entry, result.origin or "compiled"


def get_kernel(spec: KernelSpec, target: str, arch: Optional[str] = None, env: Optional[Environment] = None) -> NativeKernel:
    """The loaded kernel for ``spec`` on ``target`` ('cpu', or 'cuda' with ``arch`` such as 'sm_90')."""
    memo = (spec.json(), target, arch)
    kernel = _loaded.get(memo)
    if kernel is not None:
        return kernel
    with _lock:
        kernel = _loaded.get(memo)
        if kernel is not None:
            return kernel
        env = env or read_environment()
        entry = find_cached(spec, target, arch, env)
        origin = "cache"
        if entry is None:
            entry, origin = _compile(spec, target, arch, env)
        try:
            kernel = load_kernel(entry.artifact_path, entry.symbol, spec, target, origin)
        except KernelLoadError:
            raise
        except Exception as err:  # ctypes can raise odd things on broken files; never let them escape untyped
            raise DwconvError(f"cannot load {entry.artifact_path}: {err}") from err
        _loaded[memo] = kernel
        return kernel


#: Memos elsewhere that hold loaded kernels (the torch binding's), emptied with ours.
_clear_hooks: List[Callable[[], None]] = []


def on_clear(hook: Callable[[], None]) -> None:
    _clear_hooks.append(hook)


def clear_memory() -> None:
    """Forgets loaded kernels and directory indexes (tests; libraries stay mapped)."""
    with _lock:
        _loaded.clear()
        _indexes.clear()
        for hook in _clear_hooks:
            hook()
