"""Every environment variable the binding reads, read here and nowhere else."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Mapping, Optional, Tuple


@dataclass(frozen=True)
class Environment:
    """The settings that come from the environment, resolved once per lookup."""

    #: DWCONV_JIT_CACHE_DIR: the writable cache directory the CLI compiles into (and we read).
    cache_dir: Optional[str]
    #: DWCONV_JIT_PRECOMPILED: read-only precompiled cache directories, ``os.pathsep``-separated, searched first.
    precompiled: Tuple[str, ...]
    #: DWCONV_JIT_CLI: the ``dwconv-jit`` executable (or its ``main.js``) to compile with.
    cli: Optional[str]
    #: PATH, to find ``dwconv-jit`` and ``node``.
    path: str
    #: XDG_CACHE_HOME, for the default cache directory (as the CLI's env-paths computes it).
    xdg_cache_home: Optional[str]
    #: HOME.
    home: Optional[str]


def read_environment(environ: Optional[Mapping[str, str]] = None) -> Environment:
    """Reads the variables; an empty value counts as unset (as in the TypeScript side)."""
    env = os.environ if environ is None else environ

    def non_empty(name: str) -> Optional[str]:
        value = env.get(name)
        return value if value else None

    return Environment(
        cache_dir=non_empty("DWCONV_JIT_CACHE_DIR"),
        precompiled=tuple(p for p in env.get("DWCONV_JIT_PRECOMPILED", "").split(os.pathsep) if p),
        cli=non_empty("DWCONV_JIT_CLI"),
        path=env.get("PATH", ""),
        xdg_cache_home=non_empty("XDG_CACHE_HOME"),
        home=non_empty("HOME"),
    )


def default_cache_dir(env: Environment) -> str:
    """The directory the CLI uses when DWCONV_JIT_CACHE_DIR is unset (env-paths' cache dir for 'dwconv-jit')."""
    if env.cache_dir:
        return env.cache_dir
    home = env.home or os.path.expanduser("~")
    if sys.platform == "darwin":
        return os.path.join(home, "Library", "Caches", "dwconv-jit")
    return os.path.join(env.xdg_cache_home or os.path.join(home, ".cache"), "dwconv-jit")
