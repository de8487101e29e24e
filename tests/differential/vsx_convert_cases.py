"""Writes the differential programs of the VSX conversions and round-to-integral.

    python -m tests.differential.vsx_convert_cases [NAME...]

The layout is vsx_scalar2_cases.Prog's: a big-endian pass (``NAME.S``,
MSR[FE0|FE1] = 1, the handler at 0x700 skips an interrupted instruction) and
a little-endian pass (``NAME.le.S``, every other case without FPSCR enables).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable

from .vsx_fp_cases import (
    DEN1,
    DENM,
    MAXD,
    MIND,
    NDEN,
    NINF,
    NQNAN,
    NSNAN,
    NZ,
    OE,
    ONE,
    PI,
    PINF,
    PROGRAMS,
    PZ,
    QNAN,
    SNAN,
    SPBIG,
    SPDEN,
    SPTINY,
    STICKY,
    TENTH,
    THIRD,
    UE,
    VE,
    XE,
    Case,
    d,
)
from .vsx_scalar2_cases import HB, HT, JUNK, XB, XT, Prog

ENABLES = VE | OE | UE | 0x10 | XE


def f(x: float) -> int:
    """The binary64 bits of ``x``."""
    return int(struct.unpack(">Q", struct.pack(">d", x))[0])


def _regs(i: int) -> tuple[int, int]:
    return (HT, HB) if i % 5 == 2 else (XT, XB)


def _add(p: Prog, name: str, ops: list[tuple[int, int, str]], word: bool = False) -> None:
    """One case per (fpscr, operand, note): XB holds the operand (in word 0 if ``word``)."""
    for i, (fs, b, note) in enumerate(ops):
        t, rb = _regs(i)
        src = ((b << 96) | 0x0BAD_CAFE_0123_4567_89AB_CDEF) if word else d(b, JUNK)
        p.cases.append(Case(f"{name} {t},{rb}", fs, {rb: src, t: d(PI, JUNK)}, note))


def _modes(ops: list[tuple[int, str]], extra: int = 0) -> list[tuple[int, int, str]]:
    """Each operand in the four rounding modes (the FPSCR's other bits ``extra``)."""
    return [(extra | rn, b, f"{note}, RN={rn}") for b, note in ops for rn in range(4)]


# -- binary64 -> binary32 ------------------------------------------------------------------
TO_SP: list[tuple[int, str]] = [
    (ONE, "one"),
    (NZ, "-0"),
    (PI, "pi"),
    (TENTH, "0.1"),
    (THIRD, "1/3"),
    (f(-1.0000000596046448), "-(1 + half a single ulp): tie"),
    (f(1.0000001788139343), "1 + 1.5 single ulp: tie"),
    (MAXD, "max double"),
    (SPBIG, "above the largest single"),
    (f(3.4028234663852886e38), "the largest single"),
    (SPTINY, "below the smallest single denormal"),
    (SPDEN, "a single denormal, inexact"),
    (f(1.1754942106924411e-38), "the largest single denormal"),
    (f(1.401298464324817e-45), "the smallest single denormal"),
    (f(7.006492321624085e-46), "half the smallest single denormal"),
    (DEN1, "a double denormal"),
    (PINF, "+inf"),
    (NINF, "-inf"),
]
NANS: list[tuple[int, str]] = [(QNAN, "QNaN"), (NQNAN, "-QNaN"), (SNAN, "SNaN"),
                               (NSNAN, "-SNaN")]  # fmt: skip


def _to_sp_ops() -> list[tuple[int, int, str]]:
    ops = _modes(TO_SP[:16])
    ops += [(0, b, n) for b, n in TO_SP[16:] + NANS]
    ops += [
        (VE, SNAN, "SNaN, VE enabled"),
        (VE, QNAN, "QNaN, VE enabled"),
        (OE, MAXD, "overflow, OE enabled"),
        (OE | 1, f(-1e300), "-overflow, OE enabled, RN=1"),
        (UE, SPTINY, "underflow, UE enabled"),
        (UE | 3, f(-1e-40), "-underflow (denormal), UE enabled, RN=3"),
        (XE, TENTH, "inexact, XE enabled"),
        (XE, ONE, "exact, XE enabled"),
        (STICKY, ONE, "exact, sticky XX kept, FI cleared"),
        (STICKY | 0x2_0000, TENTH, "FI already set"),
    ]
    return ops


SP_WORDS: list[tuple[int, str]] = [
    (0x3F80_0000, "one"),
    (0x8000_0000, "-0"),
    (0x0000_0000, "+0"),
    (0x0000_0001, "smallest denormal"),
    (0x807F_FFFF, "-largest denormal"),
    (0x0080_0000, "smallest normal"),
    (0x7F7F_FFFF, "largest"),
    (0x7F80_0000, "+inf"),
    (0xFF80_0000, "-inf"),
    (0x7FC0_0123, "QNaN"),
    (0xFFA0_0456, "-SNaN"),
    (0x7F80_0001, "SNaN, smallest payload"),
    (0x4049_0FDB, "pi"),
]

SPN_OPS: list[tuple[int, str]] = TO_SP + NANS + [
    (f(1e39), "above single range"),
    (f(1e-50), "far below single range"),
    (0x47F0_0000_0000_0000, "2**128"),
    (0x3800_0000_0000_0000, "2**-127"),
    (DENM, "largest double denormal"),
]  # fmt: skip


def scalar_fp() -> Prog:
    p = Prog(
        "vsx_convert",
        "VSX scalar conversions: xscvdpsp xscvdpspn xscvspdp xscvspdpn xsrsp, every rounding "
        "mode, OE/UE/VE/XE enabled",
        [XB, XT, HB, HT],
        le_skip=ENABLES,
    )
    ops = _to_sp_ops()
    _add(p, "xscvdpsp", ops)
    _add(p, "xsrsp", ops)
    _add(p, "xscvdpspn", [(3 if i % 3 == 0 else 0, b, n) for i, (b, n) in enumerate(SPN_OPS)])
    w_ops = [(0, w, n) for w, n in SP_WORDS]
    w_ops += [(VE, 0xFFA0_0456, "-SNaN, VE enabled"), (STICKY | 0x2_0000, 0x3F80_0000, "FI set")]
    _add(p, "xscvspdp", w_ops, word=True)
    _add(p, "xscvspdpn", [(0, w, n) for w, n in SP_WORDS], word=True)
    # Reserved bits 11:15, which QEMU 7.2 ignores (legacy handlers, decodetree's "-----").
    for xo, b, note in ((265, TENTH, "xscvdpsp"), (331, 0x3F80_0000 << 32, "xscvspdpn"),
                        (344, PI, "xscvdpsxds"), (107, f(2.5), "xsrdpic")):  # fmt: skip
        w = 0xF000_0000 | XT << 21 | 0x15 << 16 | XB << 11 | xo << 2
        p.cases.append(Case(f".long {w:#010x}", 0, {XB: d(b, JUNK), XT: d(PI, JUNK)},
                            f"{note} 3,2 with bits 11:15 = 0x15"))  # fmt: skip
    return p


# -- integer conversions ---------------------------------------------------------------------
TWO31, TWO32, TWO63, TWO64 = 2.0**31, 2.0**32, 2.0**63, 2.0**64
TO_INT: list[tuple[int, str]] = [
    (PZ, "+0"),
    (NZ, "-0"),
    (f(0.5), "0.5"),
    (f(-0.5), "-0.5"),
    (f(-1.0), "-1"),
    (f(1.5), "1.5"),
    (f(-2.5), "-2.5"),
    (f(TWO31 - 1), "2**31 - 1"),
    (f(TWO31 - 0.5), "2**31 - 0.5"),
    (f(TWO31), "2**31"),
    (f(-TWO31), "-2**31"),
    (f(-TWO31 - 0.5), "-2**31 - 0.5"),
    (f(-TWO31 - 1), "-2**31 - 1"),
    (f(TWO32 - 0.5), "2**32 - 0.5"),
    (f(TWO32), "2**32"),
    (f(TWO63 - 1024), "largest below 2**63"),
    (f(TWO63), "2**63"),
    (f(-TWO63), "-2**63"),
    (f(-TWO63 - 2048), "just below -2**63"),
    (f(TWO64 - 2048), "largest below 2**64"),
    (f(TWO64), "2**64"),
    (MAXD, "max"),
    (DEN1, "denormal"),
    (NDEN, "-denormal"),
    (PINF, "+inf"),
    (NINF, "-inf"),
    (QNAN, "QNaN"),
    (NQNAN, "-QNaN"),
    (SNAN, "SNaN"),
    (NSNAN, "-SNaN"),
    (PI, "pi"),
    (TENTH, "0.1"),
]


def _to_int_ops() -> list[tuple[int, int, str]]:
    ops = [((i % 4), b, n) for i, (b, n) in enumerate(TO_INT)]  # RN does not matter
    ops += [
        (VE, SNAN, "SNaN, VE enabled"),
        (VE, QNAN, "QNaN, VE enabled"),
        (VE, f(1e30), "too large, VE enabled"),
        (VE, NINF, "-inf, VE enabled"),
        (XE, PI, "inexact, XE enabled"),
        (XE | VE, f(-1.0), "-1, XE and VE enabled"),
        (STICKY | 0x2_0000, ONE, "exact, FI cleared"),
        (STICKY, QNAN, "NaN, sticky bits"),
    ]
    return ops


FROM_INT: list[tuple[int, str]] = [
    (0, "0"),
    (1, "1"),
    ((1 << 64) - 1, "all ones (-1 signed)"),
    ((1 << 53) + 1, "2**53 + 1"),
    ((1 << 63) - 1, "2**63 - 1"),
    (1 << 63, "2**63 (-2**63 signed)"),
    ((1 << 24) + 1, "2**24 + 1"),
    ((1 << 62) + (1 << 38) + 1, "double rounding to single differs"),
    (-((1 << 62) + (1 << 38) + 1) & ((1 << 64) - 1), "negated"),
    (0x0123_4567_89AB_CDEF, "random bits"),
    ((1 << 64) - 3, "-3 signed"),
    (0x8000_0000_0000_0401, "-2**63 + 1025 signed"),
]


def _from_int_ops() -> list[tuple[int, int, str]]:
    ops = _modes(FROM_INT[3:])
    ops += [(0, b, n) for b, n in FROM_INT[:3]]
    ops += [
        (XE, (1 << 53) + 1, "inexact, XE enabled"),
        (XE, 12345, "exact, XE enabled"),
        (STICKY | 0x2_0000, 7, "exact, FI cleared"),
    ]
    return ops


def scalar_int() -> Prog:
    p = Prog(
        "vsx_convert_int",
        "VSX scalar integer conversions: xscvdp{s,u}x{d,w}s xscv{s,u}xd{dp,sp}, saturation, "
        "NaNs, every rounding mode, VE/XE enabled",
        [XB, XT, HB, HT],
        le_skip=ENABLES,
    )
    for n in ("xscvdpsxds", "xscvdpsxws", "xscvdpuxds", "xscvdpuxws"):
        _add(p, n, _to_int_ops())
    for n in ("xscvsxddp", "xscvuxddp", "xscvsxdsp", "xscvuxdsp"):
        _add(p, n, _from_int_ops())
    return p


# -- round to integral -----------------------------------------------------------------------
ROUND: list[tuple[int, str]] = [
    (f(0.5), "0.5"),
    (f(-0.5), "-0.5"),
    (f(1.5), "1.5"),
    (f(2.5), "2.5"),
    (f(-2.5), "-2.5"),
    (f(0.49999999999999994), "largest below 0.5"),
    (f(-1.25), "-1.25"),
    (f(2.0**51 + 0.5), "2**51 + 0.5"),
    (f(2.0**52 - 0.5), "2**52 - 0.5"),
    (f(2.0**52), "2**52"),
    (TENTH, "0.1"),
    (DEN1, "denormal"),
    (NDEN, "-denormal"),
    (MIND, "smallest normal"),
    (PI, "pi"),
]
ROUND_FIXED: list[tuple[int, str]] = [
    (MAXD, "max"),
    (PZ, "+0"),
    (NZ, "-0"),
    (f(-3.0), "-3"),
    (PINF, "+inf"),
    (NINF, "-inf"),
    *NANS,
]


def _round_ops(current: bool) -> list[tuple[int, int, str]]:
    if current:
        ops = _modes(ROUND)
    else:
        ops = [((i % 4), b, n) for i, (b, n) in enumerate(ROUND)]
    ops += [(0, b, n) for b, n in ROUND_FIXED]
    ops += [
        (VE, SNAN, "SNaN, VE enabled"),
        (VE, QNAN, "QNaN, VE enabled"),
        (XE, f(-2.5), "inexact, XE enabled"),
        (STICKY | 0x2_0000, f(1.5), "FI set before"),
        (STICKY | 0x2_0000, ONE, "exact, FI set before"),
    ]
    return ops


def scalar_round() -> Prog:
    p = Prog(
        "vsx_convert_round",
        "VSX scalar round to integral: xsrdpi xsrdpic xsrdpim xsrdpip xsrdpiz, every rounding "
        "mode, VE/XE enabled",
        [XB, XT, HB, HT],
        le_skip=ENABLES,
    )
    for n in ("xsrdpi", "xsrdpic", "xsrdpim", "xsrdpip", "xsrdpiz"):
        _add(p, n, _round_ops(n == "xsrdpic"))
    return p


def fp_round() -> Prog:
    """frin/friz/frip/frim and their record forms (CR1 from FPSCR): FPRs 1-2 and 7-8."""
    p = Prog(
        "fp_round",
        "FP round to integral: frin friz frip frim (and the Rc=1 forms), every rounding mode in "
        "FPSCR (which they ignore), VE/XE enabled",
        [1, 2, 7, 8],
        le_skip=ENABLES,
    )
    for n in ("frin", "friz", "frip", "frim", "frin.", "friz.", "frip.", "frim."):
        for i, (fs, b, note) in enumerate(_round_ops(False)):
            t, rb = (7, 8) if i % 5 == 2 else (1, 2)
            p.cases.append(Case(f"{n} {t},{rb}", fs, {rb: d(b, JUNK), t: d(PI, JUNK)}, note))
    return p


# -- half precision --------------------------------------------------------------------------
def h16(x: float) -> int:
    """The binary16 bits of ``x`` (exactly representable)."""
    return int(struct.unpack(">H", struct.pack(">e", x))[0])


def s32(x: float) -> int:
    """The binary32 bits of ``x`` (exactly representable)."""
    return int(struct.unpack(">I", struct.pack(">f", x))[0])


TO_HP: list[tuple[int, str]] = [
    (ONE, "one"),
    (PI, "pi"),
    (TENTH, "0.1"),
    (THIRD, "1/3"),
    (f(1 + 2.0**-11), "1 + half a half ulp: tie to even"),
    (f(-(1 + 3 * 2.0**-11)), "-(1 + 1.5 half ulp): tie"),
    (f(65504.0), "the largest half"),
    (f(65519.0), "below the overflow midpoint"),
    (f(65520.0), "the overflow midpoint"),
    (f(-1e5), "-1e5: overflow"),
    (MAXD, "max double"),
    (f(2.0**-14), "the smallest normal half"),
    (f(2.0**-14 - 2.0**-25), "just below it, rounds up to it in RN"),
    (f(1023 * 2.0**-24), "the largest denormal half"),
    (f(2.0**-24), "the smallest denormal half"),
    (f(-(2.0**-25)), "-half the smallest denormal: tie to 0"),
    (f(3 * 2.0**-26), "0.75 of the smallest denormal"),
    (f(5 * 2.0**-26), "1.25 of the smallest denormal"),
    (f(1e-10), "far below the denormals"),
    (DEN1, "a double denormal"),
]
HP_FIXED: list[tuple[int, str]] = [
    (PZ, "+0"),
    (NZ, "-0"),
    (PINF, "+inf"),
    (NINF, "-inf"),
    (f(-2.5), "-2.5, exact"),
    *NANS,
    (0x7FF8_0000_0000_0000 | 0x2A5 << 42, "QNaN, a payload in the top bits"),
    (0xFFF2_A500_0000_0001, "-SNaN, a payload in the top bits"),
    (0x7FF0_0000_0000_0001, "SNaN, the smallest payload"),
]

HALVES: list[tuple[int, str]] = [
    (0x3C00, "one"),
    (0x8000, "-0"),
    (0x0000, "+0"),
    (0x0001, "the smallest denormal"),
    (0x83FF, "-the largest denormal"),
    (0x0400, "the smallest normal"),
    (0x7BFF, "the largest"),
    (0xC248, "-3.14"),
    (0x7C00, "+inf"),
    (0xFC00, "-inf"),
    (0x7E01, "QNaN"),
    (0xFD55, "-SNaN"),
    (0x7C01, "SNaN, the smallest payload"),
    (0x7FFF, "QNaN, every payload bit"),
]


def _words(*ws: int) -> int:
    return (ws[0] << 96) | (ws[1] << 64) | (ws[2] << 32) | ws[3]


SP_VECS: list[tuple[int, str]] = [
    (_words(s32(1.0), s32(-0.0), s32(65504.0), s32(65520.0)), "1, -0, max half, overflow tie"),
    (_words(0x7F7F_FFFF, 0xFF80_0000, s32(2.0**-24), s32(2.0**-25)), "max, -inf, denormals"),
    (_words(0x0000_0001, s32(-(3 * 2.0**-26)), s32(2.0**-14), 0x3DCC_CCCD),
     "a single denormal, -0.75 denormal, min normal, 0.1"),
    (_words(0x7FC0_0123, 0xFFA0_0456, 0x7F80_0001, 0x7FFF_FFFF), "NaNs, SNaNs"),
    (_words(s32(1 + 2.0**-11), s32(1 + 3 * 2.0**-11), 0x4049_0FDB, s32(-1000.125)),
     "ties, pi, -1000.125"),
]  # fmt: skip


def _halves(*hs: int, junk: int = 0xA5A5) -> int:
    return _words(*((junk << 16) | h for h in hs))


HP_VECS: list[tuple[int, str]] = [
    (_halves(0x3C00, 0x8000, 0x0001, 0x83FF), "one, -0, denormals"),
    (_halves(0x0400, 0x7BFF, 0x7C00, 0xFC00), "min normal, max, infinities"),
    (_halves(0x7E01, 0xFD55, 0x7C01, 0x7FFF), "NaNs, SNaNs"),
    (_halves(0xC248, 0x0000, 0x3555, 0x0200, junk=0), "-3.14, +0, 1/3, a denormal"),
]


def _vec(p: Prog, name: str, ops: list[tuple[int, int, str]]) -> None:
    for i, (fs, b, note) in enumerate(ops):
        t, rb = _regs(i)
        p.cases.append(Case(f"{name} {t},{rb}", fs, {rb: b, t: d(PI, JUNK)}, note))


def half() -> Prog:
    p = Prog(
        "vsx_convert_half",
        "VSX half-precision conversions: xscvdphp xscvhpdp xvcvsphp xvcvhpsp, NaN payloads, "
        "SNaN, +-0, +-inf, half denormals, overflow, every rounding mode, OE/UE/VE/XE enabled",
        [XB, XT, HB, HT],
        le_skip=ENABLES,
    )
    ops = _modes(TO_HP) + [(0, b, n) for b, n in HP_FIXED]
    ops += [
        (VE, SNAN, "SNaN, VE enabled"),
        (VE, QNAN, "QNaN, VE enabled"),
        (OE, f(1e5), "overflow, OE enabled"),
        (OE | 1, f(-65520.0), "-overflow, OE enabled, RN=1"),
        (UE, f(1e-10), "underflow, UE enabled"),
        (UE | 2, f(-(3 * 2.0**-26)), "-underflow, UE enabled, RN=2"),
        (UE, f(2.0**-14), "the smallest normal, UE enabled: exact"),
        (XE, TENTH, "inexact, XE enabled"),
        (XE, ONE, "exact, XE enabled"),
        (STICKY, ONE, "exact, sticky XX kept, FI cleared"),
        (STICKY | 0x2_0000, TENTH, "FI already set"),
    ]
    _add(p, "xscvdphp", ops)
    h_ops = [(0, (0x0123_4567_89AB << 16) | h, n) for h, n in HALVES]
    h_ops += [
        (VE, (0x0123_4567_89AB << 16) | 0xFD55, "-SNaN, VE enabled"),
        (STICKY | 0x2_0000, 0x3C00, "FI set"),
        (3, 0x0001, "a denormal, RN=3"),
    ]
    _add(p, "xscvhpdp", h_ops)
    v_ops = [(rn, v, f"{n}, RN={rn}") for v, n in SP_VECS for rn in range(4)]
    v_ops += [
        (VE, SP_VECS[3][0], "SNaN in element 1, VE enabled"),
        (OE, SP_VECS[0][0], "overflow, OE enabled"),
        (UE, SP_VECS[1][0], "underflow, UE enabled"),
        (XE, SP_VECS[4][0], "inexact, XE enabled"),
        (STICKY | 0x2_0000, SP_VECS[0][0], "FI kept"),
        (STICKY | 0x2_4000, _words(s32(1.0), s32(2.0), s32(-4.0), 0), "exact, FPRF, FI kept"),
    ]
    _vec(p, "xvcvsphp", v_ops)
    hv_ops = [(i % 4, v, n) for i, (v, n) in enumerate(HP_VECS)]
    hv_ops += [
        (VE, HP_VECS[2][0], "SNaN in element 1, VE enabled"),
        (STICKY | 0x2_0000, HP_VECS[0][0], "FI kept"),
    ]
    _vec(p, "xvcvhpsp", hv_ops)
    return p


ALL = [scalar_fp, scalar_int, scalar_round, fp_round, half]


def main(names: Iterable[str] = ()) -> None:
    want = set(names)
    for mk in ALL:
        p = mk()
        if want and p.name not in want:
            continue
        p.generator = "vsx_convert_cases"
        be, le = p.texts()
        (PROGRAMS / f"{p.name}.S").write_text(be)
        (PROGRAMS / f"{p.name}.le.S").write_text(le)
        print(p.name, len(p.cases), "cases")


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
