"""Which GPU code a CUDA shared library embeds, read from its fatbins: what the artifact holds, not
what its metadata claims (the same reading as the TypeScript fatbin.ts)."""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from typing import List, Optional, Sequence

_MAGIC = 0xBA55ED50
_MAGIC_BYTES = struct.pack("<I", _MAGIC)


@dataclass(frozen=True)
class EmbeddedCode:
    """Machine-code archs ('sm_80') and the newest PTX ('compute_90' or None)."""

    sass: List[str]
    ptx: Optional[str]


def embedded_code(data: bytes) -> EmbeddedCode:
    """Fatbin layout (little-endian): a 16-byte header, then entries {kind 1 PTX | 2 ELF, ..., arch at 28}."""
    sass, ptx = set(), set()
    at = data.find(_MAGIC_BYTES)
    while 0 <= at and at + 16 <= len(data):
        header_size = struct.unpack_from("<H", data, at + 6)[0]
        fat_size = struct.unpack_from("<Q", data, at + 8)[0]
        end = at + header_size + fat_size
        if header_size >= 16 and end <= len(data):
            p = at + header_size
            while p + 32 <= end:
                kind = struct.unpack_from("<H", data, p)[0]
                entry_header = struct.unpack_from("<I", data, p + 4)[0]
                payload = struct.unpack_from("<Q", data, p + 8)[0]
                arch = struct.unpack_from("<I", data, p + 28)[0]
                if entry_header < 32 or p + entry_header + payload > end or not 10 <= arch <= 1000:
                    break
                (sass if kind == 2 else ptx if kind == 1 else set()).add(arch)
                p += entry_header + payload
        at = data.find(_MAGIC_BYTES, at + 4)
    return EmbeddedCode([f"sm_{a}" for a in sorted(sass)], f"compute_{max(ptx)}" if ptx else None)


def _cc(arch: str) -> int:
    return int(re.sub(r"^(sm|compute)_", "", arch).rstrip("a"))


def archs_of_parts(arch: str) -> EmbeddedCode:
    """The archs a cache entry's key parts name: 'sm_80+sm_90+ptx' (PTX of the newest)."""
    items = arch.split("+")
    sass = [a for a in items if re.fullmatch(r"sm_\d+a?", a)]
    newest = max(sass, key=_cc) if sass else None
    return EmbeddedCode(sass, f"compute_{_cc(newest)}" if "ptx" in items and newest else None)


def runs_on(sass: Sequence[str], ptx: Optional[str], device: str) -> bool:
    """SASS of the device's major and no newer minor ('a' archs: exactly that one), or PTX not newer."""
    d = _cc(device)
    for a in sass:
        if a.endswith("a"):
            if a == device:
                return True
        elif _cc(a) // 10 == d // 10 and _cc(a) <= d:
            return True
    return ptx is not None and _cc(ptx) <= d
