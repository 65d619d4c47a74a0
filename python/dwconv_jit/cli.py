"""The JIT path: ``dwconv-jit compile --spec-json ... --json`` through the installed Node CLI.

Always an argument list, never a shell: the spec JSON is one argv element and holds only validated
numbers and enums anyway.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .env import Environment
from .errors import CompileError, DwconvError, ToolchainNotFoundError, from_cli_error
from .spec import KernelSpec

#: A cold nvcc build of a large window takes minutes; the CLI also waits for other processes
#: compiling the same kernel (DWCONV_JIT_LOCK_TIMEOUT, 10 minutes by default).
COMPILE_TIMEOUT_S = 1200.0


@dataclass(frozen=True)
class CompileResult:
    """The fields of ``compile --json`` the binding uses."""

    key: str
    symbol: str
    artifact: str
    origin: str
    compiler: str
    raw: Dict[str, Any]


def _repo_main_js() -> Optional[str]:
    """``<repo>/dist/cli/main.js`` when this package runs from a checkout of the repository."""
    here = os.path.dirname(os.path.abspath(__file__))
    for parent in (os.path.dirname(here), os.path.dirname(os.path.dirname(here))):
        manifest = os.path.join(parent, "package.json")
        main_js = os.path.join(parent, "dist", "cli", "main.js")
        try:
            with open(manifest, "r", encoding="utf-8") as f:
                if json.load(f).get("name") != "dwconv-jit":
                    continue
        except (OSError, ValueError, AttributeError):
            continue
        if os.path.isfile(main_js):
            return main_js
    return None


def locate_cli(env: Environment) -> Tuple[Optional[List[str]], List[str]]:
    """The argv prefix that runs the CLI, and what was searched (for the error when nothing is found).

    Order: DWCONV_JIT_CLI (an executable, or a ``.js`` file run with node), ``dwconv-jit`` on PATH,
    ``node <repo>/dist/cli/main.js`` when run from the repository.
    """
    searched: List[str] = []
    node = shutil.which("node", path=env.path)
    if env.cli:
        searched.append(f"DWCONV_JIT_CLI={env.cli}")
        if env.cli.endswith(".js"):
            if node and os.path.isfile(env.cli):
                return [node, env.cli], searched
        else:
            found = shutil.which(env.cli, path=env.path) if os.sep not in env.cli else (env.cli if os.access(env.cli, os.X_OK) else None)
            if found:
                return [found], searched
    searched.append("dwconv-jit on PATH")
    on_path = shutil.which("dwconv-jit", path=env.path)
    if on_path:
        return [on_path], searched
    main_js = _repo_main_js()
    searched.append(f"node {main_js or '<repo>/dist/cli/main.js (not run from a built checkout)'}")
    if main_js and node:
        return [node, main_js], searched
    if main_js and not node:
        searched[-1] += " (node not on PATH)"
    return None, searched


def compile_command(cli: Sequence[str], spec: KernelSpec, target: str, arch: Optional[str], cache_dir: Optional[str]) -> List[str]:
    """The argument list; CUDA always through nvcc (a shared object with its host launcher) for the given arch."""
    argv = [*cli, "compile", "--spec-json", spec.json(), "--target", target, "--json"]
    if target == "cuda":
        argv += ["--compiler", "nvcc"]
        if arch:
            argv += ["--arch", arch]
    if cache_dir:
        argv += ["--cache-dir", cache_dir]
    return argv


def run_compile(cli: Sequence[str], spec: KernelSpec, target: str, arch: Optional[str], cache_dir: Optional[str]) -> CompileResult:
    """Runs the CLI once; its JSON error becomes the matching DwconvError subclass."""
    argv = compile_command(cli, spec, target, arch, cache_dir)
    try:
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=COMPILE_TIMEOUT_S, check=False)
    except FileNotFoundError as err:
        raise ToolchainNotFoundError("the dwconv-jit CLI", [argv[0]], "install it (npm i -g dwconv-jit) or set DWCONV_JIT_CLI") from err
    except subprocess.TimeoutExpired as err:
        raise CompileError(f"dwconv-jit compile did not finish within {COMPILE_TIMEOUT_S:.0f} s", argv) from err
    try:
        payload = json.loads(proc.stdout)
    except ValueError:
        payload = None
    if isinstance(payload, dict) and "error" in payload:
        raise from_cli_error(payload["error"], argv, proc.stderr)
    if proc.returncode != 0 or not isinstance(payload, dict):
        raise CompileError(f"dwconv-jit compile exited with status {proc.returncode} and no JSON result", argv, proc.stderr + proc.stdout[-2000:])
    try:
        return CompileResult(str(payload["key"]), str(payload["symbol"]), str(payload["artifact"]), str(payload.get("origin", "")), str(payload.get("compiler", "")), payload)
    except KeyError as err:
        raise DwconvError(f"dwconv-jit compile --json gave no {err.args[0]!r} field: {proc.stdout[:500]}") from err
