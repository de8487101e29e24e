"""VSX vector compares, maximum/minimum, sign moves and tests (xv*dp on two binary64,
xv*sp on four binary32 elements, the words of the VSR), with the binary32 scalar test.

None of these round. A binary32 element is compared through its exact binary64
image (fpu.single_to_double keeps NaN payloads and their signalling bit), so the
binary64 helpers of vsx_scalar2 (is_nan, is_snan, key, vxvc) serve both widths;
the exponent tests (software divide/sqrt, data class) are per width.

FPSCR bookkeeping, as QEMU 7.2's helpers do it, in element order:

- a signalling NaN records VXSNAN at once and, with VE=1 and MSR[FE0|FE1] != 0,
  takes the program interrupt before XT (and CR6) is written;
- the ordered compares (ge, gt) record VXVC for every element with a NaN, also
  after VXSNAN when VE=1 (unlike the scalar forms), setting FEX when VE=1;
- max/min record VXSNAN only; FPRF, FI and FR are never changed.

Where QEMU 7.2 differs from the ISA and we follow QEMU:
- an enabled invalid operation (VE=1) with MSR[FE0|FE1] = 0 still writes XT and
  CR6 (the ISA leaves them unchanged);
- xststdcsp matches any operand whose biased binary64 exponent is 1..0x380 (below
  the binary32 normal range) whatever DCMX says, and sets CR[BF] bit 3 (SO) when
  the operand is not exactly a binary32 value;
- xvcmpnedp/xvcmpnesp (in Power ISA 3.0 drafts, not in 3.0B) are decoded on
  POWER9: all ones where XA[i] != XB[i], zero where either is a NaN (VXSNAN for
  a signalling one).

QEMU's xvmaxdp/xvmindp/xvmaxsp/xvminsp (xsmaxdp's helper) re-report overflow,
underflow or inexact left in its softfloat status by an earlier instruction;
also an emulator artefact, not modelled.

An enabled VXVC (VE=1, MSR[FE0|FE1] != 0) takes the program interrupt after XT
and CR6 are written, as the scalar ordered compares do. QEMU 7.2's vector
compare helpers only mark that interrupt pending without raising it, so it is
delivered at whatever later point QEMU next leaves its translated code (under a
debugger's single step, never): an artefact of the emulator, not modelled.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .. import fpu
from ..fpu import FPSCR_FPCC, FPSCR_VXSNAN
from .fields import XX2, XX2_DCMX, XX3_NORC, XX3_RC, reserved
from .insn import Insn, table
from .vector import elems, join
from .vsx_scalar import invalid
from .vsx_scalar2 import (
    FORMATS,
    QUIET,
    deferred,
    is_nan,
    is_snan,
    key,
    tdiv_flags,
    tsqrt_flags,
    vxvc,
)

if TYPE_CHECKING:
    from ..state import CPUState

VSX = "vsx"
S2D = fpu.single_to_double
D2S = fpu.double_to_single
# CR6 of a vector compare: 8 every element true, 2 none; CR6 is CR bits 24:27.
CR6_CLEAR = 0xFFFF_FF0F
SIGN32 = 0x8000_0000_8000_0000_8000_0000_8000_0000
SIGN64 = 0x8000_0000_0000_0000_8000_0000_0000_0000
M128 = (1 << 128) - 1


def _wide(v: int, sp: bool) -> list[int]:
    """The elements of ``v`` as binary64 images (binary32 words widened exactly)."""
    if sp:
        return [S2D(x) for x in elems(v, 32)]
    return list(elems(v, 64))


# -- compares --------------------------------------------------------------------------------
def xvcmp(c: CPUState, xt: int, xa: int, xb: int, *, rel: str, sp: bool, rc: int) -> None:
    """xvcmp{eq,ge,gt,ne}{dp,sp}: XT[i] <- all ones if XA[i] rel XB[i], else 0; with Rc=1
    CR6 <- all true || 0 || none true || 0.

    A NaN element compares false for every relation, ne included (as QEMU 7.2);
    eq and ne are quiet (VXSNAN only), ge and gt also record VXVC for it.
    """
    vs = c.vsr
    out: list[int] = []
    pending = False
    for a, b in zip(_wide(vs[xa], sp), _wide(vs[xb], sp), strict=True):
        if is_nan(a) or is_nan(b):
            if is_snan(a) or is_snan(b):
                invalid(c, FPSCR_VXSNAN, False)
            if rel == "ge" or rel == "gt":
                pending = vxvc(c) or pending
            out.append(0)
        elif rel == "eq":
            out.append(-(key(a) == key(b)))
        elif rel == "ne":
            out.append(-(key(a) != key(b)))
        elif rel == "gt":
            out.append(-(key(a) > key(b)))
        else:
            out.append(-(key(a) >= key(b)))
    w = 32 if sp else 64
    r = join(out, w)
    vs[xt] = r
    if rc:
        c.cr = (c.cr & CR6_CLEAR) | ((8 if r == M128 else 2 if r == 0 else 0) << 4)
    if pending:
        deferred(c)


# -- maximum / minimum -----------------------------------------------------------------------
def xvmaxmin(c: CPUState, xt: int, xa: int, xb: int, *, is_max: bool, sp: bool) -> None:
    """xv{max,min}{dp,sp}: each element as xsmaxdp/xsmindp (IEEE maxNum/minNum).

    A quiet NaN loses to a number; otherwise a NaN (XA first) is the result,
    quieted. -0 < +0; equal values give XA. A signalling NaN sets VXSNAN (with
    VE=1 and MSR[FE] != 0 interrupting before XT is written).
    """
    vs = c.vsr
    out: list[int] = []
    for a, b in zip(_wide(vs[xa], sp), _wide(vs[xb], sp), strict=True):
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
        out.append(D2S(r) if sp else r)
    vs[xt] = join(out, 32 if sp else 64)


# -- sign moves ------------------------------------------------------------------------------
def xv_sign(c: CPUState, xt: int, xb: int, *, op: str, sp: bool) -> None:
    """xv{abs,nabs,neg}{dp,sp}: each element of XB with its sign cleared, set or inverted."""
    vs = c.vsr
    s = SIGN32 if sp else SIGN64
    if op == "abs":
        vs[xt] = vs[xb] & ~s
    elif op == "nabs":
        vs[xt] = vs[xb] | s
    else:
        vs[xt] = vs[xb] ^ s


def xvcpsgn(c: CPUState, xt: int, xa: int, xb: int, *, sp: bool) -> None:
    """xvcpsgn{dp,sp}: each element <- the sign of XA's with the magnitude of XB's."""
    vs = c.vsr
    s = SIGN32 if sp else SIGN64
    vs[xt] = (vs[xa] & s) | (vs[xb] & ~s & M128)


# -- software-divide and square-root tests ---------------------------------------------------
def xvtdiv(c: CPUState, bf: int, xa: int, xb: int, *, sp: bool) -> None:
    """xvtdiv{dp,sp}: CR[BF] <- 0b1000 | FG | FE, ORed over the element pairs."""
    vs = c.vsr
    w = 32 if sp else 64
    f = 0
    for a, b in zip(elems(vs[xa], w), elems(vs[xb], w), strict=True):
        f |= tdiv_flags(a, b, w)
    sh = 4 * (7 - bf)
    c.cr = (c.cr & ~(0xF << sh)) | ((8 | f) << sh)


def xvtsqrt(c: CPUState, bf: int, xb: int, *, sp: bool) -> None:
    """xvtsqrt{dp,sp}: CR[BF] <- 0b1000 | FG | FE, ORed over the elements."""
    w = 32 if sp else 64
    f = 0
    for b in elems(c.vsr[xb], w):
        f |= tsqrt_flags(b, w)
    sh = 4 * (7 - bf)
    c.cr = (c.cr & ~(0xF << sh)) | ((8 | f) << sh)


# -- test data class -------------------------------------------------------------------------
def dc_match(b: int, dcmx: int, w: int) -> bool:
    """Whether ``b`` is in a class DCMX selects: 0x40 NaN, 0x20/0x10 +/-infinity,
    0x08/0x04 +/-zero, 0x02/0x01 +/-denormal."""
    mag, inf, sh = FORMATS[w][:3]
    m = b & mag
    pos = b <= mag
    if m > inf:
        bit = 0x40
    elif m == inf:
        bit = 0x20 if pos else 0x10
    elif m == 0:
        bit = 0x08 if pos else 0x04
    elif m >> sh == 0:
        bit = 0x02 if pos else 0x01
    else:
        return False
    return bool(dcmx & bit)


def xststdc(c: CPUState, bf: int, xb: int, dcmx: int, *, sp: bool) -> None:
    """xststdc{dp,sp}: CR[BF] and FPCC <- sign || 0 || match || 0 for XB.dw0.

    xststdcsp (QEMU 7.2): also a match for a biased exponent 1..0x380, and bit 3
    set when XB.dw0 is not exactly a binary32 value.
    """
    b = c.vsr[xb] >> 64
    match = dc_match(b, dcmx, 64)
    cc = (b >> 63) << 3
    if sp:
        e = (b >> 52) & 0x7FF
        match = match or 0 < e < 0x381
        cc |= S2D(D2S(b)) != b
    cc |= match << 1
    c.fpscr = (c.fpscr & ~FPSCR_FPCC) | (cc << 12)
    sh = 4 * (7 - bf)
    c.cr = (c.cr & ~(0xF << sh)) | (cc << sh)


def xvtstdc(c: CPUState, xt: int, xb: int, dcmx: int, *, sp: bool) -> None:
    """xvtstdc{dp,sp}: XT[i] <- all ones if XB[i] is in a class DCMX selects, else 0."""
    vs = c.vsr
    w = 32 if sp else 64
    vs[xt] = join([-dc_match(b, dcmx, w) for b in elems(vs[xb], w)], w)


# -- exponent and significand ----------------------------------------------------------------
def xvxexp(c: CPUState, xt: int, xb: int, *, sp: bool) -> None:
    """xvxexp{dp,sp}: each element <- the biased exponent field of XB's."""
    vs = c.vsr
    if sp:
        vs[xt] = join([(x >> 23) & 0xFF for x in elems(vs[xb], 32)], 32)
    else:
        vs[xt] = join([(x >> 52) & 0x7FF for x in elems(vs[xb], 64)], 64)


