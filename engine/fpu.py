"""IEEE 754 binary arithmetic (binary64/binary32, and any format) on raw bits, exactly; the FPSCR.

Floating-point registers hold binary64 bit patterns (ints). Every operation
here computes the exact result with integers (significand × 2**exponent) and
rounds it once, in any of the four FPSCR[RN] modes, to double or to single
precision (a single result is returned as its binary64 bit pattern, as the
FPRs hold it). Python floats only round to nearest, so they serve only the
fast paths in ``engine.isa.fp``. The rounding is one routine, ``fround``, for
any binary format given as data (``BinFormat``: binary64, binary32 held as
binary64, binary128, and the 64-bit-significand rounding of xsrqpxp), with
round-to-odd (ODD_MODE) for the ISA 3.0B quad-precision "o" forms; the
f* functions are the arithmetic in such a format.

Each operation returns ``(bits, exc)``: ``exc`` is a set of FPSCR exception
bits (VXSNAN, VXISI, ..., ZX, OX, UX, XX) describing what the operation
raised; ``engine.isa.fp`` turns them into FPSCR updates and interrupts, in
the order QEMU 7.2 does.
"""

from __future__ import annotations

from math import isqrt

# -- FPSCR bits (low word; IBM bit n of the 32-bit FPSCR is 1 << (31 - n)) ---------
FPSCR_FX = 0x8000_0000
FPSCR_FEX = 0x4000_0000
FPSCR_VX = 0x2000_0000
FPSCR_OX = 0x1000_0000
FPSCR_UX = 0x0800_0000
FPSCR_ZX = 0x0400_0000
FPSCR_XX = 0x0200_0000
FPSCR_VXSNAN = 0x0100_0000
FPSCR_VXISI = 0x0080_0000
FPSCR_VXIDI = 0x0040_0000
FPSCR_VXZDZ = 0x0020_0000
FPSCR_VXIMZ = 0x0010_0000
FPSCR_VXVC = 0x0008_0000
FPSCR_FR = 0x0004_0000
FPSCR_FI = 0x0002_0000
FPSCR_C = 0x0001_0000
FPSCR_FL = 0x0000_8000
FPSCR_FG = 0x0000_4000
FPSCR_FE = 0x0000_2000
FPSCR_FU = 0x0000_1000
FPSCR_FPCC = 0x0000_F000
FPSCR_FPRF = 0x0001_F000
FPSCR_VXSOFT = 0x0000_0400
FPSCR_VXSQRT = 0x0000_0200
FPSCR_VXCVI = 0x0000_0100
FPSCR_VE = 0x0000_0080
FPSCR_OE = 0x0000_0040
FPSCR_UE = 0x0000_0020
FPSCR_ZE = 0x0000_0010
FPSCR_XE = 0x0000_0008
FPSCR_NI = 0x0000_0004
FPSCR_RN = 0x0000_0003

# The invalid-operation causes; VX is their OR (ISA 3.0B 4.2.2).
FPSCR_VX_ALL = (
    FPSCR_VXSNAN | FPSCR_VXISI | FPSCR_VXIDI | FPSCR_VXZDZ | FPSCR_VXIMZ | FPSCR_VXVC
    | FPSCR_VXSOFT | FPSCR_VXSQRT | FPSCR_VXCVI
)  # fmt: skip
# Exception bits that mcrfs clears (every sticky exception bit, not FEX/VX).
FPSCR_EX_CLEAR = FPSCR_FX | FPSCR_OX | FPSCR_UX | FPSCR_ZX | FPSCR_XX | FPSCR_VX_ALL
# The exception bits in the same order as their enables VE OE UE ZE XE.
FPSCR_VE_ALL = FPSCR_VE | FPSCR_OE | FPSCR_UE | FPSCR_ZE | FPSCR_XE

RN_NEAR, RN_ZERO, RN_UP, RN_DOWN = 0, 1, 2, 3
# ``mode`` arguments are FPSCR & (RN | OE | UE): the rounding mode plus the
# two enables that change the delivered result.
OE_MODE = FPSCR_OE
UE_MODE = FPSCR_UE
MODE_MASK = FPSCR_RN | FPSCR_OE | FPSCR_UE

