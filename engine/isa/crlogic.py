"""Condition register logical and field instructions (ISA 3.0B 2.5, 3.3.16):
cr* logic, mcrf, mtcrf/mtocrf, mfcr/mfocrf, mcrxrx.

CR bit ``i`` (IBM numbering, 0..31) is ``(cr >> (31 - i)) & 1``; field ``f``
occupies bits 4f..4f+3, i.e. ``(cr >> (28 - 4f)) & 0xF``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..bits import M32
from .fields import XFXCR, XL, XMCRXRX
from .insn import Insn, table
from .specialize import pure

if TYPE_CHECKING:
    from ..state import CPUState


def crlogic(c: CPUState, bt: int, ba: int, bb: int, *, op: str) -> None:
    """CR[BT] <- CR[BA] op CR[BB]."""
    cr = c.cr
    if op == "crxor" and ba == bb:
        c.cr = cr & (~(1 << (31 - bt)) & M32)  # crclr: the common idiom, nothing to read
    else:
        a = (cr >> (31 - ba)) & 1
        b = (cr >> (31 - bb)) & 1
        if op == "crand":
            r = a & b
        elif op == "cror":
            r = a | b
        elif op == "crxor":
            r = a ^ b
        elif op == "crnand":
            r = (a & b) ^ 1
        elif op == "crnor":
            r = (a | b) ^ 1
        elif op == "creqv":
            r = (a ^ b) ^ 1
        elif op == "crandc":
            r = a & (b ^ 1)
        else:  # crorc
            r = a | (b ^ 1)
        c.cr = (cr & (~(1 << (31 - bt)) & M32)) | (r << (31 - bt))


def mcrf(c: CPUState, bf: int, bfa: int) -> None:
    """mcrf BF,BFA: CR[BF] <- CR[BFA]."""
    cr = c.cr
    c.cr = (cr & (~(0xF << (28 - 4 * bf)) & M32)) | (
        ((cr >> (28 - 4 * bfa)) & 0xF) << (28 - 4 * bf)
    )


@pure
def field_mask(fxm: int) -> int:
    """The CR bits selected by FXM (its bit 0, the 0x80, selects CR0)."""
    m = 0
    for i in range(8):
        if fxm & (0x80 >> i):
            m |= 0xF << (28 - 4 * i)
    return m


@pure
def one_field_mask(fxm: int) -> int:
    """mtocrf/mfocrf's field mask: FXM's one field, or 0 when FXM does not name exactly
    one (undefined in the ISA; QEMU then leaves CR, or RT, unchanged)."""
    return field_mask(fxm) if fxm != 0 and fxm & (fxm - 1) == 0 else 0


def mtcrf(c: CPUState, rs: int, fxm: int, *, one: bool) -> None:
    """mtcrf FXM,RS / mtocrf FXM,RS: CR fields selected by FXM <- RS[32:63]."""
    m = one_field_mask(fxm) if one else field_mask(fxm)
    c.cr = (c.cr & (~m & M32)) | (c.gpr[rs] & m)


def mfcr(c: CPUState, rt: int, fxm: int, *, one: bool) -> None:
    """mfcr RT: RT <- 32 zeros || CR. mfocrf FXM: only the one named field, zeros elsewhere
    (RT unchanged when FXM does not name exactly one field, as QEMU)."""
    if not one:
        c.gpr[rt] = c.cr & M32
    elif one_field_mask(fxm):
        c.gpr[rt] = c.cr & one_field_mask(fxm)


def mcrxrx(c: CPUState, bf: int) -> None:
    """mcrxrx BF: CR[BF] <- OV || OV32 || CA || CA32 (ISA 3.0B)."""
    c.cr = (c.cr & (~(0xF << (28 - 4 * bf)) & M32)) | (
        ((c.ov << 3) | (c.ov32 << 2) | (c.ca << 1) | c.ca32) << (28 - 4 * bf)
    )


# Reserved bits as QEMU 7.2 checks them (measured on powernv9): bit 31 of the
# XL forms, bits 20 and 31 of mtcrf/mfcr (mfcr's FXM bits are ignored), bits
# 9:20 and 31 of mcrxrx. mcrf ignores bits 14:20. Bit 11 picks mtocrf/mfocrf
# rather than mtcrf/mfcr.
def _cr(name: str, xo: int) -> Insn:
    return Insn(name, XL(19, xo, lk=0), crlogic, {"op": name})


OPS: list[Insn] = table(
    _cr("crand", 257),
    _cr("cror", 449),
    _cr("crxor", 193),
    _cr("crnand", 225),
    _cr("crnor", 33),
    _cr("creqv", 289),
    _cr("crandc", 129),
    _cr("crorc", 417),
    Insn("mcrf", XL(19, 0, lk=0), mcrf),
    Insn("mtcrf", XFXCR(31, 144, one=0, res20=0, rc=0), mtcrf, {"one": False}),
    Insn("mtocrf", XFXCR(31, 144, one=1, res20=0, rc=0), mtcrf, {"one": True}),
    Insn("mfcr", XFXCR(31, 19, one=0, res20=0, rc=0), mfcr, {"one": False}),
    Insn("mfocrf", XFXCR(31, 19, one=1, res20=0, rc=0), mfcr, {"one": True}),
    Insn("mcrxrx", XMCRXRX(31, 576, res9=0, ra=0, rb=0, rc=0), mcrxrx),
)
