"""VMX (AltiVec) floating point: vaddfp vsubfp vmaddfp vnmsubfp vmaxfp vminfp, the
compares vcmpeqfp vcmpgefp vcmpgtfp vcmpbfp (Rc: CR6), the roundings vrfin vrfiz vrfip
vrfim, the conversions vcfux vcfsx vctuxs vctsxs and the estimates vrefp vrsqrtefp.

Every element is a binary32. There are no FPSCR effects: arithmetic always rounds
to nearest-even and raises nothing. The arithmetic reuses ``engine.fpu``'s exact
integer operations on the binary64 image of each word (a binary32 is exactly a
binary64), rounded once to single precision, then moved back to 32 bits.

VSCR[NJ] (non-Java mode, set at reset) flushes as the ISA says and as the reference
machine does: a denormal operand is taken as a zero of its sign (in every operation,
the compares and the conversions included), and a result whose exact value, before
rounding, is smaller in magnitude than 2**-126 becomes a zero of its sign (also one
that would round up to the smallest normal). QEMU 7.2's source sets only its
flush-results switch for NJ, but the reference binary (QEMU 7.2 as Debian builds it)
flushes denormal operands too, and the differential tests follow the binary. With
the rounding helpers the result flush is their UE mode: ``round_pack`` reports UX
for a result that is tiny before rounding, exactly the flush condition.

NaNs: the first NaN operand in the order VRA, VRB, VRC (vmaddfp and vnmsubfp take
VRA, then the addend VRB, then VRC), quieted; invalid operations (inf - inf,
inf * 0, the square root of a negative number) give the default NaN 0x7FC00000.
vnmsubfp does not negate a NaN it returns.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from ..fpu import (
    FPSCR_UX,
    ONE,
    RN_DOWN,
    RN_NEAR,
    RN_UP,
    RN_ZERO,
    SINGLE_P,
    UE_MODE,
    double_to_single,
    f_add,
    f_div,
    f_madd,
    f_sqrt,
    round_integral,
    single_to_double,
)
from .fields import VA, VC, VX
from .insn import Insn, table
from .vector import elems, join

if TYPE_CHECKING:
    from ..state import CPUState

VSCR_NJ = 0x0001_0000
VSCR_SAT = 0x0000_0001
CR6_CLEAR = 0xFFFF_FF0F
_F4 = struct.Struct(">4f")


def _out(r: int, exc: int, nj: int) -> int:
    """The binary32 word of a result rounded to single (its binary64 image ``r``):
    under NJ a result that was tiny before rounding (UX in UE mode) is a signed zero."""
    if nj and exc & FPSCR_UX:
        return (r >> 32) & 0x8000_0000
    return double_to_single(r)


def _ftz4(v: int, nj: int) -> tuple[int, ...]:
    """The four binary32 words of a VR, denormals flushed under VSCR[NJ]."""
    e = elems(v, 32)
    if nj:
        return tuple(x & 0x8000_0000 if not x & 0x7F80_0000 else x for x in e)
    return e


def _f4(v: int, nj: int) -> tuple[float, ...]:
    """The four binary32 words of a VR as Python floats (exact), NJ flushing denormals."""
    return _F4.unpack(join(_ftz4(v, nj), 32).to_bytes(16, "big") if nj else v.to_bytes(16, "big"))


def _key(x: int) -> int:
    """A sort key of a non-NaN binary32: the order of the values, -0 below +0."""
    if x >> 31:
        return -(x & 0x7FFF_FFFF) - 1
    return x


def _maxmin(a: int, b: int, big: bool, nj: int) -> int:
    """vmaxfp/vminfp on one element: a NaN operand (VRA first) quieted, otherwise the
    larger (smaller) value; max(+0, -0) = +0, min = -0; equal values give VRA."""
    if (a & 0x7FFF_FFFF) > 0x7F80_0000:
        return a | 0x0040_0000
    if (b & 0x7FFF_FFFF) > 0x7F80_0000:
        return b | 0x0040_0000
    ka = _key(a)
    kb = _key(b)
    if big:
        r = a if ka >= kb else b
    else:
        r = a if ka <= kb else b
    return r  # a flushed operand: never a denormal under NJ


def _add(a: int, b: int, sub: bool, nj: int) -> int:
    r, exc = f_add(single_to_double(a), single_to_double(b), True, UE_MODE if nj else RN_NEAR, sub)
    return _out(r, exc, nj)


def _madd(a: int, cc: int, b: int, neg: bool, nj: int) -> int:
    """VRA * VRC + VRB fused, rounded once; ``neg``: -(VRA * VRC - VRB)."""
    r, exc = f_madd(
        single_to_double(a),
        single_to_double(cc),
        single_to_double(b),
        True,
        UE_MODE if nj else RN_NEAR,
        neg,
        neg,
    )
    return _out(r, exc, nj)


def _recip(b: int, nj: int) -> int:
    """vrefp: 1 / VRB, correctly rounded (QEMU computes the estimate exactly)."""
    r, exc = f_div(ONE, single_to_double(b), True, UE_MODE if nj else RN_NEAR)
    return _out(r, exc, nj)


def _rsqrt(b: int, nj: int) -> int:
    """vrsqrtefp: the square root of VRB rounded to single, then 1 divided by it, rounded
    again (QEMU's "estimate" is these two correctly rounded steps)."""
    mode = UE_MODE if nj else RN_NEAR
    # the root of a binary32 is never tiny: only the quotient can be flushed
    t, _ = f_sqrt(single_to_double(b), True, mode)
    r, exc = f_div(ONE, t, True, mode)
    return _out(r, exc, nj)


def _round_int(x: int, rn: int) -> int:
    """vrfi[nzpm] on one element: round to an integral value in mode ``rn`` (no status)."""
    if (x >> 23) & 0xFF == 0xFF:
        return x | 0x0040_0000 if x & 0x7F_FFFF else x  # NaN quieted, inf kept
    return round_integral(x, SINGLE_P, rn)[0]


def _to_int(x: int, uim: int, lo: int, hi: int) -> tuple[int, bool]:
    """vctuxs/vctsxs on one element: trunc(VRB * 2**UIM) clamped to [lo, hi] and whether
    it was; a NaN gives 0 and does not set SAT (as QEMU 7.2 does)."""
    ex = (x >> 23) & 0xFF
    s = x >> 31
    if ex == 0xFF:
        if x & 0x7F_FFFF:
            return 0, False
        return (lo if s else hi), True
    if ex:
        m = (x & 0x7F_FFFF) | 0x80_0000
        e = ex - 150 + uim
    else:
        m = x & 0x7F_FFFF
        e = -149 + uim
    q = m << e if e >= 0 else m >> -e
    v = -q if s else q
    if v < lo:
        return lo, True
    if v > hi:
        return hi, True
    return v, False


def _from_int(v: int, uim: int) -> int:
    """vcfux/vcfsx on one element: the integer rounded to single, then scaled by 2**-UIM
    (exact: the result stays normal)."""
    if v == 0:
        return 0
    s = int(v < 0)
    q = -v if s else v
    n = q.bit_length()
    if n > 24:
        sh = n - 24
        rem = q & ((1 << sh) - 1)
        q >>= sh
        half = 1 << (sh - 1)
        q += rem > half or (rem == half and q & 1)
        if q >> 24:
            q >>= 1
            sh += 1
    else:
        sh = 0
    nq = q.bit_length()
    ex = 126 + nq + sh - uim
    return (s << 31) | (ex << 23) | ((q << (24 - nq)) & 0x7F_FFFF)


# -- semantics ---------------------------------------------------------------------------
def vaddfp(c: CPUState, vrt: int, vra: int, vrb: int, *, sub: bool) -> None:
    """vaddfp/vsubfp: VRT <- VRA +/- VRB per word, rounded to nearest-even."""
    vs = c.vsr
    nj = c.vscr & VSCR_NJ
    ea = _ftz4(vs[32 + vra], nj)
    eb = _ftz4(vs[32 + vrb], nj)
    vs[32 + vrt] = join([_add(x, y, sub, nj) for x, y in zip(ea, eb, strict=True)], 32)


def vmaddfp(c: CPUState, vrt: int, vra: int, vrc: int, vrb: int, *, neg: bool) -> None:
    """vmaddfp: VRT <- VRA * VRC + VRB; vnmsubfp: -(VRA * VRC - VRB); fused (one rounding)."""
    vs = c.vsr
    nj = c.vscr & VSCR_NJ
    ea = _ftz4(vs[32 + vra], nj)
    ec = _ftz4(vs[32 + vrc], nj)
    eb = _ftz4(vs[32 + vrb], nj)
    vs[32 + vrt] = join([_madd(ea[i], ec[i], eb[i], neg, nj) for i in range(4)], 32)


def vmaxfp(c: CPUState, vrt: int, vra: int, vrb: int, *, big: bool) -> None:
    """vmaxfp (``big``)/vminfp: the larger (smaller) of each pair of words."""
    vs = c.vsr
    nj = c.vscr & VSCR_NJ
    ea = _ftz4(vs[32 + vra], nj)
    eb = _ftz4(vs[32 + vrb], nj)
    vs[32 + vrt] = join([_maxmin(x, y, big, nj) for x, y in zip(ea, eb, strict=True)], 32)


def vcmpfp(c: CPUState, vrt: int, vra: int, vrb: int, *, op: int, rc: int) -> None:
    """vcmpeqfp (op 0), vcmpgefp (1), vcmpgtfp (2): each word <- all ones where the
    relation holds (never for a NaN). Rc: CR6 <- all true (8) | none true (2).
    Under VSCR[NJ] a denormal operand compares as zero."""
    vs = c.vsr
    nj = c.vscr & VSCR_NJ
    fa = _f4(vs[32 + vra], nj)
    fb = _f4(vs[32 + vrb], nj)
    if op == 0:
        t = [x == y for x, y in zip(fa, fb, strict=True)]
    elif op == 1:
        t = [x >= y for x, y in zip(fa, fb, strict=True)]
    else:
        t = [x > y for x, y in zip(fa, fb, strict=True)]
    vs[32 + vrt] = join([-x for x in t], 32)
    if rc:
        c.cr = (c.cr & CR6_CLEAR) | ((8 if all(t) else 2 if not any(t) else 0) << 4)


def vcmpbfp(c: CPUState, vrt: int, vra: int, vrb: int, *, rc: int) -> None:
    """vcmpbfp: per word, bit 0 <- not (VRA <= VRB), bit 1 <- not (VRA >= -VRB); a NaN
    operand sets both. Rc: CR6 <- 2 when every word is within its bounds."""
    vs = c.vsr
    nj = c.vscr & VSCR_NJ
    fa = _f4(vs[32 + vra], nj)
    fb = _f4(vs[32 + vrb], nj)
    # with a NaN both comparisons are false, so both bits are set, as the ISA says
    r = [
        (0 if x <= y else 0x8000_0000) | (0 if x >= -y else 0x4000_0000)
        for x, y in zip(fa, fb, strict=True)
    ]
    vs[32 + vrt] = join(r, 32)
    if rc:
        c.cr = (c.cr & CR6_CLEAR) | ((0 if any(r) else 2) << 4)


def vrfi(c: CPUState, vrt: int, vrb: int, *, rn: int) -> None:
    """vrfin/vrfiz/vrfip/vrfim: each word rounded to an integral value (nearest-even,
    toward zero, +inf, -inf); NaNs quieted. Under NJ a denormal is a zero (vrfip of the
    smallest denormal is +0, not 1); the result itself is never tiny."""
    vs = c.vsr
    nj = c.vscr & VSCR_NJ
    vs[32 + vrt] = join([_round_int(x, rn) for x in _ftz4(vs[32 + vrb], nj)], 32)


def vcfx(c: CPUState, vrt: int, vrb: int, uim: int, *, signed: bool) -> None:
    """vcfux/vcfsx: each unsigned (signed) word converted to single and divided by 2**UIM."""
    vs = c.vsr
    b = vs[32 + vrb]
    if signed:
        e = [x - ((x & 0x8000_0000) << 1) for x in elems(b, 32)]
    else:
        e = list(elems(b, 32))
    vs[32 + vrt] = join([_from_int(x, uim) for x in e], 32)


def vctxs(c: CPUState, vrt: int, vrb: int, uim: int, *, signed: bool) -> None:
    """vctuxs/vctsxs: each word times 2**UIM, truncated to an unsigned (signed) word,
    saturating (VSCR[SAT])."""
    vs = c.vsr
    lo = -0x8000_0000 if signed else 0
    hi = 0x7FFF_FFFF if signed else 0xFFFF_FFFF
    t = [_to_int(x, uim, lo, hi) for x in _ftz4(vs[32 + vrb], c.vscr & VSCR_NJ)]
    vs[32 + vrt] = join([v for v, _ in t], 32)
    if any(sat for _, sat in t):
        c.vscr |= VSCR_SAT


def vrefp(c: CPUState, vrt: int, vrb: int) -> None:
    """vrefp: 1 / VRB per word, correctly rounded (QEMU's estimate is exact)."""
    vs = c.vsr
    nj = c.vscr & VSCR_NJ
    vs[32 + vrt] = join([_recip(x, nj) for x in _ftz4(vs[32 + vrb], nj)], 32)


def vrsqrtefp(c: CPUState, vrt: int, vrb: int) -> None:
    """vrsqrtefp: 1 / sqrt(VRB) per word, as two correctly rounded steps (QEMU)."""
    vs = c.vsr
    nj = c.vscr & VSCR_NJ
    vs[32 + vrt] = join([_rsqrt(x, nj) for x in _ftz4(vs[32 + vrb], nj)], 32)


def _vx(mn: str, xo: int, sem: object, **params: object) -> Insn:
    return Insn(mn, VX(4, xo), sem, params, facility="vec")  # type: ignore[arg-type]


def _vx1(mn: str, xo: int, sem: object, **params: object) -> Insn:
    """A one-operand VX line: VRA must be 0."""
    return Insn(mn, VX(4, xo, vra=0), sem, params, facility="vec", syntax="vrt, vrb")  # type: ignore[arg-type]


def _vxu(mn: str, xo: int, sem: object, **params: object) -> Insn:
    """A VX line with UIM in the VRA position."""
    return Insn(mn, VX(4, xo), sem, params, facility="vec", syntax="vrt, vrb, uim")  # type: ignore[arg-type]


def _vc(mn: str, xo: int, sem: object, **params: object) -> Insn:
    return Insn(mn, VC(4, xo), sem, params, facility="vec")  # type: ignore[arg-type]


OPS: list[Insn] = table(
    _vx("vaddfp", 10, vaddfp, sub=False),
    _vx("vsubfp", 74, vaddfp, sub=True),
    Insn("vmaddfp", VA(4, 46), vmaddfp, {"neg": False}, facility="vec"),
    Insn("vnmsubfp", VA(4, 47), vmaddfp, {"neg": True}, facility="vec"),
    _vx("vmaxfp", 1034, vmaxfp, big=True),
    _vx("vminfp", 1098, vmaxfp, big=False),
    _vc("vcmpeqfp", 198, vcmpfp, op=0),
    _vc("vcmpgefp", 454, vcmpfp, op=1),
    _vc("vcmpgtfp", 710, vcmpfp, op=2),
    _vc("vcmpbfp", 966, vcmpbfp),
    _vx1("vrfin", 522, vrfi, rn=RN_NEAR),
    _vx1("vrfiz", 586, vrfi, rn=RN_ZERO),
    _vx1("vrfip", 650, vrfi, rn=RN_UP),
    _vx1("vrfim", 714, vrfi, rn=RN_DOWN),
    _vxu("vcfux", 778, vcfx, signed=False),
    _vxu("vcfsx", 842, vcfx, signed=True),
    _vxu("vctuxs", 906, vctxs, signed=False),
    _vxu("vctsxs", 970, vctxs, signed=True),
    _vx1("vrefp", 266, vrefp),
    _vx1("vrsqrtefp", 330, vrsqrtefp),
)