# -- binary64 layout ------------------------------------------------------------
SIGN = 1 << 63
EXP = 0x7FF0_0000_0000_0000
FRAC = (1 << 52) - 1
IMPL = 1 << 52
QUIET = 1 << 51
DEFAULT_QNAN = 0x7FF8_0000_0000_0000
INF = EXP
MAX_D = 0x7FEF_FFFF_FFFF_FFFF
MAX_S = 0x47EF_FFFF_E000_0000  # the largest single, as a double

# Classes of an unpacked operand.
ZERO, FINITE, INFINITY, QNAN, SNAN = 0, 1, 2, 3, 4


def unpack(b: int) -> tuple[int, int, int, int]:
    """(sign, class, significand, exponent): value = significand * 2**exponent."""
    s = b >> 63
    ex = (b >> 52) & 0x7FF
    fr = b & FRAC
    if ex == 0x7FF:
        if fr == 0:
            return s, INFINITY, 0, 0
        return s, (QNAN if fr & QUIET else SNAN), fr, 0
    if ex == 0:
        if fr == 0:
            return s, ZERO, 0, 0
        return s, FINITE, fr, -1074
    return s, FINITE, fr | IMPL, ex - 1075


def is_nan(b: int) -> bool:
    return (b & ~SIGN) > INF


def is_snan(b: int) -> bool:
    return (b & ~SIGN) > INF and not b & QUIET


def quiet(b: int) -> int:
    return b | QUIET


# -- rounding -------------------------------------------------------------------
def round_pack(
    s: int, m: int, e: int, single: bool, mode: int, sticky: bool = False
) -> tuple[int, int]:
    """Round (-1)**s * (m + ε) * 2**e once to double or single; return (bits, exc).

    ``sticky`` says a nonzero amount ε < 1 was lost below ``m`` (division,
    square root); callers then give ``m`` at least precision + 2 bits, so the
    guard bit is in ``m``. Tininess is detected before rounding, as the ISA
    (4.4.4) and QEMU's PowerPC softfloat set-up do; underflow is signalled
    when the result is tiny and inexact. ``exc`` holds OX, UX, XX (inexact)
    and FR (the fraction was incremented).

    ``mode`` is FPSCR[RN] plus the FPSCR[OE]/FPSCR[UE] bits: with OE=1 an
    overflowing result is delivered with its exponent reduced by 1536 (192
    for single), with UE=1 a tiny one with it increased by as much, as the
    ISA (4.4.3, 4.4.4) and QEMU 7.2's softfloat rebias do; UE=1 signals
    underflow for every tiny result, exact or not.
    """
    return fround(s, m, e, SINGLE_P if single else BINARY64, mode, sticky, BINARY64)


def exact(b: int) -> tuple[int, int, int]:
    """(sign, significand, exponent) of a finite operand."""
    s, _, m, e = unpack(b)
    return s, m, e


# -- NaN selection ----------------------------------------------------------------
def pick_nan(*ops: int) -> tuple[int, int]:
    """The first NaN operand, quieted, and VXSNAN if any operand is a signalling NaN.

    The ISA (4.3.2, "Floating-Point Operand ... NaNs") takes FRA, then FRB,
    then FRC; callers pass operands in that order.
    """
    exc = FPSCR_VXSNAN if any(is_snan(o) for o in ops) else 0
    for o in ops:
        if is_nan(o):
            return o | QUIET, exc
    raise AssertionError("pick_nan without a NaN")


# -- arithmetic -------------------------------------------------------------------
def _sum(
    sa: int, ma: int, ea: int, sb: int, mb: int, eb: int, single: bool, rn: int, flip_zero: int = 0
) -> tuple[int, int]:
    """Round the exact sum of two finite values (either may be zero).

    ``flip_zero`` inverts the sign of an exact-cancellation zero (fnmadd: the
    zero of the sum, then negated).
    """
    if ma == 0 and mb == 0:
        # Exact zero sum: -0 only for -0 + -0, or for x - x in round toward -inf (4.3.5).
        return ((sa & sb) if sa == sb else int(rn & 3 == RN_DOWN)) << 63, 0
    if ma == 0:
        return round_pack(sb, mb, eb, single, rn)
    if mb == 0:
        return round_pack(sa, ma, ea, single, rn)
    # Operands far apart: the smaller one only matters as a sticky bit. Keep it
    # as one bit two places below the larger's shifted precision so the sum
    # stays small.
    if ea < eb:
        sa, ma, ea, sb, mb, eb = sb, mb, eb, sa, ma, ea
    # Now ea >= eb: a's lowest bit is at least as large as b's.
    gap = ea - eb
    limit = 64 + 2 * 53  # far enough that b acts only as a sticky bit
    if gap > limit + mb.bit_length():
        e = ea - limit
        ma <<= limit
        mb = 1
        eb = e
    else:
        ma <<= gap
        e = eb
    va = -ma if sa else ma
    vb = -mb if sb else mb
    v = va + vb
    if v == 0:
        return (int(rn & 3 == RN_DOWN) ^ flip_zero) << 63, 0
    return round_pack(int(v < 0), abs(v), e, single, rn)


