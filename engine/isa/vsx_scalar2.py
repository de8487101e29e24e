"""VSX scalar binary64 moves, compares, maximum/minimum and tests (xs*dp without rounding).

These instructions never round, so the FPSCR bookkeeping is only the
invalid-operation causes, recorded as QEMU 7.2's helpers do:

- VXSNAN is recorded at once and, with VE=1 and MSR[FE0|FE1] != 0, the
  program interrupt is taken before anything is written;
- VXVC (ordered compares of a NaN) is deferred: the targets (CR field, FPCC,
  XT) are written first and the interrupt is taken after;
- a scalar result leaves doubleword 1 of XT zero.

Where QEMU 7.2 differs from the ISA and we follow QEMU:
- xsmaxcdp/xsmincdp/xsmaxjdp/xsminjdp return a NaN operand as it is (a
  signalling NaN is not quieted), and xsmaxjdp/xsminjdp leave XT unchanged
  whenever VE=1 and an operand is a signalling NaN, even with MSR[FE0|FE1]=0.
- QEMU's xsmaxdp/xsmindp/xscmpexpdp re-report overflow/underflow/inexact left
  in its softfloat status by an earlier instruction (they do not clear it);
  that is an artefact of the emulator, not modelled here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import fpu
from ..fpu import FPSCR_FEX, FPSCR_FPCC, FPSCR_FX, FPSCR_VE, FPSCR_VX, FPSCR_VXSNAN, FPSCR_VXVC
from .fields import XX1, XX2, XX3_NORC, reserved
from .insn import Insn, table
from .vsx_scalar import MSR_FE, fp_interrupt, invalid

if TYPE_CHECKING:
    from ..state import CPUState

VSX = "vsx"
SIGN = fpu.SIGN
MAG = ~fpu.SIGN & ((1 << 64) - 1)
INF = fpu.INF
QUIET = fpu.QUIET
DW0_ONES = ((1 << 64) - 1) << 64
# CR field / FPCC values: FL (less), FG (greater), FE (equal), FU (unordered).
CC_LT, CC_GT, CC_EQ, CC_UN = 8, 4, 2, 1


# -- shared pieces ---------------------------------------------------------------------------
def is_nan(b: int) -> bool:
    return (b & MAG) > INF


def is_snan(b: int) -> bool:
    return (b & MAG) > INF and not b & QUIET


def key(b: int) -> int:
    """An integer ordering non-NaN binary64 images by value (±0 equal)."""
    return -(b & MAG) if b >> 63 else b


def vxvc(c: CPUState) -> bool:
    """Record VXVC; returns whether an enabled (deferred) interrupt is pending."""
    fs = c.fpscr | FPSCR_VXVC | FPSCR_VX | FPSCR_FX
    if fs & FPSCR_VE:
        c.fpscr = fs | FPSCR_FEX
        return True
    c.fpscr = fs
    return False


def deferred(c: CPUState) -> None:
    """The deferred VXVC interrupt, after the targets are written."""
    if c.msr & MSR_FE:
        raise fp_interrupt()


# -- sign moves ------------------------------------------------------------------------------
def xs_sign(c: CPUState, xt: int, xb: int, *, op: str) -> None:
    """xsabsdp/xsnabsdp/xsnegdp: XT.dw0 <- XB.dw0 with its sign cleared, set or inverted."""
    vs = c.vsr
    b = vs[xb] >> 64
    if op == "abs":
        vs[xt] = (b & MAG) << 64
    elif op == "nabs":
        vs[xt] = (b | SIGN) << 64
    else:
        vs[xt] = (b ^ SIGN) << 64


def xscpsgndp(c: CPUState, xt: int, xa: int, xb: int) -> None:
    """XT.dw0 <- the sign of XA.dw0 with the magnitude of XB.dw0."""
    vs = c.vsr
    vs[xt] = (((vs[xa] >> 64) & SIGN) | ((vs[xb] >> 64) & MAG)) << 64


# -- compares --------------------------------------------------------------------------------
def xscmp(c: CPUState, bf: int, xa: int, xb: int, *, ordered: bool) -> None:
    """xscmpudp/xscmpodp: CR[BF] and FPSCR[FPCC] <- XA ? XB; VXSNAN, and VXVC if ordered.

    The CR field and FPCC are written before either cause is recorded; VXVC is
    not recorded for a signalling NaN when VE=1 (the VXSNAN interrupt comes first).
    """
    vs = c.vsr
    a = vs[xa] >> 64
    b = vs[xb] >> 64
    if is_nan(a) or is_nan(b):
        cc = CC_UN
    else:
        ka, kb = key(a), key(b)
        cc = CC_LT if ka < kb else CC_GT if ka > kb else CC_EQ
    c.fpscr = (c.fpscr & ~FPSCR_FPCC) | (cc << 12)
    sh = 4 * (7 - bf)
    c.cr = (c.cr & ~(0xF << sh)) | (cc << sh)
    if cc == CC_UN:
        pending = False
        if is_snan(a) or is_snan(b):
            vc = ordered and not c.fpscr & FPSCR_VE
            invalid(c, FPSCR_VXSNAN, False)
        else:
            vc = ordered
        if vc:
            pending = vxvc(c)
        if pending:
            deferred(c)


def xscmp_mask(c: CPUState, xt: int, xa: int, xb: int, *, rel: str) -> None:
    """xscmpeqdp/xscmpgtdp/xscmpgedp: XT.dw0 <- all ones if XA rel XB, else zeros.

    eq is a quiet compare (VXSNAN only); gt and ge signal: any NaN gives VXVC,
    a signalling NaN VXSNAN too (VXVC only when VE=0).
    """
    vs = c.vsr
    a = vs[xa] >> 64
    b = vs[xb] >> 64
    pending = False
    if is_nan(a) or is_nan(b):
        r = False
        vc = rel != "eq"
        if is_snan(a) or is_snan(b):
            vc = vc and not c.fpscr & FPSCR_VE
            invalid(c, FPSCR_VXSNAN, False)
        if vc:
            pending = vxvc(c)
    elif rel == "eq":
        r = key(a) == key(b)
    elif rel == "gt":
        r = key(a) > key(b)
    else:
        r = key(a) >= key(b)
    vs[xt] = DW0_ONES if r else 0
    if pending:
        deferred(c)


def xscmpexpdp(c: CPUState, bf: int, xa: int, xb: int) -> None:
    """CR[BF] and FPSCR[FPCC] <- the biased exponents of XA and XB compared (FU for a NaN)."""
    vs = c.vsr
    a = vs[xa] >> 64
    b = vs[xb] >> 64
    if is_nan(a) or is_nan(b):
        cc = CC_UN
    else:
        ea, eb = (a >> 52) & 0x7FF, (b >> 52) & 0x7FF
        cc = CC_LT if ea < eb else CC_GT if ea > eb else CC_EQ
    c.fpscr = (c.fpscr & ~FPSCR_FPCC) | (cc << 12)
    sh = 4 * (7 - bf)
    c.cr = (c.cr & ~(0xF << sh)) | (cc << sh)


# -- maximum / minimum -----------------------------------------------------------------------
def xsmaxmin(c: CPUState, xt: int, xa: int, xb: int, *, is_max: bool) -> None:
    """xsmaxdp/xsmindp: IEEE 754-2008 maxNum/minNum.

    A quiet NaN loses to a number; otherwise a NaN operand (XA first) is the
    result, quieted. -0 < +0; equal operands give XA. A signalling NaN sets
    VXSNAN (and with VE=1, MSR[FE] != 0 interrupts before XT is written).
    """
    vs = c.vsr
    a = vs[xa] >> 64
    b = vs[xb] >> 64
    an, bn = is_nan(a), is_nan(b)
    if an or bn:
        sn = is_snan(a) or is_snan(b)
        if not sn and not (an and bn):
            r = b if an else a
        else:
            r = (a if an else b) | QUIET
        if sn:
            invalid(c, FPSCR_VXSNAN, False)
    else:
        ka, kb = key(a), key(b)
        if ka == kb:  # equal values: the sign decides (-0 < +0), else XA
            ka, kb = (b >> 63) - (a >> 63), 0
        if is_max:
            r = b if ka < kb else a
        else:
            r = b if ka > kb else a
    vs[xt] = r << 64


def xsmaxmin_c(c: CPUState, xt: int, xa: int, xb: int, *, is_max: bool) -> None:
    """xsmaxcdp/xsmincdp: XA if XA > XB (max) / XA < XB (min), else XB (any NaN: XB, unquieted).

    The compare is quiet: a signalling NaN sets VXSNAN only; FI and the status
    bits are untouched.
    """
    vs = c.vsr
    a = vs[xa] >> 64
    b = vs[xb] >> 64
    if is_nan(a) or is_nan(b):
        if is_snan(a) or is_snan(b):
            invalid(c, FPSCR_VXSNAN, False)
        r = b
    elif is_max:
        r = a if key(b) <= key(a) else b
    else:
        r = a if key(a) < key(b) else b
    vs[xt] = r << 64


def xsmaxmin_j(c: CPUState, xt: int, xa: int, xb: int, *, is_max: bool) -> None:
    """xsmaxjdp/xsminjdp: a NaN operand (XA first) as it is; max(+0,-0) = +0, min = -0.

    With VE=1 a signalling NaN leaves XT unchanged, with MSR[FE] = 0 as well.
    """
    vs = c.vsr
    a = vs[xa] >> 64
    b = vs[xb] >> 64
    write = True
    if is_nan(a) or is_nan(b):
        if is_nan(a):
            sn, r = is_snan(a), a
        else:
            sn, r = is_snan(b), b
        if sn:
            invalid(c, FPSCR_VXSNAN, False)
            write = not c.fpscr & FPSCR_VE
    elif not (a | b) & MAG:  # both zeros
        if is_max:
            r = SIGN if a & b & SIGN else 0
        else:
            r = SIGN if (a | b) & SIGN else 0
    else:
        lt = key(a) < key(b)
        r = a if lt != is_max else b
    if write:
        vs[xt] = r << 64


# -- software-divide and square-root tests ---------------------------------------------------
# Per element width: (magnitude mask, infinity, exponent shift, bias, Emin, Emax, fraction bits).
FORMATS: dict[int, tuple[int, int, int, int, int, int, int]] = {
    64: (MAG, INF, 52, 1023, -1022, 1023, 52),
    32: (0x7FFF_FFFF, 0x7F80_0000, 23, 127, -126, 127, 23),
}


def tdiv_flags(a: int, b: int, w: int) -> int:
    """FG | FE (0b100, 0b010) of one element pair: whether a ÷ b needs a software path."""
    mag, inf, sh, bias, emin, emax, nbits = FORMATS[w]
    ma, mb = a & mag, b & mag
    if ma == inf or mb == inf or mb == 0:
        return 6
    fe = 0
    ea = (ma >> sh) - bias
    eb = (mb >> sh) - bias
    if ma > inf or mb > inf:
        fe = 2
    elif eb <= emin or eb >= emax - 2:
        fe = 2
    elif ma and (ea - eb >= emax or ea - eb <= emin + 1 or ea <= emin + nbits):
        fe = 2
    # XB is a denormal (not zero: tested above)
    return fe | 4 if mb >> sh == 0 else fe


def tsqrt_flags(b: int, w: int) -> int:
    """FG | FE (0b100, 0b010) of one element: whether √b needs a software path."""
    mag, inf, sh, bias, emin, _, nbits = FORMATS[w]
    mb = b & mag
    if mb == inf or mb == 0:
        return 6
    fe = 0
    if mb > inf or b > mag or (mb >> sh) - bias <= emin + nbits:
        fe = 2
    return fe | 4 if mb >> sh == 0 else fe


def xstdivdp(c: CPUState, bf: int, xa: int, xb: int) -> None:
    """CR[BF] <- 0b1000 | FG | FE: whether XA ÷ XB needs a software path (ISA 7.6)."""
    vs = c.vsr
    sh = 4 * (7 - bf)
    c.cr = (c.cr & ~(0xF << sh)) | ((8 | tdiv_flags(vs[xa] >> 64, vs[xb] >> 64, 64)) << sh)


def xstsqrtdp(c: CPUState, bf: int, xb: int) -> None:
    """CR[BF] <- 0b1000 | FG | FE: whether √XB needs a software path (ISA 7.6)."""
    sh = 4 * (7 - bf)
    c.cr = (c.cr & ~(0xF << sh)) | ((8 | tsqrt_flags(c.vsr[xb] >> 64, 64)) << sh)


# -- the table -------------------------------------------------------------------------------
def _x2(name: str, xo: int, sem: Callable[..., None], params: dict[str, Any] | None = None,
        syntax: str = "xt, xb") -> Insn:  # fmt: skip
    # QEMU 7.2 decodes these XX2 forms without checking bits 11:15 (reserved).
    return Insn(name, XX2(60, xo), sem, params or {}, facility=VSX, syntax=syntax)


def _x3(name: str, xo: int, sem: Callable[..., None], params: dict[str, Any] | None = None) -> Insn:
    return Insn(name, XX3_NORC(60, xo), sem, params or {}, facility=VSX)


CMP_OPS: list[Insn] = [
    _x2("xsabsdp", 345, xs_sign, {"op": "abs"}),
    _x2("xsnabsdp", 361, xs_sign, {"op": "nabs"}),
    _x2("xsnegdp", 377, xs_sign, {"op": "neg"}),
    _x3("xscpsgndp", 176, xscpsgndp),
    # xscmpudp/xscmpodp: QEMU requires bit 31 = 0 (and ignores bits 9:10).
    Insn("xscmpudp", reserved(XX3_NORC(60, 35), 1), xscmp, {"ordered": False}, facility=VSX),
    Insn("xscmpodp", reserved(XX3_NORC(60, 43), 1), xscmp, {"ordered": True}, facility=VSX),
    _x3("xscmpeqdp", 3, xscmp_mask, {"rel": "eq"}),
    _x3("xscmpgtdp", 11, xscmp_mask, {"rel": "gt"}),
    _x3("xscmpgedp", 19, xscmp_mask, {"rel": "ge"}),
    _x3("xscmpexpdp", 59, xscmpexpdp),
    _x3("xsmaxdp", 160, xsmaxmin, {"is_max": True}),
    _x3("xsmindp", 168, xsmaxmin, {"is_max": False}),
    _x3("xsmaxcdp", 128, xsmaxmin_c, {"is_max": True}),
    _x3("xsmincdp", 136, xsmaxmin_c, {"is_max": False}),
    _x3("xsmaxjdp", 144, xsmaxmin_j, {"is_max": True}),
    _x3("xsminjdp", 152, xsmaxmin_j, {"is_max": False}),
    _x3("xstdivdp", 61, xstdivdp),
    _x2("xstsqrtdp", 106, xstsqrtdp, syntax="bf, xb"),
]

OPS: list[Insn] = table(*CMP_OPS)


# -- exponent and significand moves (no FPSCR effect) ----------------------------------------
def xsxexpdp(c: CPUState, rt: int, xb: int) -> None:
    """RT <- the biased exponent field of XB.dw0."""
    c.gpr[rt] = (c.vsr[xb] >> 116) & 0x7FF


def xsxsigdp(c: CPUState, rt: int, xb: int) -> None:
    """RT <- the significand of XB.dw0: its fraction, with the implicit 1 unless 0 or 2047."""
    b = c.vsr[xb] >> 64
    e = (b >> 52) & 0x7FF
    c.gpr[rt] = (b & fpu.FRAC) | (fpu.IMPL if 0 < e < 0x7FF else 0)


def xsiexpdp(c: CPUState, xt: int, ra: int, rb: int) -> None:
    """XT.dw0 <- the sign and fraction of RA with the exponent RB[53:63]; dw1 <- 0."""
    g = c.gpr
    c.vsr[xt] = ((g[ra] & 0x800F_FFFF_FFFF_FFFF) | ((g[rb] & 0x7FF) << 52)) << 64


EXP_OPS: list[Insn] = [
    # bits 11:15 select the operation (QEMU's opc4 table); TX (bit 31) is ignored.
    Insn("xsxexpdp", XX2(60, 347, ra=0), xsxexpdp, facility=VSX, syntax="rt, xb"),
    Insn("xsxsigdp", XX2(60, 347, ra=1), xsxsigdp, facility=VSX, syntax="rt, xb"),
    Insn("xsiexpdp", XX1(60, 918), xsiexpdp, facility=VSX),
]

OPS += table(*EXP_OPS)
