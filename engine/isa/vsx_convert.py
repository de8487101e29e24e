"""VSX scalar conversions and round-to-integral (xscv*, xsrdpi*, xsrsp).

The rounding is engine.fpu's; the FPSCR bookkeeping is engine.isa.vsx_scalar's
(invalid causes at once, XT written, then XX/FI and deferred interrupts), in
the order QEMU 7.2 does it. The scalar forms set FPRF (except xscvdpspn,
xscvspdpn and the integer results) and FI; a scalar result leaves doubleword 1
of XT zero.

Where QEMU 7.2 differs from the ISA and we follow QEMU:
- xscvdp{s,u}x{d,w}s: a NaN gives 0x8000_0000_0000_0000 / 0x8000_0000 (signed)
  or 0 (unsigned); out-of-range values saturate with VXCVI and no XX; a word
  result is written to both words of doubleword 0.
- xscvsxdsp/xscvuxdsp round twice: to binary64, then to single (the ISA rounds
  the integer once), as fcfids does not.
- xsrdpi/xsrdpim/xsrdpip/xsrdpiz never set XX and clear FI; xsrdpic sets both
  when the result is inexact. FR is never set.
- xsrsp: an enabled overflow, underflow or inexact exception leaves XT
  unchanged (the ISA writes XT before the interrupt).
- xscvdpspn and xscvspdpn change no FPSCR bit and quiet no NaN; xscvdpspn
  moves the bits of an out-of-range value without rounding.

The half-precision conversions (xscvdphp, xscvhpdp, xvcvsphp, xvcvhpsp) are
QEMU 7.2's VSX_CVT_FP_TO_FP_HP: a NaN keeps the top bits of its payload and is
quieted (VXSNAN for a signalling one, raised at once when enabled: XT is then
not written), narrowing rounds once in the FPSCR mode with OE/UE's rebias by 24,
and the scalar forms set FPRF and FI, the vector ones neither. The binary16 of
a scalar is halfword 3 of XT/XB (the low halfword of doubleword 0); of a vector,
the low halfword of each word, the high one zero.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .. import fpu
from ..fpu import FPSCR_FPRF, FPSCR_OX, FPSCR_RN, FPSCR_UX, FPSCR_VXCVI, FPSCR_VXSNAN
from .fields import XX2
from .insn import Insn, table
from .vsx_scalar import MODE, STATUS, VSX, element, status

if TYPE_CHECKING:
    from ..state import CPUState

M32 = 0xFFFF_FFFF
M64 = (1 << 64) - 1
_SINGLE = fpu.SINGLE_P  # binary32 (24-bit significand, 8-bit exponent, 32 bits wide)
HALF = fpu.BinFormat(11, 5)  # binary16


def _set_fprf(c: CPUState, bits: int) -> None:
    c.fpscr = (c.fpscr & ~FPSCR_FPRF) | bits


def single_bits(r: int, exc: int, mode: int) -> int:
    """The binary32 word of round_to_single's binary64 image ``r``.

    A rebiased result (OX with OE=1, UX with UE=1) has an exponent that wrapped
    in the 8-bit field: its fields are moved, not re-encoded as a denormal.
    """
    if (exc & FPSCR_OX and mode & fpu.OE_MODE) or (exc & FPSCR_UX and mode & fpu.UE_MODE):
        if r & ~fpu.SIGN:
            ex = ((r >> 52) - 1023 + 127) & 0xFF
            return ((r >> 32) & 0x8000_0000) | (ex << 23) | ((r >> 29) & 0x7F_FFFF)
    return fpu.double_to_single(r)


# -- binary64 <-> binary32 ---------------------------------------------------------------
def xscvdpsp(c: CPUState, xt: int, xb: int) -> None:
    """xscvdpsp: XT.w0 = XT.w1 <- XB.dw0 rounded to binary32 (FPRF of the binary32)."""
    mode = c.fpscr & MODE
    r, exc = fpu.round_to_single(c.vsr[xb] >> 64, mode)
    st = element(c, exc, True)
    w = single_bits(r, exc, mode)
    c.vsr[xt] = ((w << 32) | w) << 64
    _set_fprf(c, fpu.ffprf(w, _SINGLE))
    status(c, st, True)


def xscvspdp(c: CPUState, xt: int, xb: int) -> None:
    """xscvspdp: XT.dw0 <- XB.w0 as binary64 (exact; a signalling NaN is quieted)."""
    w = (c.vsr[xb] >> 96) & M32
    r = fpu.single_to_double(w)
    if fpu.fis_snan(w, _SINGLE):
        element(c, FPSCR_VXSNAN, True)
        r |= fpu.QUIET
    c.vsr[xt] = r << 64
    _set_fprf(c, fpu.fprf(r))
    status(c, 0, True)


def xscvdpspn(c: CPUState, xt: int, xb: int) -> None:
    """xscvdpspn: XT.w0 = XT.w1 <- the binary32 fields of XB.dw0, no rounding, no FPSCR.

    Exponents below single range are denormalised by truncation; above it the
    exponent's top bit and low 7 bits are kept (what QEMU 7.2 does).
    """
    b = c.vsr[xb] >> 64
    sign = b >> 63
    ex = (b >> 52) & 0x7FF
    frac = (b & fpu.FRAC) | fpu.IMPL
    if ex == 0 and b & fpu.FRAC:
        ex = 1  # a binary64 denormal: minimum exponent, no implicit bit
        frac &= fpu.FRAC
    if ex < 897 and frac:
        frac = frac >> (897 - ex) if 897 - ex <= 63 else 0
        ex = 896
    w = (sign << 31) | (((ex >> 10) & 1) << 30) | ((ex & 0x7F) << 23) | ((frac >> 29) & 0x7F_FFFF)
    c.vsr[xt] = ((w << 32) | w) << 64


def xscvspdpn(c: CPUState, xt: int, xb: int) -> None:
    """xscvspdpn: XT.dw0 <- XB.w0 as binary64, no FPSCR change, NaNs kept as they are."""
    c.vsr[xt] = fpu.single_to_double((c.vsr[xb] >> 96) & M32) << 64


def xsrsp(c: CPUState, xt: int, xb: int) -> None:
    """xsrsp: XT.dw0 <- XB.dw0 rounded to single precision (binary64 image), as frsp."""
    r, exc = fpu.round_to_single(c.vsr[xb] >> 64, c.fpscr & MODE)
    st = element(c, exc, True)
    _set_fprf(c, fpu.fprf(r))
    # QEMU 7.2's helper returns the result: an enabled exception interrupts before XT is written.
    status(c, st, True)
    c.vsr[xt] = r << 64


# -- binary64 <-> integer ----------------------------------------------------------------
CVT_INT = {  # (lo, hi, the NaN result, word)
    "sxd": (-(1 << 63), (1 << 63) - 1, 1 << 63, False),
    "uxd": (0, M64, 0, False),
    "sxw": (-(1 << 31), (1 << 31) - 1, 1 << 31, True),
    "uxw": (0, M32, 0, True),
}


def xscv_to_int(c: CPUState, xt: int, xb: int, *, to: str) -> None:
    """xscvdp{s,u}x{d,w}s: XB.dw0 truncated to an integer (dw0, or both words of dw0)."""
    lo, hi, nanval, word = CVT_INT[to]
    b = c.vsr[xb] >> 64
    v, exc = fpu.to_int(b, fpu.RN_ZERO, lo, hi)
    if fpu.is_nan(b):
        v = nanval
    if exc & FPSCR_VXCVI:
        element(c, exc & (FPSCR_VXCVI | FPSCR_VXSNAN), False)
    if word:
        v &= M32
        c.vsr[xt] = ((v << 32) | v) << 64
    else:
        c.vsr[xt] = (v & M64) << 64
    status(c, exc & STATUS, True)


def xscv_from_int(c: CPUState, xt: int, xb: int, *, signed: bool, sp: bool) -> None:
    """xscv{s,u}xd{dp,sp}: XB.dw0 as an integer converted to binary64 (then to single)."""
    v = c.vsr[xb] >> 64
    if signed and v >> 63:
        v -= 1 << 64
    mode = c.fpscr & MODE
    r, exc = fpu.from_int(v, False, mode)
    if sp:
        r, exc2 = fpu.round_to_single(r, mode)
        exc |= exc2
    c.vsr[xt] = r << 64
    _set_fprf(c, fpu.fprf(r))
    status(c, exc & STATUS, True)


# -- round to integral -------------------------------------------------------------------
AWAY = -2  # xsrdpi: round to nearest, ties away from zero
CURRENT = -1  # xsrdpic: FPSCR[RN]


def xsrdpi(c: CPUState, xt: int, xb: int, *, rmode: int) -> None:
    """xsrdpi[c,m,p,z]: XT.dw0 <- XB.dw0 rounded to an integral value.

    rmode CURRENT is xsrdpic (FPSCR[RN], XX/FI when inexact); the others never set XX.
    """
    b = c.vsr[xb] >> 64
    if fpu.is_snan(b):
        element(c, FPSCR_VXSNAN, True)
        r, inexact = b | fpu.QUIET, False
    elif fpu.is_nan(b):
        r, inexact = b, False
    else:
        cur = rmode == CURRENT
        rn = c.fpscr & FPSCR_RN if cur else rmode
        r, inexact = fpu.round_integral(b, fpu.BINARY64, rn, away=rmode == AWAY)
        inexact = inexact and cur
    c.vsr[xt] = r << 64
    _set_fprf(c, fpu.fprf(r))
    status(c, fpu.FPSCR_XX if inexact else 0, True)


# -- binary16 ----------------------------------------------------------------------------------
def widen(h: int, into: fpu.BinFormat) -> tuple[int, int]:
    """Binary16 ``h`` in format ``into`` (exact): (bits, VXSNAN if it was a signalling NaN)."""
    s, cls, m, e = fpu.funpack(h, HALF)
    if cls >= fpu.QNAN:
        frac = (h & HALF.fmask) << (into.fbits - HALF.fbits)
        r = (s << (into.width - 1)) | into.inf | into.quiet | frac
        return r, FPSCR_VXSNAN if cls == fpu.SNAN else 0
    if cls == fpu.INFINITY:
        return (s << (into.width - 1)) | into.inf, 0
    if cls == fpu.ZERO:
        return s << (into.width - 1), 0
    return fpu.fpack(s, m, e, into), 0


def narrow(b: int, src: fpu.BinFormat, mode: int) -> tuple[int, int]:
    """``b`` of format ``src`` rounded to binary16 in ``mode``: (bits, exc)."""
    s, cls, m, e = fpu.funpack(b, src)
    if cls >= fpu.QNAN:
        frac = (b & src.fmask) >> (src.fbits - HALF.fbits)
        r = (s << 15) | HALF.inf | HALF.quiet | frac
        return r, FPSCR_VXSNAN if cls == fpu.SNAN else 0
    if cls == fpu.INFINITY:
        return (s << 15) | HALF.inf, 0
    if cls == fpu.ZERO:
        return s << 15, 0
    return fpu.fround(s, m, e, HALF, mode)


def xscvdphp(c: CPUState, xt: int, xb: int) -> None:
    """xscvdphp: XT.hw3 <- XB.dw0 rounded to binary16 (the rest of XT zero), FPRF."""
    r, exc = narrow(c.vsr[xb] >> 64, fpu.BINARY64, c.fpscr & MODE)
    st = element(c, exc, True)
    _set_fprf(c, fpu.ffprf(r, HALF))
    c.vsr[xt] = r << 64
    status(c, st, True)


def xscvhpdp(c: CPUState, xt: int, xb: int) -> None:
    """xscvhpdp: XT.dw0 <- XB.hw3 as binary64 (exact), FPRF."""
    r, exc = widen((c.vsr[xb] >> 64) & 0xFFFF, fpu.BINARY64)
    element(c, exc, True)
    _set_fprf(c, fpu.fprf(r))
    c.vsr[xt] = r << 64
    status(c, 0, True)


def xvcvsphp(c: CPUState, xt: int, xb: int) -> None:
    """xvcvsphp: the low halfword of each word of XT <- that word of XB rounded to binary16."""
    b = c.vsr[xb]
    mode = c.fpscr & MODE
    t = st = 0
    for i in range(4):
        r, exc = narrow((b >> (96 - 32 * i)) & M32, _SINGLE, mode)
        st |= element(c, exc, False)
        t |= r << (96 - 32 * i)
    c.vsr[xt] = t
    status(c, st, False)


def xvcvhpsp(c: CPUState, xt: int, xb: int) -> None:
    """xvcvhpsp: each word of XT <- the low halfword of that word of XB as binary32."""
    b = c.vsr[xb]
    t = 0
    for i in range(4):
        r, exc = widen((b >> (96 - 32 * i)) & 0xFFFF, _SINGLE)
        element(c, exc, False)
        t |= r << (96 - 32 * i)
    c.vsr[xt] = t
    status(c, 0, False)


# -- the table -----------------------------------------------------------------------------
def _x2(name: str, xo: int, fn: Callable[..., None], **params: object) -> Insn:
    # QEMU 7.2 decodes these XX2 forms without checking bits 11:15 (reserved).
    return Insn(name, XX2(60, xo), fn, params, facility=VSX, syntax="xt, xb")


SCALAR_OPS: list[Insn] = [
    _x2("xscvdpsp", 265, xscvdpsp),
    _x2("xscvdpspn", 267, xscvdpspn),
    _x2("xscvspdp", 329, xscvspdp),
    _x2("xscvspdpn", 331, xscvspdpn),
    _x2("xsrsp", 281, xsrsp),
    _x2("xscvdpsxds", 344, xscv_to_int, to="sxd"),
    _x2("xscvdpsxws", 88, xscv_to_int, to="sxw"),
    _x2("xscvdpuxds", 328, xscv_to_int, to="uxd"),
    _x2("xscvdpuxws", 72, xscv_to_int, to="uxw"),
    _x2("xscvsxddp", 376, xscv_from_int, signed=True, sp=False),
    _x2("xscvuxddp", 360, xscv_from_int, signed=False, sp=False),
    _x2("xscvsxdsp", 312, xscv_from_int, signed=True, sp=True),
    _x2("xscvuxdsp", 296, xscv_from_int, signed=False, sp=True),
    _x2("xsrdpi", 73, xsrdpi, rmode=AWAY),
    _x2("xsrdpic", 107, xsrdpi, rmode=CURRENT),
    _x2("xsrdpim", 121, xsrdpi, rmode=fpu.RN_DOWN),
    _x2("xsrdpip", 105, xsrdpi, rmode=fpu.RN_UP),
    _x2("xsrdpiz", 89, xsrdpi, rmode=fpu.RN_ZERO),
]

# Half precision: XX2 with the extended opcode's second part in bits 11:15 (QEMU 7.2's
# GEN_XX2FORM_EO, no reserved bits).
HALF_OPS: list[Insn] = [
    Insn("xscvdphp", XX2(60, 347, sub=17), xscvdphp, facility=VSX, syntax="xt, xb"),
    Insn("xscvhpdp", XX2(60, 347, sub=16), xscvhpdp, facility=VSX, syntax="xt, xb"),
    Insn("xvcvhpsp", XX2(60, 475, sub=24), xvcvhpsp, facility=VSX, syntax="xt, xb"),
    Insn("xvcvsphp", XX2(60, 475, sub=25), xvcvsphp, facility=VSX, syntax="xt, xb"),
]

OPS: list[Insn] = table(*SCALAR_OPS, *HALF_OPS)
