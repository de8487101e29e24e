"""Writes the differential programs of the VSX binary128 instructions (engine/isa/vsx_quad.py).

    python -m tests.differential.vsx_quad_cases [NAME...]

Same layout as vsx_scalar2_cases (a big-endian pass with MSR[FE0|FE1] = 1 and
every other case again little-endian from 0x6000 in ``NAME.le.S``); the
operands are binary128 images in VR n = VSR 32+n.
"""

from __future__ import annotations

from collections.abc import Iterable

from .vsx_fp_cases import OE, PROGRAMS, STICKY, UE, VE, XE, ZE, Case
from .vsx_scalar2_cases import Prog


def q(sign: int, exp: int, frac: int) -> int:
    """A binary128 image: sign, biased exponent, 112-bit fraction."""
    return (sign << 127) | (exp << 112) | frac


QFRAC = (1 << 112) - 1
PZ, NZ = q(0, 0, 0), q(1, 0, 0)
ONE, NONE = q(0, 0x3FFF, 0), q(1, 0x3FFF, 0)
TWO = q(0, 0x4000, 0)
THREE = q(0, 0x4000, 1 << 111)
THIRD = q(0, 0x3FFD, 0x5555_5555_5555_5555_5555_5555_5555)
TENTH = q(0, 0x3FFB, 0x9999_9999_9999_9999_9999_9999_999A)
PI = 0x4000_921F_B544_42D1_8469_898C_C517_01B8
NPI = PI | 1 << 127
MAXQ, NMAXQ = q(0, 0x7FFE, QFRAC), q(1, 0x7FFE, QFRAC)
MINQ = q(0, 1, 0)  # smallest normal
DEN1 = q(0, 0, 1)  # smallest denormal
DENM = q(0, 0, QFRAC)  # largest denormal
NDEN = q(1, 0, 3)
PINF, NINF = q(0, 0x7FFF, 0), q(1, 0x7FFF, 0)
QNAN = q(0, 0x7FFF, 1 << 111 | 0x123)
NQNAN = q(1, 0x7FFF, 1 << 111 | 0xABCD_EF01_2345_6789 << 40 | 0x77)
SNAN = q(0, 0x7FFF, 0x456 | 1 << 70)
NSNAN = q(1, 0x7FFF, 1 << 110 | 0x789)
M_ODD = q(0, 0x3FFF, 1)  # 1 + ulp
JUNK = 0x0123_4567_89AB_CDEF_FEDC_BA98_7654_3210

T, A, B = 3, 1, 2
HT, HA, HB = 30, 28, 29
REGS = [0, 32 + A, 32 + B, 32 + T, 32 + HA, 32 + HB, 32 + HT]


def v(n: int) -> int:
    """The VSR number of VR n."""
    return 32 + n


PAIRS: list[tuple[int, int, int, str]] = [  # (fpscr, a, b, note)
    (0, ONE, TWO, "less"),
    (STICKY | 3, TWO, ONE, "greater, sticky bits kept"),
    (0, THIRD, THIRD, "equal"),
    (0, PZ, NZ, "+0, -0"),
    (1, NZ, PZ, "-0, +0"),
    (0, NONE, TENTH, "signs"),
    (0, DEN1, NDEN, "denormals"),
    (2, DENM, MINQ, "largest denormal, smallest normal"),
    (0, PINF, NINF, "infinities"),
    (0, NINF, NMAXQ, "-inf, -max"),
    (0, QNAN, ONE, "QNaN a"),
    (0, ONE, NQNAN, "QNaN b"),
    (0, SNAN, ONE, "SNaN a"),
    (0, MAXQ, NSNAN, "SNaN b"),
    (0, QNAN, SNAN, "QNaN a, SNaN b"),
    (0, NQNAN, QNAN, "two QNaNs"),
    (0, ONE, M_ODD, "one ulp apart"),
    (0, PI, NPI, "pi, -pi"),
    (VE, SNAN, ONE, "SNaN, VE enabled"),
    (VE, ONE, NQNAN, "QNaN, VE enabled"),
    (VE | XE, NZ, PZ, "enables, nothing raised"),
]

