"""Moves between GPRs and VSRs: mfvsrd, mfvsrld, mfvsrwz, mtvsrd, mtvsrdd, mtvsrwa,
mtvsrwz, mtvsrws.

Which facility they need depends on the register, as the ISA says and QEMU
7.2 checks: VSRs 0-31 need MSR[FP] (mfvsrd, mfvsrwz, mtvsrd, mtvsrwa,
mtvsrwz) or MSR[VSX] (mfvsrld, mtvsrdd, mtvsrws), VSRs 32-63 (the VRs) need
MSR[VEC]. Reserved bits 16:20 of the one-operand forms must be 0 (QEMU's invalid mask 0x0000f800).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .fields import XX1
from .insn import Insn, table
from .vector import M64

SPLAT32 = (1 << 96) | (1 << 64) | (1 << 32) | 1  # x * SPLAT32: the word x in all 4 words

if TYPE_CHECKING:
    from ..state import CPUState


def by_half(low: str) -> Callable[[int], str]:
    """Facility ``low`` for VSRs 0-31, "vec" for VSRs 32-63 (the TX/SX bit, bit 31)."""

    def facility(word: int) -> str:
        return "vec" if word & 1 else low

    return facility


def mfvsrd(c: CPUState, ra: int, xs: int) -> None:
    """RA <- VSR[XS] doubleword 0."""
    c.gpr[ra] = c.vsr[xs] >> 64


def mfvsrld(c: CPUState, ra: int, xs: int) -> None:
    """RA <- VSR[XS] doubleword 1."""
    c.gpr[ra] = c.vsr[xs] & M64


def mtvsrd(c: CPUState, xt: int, ra: int) -> None:
    """VSR[XT] doubleword 0 <- RA; doubleword 1 is left as it was (QEMU 7.2; ISA: undefined)."""
    vs = c.vsr
    vs[xt] = (c.gpr[ra] << 64) | (vs[xt] & M64)


def mtvsrdd(c: CPUState, xt: int, ra: int, rb: int) -> None:
    """VSR[XT] <- (RA|0) || RB."""
    g = c.gpr
    c.vsr[xt] = ((g[ra] if ra else 0) << 64) | g[rb]


def mfvsrwz(c: CPUState, ra: int, xs: int) -> None:
    """RA <- word 1 of VSR[XS], zero-extended."""
    c.gpr[ra] = (c.vsr[xs] >> 64) & 0xFFFF_FFFF


def mtvsrw(c: CPUState, xt: int, ra: int, *, signed: bool) -> None:
    """mtvsrwa/mtvsrwz: VSR[XT] doubleword 0 <- RA[32:63] sign- or zero-extended.

    Doubleword 1 is left as it was (QEMU 7.2; the ISA leaves it undefined).
    """
    vs = c.vsr
    w = c.gpr[ra] & 0xFFFF_FFFF
    if signed and w >> 31:
        w |= 0xFFFF_FFFF_0000_0000
    vs[xt] = (w << 64) | (vs[xt] & M64)


def mtvsrws(c: CPUState, xt: int, ra: int) -> None:
    """VSR[XT] <- RA[32:63] in all four words."""
    c.vsr[xt] = (c.gpr[ra] & 0xFFFF_FFFF) * SPLAT32


OPS: list[Insn] = table(
    Insn("mfvsrd", XX1(31, 51, rb=0), mfvsrd, facility=by_half("fp"), syntax="ra, xs"),
    Insn("mfvsrld", XX1(31, 307, rb=0), mfvsrld, facility=by_half("vsx"), syntax="ra, xs"),
    Insn("mtvsrd", XX1(31, 179, rb=0), mtvsrd, facility=by_half("fp")),
    Insn("mtvsrdd", XX1(31, 435), mtvsrdd, facility=by_half("vsx")),
    Insn("mfvsrwz", XX1(31, 115, rb=0), mfvsrwz, facility=by_half("fp"), syntax="ra, xs"),
    Insn("mtvsrwa", XX1(31, 211, rb=0), mtvsrw, {"signed": True}, facility=by_half("fp")),
    Insn("mtvsrwz", XX1(31, 243, rb=0), mtvsrw, {"signed": False}, facility=by_half("fp")),
    Insn("mtvsrws", XX1(31, 403, rb=0), mtvsrws, facility=by_half("vsx")),
)