def xvxsig(c: CPUState, xt: int, xb: int, *, sp: bool) -> None:
    """xvxsig{dp,sp}: each element <- XB's fraction, with the implicit 1 unless the
    exponent is 0 or all ones."""
    vs = c.vsr
    if sp:
        out = [(x & 0x7F_FFFF) | (0x80_0000 if 0 < (x >> 23) & 0xFF < 0xFF else 0)
               for x in elems(vs[xb], 32)]  # fmt: skip
        vs[xt] = join(out, 32)
    else:
        out = [(x & fpu.FRAC) | (fpu.IMPL if 0 < (x >> 52) & 0x7FF < 0x7FF else 0)
               for x in elems(vs[xb], 64)]  # fmt: skip
        vs[xt] = join(out, 64)


def xviexp(c: CPUState, xt: int, xa: int, xb: int, *, sp: bool) -> None:
    """xviexp{dp,sp}: each element <- XA's sign and fraction with the exponent from the
    low 8 (11) bits of XB's."""
    vs = c.vsr
    if sp:
        out = [(a & 0x807F_FFFF) | ((b & 0xFF) << 23)
               for a, b in zip(elems(vs[xa], 32), elems(vs[xb], 32), strict=True)]  # fmt: skip
        vs[xt] = join(out, 32)
    else:
        out = [(a & 0x800F_FFFF_FFFF_FFFF) | ((b & 0x7FF) << 52)
               for a, b in zip(elems(vs[xa], 64), elems(vs[xb], 64), strict=True)]  # fmt: skip
        vs[xt] = join(out, 64)