def f_add(a: int, b: int, single: bool, rn: int, sub: bool = False) -> tuple[int, int]:
    """FRA + FRB (or FRA - FRB)."""
    sa, ca, ma, ea = unpack(a)
    sb, cb, mb, eb = unpack(b)
    if ca >= QNAN or cb >= QNAN:
        return pick_nan(a, b)
    if sub:
        sb ^= 1
    if ca == INFINITY or cb == INFINITY:
        if ca == cb and sa != sb:
            return DEFAULT_QNAN, FPSCR_VXISI
        return ((sa if ca == INFINITY else sb) << 63) | INF, 0
    return _sum(sa, ma, ea, sb, mb, eb, single, rn)


def f_mul(a: int, c: int, single: bool, rn: int) -> tuple[int, int]:
    """FRA × FRC."""
    sa, ca, ma, ea = unpack(a)
    sc, cc, mc, ec = unpack(c)
    if ca >= QNAN or cc >= QNAN:
        return pick_nan(a, c)
    s = sa ^ sc
    if ca == INFINITY or cc == INFINITY:
        if ca == ZERO or cc == ZERO:
            return DEFAULT_QNAN, FPSCR_VXIMZ
        return (s << 63) | INF, 0
    if ca == ZERO or cc == ZERO:
        return s << 63, 0
    return round_pack(s, ma * mc, ea + ec, single, rn)


def f_div(a: int, b: int, single: bool, rn: int) -> tuple[int, int]:
    """FRA ÷ FRB."""
    sa, ca, ma, ea = unpack(a)
    sb, cb, mb, eb = unpack(b)
    if ca >= QNAN or cb >= QNAN:
        return pick_nan(a, b)
    s = sa ^ sb
    if ca == INFINITY:
        if cb == INFINITY:
            return DEFAULT_QNAN, FPSCR_VXIDI
        return (s << 63) | INF, 0
    if cb == INFINITY:
        return s << 63, 0
    if cb == ZERO:
        if ca == ZERO:
            return DEFAULT_QNAN, FPSCR_VXZDZ
        return (s << 63) | INF, FPSCR_ZX
    if ca == ZERO:
        return s << 63, 0
    k = max(0, mb.bit_length() + 56 - ma.bit_length())
    q, r = divmod(ma << k, mb)
    return round_pack(s, q, ea - eb - k, single, rn, sticky=r != 0)


