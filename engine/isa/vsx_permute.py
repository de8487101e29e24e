"""VSX logical, select and permute instructions (ISA 3.0B 7.6.1.6-7.6.1.8).

xxland ... xxleqv, xxsel, xxpermdi, xxsldwi, xxmrghw/xxmrglw, xxspltw,
xxspltib, xxperm/xxpermr, xxextractuw/xxinsertw and xxbrh/w/d/q. All need
MSR[VSX] except xxspltib, which needs MSR[VEC] for VSRs 32-63 (the ISA and
QEMU 7.2 agree). Operands are whole VSRs (``c.vsr``, byte 0 most significant).

Reserved bits: bit 21 of xxpermdi/xxsldwi and bits 11:12 of xxspltib select
other instructions and are fixed; bits 11:13 of xxspltw and bit 11 of
xxextractuw/xxinsertw are ignored, as QEMU 7.2 ignores them (ISA 3.0B 1.3.3
lets the processor ignore reserved fields).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .fields import X1S, XX2, XX3DM, XX3P, XX4
from .insn import Insn, table
from .vector import M64, M128, swap_bytes
from .vsx_move import by_half

if TYPE_CHECKING:
    from ..state import CPUState

M32 = 0xFFFF_FFFF
SPLAT8 = int.from_bytes(b"\x01" * 16, "big")  # x * SPLAT8: the byte x in all 16 bytes
SPLAT32 = (1 << 96) | (1 << 64) | (1 << 32) | 1  # x * SPLAT32: the word x in all 4 words


def xxlogic(c: CPUState, xt: int, xa: int, xb: int, *, op: str) -> None:
    """XT <- XA op XB, bitwise over all 128 bits."""
    vs = c.vsr
    a = vs[xa]
    b = vs[xb]
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
    vs[xt] = r


def xxsel(c: CPUState, xt: int, xa: int, xb: int, xc: int) -> None:
    """XT <- XB where XC has a 1, XA where it has a 0."""
    vs = c.vsr
    m = vs[xc]
    vs[xt] = (vs[xa] & ~m & M128) | (vs[xb] & m)


def xxpermdi(c: CPUState, xt: int, xa: int, xb: int, *, dm: int) -> None:
    """XT <- XA doubleword DM[0] || XB doubleword DM[1] (xxmrghd, xxswapd, xxspltd...)."""
    vs = c.vsr
    a = vs[xa]
    b = vs[xb]
    hi = (a & M64) if dm & 2 else a >> 64
    lo = (b & M64) if dm & 1 else b >> 64
    vs[xt] = (hi << 64) | lo


def xxsldwi(c: CPUState, xt: int, xa: int, xb: int, *, shw: int) -> None:
    """XT <- words SHW..SHW+3 of XA || XB."""
    vs = c.vsr
    vs[xt] = (((vs[xa] << 128) | vs[xb]) >> (128 - 32 * shw)) & M128


def xxmrgw(c: CPUState, xt: int, xa: int, xb: int, *, high: bool) -> None:
    """xxmrghw (words 0, 1) / xxmrglw (words 2, 3): XT <- A.w[i] B.w[i] A.w[i+1] B.w[i+1]."""
    vs = c.vsr
    if high:
        a = vs[xa] >> 64
        b = vs[xb] >> 64
    else:
        a = vs[xa] & M64
        b = vs[xb] & M64
    vs[xt] = ((a >> 32) << 96) | ((b >> 32) << 64) | ((a & M32) << 32) | (b & M32)


def xxspltw(c: CPUState, xt: int, xb: int, *, uim2: int) -> None:
    """XT <- word UIM of XB in all four words."""
    vs = c.vsr
    vs[xt] = ((vs[xb] >> (96 - 32 * uim2)) & M32) * SPLAT32


def xxspltib(c: CPUState, xt: int, imm8: int) -> None:
    """XT <- IMM8 in all sixteen bytes."""
    c.vsr[xt] = imm8 * SPLAT8


def xxperm(c: CPUState, xt: int, xa: int, xb: int, *, reverse: bool) -> None:
    """xxperm: XT.byte[i] <- (XA || XT).byte[XB.byte[i] & 31]; xxpermr counts from the end.

    ``bytes.translate`` with the 32 source bytes repeated to 256 looks every
    selector byte up at once (the selector's top 3 bits are ignored).
    """
    vs = c.vsr
    src = vs[xa].to_bytes(16, "big") + vs[xt].to_bytes(16, "big")
    if reverse:
        src = src[::-1]
    vs[xt] = int.from_bytes(vs[xb].to_bytes(16, "big").translate(src * 8), "big")


def xxextractuw(c: CPUState, xt: int, xb: int, uim4: int) -> None:
    """XT <- 0 || bytes UIM..UIM+3 of XB || 0 (doubleword 0 = the word zero-extended).

    The ISA leaves UIM > 12 undefined; QEMU 7.2 (as POWER9 hardware) wraps
    around to byte 0, which the doubled register gives here.
    """
    vs = c.vsr
    v = vs[xb]
    vs[xt] = ((((v << 128) | v) >> ((28 - uim4) * 8)) & M32) << 64


def xxinsertw(c: CPUState, xt: int, xb: int, *, uim4: int) -> None:
    """XT bytes UIM..UIM+3 <- word 1 of XB; the rest of XT is kept.

    The ISA leaves UIM > 12 undefined; QEMU 7.2 stores only the word's bytes
    that still fit (its first 16 - UIM bytes), and so do we.
    """
    vs = c.vsr
    w = (vs[xb] >> 64) & M32
    if uim4 <= 12:
        keep = ~(M32 << ((12 - uim4) * 8)) & M128
        vs[xt] = (vs[xt] & keep) | (w << ((12 - uim4) * 8))
    else:
        keep = ~(M32 >> ((uim4 - 12) * 8)) & M128
        vs[xt] = (vs[xt] & keep) | (w >> ((uim4 - 12) * 8))


def xxbr(c: CPUState, xt: int, xb: int, *, width: int) -> None:
    """xxbrh/xxbrw/xxbrd/xxbrq: each ``width``-bit element of XB with its bytes reversed."""
    vs = c.vsr
    if width == 128:
        vs[xt] = int.from_bytes(vs[xb].to_bytes(16, "big"), "little")
    else:
        vs[xt] = swap_bytes(vs[xb], width)


def _logic(mnemonic: str, xo: int, op: str) -> Insn:
    return Insn(mnemonic, XX3P(60, xo), xxlogic, {"op": op}, facility="vsx")


def _br(mnemonic: str, sub: int, width: int) -> Insn:
    return Insn(mnemonic, XX2(60, 475, sub=sub), xxbr, {"width": width}, facility="vsx",
                syntax="xt, xb")  # fmt: skip


OPS: list[Insn] = table(
    _logic("xxland", 130, "and"),
    _logic("xxlandc", 138, "andc"),
    _logic("xxlor", 146, "or"),
    _logic("xxlxor", 154, "xor"),
    _logic("xxlnor", 162, "nor"),
    _logic("xxlorc", 170, "orc"),
    _logic("xxlnand", 178, "nand"),
    _logic("xxleqv", 186, "eqv"),
    Insn("xxsel", XX4(60, 3), xxsel, facility="vsx"),
    Insn("xxpermdi", XX3DM(60, 10, b21=0), xxpermdi, facility="vsx", syntax="xt, xa, xb, dm"),
    Insn("xxsldwi", XX3DM(60, 2, b21=0), xxsldwi, facility="vsx", syntax="xt, xa, xb, shw"),
    Insn("xxmrghw", XX3P(60, 18), xxmrgw, {"high": True}, facility="vsx"),
    Insn("xxmrglw", XX3P(60, 50), xxmrgw, {"high": False}, facility="vsx"),
    Insn("xxspltw", XX2(60, 164), xxspltw, facility="vsx", syntax="xt, xb, uim2"),
    Insn("xxspltib", X1S(60, 360, b11=0), xxspltib, facility=by_half("vsx")),
    Insn("xxperm", XX3P(60, 26), xxperm, {"reverse": False}, facility="vsx"),
    Insn("xxpermr", XX3P(60, 58), xxperm, {"reverse": True}, facility="vsx"),
    Insn("xxextractuw", XX2(60, 165), xxextractuw, facility="vsx", syntax="xt, xb, uim4"),
    Insn("xxinsertw", XX2(60, 181), xxinsertw, facility="vsx", syntax="xt, xb, uim4"),
    _br("xxbrh", 7, 16),
    _br("xxbrw", 15, 32),
    _br("xxbrd", 23, 64),
    _br("xxbrq", 31, 128),
)
