"""IEEE 754 binary64/binary32 arithmetic on raw bit patterns, exactly, and the FPSCR.

Floating-point registers hold binary64 bit patterns (ints). Every operation
here computes the exact result with integers (significand × 2**exponent) and
rounds it once, in any of the four FPSCR[RN] modes, to double or to single
precision (a single result is returned as its binary64 bit pattern, as the
FPRs hold it). Python floats only round to nearest, so they serve only the
fast paths in ``engine.isa.fp``.

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
# (precision, emin, emax) of binary64 and binary32.
_DOUBLE = (53, -1022, 1023)
_SINGLE = (24, -126, 127)


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
    p, emin, emax = _SINGLE if single else _DOUBLE
    rn = mode & 3
    if m == 0:
        return s << 63, 0
    top = e + m.bit_length() - 1
    tiny = top < emin
    rebias = 192 if single else 1536
    if tiny and mode & UE_MODE:
        e += rebias
        top += rebias
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
        if rem or sticky:
            half = 1 << (sh - 1)
            if rn == RN_NEAR:
                inc = rem > half or (rem == half and (sticky or q & 1))
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
    else:
        q = m << -sh
        if sticky:  # only possible with too few bits: treat as below half an ulp
            exc = FPSCR_XX | (FPSCR_UX if tiny else 0)
            if (rn == RN_UP and not s) or (rn == RN_DOWN and s):
                q += 1
                exc |= FPSCR_FR
                if q >> p:
                    q >>= 1
                    lsb += 1
    exc |= ux
    if q == 0:
        return s << 63, exc
    if lsb + p - 1 > emax and mode & OE_MODE:
        return pack_wrapped(s, q, lsb - rebias), exc | FPSCR_OX
    if ux:
        return pack_wrapped(s, q, lsb), exc
    if lsb + p - 1 > emax:
        # Overflow: infinity or the largest finite number by the rounding mode (4.4.3).
        big = MAX_S if single else MAX_D
        if rn == RN_NEAR or (rn == RN_UP and not s) or (rn == RN_DOWN and s):
            r = INF
        else:
            r = big
        return (s << 63) | r, FPSCR_OX | FPSCR_XX | (FPSCR_FR if r == INF else 0)
    return pack(s, q, lsb), exc


def pack(s: int, q: int, lsb: int) -> int:
    """The binary64 bits of (-1)**s * q * 2**lsb, which must be representable exactly."""
    n = q.bit_length()
    if n < 53:
        if lsb - (53 - n) < -1074:  # a binary64 denormal
            return (s << 63) | (q << (lsb + 1074))
        q <<= 53 - n
        lsb -= 53 - n
    elif n > 53:
        q >>= n - 53
        lsb += n - 53
    return (s << 63) | ((lsb + 1075) << 52) | (q & FRAC)


def pack_wrapped(s: int, q: int, lsb: int) -> int:
    """pack() for rebiased results: always normalised, the exponent field taken mod 2048.

    A rebiased single-precision result can still lie outside the binary64
    range; QEMU's float64r32 packing then keeps the low 11 exponent bits.
    """
    n = q.bit_length()
    q = q << (53 - n) if n <= 53 else q >> (n - 53)
    lsb -= 53 - n
    return (s << 63) | (((lsb + 1075) & 0x7FF) << 52) | (q & FRAC)


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
