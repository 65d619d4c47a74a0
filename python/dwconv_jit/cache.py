"""Reads cache entries directly, read-only, verified as the TypeScript DiskCache does before a load.

An entry is executable code, so nothing is loaded unless: the directories and files are owned by this
user or root and writable by no one else, nothing in the entry is a symlink, meta.json is of this
cache format and names this folder's key, and the artifact has the recorded size and sha256.
Anything else is a miss (this side never removes or repairs entries: the CLI does).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import stat
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

from ._version import CACHE_FORMAT_VERSION, PACKAGE_VERSION
from .spec import KernelSpec

META_NAME = "meta.json"
#: nvcc shared objects and CPU libraries; NVRTC cubins (kernel.cubin) have no host launcher to call.
ARTIFACT_NAME = "kernel.so"
_KEY_CHARS = set("0123456789abcdef")


@dataclass(frozen=True)
class CacheEntry:
    """A verified entry: its folder, artifact and metadata."""

    dir: str
    artifact_path: str
    meta: Dict[str, Any]

    @property
    def key(self) -> str:
        return str(self.meta["key"])

    @property
    def symbol(self) -> str:
        return str(self.meta["symbol"])


def is_key(name: str) -> bool:
    return len(name) == 64 and set(name) <= _KEY_CHARS


def trust_problem(path: str, want_dir: bool) -> Optional[str]:
    """Why a path must not be trusted with code (None when it may): type, symlink, owner, mode."""
    try:
        st = os.lstat(path)
    except OSError as err:
        return f"cannot stat it ({err.strerror})"
    if stat.S_ISLNK(st.st_mode):
        return "it is a symlink"
    if want_dir and not stat.S_ISDIR(st.st_mode):
        return "it is not a directory"
    if not want_dir and not stat.S_ISREG(st.st_mode):
        return "it is not a regular file"
    uid = os.geteuid() if hasattr(os, "geteuid") else None
    if uid is not None and st.st_uid not in (uid, 0):
        return f"it is owned by uid {st.st_uid}, not by this user (uid {uid}) or root"
    if st.st_mode & 0o022:
        return f"it is writable by group or others (mode {oct(st.st_mode & 0o777)})"
    return None


def _read_meta(entry_dir: str) -> Tuple[Optional[Dict[str, Any]], Optional[str]]:
    meta_path = os.path.join(entry_dir, META_NAME)
    problem = trust_problem(meta_path, want_dir=False)
    if problem:
        return None, f"meta.json: {problem}"
    try:
        with open(meta_path, "r", encoding="utf-8") as f:
            meta = json.load(f)
    except (OSError, ValueError):
        return None, "meta.json is not readable JSON"
    if not isinstance(meta, dict):
        return None, "meta.json is not an object"
    return meta, None


def read_entry(root: str, key: str) -> Tuple[Optional[CacheEntry], Optional[str]]:
    """The entry for ``key`` under ``root`` when every check passes, else (None, what is wrong)."""
    if not is_key(key):
        return None, f"not a cache key: {key}"
    entry_dir = os.path.join(root, key)
    for path in (root, entry_dir):
        problem = trust_problem(path, want_dir=True)
        if problem:
            return None, f"{path}: {problem}"
    try:
        names = os.listdir(entry_dir)
    except OSError as err:
        return None, f"cannot list the entry ({err.strerror})"
    for name in names:
        if os.path.islink(os.path.join(entry_dir, name)):
            return None, f"{name} is a symlink"
    meta, problem = _read_meta(entry_dir)
    if meta is None:
        return None, problem
    if meta.get("format") != CACHE_FORMAT_VERSION:
        return None, f"cache format {meta.get('format')!r}, this version reads {CACHE_FORMAT_VERSION}"
    if meta.get("key") != key:
        return None, "meta.json names another key"
    files = meta.get("files")
    artifact = files.get("artifact") if isinstance(files, dict) else None
    if not isinstance(artifact, str) or "/" in artifact or os.sep in artifact or artifact in ("", ".", ".."):
        return None, "meta.json names no artifact inside the entry"
    if not isinstance(meta.get("symbol"), str):
        return None, "meta.json names no symbol"
    artifact_path = os.path.join(entry_dir, artifact)
    problem = trust_problem(artifact_path, want_dir=False)
    if problem:
        return None, f"{artifact}: {problem}"
    try:
        with open(artifact_path, "rb") as f:
            data = f.read()
    except OSError:
        return None, "the artifact is not readable"
    if len(data) != meta.get("artifactBytes"):
        return None, f"the artifact has {len(data)} bytes, meta.json says {meta.get('artifactBytes')}"
    if hashlib.sha256(data).hexdigest() != meta.get("artifactSha256"):
        return None, "the artifact does not match its sha256"
    return CacheEntry(entry_dir, artifact_path, meta), None


def cpu_identity() -> str:
    """The CPU identity in the CLI's key parts (Node's ``process.arch`` and first CPU model), which
    must match for a CPU entry: those libraries are built with -march=native."""
    machine = platform.machine().lower()
    arch = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64", "i686": "ia32", "ppc64le": "ppc64", "s390x": "s390x"}.get(machine, machine)
    model = None
    try:
        with open("/proc/cpuinfo", "r", encoding="utf-8", errors="replace") as f:
            for line in f:
                name, _, value = line.partition(":")
                if name.strip() in ("model name", "Processor", "cpu model"):
                    model = value.strip()
                    break
    except OSError:
        pass
    return f"{arch} {model or 'unknown cpu'}"


class CacheIndex:
    """The entries of one directory by canonical spec, read once (a directory's listing is cheap, but
    reading every meta.json on each lookup is not)."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.problem = trust_problem(root, want_dir=True) if os.path.isdir(root) else "missing"
        self._by_spec: Dict[str, List[Dict[str, Any]]] = {}
        if self.problem:
            return
        try:
            names = sorted(n for n in os.listdir(root) if is_key(n))
        except OSError:
            names = []
        for key in names:
            meta, _ = _read_meta(os.path.join(root, key))
            if meta is None or meta.get("format") != CACHE_FORMAT_VERSION or meta.get("key") != key:
                continue
            spec = meta.get("spec")
            if isinstance(spec, dict):
                self._by_spec.setdefault(json.dumps(spec, sort_keys=True), []).append(meta)

    def find(self, spec: KernelSpec, target: str, fits: Callable[[Dict[str, Any], bytes], bool]) -> Optional[CacheEntry]:
        """The newest verified entry of this spec, target and package version that ``fits`` (arch checks)."""
        if self.problem:
            return None
        candidates = self._by_spec.get(json.dumps(spec.to_json(), sort_keys=True), [])
        for meta in sorted(candidates, key=lambda m: str(m.get("createdAt", "")), reverse=True):
            parts = meta.get("parts")
            if not isinstance(parts, dict) or parts.get("target") != target or parts.get("package") != PACKAGE_VERSION:
                continue
            if (meta.get("files") or {}).get("artifact") != ARTIFACT_NAME:
                continue
            entry, _ = read_entry(self.root, str(meta["key"]))
            if entry is None:
                continue
            with open(entry.artifact_path, "rb") as f:
                data = f.read()
            if fits(entry.meta, data):
                return entry
        return None