# -- the table -------------------------------------------------------------------------------
def _cmp(name: str, xo: int, rel: str, sp: bool) -> Insn:
    return Insn(name, XX3_RC(60, xo), xvcmp, {"rel": rel, "sp": sp}, facility=VSX)


def _x3(name: str, xo: int, sem: Callable[..., None], **params: object) -> Insn:
    return Insn(name, XX3_NORC(60, xo), sem, params, facility=VSX)


def _sign(name: str, xo: int, op: str, sp: bool) -> Insn:
    # QEMU 7.2 requires bits 11:15 = 0 (decodetree), unlike the older XX2 forms.
    return Insn(name, reserved(XX2(60, xo), 0x1F << 16), xv_sign, {"op": op, "sp": sp},
                facility=VSX, syntax="xt, xb")  # fmt: skip


CMP_OPS: list[Insn] = [
    _cmp("xvcmpeqdp", 99, "eq", False),
    _cmp("xvcmpgtdp", 107, "gt", False),
    _cmp("xvcmpgedp", 115, "ge", False),
    _cmp("xvcmpnedp", 123, "ne", False),
    _cmp("xvcmpeqsp", 67, "eq", True),
    _cmp("xvcmpgtsp", 75, "gt", True),
    _cmp("xvcmpgesp", 83, "ge", True),
    _cmp("xvcmpnesp", 91, "ne", True),
    _x3("xvmaxdp", 224, xvmaxmin, is_max=True, sp=False),
    _x3("xvmindp", 232, xvmaxmin, is_max=False, sp=False),
    _x3("xvmaxsp", 192, xvmaxmin, is_max=True, sp=True),
    _x3("xvminsp", 200, xvmaxmin, is_max=False, sp=True),
]