VALUES: list[tuple[int, str]] = [
    (ONE, "one"),
    (NONE, "-one"),
    (PZ, "+0"),
    (NZ, "-0"),
    (DEN1, "smallest denormal"),
    (DENM, "largest denormal"),
    (NDEN, "negative denormal"),
    (MINQ, "smallest normal"),
    (MAXQ, "max"),
    (NMAXQ, "-max"),
    (PINF, "+inf"),
    (NINF, "-inf"),
    (QNAN, "QNaN"),
    (NQNAN, "-QNaN"),
    (SNAN, "SNaN"),
    (NSNAN, "-SNaN"),
    (PI, "pi"),
    (JUNK, "random bits"),
]


def _regs(i: int, n: int) -> tuple[int, int, int]:
    return (HT, HA, HB) if i % 5 == n else (T, A, B)


def quad_moves() -> Prog:
    p = Prog(
        "vsx_quad",
        "VSX binary128 moves, compares and tests: xsabsqp xsnabsqp xsnegqp xscpsgnqp "
        "xsxexpqp xsxsigqp xsiexpqp xscmpoqp xscmpuqp xscmpexpqp xststdcqp",
        REGS,
    )
    cs = p.cases
    for n in ("xsabsqp", "xsnabsqp", "xsnegqp", "xsxexpqp", "xsxsigqp"):
        for i, (b, note) in enumerate(VALUES):
            t, _, rb = _regs(i, 2)
            cs.append(Case(f"{n} {t},{rb}", 0, {v(rb): b, v(t): JUNK}, note))
    for i, (fs, a, b, note) in enumerate(PAIRS[:18]):
        t, ra, rb = _regs(i, 2)
        cs.append(Case(f"xscpsgnqp {t},{ra},{rb}", fs, {v(ra): a, v(rb): b, v(t): JUNK}, note))
    exps = (0, 0x7FFF, 0x3FFF, 1, 0xFFFF_FFFF_FFFF_8000, 0x1234, 0x7FFE, (1 << 64) - 1)
    for i, (a, note) in enumerate(VALUES):
        t, ra, rb = _regs(i, 2)
        e = exps[i % len(exps)]
        cs.append(Case(f"xsiexpqp {t},{ra},{rb}", 0,
                       {v(ra): a, v(rb): e << 64 | 0x5555, v(t): JUNK}, note))  # fmt: skip
    for n in ("xscmpuqp", "xscmpoqp", "xscmpexpqp"):
        for i, (fs, a, b, note) in enumerate(PAIRS):
            _, ra, rb = _regs(i, 2)
            cs.append(Case(f"{n} {i % 8},{ra},{rb}", fs, {v(ra): a, v(rb): b}, note))
    masks = (0x7F, 0x40, 0x20, 0x10, 0x08, 0x04, 0x02, 0x01, 0x00, 0x55, 0x2A)
    for i, (b, note) in enumerate(VALUES):
        _, _, rb = _regs(i, 2)
        for j, m in enumerate(masks[i % 3 :: 3] if i > 1 else masks):
            cs.append(Case(f"xststdcqp {(i + j) % 8},{rb},{m}", 0, {v(rb): b}, note))
    # Reserved bits: QEMU 7.2 checks bit 31 of the moves and bits 9:10 and 31 of the
    # compares (HEAI), and ignores bit 31 of xststdcqp.
    po = 0xFC00_0000
    xb = po | T << 21 | B << 11
    reserved = [
        (xb | 804 << 1 | 1, "xsabsqp with bit 31 set: HEAI", {v(B): NONE, v(T): JUNK}),
        (xb | 16 << 16 | 804 << 1 | 1, "xsnegqp with bit 31 set: HEAI", {v(B): ONE}),
        (xb | 1 << 16 | 804 << 1, "xo 804 with VRA = 1: not an instruction (HEAI)",
         {v(B): ONE}),
        (xb | A << 16 | 100 << 1 | 1, "xscpsgnqp with bit 31 set: HEAI",
         {v(A): NONE, v(B): ONE}),
        (po | 5 << 23 | 2 << 21 | A << 16 | B << 11 | 644 << 1,
         "xscmpuqp 5,1,2 with bits 9:10 = 2: HEAI", {v(A): ONE, v(B): TWO}),
        (po | 5 << 23 | A << 16 | B << 11 | 132 << 1 | 1,
         "xscmpoqp 5,1,2 with bit 31 set: HEAI", {v(A): ONE, v(B): TWO}),
        (po | 5 << 23 | 1 << 21 | A << 16 | B << 11 | 164 << 1,
         "xscmpexpqp 5,1,2 with bit 10 set: HEAI", {v(A): ONE, v(B): TWO}),
        (po | 6 << 23 | 0x7F << 16 | B << 11 | 708 << 1 | 1,
         "xststdcqp 6,2,127 with bit 31 set (executed)", {v(B): NDEN}),
        # ISA 3.1 binary128 forms: QEMU 7.2 requires ISA 3.1 for them (HEAI on POWER9)
        (po | T << 21 | A << 16 | B << 11 | 68 << 1, "xscmpeqqp (ISA 3.1): HEAI",
         {v(A): ONE, v(B): ONE, v(T): JUNK}),
        (po | T << 21 | A << 16 | B << 11 | 676 << 1, "xsmaxcqp (ISA 3.1): HEAI",
         {v(A): ONE, v(B): TWO, v(T): JUNK}),
        (po | T << 21 | B << 11 | 836 << 1, "xscvqpuqz (ISA 3.1): HEAI", {v(B): TWO}),
    ]  # fmt: skip
    for w, note, regs in reserved:
        cs.append(Case(f".long {w:#010x}", 0, regs, note))
    return p


