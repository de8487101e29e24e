"""Writes the differential programs of the VSX vector conversions and round-to-integral.

    python -m tests.differential.vsx_vconvert_cases [NAME...]

The layout is vsx_scalar2_cases.Prog's: a big-endian pass (``NAME.S``,
MSR[FE0|FE1] = 1, the handler at 0x700 skips an interrupted instruction) and
a little-endian pass (``NAME.le.S``, every other case without FPSCR enables).
A case gives the elements of XB; where an instruction reads words 0 and 2
only, words 1 and 3 hold a signalling NaN, which would show if they were read.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence

from .vsx_convert_cases import (
    ENABLES,
    FROM_INT,
    NANS,
    ROUND,
    ROUND_FIXED,
    TO_INT,
    TO_SP,
    f,
)
from .vsx_fp_cases import (
    DEN1,
    MAXD,
    NINF,
    NQNAN,
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
    SPTINY,
    STICKY,
    TENTH,
    THIRD,
    TWO,
    UE,
    VE,
    XE,
    Case,
    dd,
    ww,
)
from .vsx_scalar2_cases import HB, HT, XB, XT, Prog

FI, FR = 0x2_0000, 0x4_0000
KEPT = STICKY | FR | FI | 0x1_5000  # FX XX FR FI and an FPRF: the vector forms keep them
WJUNK = 0x7F80_0001  # words 1 and 3 of a two-word source: a signalling NaN
DJUNK = 0x7FF0_0000_0000_0001  # ... and of a doubleword the instruction must not read


def s(x: float) -> int:
    """The binary32 bits of ``x`` (rounded to nearest by struct)."""
    return int(struct.unpack(">I", struct.pack(">f", x))[0])


def _regs(i: int) -> tuple[int, int]:
    return (HT, HB) if i % 5 == 2 else (XT, XB)


Op = tuple[int, int, str]  # (FPSCR, XB, note)


def _add(p: Prog, name: str, ops: Sequence[Op], pre: str = "") -> None:
    for i, (fs, b, note) in enumerate(ops):
        t, rb = _regs(i)
        insn = f"{pre}\n{name} {t},{rb}" if pre else f"{name} {t},{rb}"
        p.cases.append(Case(insn, fs, {rb: b, t: dd(PI, TENTH)}, note))
    # XT the same register as XB.
    fs, b, note = ops[0]
    insn = f"{pre}\n{name} {XB},{XB}" if pre else f"{name} {XB},{XB}"
    p.cases.append(Case(insn, fs, {XB: b}, f"{note}, XT = XB"))


def _dws(vals: Sequence[tuple[int, str]], step: int = 5) -> list[tuple[int, str]]:
    """Doubleword pairs: value i with value i + ``step`` (every value in both lanes)."""
    n = len(vals)
    return [(dd(vals[i][0], vals[(i + step) % n][0]), f"{vals[i][1]} | {vals[(i + step) % n][1]}")
            for i in range(n)]  # fmt: skip


def _words(vals: Sequence[tuple[int, str]]) -> list[tuple[int, str]]:
    """Four-word vectors of consecutive values (the last one wrapping to the start)."""
    n = len(vals)
    out = []
    for i in range(0, n, 4):
        q = [vals[(i + k) % n] for k in range(4)]
        out.append((ww(*(w for w, _ in q)), " | ".join(m for _, m in q)))
    return out


def _even(vals: Sequence[tuple[int, str]]) -> list[tuple[int, str]]:
    """Two-word sources in words 0 and 2 (junk in 1 and 3): value i with value i + 5."""
    n = len(vals)
    return [(ww(vals[i][0], WJUNK, vals[(i + 5) % n][0], WJUNK),
             f"{vals[i][1]} | {vals[(i + 5) % n][1]}") for i in range(n)]  # fmt: skip


def _modes(vs: Sequence[tuple[int, str]], extra: int = 0) -> list[Op]:
    return [(extra | rn, v, f"{n}, RN={rn}") for v, n in vs for rn in range(4)]


def _cycle(vs: Sequence[tuple[int, str]]) -> list[Op]:
    """Each vector once, the rounding mode cycling (for results that do not depend on it)."""
    return [(i % 4, v, f"{n}, RN={i % 4}") for i, (v, n) in enumerate(vs)]


# -- binary64 <-> binary32, integer -> floating point ----------------------------------------
def _dpsp_ops() -> list[Op]:
    ops = _modes(_dws(TO_SP[:16]))
    ops += _cycle(_dws(TO_SP[16:] + NANS, 3))
    ops += [
        (0, dd(MAXD, SPTINY), "overflow and underflow: OX only"),
        (VE, dd(ONE, SNAN), "SNaN in element 1, VE enabled"),
        (VE, dd(QNAN, TENTH), "QNaN, VE enabled"),
        (OE, dd(MAXD, ONE), "overflow, OE enabled"),
        (OE | 1, dd(ONE, f(-1e300)), "-overflow in element 1, OE enabled, RN=1"),
        (OE, dd(SPBIG, f(1.25 * 2.0**321)), "rounds to 2**128; wrapped exponent 0, OE"),
        (OE, dd(f(1.5 * 2.0**320), f(2.0**577)), "wrapped exponents 255 and 0, OE"),
        (OE | 3, dd(f(-(2.0**833)), f(2.0**320)), "wrapped exponents 0 and 255, OE, RN=3"),
        (UE, dd(SPTINY, ONE), "underflow, UE enabled"),
        (UE | 3, dd(ONE, f(-1e-40)), "-underflow (denormal) in element 1, UE enabled, RN=3"),
        (UE, dd(f(1.5 * 2.0**-319), f(2.0**-320)), "wrapped exponents 0 and 255, UE"),
        (UE | 2, dd(DEN1, f(-1.75 * 2.0**-575)), "double denormal, wrapped exponent 0, UE"),
        (OE | UE, dd(MAXD, SPTINY), "overflow and underflow, OE and UE enabled"),
        (XE, dd(TENTH, ONE), "inexact, XE enabled"),
        (XE, dd(ONE, TWO), "exact, XE enabled"),
        (KEPT, dd(ONE, TWO), "exact: FR, FI, FPRF, XX kept"),
        (KEPT, dd(TENTH, THIRD), "inexact: FR, FI, FPRF kept"),
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
    (0xFFFF_FFFF, "-QNaN, all payload bits"),
]


def _spdp_ops() -> list[Op]:
    ops = [(0, v, n) for v, n in _even(SP_WORDS)]
    ops += [
        (VE, ww(0x3F80_0000, 0, 0xFFA0_0456, 0), "-SNaN in element 1, VE enabled"),
        (VE, ww(0x7F80_0001, 0, 0x3F80_0000, 0), "SNaN in element 0, VE enabled"),
        (KEPT, ww(0x3F80_0000, WJUNK, 0x4049_0FDB, WJUNK), "FR, FI, FPRF, XX kept"),
    ]
    return ops


M64 = (1 << 64) - 1
WORD_INTS: list[tuple[int, str]] = [
    (0, "0"),
    (1, "1"),
    (0xFFFF_FFFF, "all ones (-1 signed)"),
    (0x8000_0000, "2**31 (-2**31 signed)"),
    (0x7FFF_FFFF, "2**31 - 1"),
    ((1 << 24) + 1, "2**24 + 1"),
    (0x0123_4567, "random bits"),
    (0xFFFF_FFFD, "-3 signed"),
    (0x8000_0041, "-2**31 + 65 signed"),
    ((1 << 25) + 3, "2**25 + 3: a tie"),
    (0x00FF_FFFF, "2**24 - 1"),
    (0xFEFF_FFFF, "rounds differently by sign"),
]


def _from_int_dw() -> list[Op]:
    ops = _modes(_dws(FROM_INT[3:], 4))
    ops += _cycle(_dws(FROM_INT[:3] + FROM_INT[9:], 2))
    ops += [
        (XE, dd(12345, (1 << 53) + 1), "inexact in element 1, XE enabled"),
        (XE, dd(12345, 7), "exact, XE enabled"),
        (KEPT, dd(7, M64), "exact: FR, FI, FPRF, XX kept"),
        (KEPT, dd((1 << 62) + (1 << 38) + 1, 1), "inexact: FR, FI, FPRF kept"),
    ]
    return ops


def _from_int_w(rounds: bool) -> list[Op]:
    if rounds:
        ops = _modes(_words(WORD_INTS))
    else:
        ops = _cycle(_even(WORD_INTS))
    ops += [
        (XE, ww(0x0100_0001, 5, 6, 7), "inexact (sp), XE enabled"),
        (XE, ww(5, 6, 7, 8), "exact, XE enabled"),
        (KEPT, ww(5, 0x0100_0001, 7, 8), "FR, FI, FPRF kept"),
    ]
    return ops


def _reserved(p: Prog, lines: Sequence[tuple[int, int, str]]) -> None:
    """Bits 11:15 set, which QEMU 7.2 ignores (legacy handlers with an invalid-bits mask of 0)."""
    for xo, b, note in lines:
        w = 0xF000_0000 | XT << 21 | 0x15 << 16 | XB << 11 | xo << 2
        p.cases.append(Case(f".long {w:#010x}", 0, {XB: b, XT: dd(PI, TENTH)},
                            f"{note} 3,2 with bits 11:15 = 0x15"))  # fmt: skip


# xvcvsxdsp/xvcvuxdsp run after an instruction that clears QEMU's softfloat status
# (engine/isa/vsx_vconvert.py: their helpers do not).
RESET = "xscvdpspn 0,0"


def fp() -> Prog:
    p = Prog(
        "vsx_vconvert",
        "VSX vector conversions: xvcvdpsp xvcvspdp xvcv{s,u}x{d,w}{dp,sp}, every rounding mode, "
        "OE/UE/VE/XE enabled",
        [XB, XT, HB, HT],
        le_skip=ENABLES,
    )
    _add(p, "xvcvdpsp", _dpsp_ops())
    _add(p, "xvcvspdp", _spdp_ops())
    for n in ("xvcvsxddp", "xvcvuxddp"):
        _add(p, n, _from_int_dw())
    for n in ("xvcvsxdsp", "xvcvuxdsp"):
        _add(p, n, _from_int_dw(), pre=RESET)
    for n in ("xvcvsxwdp", "xvcvuxwdp"):
        _add(p, n, _from_int_w(False))
    for n in ("xvcvsxwsp", "xvcvuxwsp"):
        _add(p, n, _from_int_w(True))
    _reserved(p, [(393, dd(TENTH, MAXD), "xvcvdpsp"),
                  (488, dd(M64, (1 << 53) + 1), "xvcvuxddp")])  # fmt: skip
    return p


# -- floating point -> integer ---------------------------------------------------------------
def _to_int_dw() -> list[Op]:
    ops = _cycle(_dws(TO_INT, 7))
    ops += _cycle(
        [  # softfloat's accumulated flags: what follows an invalid element
            (dd(QNAN, f(1.5)), "QNaN, then 1.5: the NaN result"),
            (dd(SNAN, f(3.0)), "SNaN, then 3: the NaN result"),
            (dd(PINF, f(2.5)), "+inf, then 2.5: its own value, XX"),
            (dd(f(1e30), QNAN), "too large, then QNaN: softfloat's maximum"),
            (dd(f(-1.0), f(2.0)), "-1, then 2"),
            (dd(f(-0.5), NQNAN), "-0.5, then -QNaN"),
            (dd(f(2.5), QNAN), "2.5, then QNaN: XX"),
            (dd(QNAN, NINF), "QNaN, then -inf: saturated"),
            (dd(f(-3.0e19), SNAN), "-3e19, then SNaN"),
            (dd(f(4.0e9), f(-7.5)), "4e9, then -7.5"),
        ]
    )
    ops += [
        (VE, dd(f(1.5), SNAN), "SNaN in element 1, VE enabled: no XX"),
        (VE, dd(QNAN, ONE), "QNaN, VE enabled"),
        (VE, dd(ONE, f(1e30)), "too large in element 1, VE enabled"),
        (VE, dd(NINF, ONE), "-inf, VE enabled"),
        (VE, dd(f(-1.0), f(2.5)), "-1, VE enabled"),
        (XE, dd(PI, ONE), "inexact, XE enabled"),
        (XE | VE, dd(f(-1.0), f(0.5)), "-1 and 0.5, XE and VE enabled"),
        (KEPT, dd(ONE, TWO), "exact: FR, FI, FPRF, XX kept"),
        (KEPT, dd(ONE, QNAN), "NaN: FR and FI cleared"),
        (KEPT, dd(PI, TENTH), "inexact: FR, FI kept"),
    ]
    return ops


SP_TO_INT: list[tuple[int, str]] = [
    (s(0.0), "+0"),
    (s(-0.0), "-0"),
    (s(0.5), "0.5"),
    (s(-0.5), "-0.5"),
    (s(-1.0), "-1"),
    (s(1.5), "1.5"),
    (s(-2.5), "-2.5"),
    (0x4EFF_FFFF, "largest below 2**31"),
    (s(2.0**31), "2**31"),
    (s(-(2.0**31)), "-2**31"),
    (0xCF00_0001, "just below -2**31"),
    (0x4F7F_FFFF, "largest below 2**32"),
    (s(2.0**32), "2**32"),
    (0x5EFF_FFFF, "largest below 2**63"),
    (s(2.0**63), "2**63"),
    (s(-(2.0**63)), "-2**63"),
    (0xDF00_0001, "just below -2**63"),
    (0x5F7F_FFFF, "largest below 2**64"),
    (s(2.0**64), "2**64"),
    (0x7F7F_FFFF, "max"),
    (0x0000_0001, "denormal"),
    (0x8000_0003, "-denormal"),
    (0x7F80_0000, "+inf"),
    (0xFF80_0000, "-inf"),
    (0x7FC0_0123, "QNaN"),
    (0xFFD0_ABCD, "-QNaN"),
    (0x7F80_0456, "SNaN"),
    (0xFFA0_0789, "-SNaN"),
    (0x4049_0FDB, "pi"),
    (0x3DCC_CCCD, "0.1"),
    (s(123456.75), "123456.75"),
    (s(-8388607.5), "-8388607.5"),
]


def _to_int_sp(words: bool) -> list[Op]:
    q, sn, pinf, ninf = 0x7FC0_0123, 0x7F80_0456, 0x7F80_0000, 0xFF80_0000
    if words:
        ops = _cycle(_words(SP_TO_INT))
        order = [
            (ww(s(1.5), q, s(7.0), s(1e20)), "1.5, QNaN, 7, 1e20"),
            (ww(s(1e20), s(2.5), q, s(-3.0)), "1e20, 2.5, QNaN, -3"),
            (ww(sn, ninf, s(3.0), q), "SNaN, -inf, 3, QNaN"),
            (ww(s(-1.0), s(4.5), s(5.0), s(6.0)), "-1, 4.5, 5, 6"),
            (ww(s(0.25), s(-0.75), s(5e9), q), "0.25, -0.75, 5e9, QNaN"),
        ]
        enabled = [
            (VE, ww(s(1.5), s(2.0), sn, q), "SNaN in element 2, VE enabled"),
            (VE, ww(s(1.0), s(-1.0), s(2.0), s(3.0)), "-1 in element 1, VE enabled"),
            (XE, ww(s(1.0), s(2.0), s(2.5), s(3.0)), "inexact, XE enabled"),
            (KEPT, ww(s(1.0), s(2.0), s(3.0), s(4.0)), "exact: FR, FI, FPRF, XX kept"),
            (KEPT, ww(s(1.0), pinf, s(3.0), s(4.0)), "+inf: FR, FI cleared"),
        ]
    else:
        ops = _cycle(_even(SP_TO_INT))
        order = [
            (ww(q, WJUNK, s(1.5), WJUNK), "QNaN, then 1.5"),
            (ww(pinf, WJUNK, s(2.5), WJUNK), "+inf, then 2.5"),
            (ww(s(1e30), WJUNK, q, WJUNK), "too large, then QNaN"),
            (ww(s(-1.0), WJUNK, s(2.0), WJUNK), "-1, then 2"),
            (ww(sn, WJUNK, ninf, WJUNK), "SNaN, then -inf"),
        ]
        enabled = [
            (VE, ww(s(1.5), WJUNK, sn, WJUNK), "SNaN in element 1, VE enabled"),
            (VE, ww(s(1e30), WJUNK, s(1.0), WJUNK), "too large, VE enabled"),
            (XE, ww(s(2.5), WJUNK, s(1.0), WJUNK), "inexact, XE enabled"),
            (KEPT, ww(s(1.0), WJUNK, s(2.0), WJUNK), "exact: FR, FI, FPRF, XX kept"),
            (KEPT, ww(q, WJUNK, s(2.0), WJUNK), "NaN: FR, FI cleared"),
        ]
    return ops + _cycle(order) + enabled


def to_int() -> Prog:
    p = Prog(
        "vsx_vconvert_int",
        "VSX vector conversions to integer: xvcv{dp,sp}{s,u}x{d,w}s, saturation, NaNs, the "
        "elements after an invalid one, VE/XE enabled",
        [XB, XT, HB, HT],
        le_skip=ENABLES,
    )
    for n in ("xvcvdpsxds", "xvcvdpsxws", "xvcvdpuxds", "xvcvdpuxws"):
        _add(p, n, _to_int_dw())
    for n in ("xvcvspsxds", "xvcvspuxds"):
        _add(p, n, _to_int_sp(False))
    for n in ("xvcvspsxws", "xvcvspuxws"):
        _add(p, n, _to_int_sp(True))
    _reserved(p, [(152, ww(s(1.5), s(-3.0), 0x7FC0_0000, s(1e10)), "xvcvspsxws"),
                  (216, dd(f(-2.5), DJUNK), "xvcvdpsxws")])  # fmt: skip
    return p


# -- round to integral -----------------------------------------------------------------------
SP_ROUND: list[tuple[int, str]] = [
    (s(0.5), "0.5"),
    (s(-0.5), "-0.5"),
    (s(1.5), "1.5"),
    (s(2.5), "2.5"),
    (s(-2.5), "-2.5"),
    (0x3EFF_FFFF, "largest below 0.5"),
    (s(-1.25), "-1.25"),
    (0x4A80_0001, "2**22 + 0.5"),
    (0x4AFF_FFFF, "2**23 - 0.5"),
    (s(2.0**23), "2**23"),
    (0x3DCC_CCCD, "0.1"),
    (0x0000_0001, "denormal"),
    (0x8000_0003, "-denormal"),
    (0x0080_0000, "smallest normal"),
    (0x4049_0FDB, "pi"),
    (s(-0.75), "-0.75"),
]
SP_ROUND_FIXED: list[tuple[int, str]] = [
    (0x7F7F_FFFF, "max"),
    (0x0000_0000, "+0"),
    (0x8000_0000, "-0"),
    (s(-3.0), "-3"),
    (0x7F80_0000, "+inf"),
    (0xFF80_0000, "-inf"),
    (0x7FC0_0123, "QNaN"),
    (0xFFD0_ABCD, "-QNaN"),
    (0x7F80_0456, "SNaN"),
    (0xFFA0_0789, "-SNaN"),
    (s(1e10), "1e10"),
    (s(-(2.0**30)), "-2**30"),
]


def _round_ops(current: bool, sp: bool) -> list[Op]:
    if sp:
        var, fixed = _words(SP_ROUND), _words(SP_ROUND_FIXED)
        sn = 0x7F80_0456
        enabled = [
            (VE, ww(s(1.5), sn, s(2.5), s(3.0)), "SNaN in element 1, VE enabled"),
            (VE, ww(0x7FC0_0123, s(1.5), s(2.0), s(3.0)), "QNaN, VE enabled"),
            (XE, ww(s(1.0), s(2.0), s(-2.5), s(4.0)), "inexact, XE enabled"),
            (KEPT, ww(s(1.5), s(2.0), s(3.0), s(4.0)), "inexact: FR, FI, FPRF kept"),
            (KEPT, ww(s(1.0), s(2.0), s(3.0), s(4.0)), "exact: FR, FI, FPRF, XX kept"),
        ]
    else:
        var = _dws(ROUND, 4)
        fixed = _dws(ROUND_FIXED, 3)
        enabled = [
            (VE, dd(f(1.5), SNAN), "SNaN in element 1, VE enabled"),
            (VE, dd(QNAN, f(1.5)), "QNaN, VE enabled"),
            (XE, dd(ONE, f(-2.5)), "inexact in element 1, XE enabled"),
            (KEPT, dd(f(1.5), TWO), "inexact: FR, FI, FPRF kept"),
            (KEPT, dd(ONE, PZ), "exact: FR, FI, FPRF, XX kept"),
        ]
    ops = _modes(var) if current else _cycle(var)
    return ops + _cycle(fixed) + enabled


def round_int() -> Prog:
    p = Prog(
        "vsx_vconvert_round",
        "VSX vector round to integral: xvr{dp,sp}i[c,m,p,z], every rounding mode, VE/XE enabled",
        [XB, XT, HB, HT],
        le_skip=ENABLES,
    )
    for t in ("dp", "sp"):
        for m in ("", "c", "m", "p", "z"):
            _add(p, f"xvr{t}i{m}", _round_ops(m == "c", t == "sp"))
    _reserved(p, [(171, ww(s(2.5), s(-0.5), s(1.5), 0x7F80_0001), "xvrspic"),
                  (201, dd(f(-2.5), NZ), "xvrdpi")])  # fmt: skip
    return p


ALL = [fp, to_int, round_int]


def main(names: Iterable[str] = ()) -> None:
    want = set(names)
    for mk in ALL:
        p = mk()
        if want and p.name not in want:
            continue
        p.generator = "vsx_vconvert_cases"
        be, le = p.texts()
        (PROGRAMS / f"{p.name}.S").write_text(be)
        (PROGRAMS / f"{p.name}.le.S").write_text(le)
        print(p.name, len(p.cases), "cases", be.split("\n", 1)[0])


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