OPS: list[Insn] = table(*CMP_OPS)


def _x2(name: str, xo: int, sem: Callable[..., None], syntax: str, **params: object) -> Insn:
    # QEMU 7.2 decodes these older XX2 forms without checking bits 9:10 or 11:15 (reserved).
    return Insn(name, XX2(60, xo), sem, params, facility=VSX, syntax=syntax)


def _tstdc(name: str, x21: int, sp: bool) -> Insn:
    return Insn(name, XX2_DCMX(60, 0b101, x21=x21), xvtstdc, {"sp": sp}, facility=VSX,
                syntax="xt, xb, dcmx")  # fmt: skip


def _xx(name: str, sub: int, sem: Callable[..., None], sp: bool) -> Insn:
    # bits 11:15 select the operation (QEMU's opc4 table, decodetree for xvxsigsp).
    return Insn(name, XX2(60, 475, ra=sub), sem, {"sp": sp}, facility=VSX, syntax="xt, xb")


TEST_OPS: list[Insn] = [
    _sign("xvabsdp", 473, "abs", False),
    _sign("xvnabsdp", 489, "nabs", False),
    _sign("xvnegdp", 505, "neg", False),
    _sign("xvabssp", 409, "abs", True),
    _sign("xvnabssp", 425, "nabs", True),
    _sign("xvnegsp", 441, "neg", True),
    _x3("xvcpsgndp", 240, xvcpsgn, sp=False),
    _x3("xvcpsgnsp", 208, xvcpsgn, sp=True),
    # bits 9:10 and 31 are reserved; QEMU 7.2 ignores them.
    _x3("xvtdivdp", 125, xvtdiv, sp=False),
    _x3("xvtdivsp", 93, xvtdiv, sp=True),
    _x2("xvtsqrtdp", 234, xvtsqrt, "bf, xb", sp=False),
    _x2("xvtsqrtsp", 170, xvtsqrt, "bf, xb", sp=True),
    # bit 31 is reserved; QEMU 7.2 ignores it.
    _x2("xststdcdp", 362, xststdc, "bf, xb, dcmx", sp=False),
    _x2("xststdcsp", 298, xststdc, "bf, xb, dcmx", sp=True),
    _tstdc("xvtstdcdp", 0b1111, False),
    _tstdc("xvtstdcsp", 0b1101, True),
    _xx("xvxexpdp", 0, xvxexp, False),
    _xx("xvxsigdp", 1, xvxsig, False),
    _xx("xvxexpsp", 8, xvxexp, True),
    _xx("xvxsigsp", 9, xvxsig, True),
    _x3("xviexpdp", 248, xviexp, sp=False),
    _x3("xviexpsp", 216, xviexp, sp=True),
]

OPS += table(*TEST_OPS)