# -- group 2: arithmetic ----------------------------------------------------------------------
HALF = q(0, 0x3FFF - 113, 0)  # half an ulp of one: 1 + HALF is a tie
QUARTER3 = q(0, 0x3FFF - 113, 1 << 111)  # three quarters of an ulp of one
NTHIRD = THIRD | 1 << 127
SMALLQ = q(0, 0x0001, 0x1234_5678)  # near the smallest normal
BIGQ = q(0, 0x7FFE, 1)
# With MSR[FE0|FE1] = 0 an enabled exception leaves QEMU 7.2 with a pending program
# interrupt it never delivers, and its single step stops reporting: the little-endian
# pass runs no case with an enable set.
ENABLES = VE | OE | UE | ZE | XE

# (a, b, note): operands whose result rounds differently in each mode (run in all four
# modes and to odd) ...
ROUNDING: dict[str, list[tuple[int, int, str]]] = {
    "add": [
        (ONE, HALF, "tie, even below"),
        (M_ODD, HALF, "tie, odd below"),
        (ONE, QUARTER3, "above the tie"),
        (NONE, NTHIRD | 0x3 << 80, "negative inexact"),
        (THIRD, TENTH, "inexact"),
        (MAXQ, MAXQ, "overflow"),
        (ONE, NONE, "x - x: the zero's sign by mode"),
        (DENM, NDEN, "denormals, exact"),
    ],
    "sub": [
        (ONE, HALF, "below one by a half ulp"),
        (NMAXQ, MAXQ, "negative overflow"),
        (THIRD, NTHIRD, "inexact"),
        (PZ, PZ, "0 - 0"),
        (MINQ, DEN1, "exact denormal result"),
    ],
    "mul": [
        (THIRD, THREE, "1/3 * 3"),
        (PI, NPI, "negative inexact"),
        (MAXQ, TWO, "overflow"),
        (MINQ, THIRD, "tiny, inexact: underflow"),
        (DEN1, HALF, "below the smallest denormal"),
        (SMALLQ, q(0, 0x3FFE, 1 << 111), "tiny, rounds to the smallest normal?"),
    ],
    "div": [
        (ONE, THREE, "1/3"),
        (NONE, TENTH, "-10"),
        (TWO, THREE, "2/3"),
        (MAXQ, q(0, 0x3FFE, 0), "overflow"),
        (MINQ, THREE, "underflow"),
        (DEN1, TWO, "half the smallest denormal: a tie"),
    ],
}
# ... and operands for the special cases (run once, in the mode given).
SPECIAL: dict[str, list[tuple[int, int, int, str]]] = {
    "add": [
        (0, PINF, NINF, "inf - inf: VXISI"),
        (VE, PINF, NINF, "VXISI, VE enabled"),
        (0, QNAN, SNAN, "QNaN + SNaN"),
        (0, SNAN, NQNAN, "SNaN + QNaN"),
        (0, NQNAN, QNAN, "two QNaNs"),
        (VE, ONE, SNAN, "SNaN, VE enabled"),
        (0, PINF, MAXQ, "inf + max"),
        (OE, MAXQ, MAXQ, "overflow, OE enabled"),
        (XE, ONE, HALF, "inexact, XE enabled"),
        (STICKY, ONE, TWO, "exact, sticky bits kept"),
        (UE, DEN1, DEN1, "exact tiny, UE enabled"),
        (3, NZ, NZ, "-0 + -0"),
    ],
    "sub": [
        (0, PINF, PINF, "inf - inf"),
        (0, NSNAN, ONE, "SNaN"),
        (3, ONE, ONE, "x - x rounding down"),
    ],
    "mul": [
        (0, PINF, PZ, "inf * 0: VXIMZ"),
        (VE, NZ, NINF, "VXIMZ, VE enabled"),
        (0, SNAN, PZ, "SNaN * 0"),
        (0, ONE, NQNAN, "QNaN"),
        (OE, MAXQ, MAXQ, "overflow, OE enabled"),
        (UE, MINQ, THIRD, "underflow, UE enabled"),
        (UE | 1, DEN1, DEN1, "deep underflow, UE enabled"),
        (OE | UE, BIGQ, TWO, "overflow, OE and UE enabled"),
        (0, NZ, PI, "-0 * pi"),
        (0, NINF, NMAXQ, "-inf * -max"),
    ],
    "div": [
        (0, ONE, PZ, "divide by zero"),
        (ZE, NONE, PZ, "divide by zero, ZE enabled"),
        (0, PZ, NZ, "0/0: VXZDZ"),
        (0, PINF, NINF, "inf/inf: VXIDI"),
        (VE, PINF, PINF, "VXIDI, VE enabled"),
        (0, ONE, PINF, "1/inf"),
        (0, SNAN, PZ, "SNaN / 0"),
        (0, QNAN, PZ, "QNaN / 0"),
        (OE, MAXQ, DEN1, "overflow, OE enabled"),
        (UE, DEN1, MAXQ, "underflow, UE enabled"),
    ],
}
SQRT: list[tuple[int, str]] = [
    (TWO, "2"),
    (THREE, "3"),
    (q(0, 0x3FFF, 1 << 111 | 1), "1.5 + ulp"),
    (DEN1, "smallest denormal"),
    (DENM, "largest denormal"),
    (MAXQ, "max"),
]
SQRT_SPECIAL: list[tuple[int, int, str]] = [
    (0, NONE, "-1: VXSQRT"),
    (VE, NTHIRD, "VXSQRT, VE enabled"),
    (0, NZ, "-0"),
    (0, PINF, "+inf"),
    (0, NINF, "-inf"),
    (0, NSNAN, "SNaN"),
    (0, QNAN, "QNaN"),
    (XE, TWO, "inexact, XE enabled"),
]
# (a, b, t): VRT <- ±(VRA × VRB ± VRT)
FMA: list[tuple[int, int, int, str]] = [
    (THIRD, THREE, NONE, "1/3 * 3 - 1: the exact residual"),
    (ONE, ONE, NONE, "1*1 - 1: the zero's sign by mode"),
    (PI, PI, TENTH, "inexact"),
    (MAXQ, TWO, NMAXQ, "product overflows, the sum does not"),
    (MINQ, THIRD, DEN1, "tiny"),
    (ONE, HALF, ONE, "a tie"),
]
FMA_SPECIAL: list[tuple[int, int, int, int, str]] = [
    (0, PINF, PZ, QNAN, "inf * 0 + QNaN: VXIMZ, the QNaN"),
    (0, PINF, PZ, SNAN, "inf * 0 + SNaN: VXIMZ only"),
    (0, PINF, ONE, NINF, "inf - inf: VXISI"),
    (VE, NINF, ONE, NINF, "VXISI, VE enabled"),
    (0, QNAN, SNAN, NQNAN, "NaNs: VRA first"),
    (0, ONE, SNAN, NQNAN, "NaNs: the addend before VRB"),
    (0, ONE, NSNAN, ONE, "SNaN VRB"),
    (0, PZ, PI, NZ, "0 * pi - 0"),
    (OE, MAXQ, MAXQ, ONE, "overflow, OE enabled"),
    (UE, MINQ, THIRD, PZ, "underflow, UE enabled"),
]


