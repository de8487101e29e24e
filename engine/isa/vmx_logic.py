"""VMX logical instructions: vand, vandc, vor, vorc, vnor, vxor, vnand, veqv."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .fields import VX
from .insn import Insn, table
from .vector import M128

if TYPE_CHECKING:
    from ..state import CPUState


def vlogic(c: CPUState, vrt: int, vra: int, vrb: int, *, op: str) -> None:
    """VRT <- VRA op VRB, bitwise over all 128 bits."""
    vs = c.vsr
    a = vs[32 + vra]
    b = vs[32 + vrb]
    if op == "and":
        r = a & b
    elif op == "andc":
        r = a & ~b & M128
    elif op == "or":
        r = a | b
    elif op == "orc":
        r = (a | ~b) & M128
    elif op == "nor":
        r = ~(a | b) & M128
    elif op == "xor":
        r = a ^ b
    elif op == "nand":
        r = ~(a & b) & M128
    else:  # eqv
        r = ~(a ^ b) & M128
    vs[32 + vrt] = r


def _logic(mnemonic: str, xo: int, op: str) -> Insn:
    return Insn(mnemonic, VX(4, xo), vlogic, {"op": op}, facility="vec")


OPS: list[Insn] = table(
    _logic("vand", 1028, "and"),
    _logic("vandc", 1092, "andc"),
    _logic("vor", 1156, "or"),
    _logic("vorc", 1348, "orc"),
    _logic("vnor", 1284, "nor"),
    _logic("vxor", 1220, "xor"),
    _logic("vnand", 1412, "nand"),
    _logic("veqv", 1668, "eqv"),
)
