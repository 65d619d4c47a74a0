"""Bad input: a clear DwconvError subclass before any native call, never a crash."""

from __future__ import annotations

import os
import stat
import sys
import tempfile

import pytest
import torch

from dwconv_jit import CompileError, DwconvError, SpecError, ToolchainNotFoundError, kernels, make_spec
from dwconv_jit.torch import depthwise_conv2d

X = lambda *s: torch.randn(*s)  # noqa: E731


@pytest.mark.parametrize("args, field", [
    ((X(1, 4, 8, 8).double(), X(4, 1, 3, 3).double()), "input.dtype"),
    ((torch.ones(1, 4, 8, 8, dtype=torch.int32), X(4, 1, 3, 3)), "input.dtype"),
    ((X(4, 8, 8), X(4, 1, 3, 3)), "input.shape"),
    ((X(1, 4, 8, 8), X(4, 2, 3, 3)), "weight.shape"),  # groups = 2 != channels
    ((X(1, 4, 8, 8), X(6, 1, 3, 3)), "weight.shape"),  # not a multiple of C
    ((X(1, 4, 8, 8), X(4, 1, 3)), "weight"),
    ((X(1, 4, 8, 8), X(4, 1, 3, 3).half()), "weight.dtype"),
    ((X(1, 4, 8, 8), X(4, 1, 3, 3), X(5)), "bias.shape"),
    ((X(1, 4, 2, 2), X(4, 1, 3, 3)), "input.shape"),  # empty output
    ((X(1, 4, 40, 40), X(4, 1, 33, 33)), "kernel_size[0]"),
    ((X(1, 4, 8, 8), X(36, 1, 3, 3)), "channel_multiplier"),
    (("not a tensor", X(4, 1, 3, 3)), "input"),
])
def test_bad_arguments_raise_spec_errors(args, field) -> None:
    with pytest.raises(SpecError) as info:
        depthwise_conv2d(*args)
    assert info.value.field == field
    assert info.value.code == "ERR_DWCONV_SPEC"


def test_bad_options_raise_spec_errors() -> None:
    x, w = X(1, 4, 8, 8), X(4, 1, 3, 3)
    for kwargs, field in [
        (dict(stride=9), "stride"), (dict(padding=65), "padding"), (dict(padding="same", stride=2), "padding"),
        (dict(dilation=0), "dilation"), (dict(activation="tanh"), "activation"), (dict(activation="relu", negative_slope=0.1), "negative_slope"),
        (dict(scale=torch.ones(4)), "shift"), (dict(residual=X(1, 4, 3, 3)), "residual.shape"),
        (dict(out=X(1, 4, 6, 5)), "out.shape"), (dict(out=X(1, 4, 6, 6).double()), "out.dtype"),
        (dict(scale=torch.ones(4).half(), shift=torch.ones(4)), "scale.dtype"),
        (dict(pointwise_bias=torch.ones(3)), "pointwise_weight"),
    ]:
        with pytest.raises(SpecError) as info:
            depthwise_conv2d(x, w, **kwargs)
        assert info.value.field == field, kwargs


def test_out_overlapping_the_input_is_refused() -> None:
    x, w = X(1, 4, 8, 8), X(4, 1, 1, 1)
    with pytest.raises(SpecError, match="memory shared with input"):
        depthwise_conv2d(x, w, out=x)
    strided = X(1, 4, 8, 16)[:, :, :, ::2]
    with pytest.raises(SpecError, match="dense"):
        depthwise_conv2d(x, w, out=strided)


def test_other_devices_are_refused() -> None:
    x = torch.empty(1, 4, 8, 8, device="meta")
    with pytest.raises(SpecError, match="device"):
        depthwise_conv2d(x, torch.empty(4, 1, 3, 3, device="meta"))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA to mix devices")
def test_mixed_devices_are_refused() -> None:
    with pytest.raises(SpecError, match="weight.device"):
        depthwise_conv2d(X(1, 4, 8, 8).cuda(), X(4, 1, 3, 3))


def test_errors_share_a_base_with_builtin_parents() -> None:
    err = SpecError("kernel_size", 40, "an integer from 1 to 31")
    assert isinstance(err, DwconvError) and isinstance(err, ValueError)
    assert "invalid kernel_size: 40" in str(err)
    with pytest.raises(SpecError):
        make_spec(3, channel_multiplier=9)


def _script(body: str) -> str:
    fd, path = tempfile.mkstemp(suffix=".py")
    with os.fdopen(fd, "w") as f:
        f.write(f"#!{sys.executable}\n{body}\n")
    os.chmod(path, stat.S_IRWXU)
    return path


def test_cli_errors_become_python_errors(monkeypatch) -> None:
    """A CLI that fails with its JSON error, or without JSON: a DwconvError with the CLI's message."""
    spec = make_spec(3, dtype="bfloat16", layout="NHWC", activation="sigmoid", bias=True)  # a spec no other test compiles
    failing = _script('import json; print(json.dumps({"error": {"name": "CompileError", "message": "c++ failed: boom"}})); raise SystemExit(1)')
    crashing = _script('import sys; sys.stderr.write("node: segfault"); raise SystemExit(139)')
    try:
        for script, match in ((failing, "boom"), (crashing, "status 139")):
            monkeypatch.setenv("DWCONV_JIT_CLI", script)
            monkeypatch.setenv("DWCONV_JIT_CACHE_DIR", tempfile.mkdtemp())
            kernels.clear_memory()
            with pytest.raises(CompileError, match=match):
                kernels.get_kernel(spec, "cpu")
    finally:
        os.remove(failing), os.remove(crashing)
        kernels.clear_memory()


def test_no_cache_and_no_cli_is_a_clear_error(monkeypatch) -> None:
    spec = make_spec(3, dtype="bfloat16", layout="NHWC", activation="sigmoid", bias=True)
    monkeypatch.setenv("DWCONV_JIT_CLI", "/nonexistent/dwconv-jit")
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setenv("DWCONV_JIT_CACHE_DIR", tempfile.mkdtemp())
    monkeypatch.setattr("dwconv_jit.cli._repo_main_js", lambda: None)
    kernels.clear_memory()
    try:
        with pytest.raises(ToolchainNotFoundError) as info:
            kernels.get_kernel(spec, "cpu")
        assert "DWCONV_JIT_CLI=/nonexistent/dwconv-jit" in str(info.value) and "DWCONV_JIT_PRECOMPILED" in str(info.value)
    finally:
        kernels.clear_memory()
