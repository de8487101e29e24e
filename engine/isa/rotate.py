"""Fixed-point rotate and shift instructions (ISA 3.0B 3.3.14).

Rotates: M form (rlw*), MD form (rld* with an immediate), MDS form (rldc*
with RB). Masks follow the ISA's MASK(mb, me), which wraps when mb > me; the
32-bit rotates use ROTL32, which doubles the word, so a wrapping mask keeps
bits of the rotated word in the high half too (as hardware and QEMU do).
Algebraic right shifts set CA and CA32 alike (ISA 3.0B: CA32 = CA for them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..bits import M32, M64, ppc_mask, rotl32, rotl64, s32, s64
from .fields import MD, MDS, XS, XSRAWI, M, X
from .insn import Insn, table
from .macros import cr0
from .specialize import pure

if TYPE_CHECKING:
    from ..state import CPUState


@pure
def mask(mb: int, me: int) -> int:
    """MASK(mb, me) over 64 bits (wrapping when mb > me), computed at decode time."""
    return ppc_mask(mb, me)


# -- rotates ---------------------------------------------------------------------
def rlwinm(c: CPUState, rs: int, ra: int, sh: int, mb: int, me: int, *, rc: int, sf: bool) -> None:
    """rlwinm: RA <- ROTL32(RS, SH) & MASK(MB+32, ME+32)."""
    g = c.gpr
    if mb <= me:
        # No wrap: the mask lies in the low word, so a plain 32-bit rotate will do.
        v = g[rs] & M32
        g[ra] = ((v << sh) | (v >> (32 - sh))) & mask(mb + 32, me + 32)
    else:
        g[ra] = rotl32(g[rs], sh) & mask(mb + 32, me + 32)
    if rc:
        cr0(c, g[ra], sf)


def rlwnm(c: CPUState, rs: int, ra: int, rb: int, mb: int, me: int, *, rc: int, sf: bool) -> None:
    """rlwnm: RA <- ROTL32(RS, RB[59:63]) & MASK(MB+32, ME+32)."""
    g = c.gpr
    g[ra] = rotl32(g[rs], g[rb] & 31) & mask(mb + 32, me + 32)
    if rc:
        cr0(c, g[ra], sf)


def rlwimi(c: CPUState, rs: int, ra: int, sh: int, mb: int, me: int, *, rc: int, sf: bool) -> None:
    """rlwimi: RA <- ROTL32(RS, SH) & m | RA & ~m, m = MASK(MB+32, ME+32)."""
    g = c.gpr
    g[ra] = (rotl32(g[rs], sh) & mask(mb + 32, me + 32)) | (g[ra] & (~mask(mb + 32, me + 32) & M64))
    if rc:
        cr0(c, g[ra], sf)


def rldi(c: CPUState, rs: int, ra: int, sh: int, mb: int, *, kind: str, rc: int, sf: bool) -> None:
    """rldicl/rldicr/rldic: RA <- ROTL64(RS, SH) & m, where m is MASK(mb, 63) ("l"),
    MASK(0, me) ("r") or MASK(mb, 63 - SH) ("c"); the 6-bit mb/me field is the same
    bits in every form."""
    g = c.gpr
    if kind == "l" and sh == 0:
        g[ra] = g[rs] & mask(mb, 63)  # clrldi
    else:
        v = g[rs]
        g[ra] = ((v << sh) | (v >> (64 - sh))) & (
            mask(mb, 63) if kind == "l" else mask(0, mb) if kind == "r" else mask(mb, 63 - sh)
        )
    if rc:
        cr0(c, g[ra], sf)


def rldimi(c: CPUState, rs: int, ra: int, sh: int, mb: int, *, rc: int, sf: bool) -> None:
    """rldimi: RA <- ROTL64(RS, SH) & m | RA & ~m, m = MASK(MB, 63 - SH)."""
    g = c.gpr
    g[ra] = (rotl64(g[rs], sh) & mask(mb, 63 - sh)) | (g[ra] & (~mask(mb, 63 - sh) & M64))
    if rc:
        cr0(c, g[ra], sf)


def rldc(c: CPUState, rs: int, ra: int, rb: int, mb: int, *, kind: str, rc: int, sf: bool) -> None:
    """rldcl/rldcr: RA <- ROTL64(RS, RB[58:63]) & MASK(mb, 63) or MASK(0, me)."""
    g = c.gpr
    g[ra] = rotl64(g[rs], g[rb] & 63) & (mask(mb, 63) if kind == "l" else mask(0, mb))
    if rc:
        cr0(c, g[ra], sf)


# -- shifts ---------------------------------------------------------------------
def shift_logical(c: CPUState, rs: int, ra: int, rb: int, *, width: int, left: bool, rc: int,
                  sf: bool) -> None:  # fmt: skip
    """slw/srw/sld/srd: the shift is RB's low log2(width)+1 bits; width or more gives 0."""
    g = c.gpr
    n = g[rb] & (2 * width - 1)  # 0x3F for words, 0x7F for doublewords
    if left:
        g[ra] = 0 if n >= width else (g[rs] << n) & ((1 << width) - 1)
    else:
        g[ra] = 0 if n >= width else (g[rs] & ((1 << width) - 1)) >> n
    if rc:
        cr0(c, g[ra], sf)