def quad_arith() -> Prog:
    p = Prog(
        "vsx_quad_arith",
        "VSX binary128 arithmetic in every rounding mode and to odd: xsaddqp[o] xssubqp[o] "
        "xsmulqp[o] xsdivqp[o]",
        REGS,
        le_skip=ENABLES,
    )
    cs = p.cases
    modes = [(rn, "") for rn in range(4)] + [(0, "o"), (3, "o")]
    for kind in ("add", "sub", "mul", "div"):
        n = f"xs{kind}qp"
        for i, (a, b, note) in enumerate(ROUNDING[kind]):
            t, ra, rb = _regs(i, 2)
            for rn, o in modes:
                cs.append(Case(f"{n}{o} {t},{ra},{rb}", rn, {v(ra): a, v(rb): b, v(t): JUNK},
                               f"{note}, RN={rn}"))  # fmt: skip
        for i, (fs, a, b, note) in enumerate(SPECIAL[kind]):
            t, ra, rb = _regs(i, 3)
            o = "o" if i % 4 == 1 else ""
            cs.append(Case(f"{n}{o} {t},{ra},{rb}", fs, {v(ra): a, v(rb): b, v(t): JUNK}, note))
    return p


def quad_fma() -> Prog:
    p = Prog(
        "vsx_quad_fma",
        "VSX binary128 square root and multiply-add in every rounding mode and to odd: "
        "xssqrtqp[o] xs[n]m{add,sub}qp[o]",
        REGS,
        le_skip=ENABLES,
    )
    cs = p.cases
    modes = [(rn, "") for rn in range(4)] + [(0, "o"), (3, "o")]
    for i, (b, note) in enumerate(SQRT):
        t, _, rb = _regs(i, 2)
        for rn, o in modes:
            cs.append(Case(f"xssqrtqp{o} {t},{rb}", rn, {v(rb): b, v(t): JUNK},
                           f"{note}, RN={rn}"))  # fmt: skip
    for i, (fs, b, note) in enumerate(SQRT_SPECIAL):
        t, _, rb = _regs(i, 2)
        cs.append(Case(f"xssqrtqp {t},{rb}", fs, {v(rb): b, v(t): JUNK}, note))
    for k, n in enumerate(("xsmaddqp", "xsmsubqp", "xsnmaddqp", "xsnmsubqp")):
        for i, (a, b, tv, note) in enumerate(FMA):
            t, ra, rb = _regs(i + k, 2)
            for rn, o in modes if i % 2 == k % 2 else modes[::2] + [(1, "o")]:
                if n == "xsmsubqp" or n == "xsnmsubqp":
                    tv2 = tv ^ (1 << 127) if tv & ((1 << 127) - 1) else tv
                else:
                    tv2 = tv
                cs.append(Case(f"{n}{o} {t},{ra},{rb}", rn, {v(ra): a, v(rb): b, v(t): tv2},
                               f"{note}, RN={rn}"))  # fmt: skip
        for i, (fs, a, b, tv, note) in enumerate(FMA_SPECIAL):
            t, ra, rb = _regs(i + k, 2)
            o = "o" if i % 3 == k % 3 else ""
            cs.append(Case(f"{n}{o} {t},{ra},{rb}", fs, {v(ra): a, v(rb): b, v(t): tv}, note))
    return p


