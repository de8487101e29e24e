"""Fixed-point compare and select instructions (ISA 3.0B 3.3.10, 3.3.12):
cmp/cmpl/cmpi/cmpli, cmprb, cmpeqb, isel, setb.

The L field picks the operand width; it does not depend on MSR[SF]: cmpd in
32-bit mode still compares doublewords (ISA 3.0B; QEMU 7.2 likewise).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..bits import M32, M64
from .fields import XCMPRB, A, D, X
from .insn import Insn, table
from .specialize import pure

if TYPE_CHECKING:
    from ..state import CPUState

CR_LT, CR_GT, CR_EQ = 8, 4, 2
SIGN64, SIGN32 = 1 << 63, 1 << 31


@pure
def keep_field(bf: int) -> int:
    """The CR bits outside field ``bf``."""
    return ~(0xF << (28 - 4 * bf)) & M32


# Operands become unsigned keys with the same order: take the compared width
# (L, not MSR[SF]), and for a signed compare flip its sign bit.
def cmp(c: CPUState, bf: int, ra: int, rb: int, *, l: int, signed: bool) -> None:  # noqa: E741
    """cmp/cmpl: CR[BF] <- LT/GT/EQ of RA vs RB || SO."""
    g = c.gpr
    if l:
        a = g[ra] ^ (SIGN64 if signed else 0)
        b = g[rb] ^ (SIGN64 if signed else 0)
    else:
        a = (g[ra] & M32) ^ (SIGN32 if signed else 0)
        b = (g[rb] & M32) ^ (SIGN32 if signed else 0)
    c.cr = (c.cr & keep_field(bf)) | (((8 if a < b else 4 if a > b else 2) | c.so) << (28 - 4 * bf))


def cmpi(c: CPUState, bf: int, ra: int, si: int, ui: int, *, l: int, signed: bool) -> None:  # noqa: E741
    """cmpi/cmpli: CR[BF] <- LT/GT/EQ of RA vs EXTS(SI) (or UI) || SO."""
    g = c.gpr
    if l:
        a = g[ra] ^ (SIGN64 if signed else 0)
        k = ((si if signed else ui) & M64) ^ (SIGN64 if signed else 0)
    else:
        a = (g[ra] & M32) ^ (SIGN32 if signed else 0)
        k = ((si if signed else ui) & M32) ^ (SIGN32 if signed else 0)
    c.cr = (c.cr & keep_field(bf)) | (((8 if a < k else 4 if a > k else 2) | c.so) << (28 - 4 * bf))


def cmprb(c: CPUState, bf: int, l: int, ra: int, rb: int) -> None:  # noqa: E741
    """cmprb BF,L,RA,RB: is RA's low byte within [RB[56:63]..RB[48:55]] (or, with L=1,
    also within [RB[40:47]..RB[32:39]])? CR[BF] <- 0 || in_range || 0 || 0."""
    g = c.gpr
    v = g[ra] & 0xFF
    r = g[rb]
    hit = (r & 0xFF) <= v <= ((r >> 8) & 0xFF)
    if l and not hit:
        hit = ((r >> 16) & 0xFF) <= v <= ((r >> 24) & 0xFF)
    c.cr = (c.cr & keep_field(bf)) | ((CR_GT if hit else 0) << (28 - 4 * bf))


def cmpeqb(c: CPUState, bf: int, ra: int, rb: int) -> None:
    """cmpeqb BF,RA,RB: does any byte of RB equal RA's low byte? CR[BF] <- 0 || match || 00."""
    g = c.gpr
    hit = bytes([g[ra] & 0xFF]) in g[rb].to_bytes(8, "big")
    c.cr = (c.cr & keep_field(bf)) | ((CR_GT if hit else 0) << (28 - 4 * bf))


def isel(c: CPUState, rt: int, ra: int, rb: int, bc: int) -> None:
    """isel RT,RA,RB,BC: RT <- (RA|0) if CR bit BC else RB."""
    g = c.gpr
    g[rt] = (g[ra] if ra else 0) if c.cr & (1 << (31 - bc)) else g[rb]


def setb(c: CPUState, rt: int, bfa: int) -> None:
    """setb RT,BFA: RT <- -1 if CR[BFA].LT, else 1 if CR[BFA].GT, else 0."""
    f = (c.cr >> (28 - 4 * bfa)) & 0xF
    c.gpr[rt] = M64 if f & CR_LT else 1 if f & CR_GT else 0


# Reserved bits: a word with them set is invalid (HEAI) exactly where QEMU 7.2
# says so (measured on powernv9): cmp/cmpl/cmpi/cmpli ignore theirs (bit 9,
# bit 31), cmprb (bit 9, bit 31), cmpeqb (bits 9:10, not 31), isel (bit 31) and
# setb (bits 14:20, 31) do not.
OPS: list[Insn] = table(
    Insn("cmp", X(31, 0), cmp, {"signed": True}),
    Insn("cmpl", X(31, 32), cmp, {"signed": False}),
    Insn("cmpi", D(11), cmpi, {"signed": True}),
    Insn("cmpli", D(10), cmpi, {"signed": False}),
    Insn("cmprb", XCMPRB(31, 192, res9=0, rc=0), cmprb),
    Insn("cmpeqb", XCMPRB(31, 224, res9=0, l=0), cmpeqb),
    Insn("isel", A(31, 15, rc=0), isel),
    Insn("setb", XCMPRB(31, 128, res14=0, rb=0, rc=0), setb),
)