def shift_algebraic(c: CPUState, rs: int, ra: int, rb: int, *, width: int, rc: int,
                    sf: bool) -> None:  # fmt: skip
    """sraw/srad: CA = CA32 = (RS negative and 1-bits shifted out)."""
    g = c.gpr
    v = s32(g[rs]) if width == 32 else s64(g[rs])
    n = g[rb] & (2 * width - 1)
    if n >= width:
        r = v >> (width - 1)
        ca = int(v < 0)
    else:
        r = v >> n
        ca = int(v < 0 and (v & ((1 << n) - 1)) != 0)
    g[ra] = r & M64
    c.ca = c.ca32 = ca
    if rc:
        cr0(c, g[ra], sf)


def shift_algebraic_imm(c: CPUState, rs: int, ra: int, sh: int, *, width: int, rc: int,
                        sf: bool) -> None:  # fmt: skip
    """srawi/sradi: as sraw/srad with the shift in the word (below the width)."""
    g = c.gpr
    v = s32(g[rs]) if width == 32 else s64(g[rs])
    g[ra] = (v >> sh) & M64
    c.ca = c.ca32 = int(v < 0 and (v & ((1 << sh) - 1)) != 0)
    if rc:
        cr0(c, g[ra], sf)


def extswsli(c: CPUState, rs: int, ra: int, sh: int, *, rc: int, sf: bool) -> None:
    """extswsli: RA <- EXTS(RS[32:63]) << sh (ISA 3.0B)."""
    g = c.gpr
    g[ra] = (s32(g[rs]) << sh) & M64
    if rc:
        cr0(c, g[ra], sf)


OPS: list[Insn] = table(
    Insn("rlwinm", M(21), rlwinm),
    Insn("rlwnm", M(23), rlwnm),
    Insn("rlwimi", M(20), rlwimi),
    Insn("rldicl", MD(30, 0), rldi, {"kind": "l"}),
    Insn("rldicr", MD(30, 1), rldi, {"kind": "r"}),
    Insn("rldic", MD(30, 2), rldi, {"kind": "c"}),
    Insn("rldimi", MD(30, 3), rldimi),
    Insn("rldcl", MDS(30, 8), rldc, {"kind": "l"}),
    Insn("rldcr", MDS(30, 9), rldc, {"kind": "r"}),
    Insn("slw", X(31, 24), shift_logical, {"width": 32, "left": True}),
    Insn("srw", X(31, 536), shift_logical, {"width": 32, "left": False}),
    Insn("sld", X(31, 27), shift_logical, {"width": 64, "left": True}),
    Insn("srd", X(31, 539), shift_logical, {"width": 64, "left": False}),
    Insn("sraw", X(31, 792), shift_algebraic, {"width": 32}),
    Insn("srawi", XSRAWI(31, 824), shift_algebraic_imm, {"width": 32}),
    Insn("srad", X(31, 794), shift_algebraic, {"width": 64}),
    Insn("sradi", XS(31, 413), shift_algebraic_imm, {"width": 64}),
    Insn("extswsli", XS(31, 445), extswsli),
)