# -- group 3: conversions and rounding to integer -----------------------------------------
def fl(x: float) -> int:
    """The binary128 image of a small binary64 value (exact)."""
    import struct

    b = struct.unpack(">Q", struct.pack(">d", x))[0]
    s, ex, fr = b >> 63, (b >> 52) & 0x7FF, b & ((1 << 52) - 1)
    if ex == 0:
        return s << 127
    return q(s, ex - 1023 + 0x3FFF, fr << 60)


D_ONE, D_NZ, D_PI = 0x3FF0_0000_0000_0000, 0x8000_0000_0000_0000, 0x4009_21FB_5444_2D18
D_MAX, D_DEN, D_NDEN = 0x7FEF_FFFF_FFFF_FFFF, 0x0000_0000_0000_0001, 0x800F_FFFF_FFFF_FFFF
D_INF, D_QNAN, D_SNAN = 0xFFF0_0000_0000_0000, 0x7FF8_0000_0000_0123, 0xFFF4_0000_0000_0789
D_TO_Q: list[tuple[int, int, str]] = [  # (fpscr, binary64, note)
    (0, D_ONE, "one"),
    (0, D_NZ, "-0"),
    (0, D_PI, "pi"),
    (0, D_MAX, "max"),
    (0, D_DEN, "smallest denormal"),
    (0, D_NDEN, "-largest denormal"),
    (0, D_INF, "-inf"),
    (0, D_QNAN, "QNaN"),
    (0, D_SNAN, "SNaN"),
    (VE, D_SNAN, "SNaN, VE enabled"),
    (STICKY | 1, D_ONE, "sticky bits kept, FI cleared"),
]
Q_TO_D_ROUND: list[tuple[int, str]] = [
    (PI, "pi"),
    (q(0, 0x3FFF, 1 << 59), "1 + half a binary64 ulp: a tie"),
    (q(1, 0x3FFF, 3 << 59), "-(1 + 1.5 ulp): a tie"),
    (q(0, 0x3FFF, 1 << 59 | 1), "above the tie"),
    (MAXQ, "binary128 max: overflow"),
    (q(0, 0x3FFF + 1023, QFRAC), "just above the binary64 max"),
    (q(0, 0x3FFF - 1074, 1 << 111), "1.5 * the smallest denormal"),
    (q(1, 0x3FFF - 1080, 0), "below the smallest denormal"),
    (q(0, 0x3FFF - 1023, 0x1234_5678 << 60 | 1), "a denormal, inexact"),
]
Q_TO_D_SPECIAL: list[tuple[int, int, str]] = [
    (0, NZ, "-0"),
    (0, PINF, "+inf"),
    (0, NQNAN, "QNaN: payload truncated"),
    (0, SNAN, "SNaN"),
    (VE, NSNAN, "SNaN, VE enabled"),
    (OE, MAXQ, "overflow, OE enabled"),
    (UE, q(0, 0x3FFF - 1074, 1 << 111), "underflow, UE enabled"),
    (XE, PI, "inexact, XE enabled"),
    (0, DEN1, "binary128 denormal"),
    (0, ONE, "exact"),
]
TO_INT: list[tuple[int, int, str]] = [  # (fpscr, value, note)
    (0, fl(1.5), "1.5"),
    (0, fl(-1.5), "-1.5"),
    (0, fl(-0.5), "-0.5"),
    (0, NZ, "-0"),
    (0, fl(2.0**31 - 0.5), "2^31 - 0.5"),
    (0, fl(2.0**31), "2^31"),
    (0, fl(-(2.0**31)), "-2^31"),
    (0, fl(-(2.0**31) - 1), "-2^31 - 1"),
    (0, fl(2.0**32 - 1), "2^32 - 1"),
    (0, fl(2.0**32), "2^32"),
    (0, q(0, 0x3FFF + 63, QFRAC), "2^64 - a bit"),
    (0, fl(2.0**63), "2^63"),
    (0, fl(-(2.0**63)), "-2^63"),
    (0, q(1, 0x3FFF + 63, 1 << 100), "below -2^63"),
    (0, fl(2.0**64), "2^64"),
    (0, MAXQ, "max"),
    (0, NINF, "-inf"),
    (0, PINF, "+inf"),
    (0, QNAN, "QNaN"),
    (0, NSNAN, "SNaN"),
    (0, DEN1, "denormal"),
    (VE, QNAN, "QNaN, VE enabled"),
    (XE, fl(2.75), "inexact, XE enabled"),
    (STICKY | 2, fl(7.0), "exact, sticky kept"),
]
INTS: list[int] = [0, 1, (1 << 64) - 1, 1 << 63, (1 << 63) - 1, 0x0123_4567_89AB_CDEF, 1 << 53 | 1]
RQPI: list[tuple[int, str]] = [
    (fl(2.5), "2.5"),
    (fl(-2.5), "-2.5"),
    (fl(0.5), "0.5"),
    (fl(-0.75), "-0.75"),
    (fl(3.25), "3.25"),
    (fl(1.5), "1.5"),
    (q(0, 0x3FFF + 111, 1), "2^111 + 2: integral"),
    (q(0, 0x3FFF + 112, 0), "2^112"),
    (DEN1, "smallest denormal"),
    (NZ, "-0"),
]
RQPI_SPECIAL: list[tuple[int, int, str]] = [
    (0, NINF, "-inf"),
    (0, NQNAN, "QNaN"),
    (0, SNAN, "SNaN"),
    (VE, SNAN, "SNaN, VE enabled"),
    (XE, fl(2.5), "inexact, XE enabled"),
]
RQPXP: list[tuple[int, str]] = [
    (PI, "pi"),
    (q(0, 0x3FFF, 1 << 48), "1 + half a 64-bit ulp: a tie"),
    (q(1, 0x3FFF, 3 << 48), "-(1 + 1.5 ulp): a tie"),
    (THIRD, "1/3"),
    (MAXQ, "max: rounds up to overflow"),
    (q(0, 0, 0x1234_5678_9ABC_DEF0_1234), "denormal with more than 64 bits"),
    (DENM, "largest denormal"),
]
RQPXP_SPECIAL: list[tuple[int, int, str]] = [
    (0, NQNAN, "QNaN: payload truncated"),
    (0, SNAN, "SNaN"),
    (0, NINF, "-inf"),
    (0, NZ, "-0"),
    (OE, MAXQ, "overflow, OE enabled"),
    (UE, q(0, 0, 0x1234_5678_9ABC_DEF0_1234), "tiny, UE enabled"),
    (XE, PI, "inexact, XE enabled"),
    (VE, NSNAN, "SNaN, VE enabled"),
    (0, ONE, "exact"),
]


