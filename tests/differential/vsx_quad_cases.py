"""Writes the differential programs of the VSX binary128 instructions (engine/isa/vsx_quad.py).

    python -m tests.differential.vsx_quad_cases [NAME...]

Same layout as vsx_scalar2_cases (a big-endian pass with MSR[FE0|FE1] = 1 and
every other case again little-endian from 0x6000 in ``NAME.le.S``); the
operands are binary128 images in VR n = VSR 32+n.
"""

from __future__ import annotations

from collections.abc import Iterable

from .vsx_fp_cases import PROGRAMS, STICKY, VE, XE, Case
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
    ]  # fmt: skip
    for w, note, regs in reserved:
        cs.append(Case(f".long {w:#010x}", 0, regs, note))
    return p


ALL = [quad_moves]


def main(names: Iterable[str] = ()) -> None:
    want = set(names)
    for mk in ALL:
        p = mk()
        if want and p.name not in want:
            continue
        be, le = p.texts()
        (PROGRAMS / f"{p.name}.S").write_text(be)
        (PROGRAMS / f"{p.name}.le.S").write_text(le)
        print(p.name, len(p.cases), "cases")


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