def f_sqrt(b: int, single: bool, rn: int) -> tuple[int, int]:
    """√FRB."""
    s, cb, m, e = unpack(b)
    if cb >= QNAN:
        return pick_nan(b)
    if cb == ZERO:
        return b, 0  # √-0 = -0 (IEEE 754 5.4.1)
    if s:
        return DEFAULT_QNAN, FPSCR_VXSQRT
    if cb == INFINITY:
        return b, 0
    k = max(0, 2 * 56 - m.bit_length())
    if (e - k) & 1:
        k += 1
    m <<= k
    r = isqrt(m)
    return round_pack(0, r, (e - k) // 2, single, rn, sticky=r * r != m)


def f_madd(
    a: int, c: int, b: int, single: bool, rn: int, negate_b: bool, negate_result: bool
) -> tuple[int, int]:
    """±(FRA × FRC ± FRB), fused: the exact value rounded once (fmadd family)."""
    sa, ca, ma, ea = unpack(a)
    sc, cc, mc, ec = unpack(c)
    sb, cb, mb, eb = unpack(b)
    # One invalid-operation cause is reported, VXIMZ before VXISI before VXSNAN,
    # as QEMU 7.2 does: ∞×0 counts even when FRB is a NaN (ISA 4.4.1), so
    # ∞×0+SNaN reports VXIMZ alone.
    sp = sa ^ sc
    if negate_b:
        sb ^= 1
    if (ca == INFINITY and cc == ZERO) or (ca == ZERO and cc == INFINITY):
        exc = FPSCR_VXIMZ
    elif (
        (ca == INFINITY or cc == INFINITY)
        and cb == INFINITY
        and sp != sb
        and not (ca >= QNAN or cc >= QNAN)
    ):
        exc = FPSCR_VXISI
    elif is_snan(a) or is_snan(b) or is_snan(c):
        exc = FPSCR_VXSNAN
    else:
        exc = 0
    if ca >= QNAN or cb >= QNAN or cc >= QNAN:
        # NaN priority is FRA, FRB, FRC (ISA 4.3.2); the NaN is not negated.
        for o in (a, b, c):
            if is_nan(o):
                return o | QUIET, exc
    if exc:
        return DEFAULT_QNAN, exc
    ns = int(negate_result)
    if ca == INFINITY or cc == INFINITY:
        return ((sp ^ ns) << 63) | INF, 0
    if cb == INFINITY:
        return ((sb ^ ns) << 63) | INF, 0
    if ca == ZERO or cc == ZERO:
        mp, ep = 0, 0
    else:
        mp, ep = ma * mc, ea + ec
    if mp == 0 and mb == 0:
        # Exact zero: the sign rule of addition, applied before negation.
        z = (sp & sb) if sp == sb else int(rn & 3 == RN_DOWN)
        return (z ^ ns) << 63, 0
    # Round the exact sum of the product and FRB. The negation is exact, so it
    # is applied before rounding (as softfloat's negate_result): -(P+B) rounds in
    # the FPSCR mode as the value it is.
    if ns:
        sp ^= 1
        sb ^= 1
    return _sum(sp, mp, ep, sb, mb, eb, single, rn, flip_zero=ns)


# -- conversions ----------------------------------------------------------------
def round_to_single(b: int, rn: int) -> tuple[int, int]:
    """frsp: FRB rounded to single precision (a NaN keeps its top 23 fraction bits)."""
    s, cls, m, e = unpack(b)
    if cls >= QNAN:
        return (b | QUIET) & ~0x1FFF_FFFF, (FPSCR_VXSNAN if cls == SNAN else 0)
    if cls != FINITE:
        return b, 0
    r, exc = round_pack(s, m, e, True, rn)
    # Only a rebiased result wraps: overflow with OE=1, or underflow with UE=1
    # (overflow with only UE=1 is an ordinary infinity).
    if ((exc & FPSCR_OX and rn & OE_MODE) or (exc & FPSCR_UX and rn & UE_MODE)) and r & ~SIGN:
        # QEMU 7.2 converts through a binary32 whose 8-bit exponent field wraps
        # after the ±192 rebias (float64_to_float32 then back): reproduce it.
        dexp = (r >> 52) & 0x7FF
        wrapped = (dexp - 1023 + 127) & 0xFF
        r = (r & ~EXP) | ((wrapped - 127 + 1023) << 52)
    return r, exc


def from_int(v: int, single: bool, rn: int) -> tuple[int, int]:
    """fcfid family: a signed or unsigned integer (Python int) rounded to double/single."""
    if v == 0:
        return 0, 0
    return round_pack(int(v < 0), abs(v), 0, single, rn)


def to_int(b: int, rn: int, lo: int, hi: int) -> tuple[int, int]:
    """fcti family: FRB rounded to an integer by ``rn`` and limited to [lo, hi].

    Returns (value, exc) where value is a Python int; on VXCVI it is the
    saturated value (the instruction picks what to store for NaNs).
    """
    s, cls, m, e = unpack(b)
    if cls >= QNAN:
        return lo if lo else 0, FPSCR_VXCVI | (FPSCR_VXSNAN if cls == SNAN else 0)
    if cls == INFINITY:
        return (lo if s else hi), FPSCR_VXCVI
    if cls == ZERO:
        return 0, 0
    exc = 0
    if e >= 0:
        q = m << e
    else:
        sh = -e
        q = m >> sh if sh < 1100 else 0
        rem = m & ((1 << sh) - 1) if sh < 1100 else m
        if rem:
            exc = FPSCR_XX
            half = 1 << (sh - 1)
            if rn == RN_NEAR:
                inc = rem > half or (rem == half and q & 1)
            elif rn == RN_ZERO:
                inc = False
            elif rn == RN_UP:
                inc = not s
            else:
                inc = bool(s)
            if inc:
                q += 1
                exc |= FPSCR_FR
    v = -q if s else q
    if v < lo:
        return lo, FPSCR_VXCVI
    if v > hi:
        return hi, FPSCR_VXCVI
    return v, exc


# -- single-precision storage format (ISA 4.6.2 / 4.6.3) --------------------------
def single_to_double(w: int) -> int:
    """DOUBLE(): the exact binary64 image of a binary32 word (loads; no NaN quieting)."""
    s = w >> 31
    ex = (w >> 23) & 0xFF
    fr = w & 0x7F_FFFF
    if ex == 0xFF:
        return (s << 63) | INF | (fr << 29)
    if ex == 0:
        if fr == 0:
            return s << 63
        n = fr.bit_length()  # a denormal single is a normal double
        shift = 24 - n
        return (s << 63) | ((ex - 126 - shift + 1023 - 1 + 1) << 52) | ((fr << (shift + 29)) & FRAC)
    return (s << 63) | ((ex - 127 + 1023) << 52) | (fr << 29)


def double_to_single(b: int) -> int:
    """SINGLE(): the binary32 word stfs stores; bits are moved, never rounded."""
    ex = (b >> 52) & 0x7FF
    if ex > 896:  # normal in single range, or Inf/NaN
        return ((b >> 32) & 0xC000_0000) | ((b >> 29) & 0x3FFF_FFFF)
    r = (b >> 32) & 0x8000_0000
    if ex >= 874:  # denormalize: the result is a single denormal
        r |= ((IMPL | (b & FRAC)) >> (896 + 30 - ex)) & 0x7F_FFFF
    return r


# -- FPRF ---------------------------------------------------------------------------
def fprf(b: int) -> int:
    """The FPRF field (C FL FG FE FU, in place) for a binary64 result (4.2.2, Table 3)."""
    neg = b >> 63
    mag = b & ~SIGN
    if mag == 0:
        return 0x12000 if neg else 0x02000
    if mag < IMPL:
        return 0x18000 if neg else 0x14000
    if mag < INF:
        return 0x08000 if neg else 0x04000
    if mag == INF:
        return 0x09000 if neg else 0x05000
    if mag & QUIET:
        return 0x11000
    return 0  # SNaN: QEMU leaves the class 0 (the ISA never produces one)


ONE = 0x3FF0_0000_0000_0000


def f_rsqrt(b: int, single: bool, rn: int) -> tuple[int, int]:
    """frsqrte as QEMU 7.2 "estimates" it: 1 ÷ √FRB, each step correctly rounded."""
    r, exc = f_sqrt(b, False, rn)
    if exc & FPSCR_VX_ALL or is_nan(r):
        return r, exc
    q, exc2 = f_div(ONE, r, single, rn)
    return q, exc | exc2


# -- any IEEE 754 binary format (binary128, and the 64-bit-significand rounding of xsrqpxp) ----
# binary64/binary32 above keep their own unpack/round_pack (the hot paths of engine.isa.fp);
# the functions below are the same arithmetic for a format given as data.
# ``mode`` may carry ODD_MODE: round to odd (truncate, then set the last bit if inexact),
# ISA 3.0B's "o" forms; callers clear the RN bits with it (an exact zero sum is then +0).
ODD_MODE = 1 << 32
# Round to nearest, ties away from zero (xsrqpi/xsrqpxp with R=0, RMC=0); RN bits cleared.
AWAY_MODE = 1 << 33


class BinFormat:
    """An IEEE 754 binary format: ``p`` significand bits (with the implicit one), ``ebits``
    exponent bits; a significand of ``p`` bits may also be a rounding precision only
    (``pack`` then stores into another format)."""

    __slots__ = ("p", "ebits", "emax", "emin", "bias", "rebias", "fbits", "width", "sign",
                 "emask", "fmask", "quiet", "inf", "default_nan")  # fmt: skip

    def __init__(self, p: int, ebits: int, fbits: int | None = None) -> None:
        self.p = p
        self.ebits = ebits
        self.emax = (1 << (ebits - 1)) - 1
        self.emin = 1 - self.emax
        self.bias = self.emax
        # The OE/UE exponent adjustment: 1536 for binary64, 192 for binary32 (ISA 4.4.3).
        self.rebias = 3 << (ebits - 2)
        self.fbits = p - 1 if fbits is None else fbits  # stored fraction bits
        self.width = 1 + ebits + self.fbits
        self.sign = 1 << (self.width - 1)
        self.emask = ((1 << ebits) - 1) << self.fbits
        self.fmask = (1 << self.fbits) - 1
        self.quiet = 1 << (self.fbits - 1)
        self.inf = self.emask
        self.default_nan = self.emask | self.quiet


BINARY64 = BinFormat(53, 11)
# Single precision as the FPRs hold it: binary32's precision and range, stored as binary64.
SINGLE_P = BinFormat(24, 8)
BINARY128 = BinFormat(113, 15)
# xsrqpxp rounds to a 64-bit significand in binary128's exponent range (floatx80's).
EXTENDED = BinFormat(64, 15)


def funpack(b: int, f: BinFormat) -> tuple[int, int, int, int]:
    """(sign, class, significand, exponent) of ``b`` in format ``f`` (as unpack())."""
    s = b >> (f.width - 1)
    ex = (b & f.emask) >> f.fbits
    fr = b & f.fmask
    if ex == (1 << f.ebits) - 1:
        if fr == 0:
            return s, INFINITY, 0, 0
        return s, (QNAN if fr & f.quiet else SNAN), fr, 0
    if ex == 0:
        if fr == 0:
            return s, ZERO, 0, 0
        return s, FINITE, fr, f.emin - f.fbits
    return s, FINITE, fr | (1 << f.fbits), ex - f.bias - f.fbits


def fis_nan(b: int, f: BinFormat) -> bool:
    return (b & ~f.sign) > f.inf


def fis_snan(b: int, f: BinFormat) -> bool:
    return (b & ~f.sign) > f.inf and not b & f.quiet


def fpack(s: int, q: int, lsb: int, f: BinFormat, wrapped: bool = False) -> int:
    """The bits of (-1)**s * q * 2**lsb in ``f``, representable exactly (q > 0).

    ``wrapped`` (rebiased results): always normalised, the exponent field taken
    modulo its width; a rebiased single-precision result can still lie outside
    the binary64 range, and QEMU's float64r32 packing then keeps the low 11
    exponent bits."""
    n = q.bit_length()
    top = lsb + n - 1
    if top < f.emin and not wrapped:  # a denormal
        return (s << (f.width - 1)) | (q << (lsb - f.emin + f.fbits))
    sh = f.fbits + 1 - n
    q = q << sh if sh >= 0 else q >> -sh
    ex = (top + f.bias) & ((1 << f.ebits) - 1)
    return (s << (f.width - 1)) | (ex << f.fbits) | (q & f.fmask)


def round_integral(b: int, f: BinFormat, rn: int, away: bool = False) -> tuple[int, bool]:
    """``b`` of format ``f`` rounded to an integral value in FPSCR[RN] mode ``rn`` (or to
    nearest, ties away from zero, with ``away``): (bits, inexact). NaNs, infinities, zeros
    and values already integral come back unchanged; a result of zero keeps the sign."""
    s, cls, m, e = funpack(b, f)
    if cls != FINITE or e >= 0:
        return b, False
    sh = -e
    if sh > f.p:  # below one half: every significand bit is a fraction bit
        q, rem, half = 0, m, m + 1
    else:
        q = m >> sh
        rem = m - (q << sh)
        half = 1 << (sh - 1)
    if not rem:
        return b, False
    if away:
        q += rem >= half
    elif rn == RN_NEAR:
        q += rem > half or (rem == half and bool(q & 1))
    elif rn == RN_UP:
        q += not s
    elif rn == RN_DOWN:
        q += s
    if q == 0:
        return s << (f.width - 1), True
    return fpack(s, q, 0, f), True


def fround(
    s: int, m: int, e: int, f: BinFormat, mode: int, sticky: bool = False,
    into: BinFormat | None = None,
) -> tuple[int, int]:  # fmt: skip
    """round_pack() for format ``f`` (precision and exponent range), packed into ``into``
    (default ``f``); ``mode`` may hold ODD_MODE. Returns (bits, exc); exc as round_pack's."""
    out = into or f
    p, emin, emax = f.p, f.emin, f.emax
    rn = mode & 3
    odd = mode & ODD_MODE
    away = mode & AWAY_MODE
    if m == 0:
        return s << (out.width - 1), 0
    top = e + m.bit_length() - 1
    tiny = top < emin
    if tiny and mode & UE_MODE:
        e += f.rebias
        top += f.rebias
        tiny = False
        ux = FPSCR_UX
    else:
        ux = 0
    lsb = (emin if tiny else top) - p + 1
    sh = lsb - e
    exc = 0
    if sh > 0:
        q = m >> sh
        rem = m & ((1 << sh) - 1)
        lost = rem != 0 or sticky
        half = 1 << (sh - 1)
    else:
        q = m << -sh
        lost = sticky
        rem, half = 0, 1  # too few bits: what was lost lies below half an ulp
    if lost:
        if odd:
            inc = not q & 1
        elif away:
            inc = rem >= half
        elif rn == RN_NEAR:
            inc = rem > half or (rem == half and (sticky or bool(q & 1)))
        elif rn == RN_ZERO:
            inc = False
        elif rn == RN_UP:
            inc = not s
        else:
            inc = bool(s)
        exc = FPSCR_XX
        if tiny:
            exc |= FPSCR_UX
        if inc:
            exc |= FPSCR_FR
            q += 1
            if q >> p:
                q >>= 1
                lsb += 1
    exc |= ux
    if q == 0:
        return s << (out.width - 1), exc
    if ux:
        return fpack(s, q, lsb, out, True), exc
    if lsb + p - 1 > emax:
        if mode & OE_MODE:
            return fpack(s, q, lsb - f.rebias, out, True), exc | FPSCR_OX
        # Overflow: infinity or the largest finite number by the rounding mode (4.4.3).
        if not odd and (rn == RN_NEAR or (rn == RN_UP and not s) or (rn == RN_DOWN and s)):
            return (s << (out.width - 1)) | out.inf, FPSCR_OX | FPSCR_XX | FPSCR_FR
        return fpack(s, (1 << p) - 1, emax - p + 1, out), FPSCR_OX | FPSCR_XX
    return fpack(s, q, lsb, out), exc


def fpick_nan(f: BinFormat, *ops: int) -> tuple[int, int]:
    """pick_nan() in format ``f``: the first NaN operand quieted; VXSNAN if any is an SNaN."""
    exc = FPSCR_VXSNAN if any(fis_snan(o, f) for o in ops) else 0
    for o in ops:
        if fis_nan(o, f):
            return o | f.quiet, exc
    raise AssertionError("fpick_nan without a NaN")


def _fsum(
    sa: int, ma: int, ea: int, sb: int, mb: int, eb: int, f: BinFormat, mode: int,
    flip_zero: int = 0,
) -> tuple[int, int]:  # fmt: skip
    """_sum() in format ``f``."""
    if ma == 0 and mb == 0:
        return (((sa & sb) if sa == sb else int(mode & 3 == RN_DOWN)) ^ flip_zero) << (
            f.width - 1
        ), 0
    if ma == 0:
        return fround(sb, mb, eb, f, mode)
    if mb == 0:
        return fround(sa, ma, ea, f, mode)
    if ea < eb:
        sa, ma, ea, sb, mb, eb = sb, mb, eb, sa, ma, ea
    gap = ea - eb
    limit = 64 + 2 * f.p  # far enough that b acts only as a sticky bit
    if gap > limit + mb.bit_length():
        e = ea - limit
        ma <<= limit
        mb = 1
    else:
        ma <<= gap
        e = eb
    v = (-ma if sa else ma) + (-mb if sb else mb)
    if v == 0:
        return (int(mode & 3 == RN_DOWN) ^ flip_zero) << (f.width - 1), 0
    return fround(int(v < 0), abs(v), e, f, mode)


def fadd(a: int, b: int, f: BinFormat, mode: int, sub: bool = False) -> tuple[int, int]:
    """a + b (or a - b) in format ``f``."""
    sa, ca, ma, ea = funpack(a, f)
    sb, cb, mb, eb = funpack(b, f)
    if ca >= QNAN or cb >= QNAN:
        return fpick_nan(f, a, b)
    if sub:
        sb ^= 1
    if ca == INFINITY or cb == INFINITY:
        if ca == cb and sa != sb:
            return f.default_nan, FPSCR_VXISI
        return ((sa if ca == INFINITY else sb) << (f.width - 1)) | f.inf, 0
    return _fsum(sa, ma, ea, sb, mb, eb, f, mode)


def fmul(a: int, c: int, f: BinFormat, mode: int) -> tuple[int, int]:
    """a × c in format ``f``."""
    sa, ca, ma, ea = funpack(a, f)
    sc, cc, mc, ec = funpack(c, f)
    if ca >= QNAN or cc >= QNAN:
        return fpick_nan(f, a, c)
    s = sa ^ sc
    if ca == INFINITY or cc == INFINITY:
        if ca == ZERO or cc == ZERO:
            return f.default_nan, FPSCR_VXIMZ
        return (s << (f.width - 1)) | f.inf, 0
    if ca == ZERO or cc == ZERO:
        return s << (f.width - 1), 0
    return fround(s, ma * mc, ea + ec, f, mode)


def fdiv(a: int, b: int, f: BinFormat, mode: int) -> tuple[int, int]:
    """a ÷ b in format ``f``."""
    sa, ca, ma, ea = funpack(a, f)
    sb, cb, mb, eb = funpack(b, f)
    if ca >= QNAN or cb >= QNAN:
        return fpick_nan(f, a, b)
    s = sa ^ sb
    sgn = s << (f.width - 1)
    if ca == INFINITY:
        if cb == INFINITY:
            return f.default_nan, FPSCR_VXIDI
        return sgn | f.inf, 0
    if cb == INFINITY:
        return sgn, 0
    if cb == ZERO:
        if ca == ZERO:
            return f.default_nan, FPSCR_VXZDZ
        return sgn | f.inf, FPSCR_ZX
    if ca == ZERO:
        return sgn, 0
    k = max(0, mb.bit_length() + f.p + 3 - ma.bit_length())
    q, r = divmod(ma << k, mb)
    return fround(s, q, ea - eb - k, f, mode, sticky=r != 0)


def fsqrt(b: int, f: BinFormat, mode: int) -> tuple[int, int]:
    """√b in format ``f``."""
    s, cb, m, e = funpack(b, f)
    if cb >= QNAN:
        return fpick_nan(f, b)
    if cb == ZERO:
        return b, 0
    if s:
        return f.default_nan, FPSCR_VXSQRT
    if cb == INFINITY:
        return b, 0
    k = max(0, 2 * (f.p + 3) - m.bit_length())
    if (e - k) & 1:
        k += 1
    m <<= k
    r = isqrt(m)
    return fround(0, r, (e - k) // 2, f, mode, sticky=r * r != m)


def fmadd(
    a: int, c: int, b: int, f: BinFormat, mode: int, negate_b: bool, negate_result: bool
) -> tuple[int, int]:
    """±(a × c ± b) in format ``f``, rounded once; causes and NaNs as f_madd()."""
    sa, ca, ma, ea = funpack(a, f)
    sc, cc, mc, ec = funpack(c, f)
    sb, cb, mb, eb = funpack(b, f)
    sp = sa ^ sc
    if negate_b:
        sb ^= 1
    if (ca == INFINITY and cc == ZERO) or (ca == ZERO and cc == INFINITY):
        exc = FPSCR_VXIMZ
    elif (
        (ca == INFINITY or cc == INFINITY)
        and cb == INFINITY
        and sp != sb
        and not (ca >= QNAN or cc >= QNAN)
    ):
        exc = FPSCR_VXISI
    elif fis_snan(a, f) or fis_snan(b, f) or fis_snan(c, f):
        exc = FPSCR_VXSNAN
    else:
        exc = 0
    if ca >= QNAN or cb >= QNAN or cc >= QNAN:
        for o in (a, b, c):
            if fis_nan(o, f):
                return o | f.quiet, exc
    if exc:
        return f.default_nan, exc
    ns = int(negate_result)
    top = f.width - 1
    if ca == INFINITY or cc == INFINITY:
        return ((sp ^ ns) << top) | f.inf, 0
    if cb == INFINITY:
        return ((sb ^ ns) << top) | f.inf, 0
    if ca == ZERO or cc == ZERO:
        mp, ep = 0, 0
    else:
        mp, ep = ma * mc, ea + ec
    if mp == 0 and mb == 0:
        z = (sp & sb) if sp == sb else int(mode & 3 == RN_DOWN)
        return (z ^ ns) << top, 0
    if ns:
        sp ^= 1
        sb ^= 1
    return _fsum(sp, mp, ep, sb, mb, eb, f, mode, flip_zero=ns)


def ffprf(b: int, f: BinFormat) -> int:
    """fprf() for a result in format ``f``."""
    neg = b >> (f.width - 1)
    mag = b & ~f.sign
    if mag == 0:
        return 0x12000 if neg else 0x02000
    if mag <= f.fmask:
        return 0x18000 if neg else 0x14000
    if mag < f.inf:
        return 0x08000 if neg else 0x04000
    if mag == f.inf:
        return 0x09000 if neg else 0x05000
    if mag & f.quiet:
        return 0x11000
    return 0
