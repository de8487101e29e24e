"""Fixed-point compare and select instructions (ISA 3.0B 3.3.10, 3.3.12):
cmp/cmpl/cmpi/cmpli, cmprb, cmpeqb, isel, setb.

The L field picks the operand width; it does not depend on MSR[SF]: cmpd in
32-bit mode still compares doublewords (ISA 3.0B; QEMU 7.2 likewise).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..bits import M32, M64
from .forms import (
    Ctx,
    Exec,
    Form,
    Op,
    f_bf,
    f_ra,
    f_rb,
    f_rc_field,
    f_rt,
    f_si,
    f_ui,
    inline,
    op,
)

if TYPE_CHECKING:
    from ..cpu import VCPU

CR_LT, CR_GT, CR_EQ = 8, 4, 2


def compare(w: int, x: Ctx, *, signed: bool, imm: bool) -> Exec:
    """cmp/cmpl/cmpi/cmpli: CR[BF] <- LT/GT/EQ of RA vs RB (or the immediate) || SO."""
    bf, ra, rb = f_bf(w), f_ra(w), f_rb(w)
    wide = bool(w & 0x0020_0000)  # L
    shift = 28 - 4 * bf
    clear = ~(0xF << shift) & M32
    npc = x.npc
    # Operands become unsigned keys with the same order: take the compared
    # width, and for a signed compare flip its sign bit. No call in the closure.
    width_mask = M64 if wide else M32
    bias = (1 << (63 if wide else 31)) if signed else 0

    if imm:
        k = ((f_si(w) if signed else f_ui(w)) & width_mask) ^ bias

        def cmpi(c: VCPU) -> int:
            a = (c.gpr[ra] & width_mask) ^ bias
            f = CR_LT if a < k else CR_GT if a > k else CR_EQ
            c.cr = (c.cr & clear) | ((f | c.so) << shift)
            return npc

        return inline(
            cmpi, f"_a = {_key_src(ra, width_mask, bias)}",
            f"c.cr = (c.cr & {clear}) | (((8 if _a < {k} else 4 if _a > {k} else 2) | c.so)"
            f" << {shift})")

    def cmp(c: VCPU) -> int:
        g = c.gpr
        a, b = (g[ra] & width_mask) ^ bias, (g[rb] & width_mask) ^ bias
        f = CR_LT if a < b else CR_GT if a > b else CR_EQ
        c.cr = (c.cr & clear) | ((f | c.so) << shift)
        return npc

    return inline(
        cmp, f"_a = {_key_src(ra, width_mask, bias)}", f"_b = {_key_src(rb, width_mask, bias)}",
        f"c.cr = (c.cr & {clear}) | (((8 if _a < _b else 4 if _a > _b else 2) | c.so) << {shift})")


def _key_src(r: int, width_mask: int, bias: int) -> str:
    """GPR ``r`` as compare's unsigned key, inline (a 64-bit GPR needs no mask)."""
    v = f"g[{r}]" if width_mask == M64 else f"(g[{r}] & {width_mask})"
    return f"{v} ^ {bias}" if bias else v


def cmprb(w: int, x: Ctx) -> Exec:
    """cmprb BF,L,RA,RB: is RA's low byte within [RB[56:63]..RB[48:55]] (or, with L=1,
    also within [RB[40:47]..RB[32:39]])? CR[BF] <- 0 || in_range || 0 || 0."""
    bf, ra, rb = f_bf(w), f_ra(w), f_rb(w)
    both = bool(w & 0x0020_0000)
    shift = 28 - 4 * bf
    clear = ~(0xF << shift) & M32
    npc = x.npc

    def ex(c: VCPU) -> int:
        g = c.gpr
        v, r = g[ra] & 0xFF, g[rb]
        hit = (r & 0xFF) <= v <= ((r >> 8) & 0xFF)
        if both and not hit:
            hit = ((r >> 16) & 0xFF) <= v <= ((r >> 24) & 0xFF)
        c.cr = (c.cr & clear) | ((CR_GT if hit else 0) << shift)
        return npc

    return ex


def cmpeqb(w: int, x: Ctx) -> Exec:
    """cmpeqb BF,RA,RB: does any byte of RB equal RA's low byte? CR[BF] <- 0 || match || 00."""
    bf, ra, rb = f_bf(w), f_ra(w), f_rb(w)
    shift = 28 - 4 * bf
    clear = ~(0xF << shift) & M32
    npc = x.npc

    def ex(c: VCPU) -> int:
        g = c.gpr
        hit = bytes([g[ra] & 0xFF]) in g[rb].to_bytes(8, "big")
        c.cr = (c.cr & clear) | ((CR_GT if hit else 0) << shift)
        return npc

    return ex


def isel(w: int, x: Ctx) -> Exec:
    """isel RT,RA,RB,BC: RT <- (RA|0) if CR bit BC else RB."""
    rt, ra, rb, bc = f_rt(w), f_ra(w), f_rb(w), f_rc_field(w)
    bit = 1 << (31 - bc)
    npc = x.npc
    if ra == 0:

        def isel0(c: VCPU) -> int:
            g = c.gpr
            g[rt] = 0 if c.cr & bit else g[rb]
            return npc

        return isel0

    def ex(c: VCPU) -> int:
        g = c.gpr
        g[rt] = g[ra] if c.cr & bit else g[rb]
        return npc

    return ex


def setb(w: int, x: Ctx) -> Exec:
    """setb RT,BFA: RT <- -1 if CR[BFA].LT, else 1 if CR[BFA].GT, else 0."""
    rt = f_rt(w)
    shift = 28 - 4 * ((w >> 18) & 7)
    npc = x.npc

    def ex(c: VCPU) -> int:
        f = (c.cr >> shift) & 0xF
        c.gpr[rt] = M64 if f & CR_LT else 1 if f & CR_GT else 0
        return npc

    return ex


# Reserved bits: a word with them set is invalid (HEAI) exactly where QEMU 7.2
# says so (measured on powernv9): cmp/cmpl/cmpi/cmpli ignore theirs (bit 9,
# bit 31), cmprb, cmpeqb (bits 9:10, not 31), isel and setb do not.
OPS: list[Op] = [
    op("cmp", Form.X, 31, 0, compare, signed=True, imm=False),
    op("cmpl", Form.X, 31, 32, compare, signed=False, imm=False),
    op("cmpi", Form.D, 11, None, compare, signed=True, imm=True),
    op("cmpli", Form.D, 10, None, compare, signed=False, imm=True),
    op("cmprb", Form.X, 31, 192, cmprb, fixed=(0x0040_0001, 0)),
    op("cmpeqb", Form.X, 31, 224, cmpeqb, fixed=(0x0060_0000, 0)),
    op("isel", Form.A, 31, 15, isel, fixed=(0x1, 0)),
    op("setb", Form.X, 31, 128, setb, fixed=(0x0003_F801, 0)),
]
