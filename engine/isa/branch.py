"""Branches: b, bc, bclr, bcctr, bctar with every BO/BI form."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..bits import M32, M64, sext
from .common import illegal
from .forms import Ctx, Exec, Form, Op, f_ra, f_rt, inline, op

if TYPE_CHECKING:
    from ..cpu import VCPU

SPR_TAR = 815


def b(w: int, x: Ctx) -> Exec:
    """b/ba/bl/bla: LI target, absolute with AA, LR update with LK."""
    li = sext(w & 0x03FF_FFFC, 26)
    target = (li if w & 2 else x.pc + li) & x.amask
    npc = x.npc
    if w & 1:
        def bl(c: VCPU) -> int:
            c.lr = npc
            return target
        return inline(bl, f"c.lr = {npc}", f"pc = {target}")

    def br(c: VCPU) -> int:
        return target

    return inline(br, f"pc = {target}")


def _conditions(w: int) -> tuple[bool, bool, bool, bool, int]:
    """Split BO into (decrement CTR, branch when CTR zero, test CR, CR value, CR bit mask)."""
    bo, bi = f_rt(w), f_ra(w)
    dec = not bo & 0x04
    ctr_zero = bool(bo & 0x02)
    test_cr = not bo & 0x10
    want = bool(bo & 0x08)
    crbit = 1 << (31 - bi)
    return dec, ctr_zero, test_cr, want, crbit


def bc(w: int, x: Ctx, *, to: str) -> Exec:
    """bc (to="disp"), bclr (to="lr"), bcctr (to="ctr"), bctar (to="tar")."""
    dec, ctr_zero, test_cr, want, crbit = _conditions(w)
    if to == "ctr" and dec:
        # "bcctr with BO[2]=0" is an invalid form; QEMU raises the illegal path.
        return illegal
    lk = bool(w & 1)
    npc = x.npc
    amask = x.amask
    cmask = M64 if x.sf else M32
    if to == "disp":
        bd = sext(w & 0xFFFC, 16)
        disp_target = (bd if w & 2 else x.pc + bd) & amask
    else:
        disp_target = 0

    if to == "disp" and dec and not test_cr and not lk and not ctr_zero:
        # bdnz: the loop branch, worth its own closure.
        def bdnz(c: VCPU) -> int:
            ctr = (c.ctr - 1) & M64
            c.ctr = ctr
            return disp_target if ctr & cmask else npc
        return inline(bdnz, "_t = (c.ctr - 1) & M64", "c.ctr = _t",
                      f"pc = {disp_target} if _t & {cmask} else {npc}")

    if to == "disp" and not dec and test_cr and not lk:
        def bcond(c: VCPU) -> int:
            return disp_target if bool(c.cr & crbit) == want else npc
        taken, fall = (disp_target, npc) if want else (npc, disp_target)
        return inline(bcond, f"pc = {taken} if c.cr & {crbit} else {fall}")

    def ex(c: VCPU) -> int:
        if to == "lr":
            target = c.lr & ~3 & amask
        elif to == "ctr":
            target = c.ctr & ~3 & amask
        elif to == "tar":
            target = c.spr[SPR_TAR] & ~3 & amask
        else:
            target = disp_target
        ok = True
        if dec:
            ctr = c.ctr = (c.ctr - 1) & M64
            ok = ((ctr & cmask) == 0) == ctr_zero
        if ok and test_cr:
            ok = bool(c.cr & crbit) == want
        if lk:
            c.lr = npc
        return target if ok else npc

    if to == "tar":
        return ex
    k = ~3 & amask
    lines = [f"_t = c.lr & {k}" if to == "lr" else f"_t = c.ctr & {k}" if to == "ctr"
             else f"_t = {disp_target}", "_ok = True"]
    if dec:
        lines += ["_n = (c.ctr - 1) & M64", "c.ctr = _n",
                  f"_ok = ((_n & {cmask}) == 0) == {ctr_zero}"]
    if test_cr:
        lines.append(f"_ok = _ok and bool(c.cr & {crbit}) == {want}")
    if lk:
        lines.append(f"c.lr = {npc}")
    lines.append(f"pc = _t if _ok else {npc}")
    return inline(ex, *lines)


OPS: list[Op] = [
    op("b", Form.I, 18, None, b, suffixes=("lk", "aa"), branch=True),
    op("bc", Form.B, 16, None, bc, to="disp", suffixes=("lk", "aa"), branch=True),
    op("bclr", Form.XL, 19, 16, bc, to="lr", suffixes=("lk",), branch=True),
    op("bcctr", Form.XL, 19, 528, bc, to="ctr", suffixes=("lk",), branch=True),
    op("bctar", Form.XL, 19, 560, bc, to="tar", suffixes=("lk",), branch=True),
]
