"""VSX vector conversions and round-to-integral (xvcv*, xvr{dp,sp}i*).

Each element is converted as its scalar form in engine.isa.vsx_convert does
it (engine.fpu's rounding, the same NaN and saturation results); the FPSCR
bookkeeping is the vector forms' of engine.isa.vsx_vector, as QEMU 7.2 does
it: an invalid-operation cause is recorded as its element is reached (with
VE=1 and MSR[FE0|FE1] != 0 the interrupt is taken at once, XT unchanged),
XT is written, then OX/UX/XX ORed over the elements are recorded. FPRF, FI
and FR are left alone, except that a VXCVI clears FR and FI. xvcvsxdsp and
xvcvuxdsp round each integer to binary32 once (the scalar forms round twice);
of the round-to-integral forms only the "c" ones (FPSCR[RN]) set XX.

Element layout (element i of a doubleword form is doubleword i):
- binary32 sources of the doubleword results (xvcvspdp, xvcvsp{s,u}xds,
  xvcv{s,u}xwdp) are words 0 and 2 of XB;
- word results of doubleword sources (xvcvdpsp, xvcvdp{s,u}xws,
  xvcv{s,u}xdsp) are written to both words of each doubleword of XT (the ISA
  3.0B leaves words 1 and 3 undefined; POWER9 and QEMU 7.2 copy them).

Where QEMU 7.2 differs from the ISA and we follow QEMU:
- xvcv{dp,sp}{s,u}x{d,w}s: as the scalar forms, a NaN gives 0x8000... (signed)
  or 0 (unsigned), an out-of-range value saturates with VXCVI and no XX. The
  helper tests softfloat's accumulated flags after each element, so once one
  element was invalid every later one records VXCVI again (clearing FR and
  FI), and its result is the NaN result unless some element so far was an
  infinity or out of range, when it keeps its own converted value (softfloat's
  saturated maximum for a NaN).
- xvcvdpsp with OE=1 (UE=1) delivers an overflowing (tiny) element with its
  exponent decreased (increased) by 192, taken modulo 256 in the binary32
  field, as xscvdpsp.

Two QEMU 7.2 artefacts are not modelled: xvcvsxdsp and xvcvuxdsp do not clear
softfloat's status before they run, so QEMU re-reports OX/UX/XX left there by
the FP instruction it ran before (the differential cases precede them with
xscvdpspn, which clears it; the random corpus leaves them out); and an enabled
VXSNAN interrupt in xvr{dp,sp}i/m/p/z leaves QEMU's softfloat rounding mode at
the instruction's own until the next FPSCR write.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .. import fpu
from ..fpu import FPSCR_RN, FPSCR_VXCVI, FPSCR_VXSNAN, FPSCR_XX
from .fields import XX2
from .insn import Insn, table
from .vector import elems, join
from .vsx_convert import AWAY, CURRENT, CVT_INT, single_bits
from .vsx_scalar import MODE, STATUS, VSX, element, status

if TYPE_CHECKING:
    from ..state import CPUState

S2D = fpu.single_to_double
D2S = fpu.double_to_single
_SINGLE = fpu.SINGLE_P  # binary32: the 32-bit word format


def _src(v: int, width: int, n: int) -> tuple[int, ...]:
    """The ``n`` source elements of ``v``: every ``width``-bit element, or words 0 and 2."""
    es = elems(v, width)
    return es if len(es) == n else es[::2]


def _dst(out: list[int], width: int) -> int:
    """XT from the results: two word results each fill both words of their doubleword."""
    if len(out) == 2 and width == 32:
        return join((out[0], out[0], out[1], out[1]), 32)
    return join(out, width)


# -- binary64 <-> binary32 ---------------------------------------------------------------
def xvcvdpsp(c: CPUState, xt: int, xb: int) -> None:
    """xvcvdpsp: XT.dw[i] <- XB.dw[i] rounded to binary32, in both words."""
    vs = c.vsr
    mode = c.fpscr & MODE
    st = 0
    out: list[int] = []
    for b in elems(vs[xb], 64):
        r, exc = fpu.round_to_single(b, mode)
        st |= element(c, exc, False)
        out.append(single_bits(r, exc, mode))
    vs[xt] = _dst(out, 32)
    status(c, st, False)


def xvcvspdp(c: CPUState, xt: int, xb: int) -> None:
    """xvcvspdp: XT.dw[i] <- XB.w[2i] as binary64 (exact; a signalling NaN is quieted)."""
    vs = c.vsr
    out: list[int] = []
    for w in _src(vs[xb], 32, 2):
        r = S2D(w)
        if fpu.fis_snan(w, _SINGLE):
            element(c, FPSCR_VXSNAN, False)
            r |= fpu.QUIET
        out.append(r)
    vs[xt] = join(out, 64)


# -- floating-point -> integer -----------------------------------------------------------
def xv_to_int(c: CPUState, xt: int, xb: int, *, sp: bool, to: str) -> None:
    """xvcv{dp,sp}{s,u}x{d,w}s: each element truncated to an integer, as QEMU 7.2 does it.

    ``cause`` and ``cvti`` are softfloat's accumulated invalid flags: the
    invalid causes so far and whether one was an infinity or out of range.
    """
    lo, hi, nanval, word = CVT_INT[to]
    width = 32 if word else 64
    sw = 32 if sp else 64
    vs = c.vsr
    cause = 0
    cvti = False
    st = 0
    out: list[int] = []
    for x in _src(vs[xb], sw, 128 // max(sw, width)):
        b = S2D(x) if sp else x
        v, exc = fpu.to_int(b, fpu.RN_ZERO, lo, hi)
        if fpu.is_nan(b):
            v = hi  # softfloat's result, kept only after an out-of-range element
            cause |= exc
        elif exc & FPSCR_VXCVI:
            cause |= exc
            cvti = True
        st |= exc & FPSCR_XX
        if cause:
            element(c, cause, False)
            if not cvti:
                v = nanval
        out.append(v)
    vs[xt] = _dst(out, width)
    status(c, st, False)


# -- integer -> floating-point -----------------------------------------------------------
def xv_from_int(c: CPUState, xt: int, xb: int, *, signed: bool, src: int, sp: bool) -> None:
    """xvcv{s,u}x{d,w}{dp,sp}: each ``src``-bit integer rounded to binary64 or binary32."""
    width = 32 if sp else 64
    vs = c.vsr
    mode = c.fpscr & MODE
    st = 0
    out: list[int] = []
    for v in _src(vs[xb], src, 128 // max(src, width)):
        if signed and v >> (src - 1):
            v -= 1 << src
        r, exc = fpu.from_int(v, sp, mode)
        st |= exc & STATUS
        out.append(D2S(r) if sp else r)
    vs[xt] = _dst(out, width)
    status(c, st, False)


# -- round to integral -------------------------------------------------------------------
def xvrpi(c: CPUState, xt: int, xb: int, *, sp: bool, rmode: int) -> None:
    """xvr{dp,sp}i[c,m,p,z]: each element rounded to an integral value.

    rmode CURRENT is the "c" form (FPSCR[RN], XX when inexact); the others never set XX.
    """
    f = _SINGLE if sp else fpu.BINARY64
    width = 32 if sp else 64
    vs = c.vsr
    rn = c.fpscr & FPSCR_RN if rmode == CURRENT else rmode
    inexact = False
    out: list[int] = []
    for b in elems(vs[xb], width):
        if fpu.fis_snan(b, f):
            element(c, FPSCR_VXSNAN, False)
            b |= f.quiet
        r, x = fpu.round_integral(b, f, rn, away=rmode == AWAY)
        inexact = inexact or x
        out.append(r)
    vs[xt] = join(out, width)
    status(c, FPSCR_XX if inexact and rmode == CURRENT else 0, False)


# -- the table -----------------------------------------------------------------------------
def _x2(name: str, xo: int, fn: Callable[..., None], **params: object) -> Insn:
    # QEMU 7.2 decodes these XX2 forms without checking bits 11:15 (reserved).
    return Insn(name, XX2(60, xo), fn, params, facility=VSX, syntax="xt, xb")


def _to_int(src: str, to: str, xo: int) -> Insn:
    return _x2(f"xvcv{src}{to}s", xo, xv_to_int, sp=src == "sp", to=to)


def _from_int(frm: str, dst: str, xo: int) -> Insn:
    signed, src = frm[0] == "s", 32 if frm[2] == "w" else 64
    return _x2(f"xvcv{frm}{dst}", xo, xv_from_int, signed=signed, src=src, sp=dst == "sp")


def _round(sp: bool, suffix: str, xo: int, rmode: int) -> Insn:
    return _x2(f"xvr{'sp' if sp else 'dp'}i{suffix}", xo, xvrpi, sp=sp, rmode=rmode)


CONVERT_OPS: list[Insn] = [
    _x2("xvcvdpsp", 393, xvcvdpsp),
    _x2("xvcvspdp", 457, xvcvspdp),
    _to_int("dp", "sxd", 472),
    _to_int("dp", "sxw", 216),
    _to_int("dp", "uxd", 456),
    _to_int("dp", "uxw", 200),
    _to_int("sp", "sxd", 408),
    _to_int("sp", "sxw", 152),
    _to_int("sp", "uxd", 392),
    _to_int("sp", "uxw", 136),
    _from_int("sxd", "dp", 504),
    _from_int("uxd", "dp", 488),
    _from_int("sxw", "dp", 248),
    _from_int("uxw", "dp", 232),
    _from_int("sxd", "sp", 440),
    _from_int("uxd", "sp", 424),
    _from_int("sxw", "sp", 184),
    _from_int("uxw", "sp", 168),
]

ROUND_OPS: list[Insn] = [
    _round(False, "", 201, AWAY),
    _round(False, "c", 235, CURRENT),
    _round(False, "m", 249, fpu.RN_DOWN),
    _round(False, "p", 233, fpu.RN_UP),
    _round(False, "z", 217, fpu.RN_ZERO),
    _round(True, "", 137, AWAY),
    _round(True, "c", 171, CURRENT),
    _round(True, "m", 185, fpu.RN_DOWN),
    _round(True, "p", 169, fpu.RN_UP),
    _round(True, "z", 153, fpu.RN_ZERO),
]

OPS: list[Insn] = table(*CONVERT_OPS, *ROUND_OPS)
