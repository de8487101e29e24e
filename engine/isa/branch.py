"""Branches: b, bc, bclr, bcctr, bctar with every BO/BI form.

A taken branch sets CFAR to its own address (ISA 3.0B 4.3.3; QEMU updates
it after the condition tests, so a branch that falls through leaves it).
BO bits, IBM-numbered within the 5-bit field: BO_0 (16) ignore the CR bit,
BO_1 (8) the value it must have, BO_2 (4) do not decrement CTR, BO_3 (2)
branch when CTR reaches zero rather than when it does not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..bits import M32, M64
from ..interrupts import EXCP_HV_EMU, Interrupt
from .fields import XL, B, I
from .insn import Insn, table

if TYPE_CHECKING:
    from ..state import CPUState

SPR_TAR = 815


def b(c: CPUState, li: int, cia: int, npc: int, *, aa: int, lk: int, amask: int) -> int:
    """b/ba/bl/bla: to CIA + LI, or LI itself with AA; LR = the next address with LK."""
    if lk:
        c.lr = npc
    c.cfar = cia
    return (li if aa else cia + li) & amask


def bc(c: CPUState, bi: int, bd: int, cia: int, npc: int, *, bo: int, aa: int, lk: int,
       amask: int, sf: bool) -> int:  # fmt: skip
    """bc/bca/bcl/bcla: conditional branch to a displacement."""
    if lk:
        c.lr = npc
    if not bo & 4:
        ctr = (c.ctr - 1) & M64
        c.ctr = ctr
        if not sf:
            ctr &= M32  # 32-bit mode tests the low word (folded away in 64-bit mode)
        if bo & 2:
            if ctr:
                return npc
        elif not ctr:
            return npc
    if not bo & 16:
        bit = c.cr & (1 << (31 - bi))
        if bo & 8:
            if not bit:
                return npc
        elif bit:
            return npc
    c.cfar = cia
    return (bd if aa else cia + bd) & amask


def bcreg(c: CPUState, bi: int, cia: int, npc: int, *, bo: int, lk: int, to: str, amask: int,
          sf: bool) -> int:  # fmt: skip
    """bclr/bcctr/bctar: conditional branch to LR, CTR or TAR (read before LK writes LR)."""
    if to == "ctr" and not bo & 4:
        # "bcctr with BO_2 = 0" is an invalid form; QEMU 7.2 takes the illegal path.
        raise Interrupt(EXCP_HV_EMU)
    if to == "lr":
        target = c.lr
    elif to == "ctr":
        target = c.ctr
    else:
        target = c.spr[SPR_TAR]
    if lk:
        c.lr = npc
    if not bo & 4:
        ctr = (c.ctr - 1) & M64
        c.ctr = ctr
        if not sf:
            ctr &= M32  # 32-bit mode tests the low word (folded away in 64-bit mode)
        if bo & 2:
            if ctr:
                return npc
        elif not ctr:
            return npc
    if not bo & 16:
        bit = c.cr & (1 << (31 - bi))
        if bo & 8:
            if not bit:
                return npc
        elif bit:
            return npc
    c.cfar = cia
    return target & (~3 & amask)


OPS: list[Insn] = table(
    Insn("b", I(18), b, branch=True, flow="li"),
    Insn("bc", B(16), bc, branch=True, flow="bd"),
    Insn("bclr", XL(19, 16), bcreg, {"to": "lr"}, branch=True, flow="lr", syntax="bo, bi, bh"),
    Insn("bcctr", XL(19, 528), bcreg, {"to": "ctr"}, branch=True, flow="ctr", syntax="bo, bi, bh"),
    Insn("bctar", XL(19, 560), bcreg, {"to": "tar"}, branch=True, flow="tar", syntax="bo, bi, bh"),
)