def quad_cvt() -> Prog:
    p = Prog(
        "vsx_quad_cvt",
        "VSX binary128 conversions: xscvdpqp xscvqpdp[o] xscvqp{s,u}{d,w}z xscv{s,u}dqp, "
        "every rounding mode",
        REGS,
        le_skip=ENABLES,
    )
    cs = p.cases
    modes = [(rn, "") for rn in range(4)] + [(0, "o"), (3, "o")]
    for i, (fs, b, note) in enumerate(D_TO_Q):
        t, _, rb = _regs(i, 2)
        cs.append(Case(f"xscvdpqp {t},{rb}", fs, {v(rb): b << 64 | 0x77, v(t): JUNK}, note))
    for i, (b, note) in enumerate(Q_TO_D_ROUND):
        t, _, rb = _regs(i, 2)
        for rn, o in modes:
            cs.append(Case(f"xscvqpdp{o} {t},{rb}", rn, {v(rb): b, v(t): JUNK},
                           f"{note}, RN={rn}"))  # fmt: skip
    for i, (fs, b, note) in enumerate(Q_TO_D_SPECIAL):
        t, _, rb = _regs(i, 2)
        o = "o" if i % 3 == 1 else ""
        cs.append(Case(f"xscvqpdp{o} {t},{rb}", fs, {v(rb): b, v(t): JUNK}, note))
    for k, n in enumerate(("xscvqpsdz", "xscvqpswz", "xscvqpudz", "xscvqpuwz")):
        for i, (fs, b, note) in enumerate(TO_INT):
            t, _, rb = _regs(i + k, 2)
            cs.append(Case(f"{n} {t},{rb}", fs | (i + k) % 4, {v(rb): b, v(t): JUNK}, note))
    for n in ("xscvsdqp", "xscvudqp"):
        for i, d in enumerate(INTS):
            t, _, rb = _regs(i, 2)
            cs.append(Case(f"{n} {t},{rb}", i % 4, {v(rb): d << 64 | 0x99, v(t): JUNK}, f"{d:#x}"))
    po = 0xFC00_0000
    w = po | T << 21 | 22 << 16 | B << 11 | 836 << 1 | 1
    cs.append(Case(f".long {w:#010x}", 0, {v(B): D_ONE << 64, v(T): JUNK},
                   "xscvdpqp with bit 31 set: HEAI"))  # fmt: skip
    return p


