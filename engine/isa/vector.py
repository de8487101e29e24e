"""What the vector instruction families share: elements of a 128-bit register, saturation.

A vector-scalar register is one Python int of 128 bits, numbered as the ISA
numbers it: byte 0 (element 0 of any width) is the most significant. VR n
is VSR 32+n (``c.vsr[32 + vrt]``); FPR n is the high doubleword of VSR n.
``elems`` and ``join`` convert between the int and its elements in element
order (0 first) through ``struct``, which is much faster than shifting each
element out in Python.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

M128 = (1 << 128) - 1
M64 = (1 << 64) - 1
VSCR_SAT = 1

# Unsigned and signed big-endian layouts of 16 bytes, by element width in bits.
_U = {8: struct.Struct(">16B"), 16: struct.Struct(">8H"), 32: struct.Struct(">4I"),
      64: struct.Struct(">2Q")}  # fmt: skip
_S = {8: struct.Struct(">16b"), 16: struct.Struct(">8h"), 32: struct.Struct(">4i"),
      64: struct.Struct(">2q")}  # fmt: skip


def elems(v: int, width: int) -> tuple[int, ...]:
    """The unsigned elements of ``v``, element 0 (the most significant) first."""
    return _U[width].unpack(v.to_bytes(16, "big"))


def selems(v: int, width: int) -> tuple[int, ...]:
    """The signed elements of ``v``, element 0 first."""
    return _S[width].unpack(v.to_bytes(16, "big"))


def join(es: Sequence[int], width: int) -> int:
    """The register whose elements (element 0 first) are ``es``, each taken modulo 2**width."""
    m = (1 << width) - 1
    return int.from_bytes(_U[width].pack(*(e & m for e in es)), "big")


def saturate(v: int, lo: int, hi: int) -> tuple[int, bool]:
    """``v`` clamped to [lo, hi], and whether it had to be."""
    if v < lo:
        return lo, True
    if v > hi:
        return hi, True
    return v, False


def swap_bytes(v: int, width: int) -> int:
    """Each ``width``-bit element of ``v`` with its bytes reversed (lxvh8x in LE, xxbrh...)."""
    b = v.to_bytes(16, "big")
    n = width // 8
    return int.from_bytes(b"".join(b[i : i + n][::-1] for i in range(0, 16, n)), "big")
