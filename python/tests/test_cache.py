"""Kernels read from cache directories directly: every check the TypeScript cache makes before a load."""

from __future__ import annotations

import json
import os
import shutil
import tempfile

import pytest
import torch
import torch.nn.functional as F

from dwconv_jit import kernels, make_spec
from dwconv_jit.cache import CacheIndex, cpu_identity, read_entry
from dwconv_jit.torch import depthwise_conv2d

SPEC = make_spec(3, padding=1, bias=True)  # also compiled by other tests: one compile for the whole test run


@pytest.fixture
def layer(session_cache: str):
    """A private copy of the shared test cache's entry for SPEC, as a precompiled layer."""
    loaded = kernels.get_kernel(SPEC, "cpu")  # compiles SPEC if needed
    entry_dir = os.path.dirname(loaded.path)
    entry, _ = read_entry(os.path.dirname(entry_dir), os.path.basename(entry_dir))
    assert entry is not None and entry.meta["parts"]["arch"] == cpu_identity()
    root = tempfile.mkdtemp(prefix="dwconv-layer-")
    os.chmod(root, 0o755)
    shutil.copytree(entry.dir, os.path.join(root, entry.key))
    yield root, entry.key
    shutil.rmtree(root, ignore_errors=True)


def _problem(root: str, key: str) -> str:
    entry, problem = read_entry(root, key)
    assert entry is None
    return str(problem)


def test_a_sound_entry_reads(layer) -> None:
    root, key = layer
    entry, problem = read_entry(root, key)
    assert problem is None and entry is not None and entry.symbol.startswith("dwconv_cpu_k3x3")
    assert CacheIndex(root).find(SPEC, "cpu", lambda meta, data: True) is not None
    assert CacheIndex(root).find(make_spec(5), "cpu", lambda meta, data: True) is None


def test_tampered_artifact_is_a_miss(layer) -> None:
    root, key = layer
    path = os.path.join(root, key, "kernel.so")
    with open(path, "r+b") as f:
        f.seek(100)
        byte = f.read(1)
        f.seek(100)
        f.write(bytes([byte[0] ^ 0xFF]))
    assert "sha256" in _problem(root, key)


def test_permissions_owner_and_symlinks_are_checked(layer) -> None:
    root, key = layer
    entry_dir = os.path.join(root, key)
    os.chmod(entry_dir, 0o775)
    assert "writable by group or others" in _problem(root, key)
    os.chmod(entry_dir, 0o700)
    os.chmod(os.path.join(entry_dir, "kernel.so"), 0o666)
    assert "writable by group or others" in _problem(root, key)
    os.chmod(os.path.join(entry_dir, "kernel.so"), 0o700)
    os.chmod(root, 0o777)
    assert "writable by group or others" in _problem(root, key)
    assert CacheIndex(root).find(SPEC, "cpu", lambda meta, data: True) is None
    os.chmod(root, 0o755)
    os.symlink(os.path.join(entry_dir, "kernel.so"), os.path.join(entry_dir, "other.so"))
    assert "symlink" in _problem(root, key)
    os.remove(os.path.join(entry_dir, "other.so"))
    link_root = tempfile.mkdtemp()
    try:
        os.symlink(entry_dir, os.path.join(link_root, key))
        assert "symlink" in _problem(link_root, key)
    finally:
        shutil.rmtree(link_root)
    if os.geteuid() == 0:
        os.chown(os.path.join(entry_dir, "meta.json"), 12345, 12345)
        assert "owned by uid 12345" in _problem(root, key)


def test_meta_fields_are_checked(layer) -> None:
    root, key = layer
    meta_path = os.path.join(root, key, "meta.json")
    with open(meta_path) as f:
        meta = json.load(f)
    for change, expect in ((dict(format=99), "cache format"), (dict(key="0" * 64), "another key"), (dict(files={"artifact": "../x.so"}), "no artifact"), (dict(artifactBytes=1), "bytes")):
        with open(meta_path, "w") as f:
            json.dump({**meta, **change}, f)
        assert expect in _problem(root, key)


def test_precompiled_layer_is_used_without_the_cli(layer, monkeypatch) -> None:
    root, key = layer
    monkeypatch.setenv("DWCONV_JIT_PRECOMPILED", root)
    monkeypatch.setenv("DWCONV_JIT_CACHE_DIR", tempfile.mkdtemp())
    monkeypatch.setenv("DWCONV_JIT_CLI", "/nonexistent/dwconv-jit")
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr("dwconv_jit.cli._repo_main_js", lambda: None)
    kernels.clear_memory()
    try:
        k = kernels.get_kernel(SPEC, "cpu")
        assert k.origin == "cache" and k.path.startswith(root)
        x, w, b = torch.randn(2, 3, 7, 6), torch.randn(3, 1, 3, 3), torch.randn(3)
        torch.testing.assert_close(depthwise_conv2d(x, w, b, padding=1), F.conv2d(x, w, b, padding=1, groups=3), rtol=1e-5, atol=1e-5)
    finally:
        kernels.clear_memory()


def test_info_mismatch_is_refused(layer) -> None:
    """An artifact loaded for another spec than the one it describes: a KernelLoadError before any launch."""
    from dwconv_jit.errors import KernelLoadError
    from dwconv_jit.native import load_kernel

    root, key = layer
    entry, _ = read_entry(root, key)
    assert entry is not None
    with pytest.raises(KernelLoadError, match="describes itself"):
        load_kernel(entry.artifact_path, entry.symbol, make_spec(3, padding=1, bias=False), "cpu", "cache")


def test_version_matches_package_json() -> None:
    from dwconv_jit import PACKAGE_VERSION

    manifest = os.path.join(os.path.dirname(__file__), "..", "..", "package.json")
    if not os.path.exists(manifest):
        pytest.skip("not run from the repository")
    with open(manifest) as f:
        assert json.load(f)["version"] == PACKAGE_VERSION
