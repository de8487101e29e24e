"""Condition register logical and field instructions (ISA 3.0B 2.5, 3.3.16):
cr* logic, mcrf, mtcrf/mtocrf, mfcr/mfocrf, mcrxrx.

CR bit ``i`` (IBM numbering, 0..31) is ``(cr >> (31 - i)) & 1``; field ``f``
occupies bits 4f..4f+3, i.e. ``(cr >> (28 - 4f)) & 0xF``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..bits import M32
from .forms import Ctx, Exec, Form, Op, f_bf, f_ra, f_rb, f_rt, op

if TYPE_CHECKING:
    from ..cpu import VCPU

CR_OPS: dict[str, Callable[[int, int], int]] = {
    "crand": lambda a, b: a & b,
    "cror": lambda a, b: a | b,
    "crxor": lambda a, b: a ^ b,
    "crnand": lambda a, b: (a & b) ^ 1,
    "crnor": lambda a, b: (a | b) ^ 1,
    "creqv": lambda a, b: (a ^ b) ^ 1,
    "crandc": lambda a, b: a & (b ^ 1),
    "crorc": lambda a, b: a | (b ^ 1),
}


def crlogic(w: int, x: Ctx, *, fn: str) -> Exec:
    """CR[BT] <- CR[BA] op CR[BB]."""
    bt, ba, bb = f_rt(w), f_ra(w), f_rb(w)
    st, sa, sb = 31 - bt, 31 - ba, 31 - bb
    clear = ~(1 << st) & M32
    f = CR_OPS[fn]
    npc = x.npc
    if fn == "crxor" and ba == bb:
        # crclr: the common idiom, no operands to read.
        def crclr(c: VCPU) -> int:
            c.cr &= clear
            return npc

        return crclr

    def ex(c: VCPU) -> int:
        cr = c.cr
        c.cr = (cr & clear) | (f((cr >> sa) & 1, (cr >> sb) & 1) << st)
        return npc

    return ex


def mcrf(w: int, x: Ctx) -> Exec:
    """mcrf BF,BFA: CR[BF] <- CR[BFA]."""
    dst, src = 28 - 4 * f_bf(w), 28 - 4 * ((w >> 18) & 7)
    clear = ~(0xF << dst) & M32
    npc = x.npc

    def ex(c: VCPU) -> int:
        cr = c.cr
        c.cr = (cr & clear) | (((cr >> src) & 0xF) << dst)
        return npc

    return ex


def _field_mask(fxm: int) -> int:
    """The CR bits selected by FXM (its bit 0, the 0x80, selects CR0)."""
    m = 0
    for i in range(8):
        if fxm & (0x80 >> i):
            m |= 0xF << (28 - 4 * i)
    return m


def _one_field(fxm: int) -> bool:
    return fxm != 0 and fxm & (fxm - 1) == 0


def mtcrf(w: int, x: Ctx, *, one: bool) -> Exec:
    """mtcrf FXM,RS / mtocrf FXM,RS: CR fields selected by FXM <- RS[32:63].

    mtocrf with FXM not naming exactly one field is undefined; QEMU leaves CR
    unchanged, and so do we.
    """
    rs, fxm = f_rt(w), (w >> 12) & 0xFF
    npc = x.npc
    m = _field_mask(fxm) if (not one or _one_field(fxm)) else 0
    keep = ~m & M32

    def ex(c: VCPU) -> int:
        c.cr = (c.cr & keep) | (c.gpr[rs] & m)
        return npc

    return ex


def mfcr(w: int, x: Ctx, *, one: bool) -> Exec:
    """mfcr RT: RT <- 32 zeros || CR. mfocrf FXM: only the one named field, zeros elsewhere.

    mfocrf with FXM not naming exactly one field is undefined; QEMU leaves RT
    unchanged, and so do we.
    """
    rt, fxm = f_rt(w), (w >> 12) & 0xFF
    npc = x.npc
    if one and not _one_field(fxm):

        def nop(c: VCPU) -> int:
            return npc

        return nop
    m = _field_mask(fxm) if one else M32

    def ex(c: VCPU) -> int:
        c.gpr[rt] = c.cr & m
        return npc

    return ex


def mcrxrx(w: int, x: Ctx) -> Exec:
    """mcrxrx BF: CR[BF] <- OV || OV32 || CA || CA32 (ISA 3.0B)."""
    shift = 28 - 4 * f_bf(w)
    clear = ~(0xF << shift) & M32
    npc = x.npc

    def ex(c: VCPU) -> int:
        f = (c.ov << 3) | (c.ov32 << 2) | (c.ca << 1) | c.ca32
        c.cr = (c.cr & clear) | (f << shift)
        return npc

    return ex


ONE_FIELD = 0x0010_0000  # bit 11: mtocrf/mfocrf rather than mtcrf/mfcr


# Reserved bits as QEMU 7.2 checks them (measured on powernv9): bit 31 of the
# XL forms, bits 20 and 31 of mtcrf/mfcr (mfcr's FXM bits are ignored), bits
# 9:20 and 31 of mcrxrx. mcrf ignores bits 14:20.
RC_BIT = (0x1, 0)


def _cr(name: str, xo: int) -> Op:
    return op(name, Form.XL, 19, xo, crlogic, fn=name, fixed=RC_BIT)


OPS: list[Op] = [
    _cr("crand", 257),
    _cr("cror", 449),
    _cr("crxor", 193),
    _cr("crnand", 225),
    _cr("crnor", 33),
    _cr("creqv", 289),
    _cr("crandc", 129),
    _cr("crorc", 417),
    op("mcrf", Form.XL, 19, 0, mcrf, fixed=RC_BIT),
    op("mtcrf", Form.XFX, 31, 144, mtcrf, one=False, fixed=(ONE_FIELD | 0x801, 0)),
    op("mtocrf", Form.XFX, 31, 144, mtcrf, one=True, fixed=(ONE_FIELD | 0x801, ONE_FIELD)),
    op("mfcr", Form.XFX, 31, 19, mfcr, one=False, fixed=(ONE_FIELD | 0x801, 0)),
    op("mfocrf", Form.XFX, 31, 19, mfcr, one=True, fixed=(ONE_FIELD | 0x801, ONE_FIELD)),
    op("mcrxrx", Form.X, 31, 576, mcrxrx, fixed=(0x007F_F801, 0)),
]