def quad_round() -> Prog:
    p = Prog(
        "vsx_quad_round",
        "VSX binary128 round to integer and to a 64-bit significand: xsrqpi xsrqpix xsrqpxp, "
        "every R/RMC and FPSCR[RN]",
        REGS,
        le_skip=ENABLES,
    )
    cs = p.cases
    rmodes = [(1, 0), (1, 1), (1, 2), (1, 3), (0, 0), (0, 1), (0, 2)]
    for n in ("xsrqpi", "xsrqpix"):
        for i, (b, note) in enumerate(RQPI):
            t, _, rb = _regs(i, 2)
            for r, rmc in rmodes:
                cs.append(Case(f"{n} {r},{t},{rb},{rmc}", 0, {v(rb): b, v(t): JUNK},
                               f"{note}, R={r} RMC={rmc}"))  # fmt: skip
            for rn in range(4):  # R=0, RMC=3: the FPSCR mode
                cs.append(Case(f"{n} 0,{t},{rb},3", rn, {v(rb): b, v(t): JUNK},
                               f"{note}, FPSCR[RN]={rn}"))  # fmt: skip
        for i, (fs, b, note) in enumerate(RQPI_SPECIAL):
            t, _, rb = _regs(i, 2)
            cs.append(Case(f"{n} 1,{t},{rb},0", fs, {v(rb): b, v(t): JUNK}, note))
    for i, (b, note) in enumerate(RQPXP):
        t, _, rb = _regs(i, 2)
        for r, rmc in rmodes:
            cs.append(Case(f"xsrqpxp {r},{t},{rb},{rmc}", 0, {v(rb): b, v(t): JUNK},
                           f"{note}, R={r} RMC={rmc}"))  # fmt: skip
        for rn in range(4):
            cs.append(Case(f"xsrqpxp 0,{t},{rb},3", rn, {v(rb): b, v(t): JUNK},
                           f"{note}, FPSCR[RN]={rn}"))  # fmt: skip
    for i, (fs, b, note) in enumerate(RQPXP_SPECIAL):
        t, _, rb = _regs(i, 2)
        cs.append(Case(f"xsrqpxp 1,{t},{rb},0", fs, {v(rb): b, v(t): JUNK}, note))
    # Reserved bits: xsrqpxp's EX (bit 31) is ignored by QEMU 7.2, xsrqpi's bits 11:14 are
    # not (HEAI).
    po = 0xFC00_0000
    reserved = [
        (po | T << 21 | B << 11 | 2 << 9 | 37 << 1 | 1, "xsrqpxp 0,3,2,2 with bit 31 set",
         {v(B): PI, v(T): JUNK}),
        (po | T << 21 | 2 << 16 | 1 << 16 | B << 11 | 5 << 1, "xsrqpi with bit 14 set: HEAI",
         {v(B): PI, v(T): JUNK}),
    ]  # fmt: skip
    for w, note, regs in reserved:
        cs.append(Case(f".long {w:#010x}", 0, regs, note))
    return p


ALL = [quad_moves, quad_arith, quad_fma, quad_cvt, quad_round]


def main(names: Iterable[str] = ()) -> None:
    want = set(names)
    for mk in ALL:
        p = mk()
        if want and p.name not in want:
            continue
        p.generator = "vsx_quad_cases"
        be, le = p.texts()
        (PROGRAMS / f"{p.name}.S").write_text(be)
        (PROGRAMS / f"{p.name}.le.S").write_text(le)
        print(p.name, len(p.cases), "cases")


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
