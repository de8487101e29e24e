"""Writes the differential programs of the VMX decimal (BCD) instructions.

    python -m tests.differential.vmx_bcd_cases [NAME...]

The layout is vsx_scalar2_cases.Prog's: a big-endian pass (``NAME.S``) and a
little-endian pass (``NAME.le.S``, every other case); a case loads VRA (VSR 33),
VRB (VSR 34) and VRT (VSR 35, junk, to show where VRT is left unchanged), sets CR
to 0x12345678 (CR6 = 7) and runs one instruction; the trace compares the three
VRs and CR after every step. Values: every sign code 0xA-0xF, bad digits, bad
signs, PS=0/1, overflow, shift counts negative/positive/out of range, zero results
with either sign; the Rc=0 words QEMU 7.2 executes as BCD (bcds, bcdsr), and
words it rejects (HEAI: the handler at 0xe40 skips them).
"""

from __future__ import annotations

from collections.abc import Iterable

from .vsx_fp_cases import PROGRAMS, Case
from .vsx_scalar2_cases import Prog

VA, VB, VT = 1, 2, 3  # VRA, VRB, VRT (VSR 33, 34, 35)
JUNK = 0x0BAD_CAFE_0123_4567_89AB_CDEF_FEDC_BA98
M128 = (1 << 128) - 1
NINES = int("9" * 31, 10)
SIGNS = (0xA, 0xB, 0xC, 0xD, 0xE, 0xF)


def bcd(n: int, code: int = 0xC) -> int:
    """``abs(n)`` in digits 1..31 with sign code ``code`` (n < 10**31)."""
    return int(str(abs(n)), 16) << 4 | code


def digits(text: str, code: int) -> int:
    """Nibbles written out (digits may be A-F: invalid ones), then the sign code."""
    return int(text, 16) << 4 | code


def _case(p: Prog, insn: str, a: int | None, b: int, note: str, t: int = JUNK) -> None:
    regs = {32 + VB: b, 32 + VT: t}
    if a is not None:
        regs = {32 + VA: a, **regs}
    p.cases.append(Case(insn, 0, regs, note))


def _long(word: int) -> str:
    return f".long {word:#010x}"


def _vx(xo: int, vra: int = VA, vrb: int = VB, vrt: int = VT) -> int:
    return (4 << 26) | (vrt << 21) | (vra << 16) | (vrb << 11) | xo


# -- add and subtract ----------------------------------------------------------------------
BIG1 = 1234567890123456789012345678901
BIG2 = 9876543210987654321098765432109
PAIRS: list[tuple[int, int, str]] = [
    (bcd(123), bcd(456), "+123, +456"),
    (bcd(123, 0xA), bcd(456, 0xE), "alternate plus signs A, E"),
    (bcd(999, 0xD), bcd(1, 0xB), "-999, -1 (B): carries"),
    (bcd(5), bcd(123, 0xD), "+5, -123"),
    (bcd(123, 0xD), bcd(5, 0xF), "-123, +5 (F)"),
    (bcd(77), bcd(77, 0xD), "equal magnitudes, opposite signs"),
    (bcd(0), bcd(0, 0xD), "+0, -0"),
    (bcd(0, 0xD), bcd(0, 0xB), "-0, -0 (B)"),
    (bcd(0), bcd(0, 0xF), "+0, +0 (F)"),
    (bcd(NINES), bcd(1), "31 nines + 1: overflow"),
    (bcd(NINES, 0xD), bcd(NINES, 0xD), "-nines + -nines: overflow"),
    (bcd(BIG1), bcd(BIG2), "31 digits each"),
    (bcd(BIG2, 0xB), bcd(BIG1), "31 digits, opposite signs"),
    (bcd(BIG1), bcd(BIG2, 0xD), "31 digits, |b| larger"),
    (digits("123", 3), bcd(1), "bad sign in a"),
    (bcd(1), digits("45", 9), "bad sign in b"),
    (digits("1A3", 0xC), bcd(1), "bad digit in a, same signs"),
    (bcd(1), digits("2B", 0xC), "bad digit in b, same signs"),
    (digits("F" + "0" * 29 + "1", 0xC), bcd(1, 0xD), "bad top digit, opposite signs (EQ)"),
    (digits("5" + "0" * 28 + "A1", 0xC), bcd(1, 0xD), "bad low digit, magnitudes differ"),
    (digits("1A", 0xD), digits("1A", 0xC), "same bad digit, opposite signs (EQ)"),
    (bcd(1) | 0xFF << 120, bcd(1), "bad digits 30, 31"),
]


def add_sub() -> Prog:
    p = Prog(
        "vmx_bcd",
        "VMX decimal add, subtract and sign: bcdadd. bcdsub. bcdcpsgn. bcdsetsgn. (every sign "
        "code, bad digits and signs, PS=0/1, overflow, zero results with either sign)",
        [33, 34, 35],
    )
    for op in ("bcdadd.", "bcdsub."):
        for i, (a, b, note) in enumerate(PAIRS):
            for ps in (0, 1) if i % 3 != 2 else (i % 2,):
                _case(p, f"{op} {VT},{VA},{VB},{ps}", a, b, f"{note}, PS={ps}")
        for code in SIGNS:
            _case(p, f"{op} {VT},{VA},{VB},{code & 1}", bcd(42, code), bcd(7, 0xC),
                  f"a sign {code:X}")  # fmt: skip
            _case(p, f"{op} {VT},{VA},{VB},0", bcd(3), bcd(42, code), f"b sign {code:X}")
        for code in range(10):
            _case(p, f"{op} {VT},{VA},{VB},1", bcd(1), digits("1", code), f"b sign {code:X}: bad")
    # the operands in place: QEMU 7.2 writes VRT before it is done reading VRB
    _case(p, f"bcdadd. {VA},{VA},{VB},0", bcd(11), bcd(22), "VRT = VRA")
    _case(p, f"bcdsub. {VB},{VA},{VB},1", bcd(11), bcd(22), "VRT = VRB")
    _signs(p)
    for a, b, note in [
        (bcd(5, 0xD), bcd(7), "VRT = VRB: VRA's sign stays"),
        (bcd(5), digits("7", 3), "VRT = VRB, bad sign in b"),
        (digits("5", 3), bcd(7, 0xD), "VRT = VRB, bad sign in a"),
        (bcd(5), digits("7A", 0xD), "VRT = VRB, bad digit in b"),
    ]:
        _case(p, f"bcdcpsgn. {VB},{VA},{VB}", a, b, note)
    _case(p, f"bcdcpsgn. {VA},{VA},{VB}", bcd(5), bcd(7, 0xD), "VRT = VRA")
    for b, note in [
        (digits("31", 5), "VRT = VRB, bad sign: valid after the write"),
        (digits("3E1", 0xB), "VRT = VRB, bad digit"),
        (bcd(0, 0xD), "VRT = VRB, -0"),
    ]:
        _case(p, f"bcdsetsgn. {VB},{VB},1", None, b, note)
    return p


def shift_trunc() -> Prog:
    p = Prog(
        "vmx_bcd_shift",
        "VMX decimal shifts and truncations: bcds. bcdus. bcdsr. bcdtrunc. bcdutrunc. and the "
        "Rc=0 bcds/bcdsr words QEMU 7.2 executes (counts negative, positive, out of range)",
        [33, 34, 35],
    )
    _shifts(p)
    _truncs(p)
    return p


def _signs(p: Prog) -> None:
    for code in SIGNS:
        _case(p, f"bcdcpsgn. {VT},{VA},{VB}", bcd(555), bcd(1, code), f"b sign {code:X}")
    for a, b, note in [
        (bcd(0, 0xD), bcd(9), "-0 gets +"),
        (digits("12", 1), bcd(9), "bad sign in a: VRT unchanged"),
        (bcd(12), digits("9", 0), "bad sign in b: VRT unchanged"),
        (digits("1C", 0xC), bcd(9, 0xD), "bad digit in a: VRT written"),
        (bcd(12), digits("F9", 0xD), "bad digit in b: VRT written"),
        (bcd(NINES, 0xB), bcd(0, 0xE), "31 nines"),
    ]:
        _case(p, f"bcdcpsgn. {VT},{VA},{VB}", a, b, note)
    for code in SIGNS:
        for ps in (0, 1):
            _case(p, f"bcdsetsgn. {VT},{VB},{ps}", None, bcd(314, code), f"sign {code:X}, PS={ps}")
    for b, note in [
        (bcd(0, 0xB), "-0 (B)"),
        (bcd(0, 0xF), "+0 (F)"),
        (digits("31", 5), "bad sign"),
        (digits("3E1", 0xB), "bad digit"),
        (bcd(NINES, 0xA), "31 nines"),
    ]:
        for ps in (0, 1):
            _case(p, f"bcdsetsgn. {VT},{VB},{ps}", None, b, f"{note}, PS={ps}")


def _count(n: int, width: int = 8) -> int:
    """VRA with the count ``n`` in byte 7 (``width`` 8) or halfword 3 (16), junk around it.

    Byte 7 and halfword 3 both end at bit 64 from the least significant end."""
    m = ((1 << width) - 1) << 64
    return (0xA5A5_A5A5_A5A5_A5A5_5A5A_5A5A_5A5A_5A5A & ~m) | ((n << 64) & m)


SHIFTS = (-128, -33, -32, -31, -30, -5, -2, -1, 0, 1, 2, 5, 29, 30, 31, 32, 33, 127)


def _shifts(p: Prog) -> None:
    for op in ("bcds.", "bcdsr."):
        for i, n in enumerate(SHIFTS):
            ps = i % 2
            _case(p, f"{op} {VT},{VA},{VB},{ps}", _count(n), bcd(BIG1, 0xD),
                  f"31 digits, shift {n}, PS={ps}")  # fmt: skip
            if -6 <= n <= 6 or abs(n) >= 31:
                _case(p, f"{op} {VT},{VA},{VB},{1 - ps}", _count(n), bcd(12345, 0xA),
                      f"+12345, shift {n}")  # fmt: skip
        for b, n, note in [
            (bcd(0, 0xD), 3, "-0"),
            (digits("12", 3), 1, "bad sign: VRT unchanged"),
            (digits("1B2", 0xC), -1, "bad digit: VRT unchanged"),
            (bcd(9995), -1, "round up, carries"),
            (bcd(9994, 0xD), -1, "no round"),
            (bcd(NINES), -1, "31 nines, round"),
            (bcd(5), -1, "5 >> 1: rounds to 1"),
            (bcd(5, 0xB), -2, "shifted out entirely"),
            (bcd(BIG2), -30, "one digit left"),
        ]:
            _case(p, f"{op} {VT},{VA},{VB},0", _count(n), b, note)
    # QEMU 7.2 executes bcds (PS=1) and bcdsr with Rc=0, and sets CR6
    _case(p, _long(_vx(0x6C0)), _count(2), bcd(123, 0xD), "bcds, Rc=0 PS=1")
    _case(p, _long(_vx(0x5C0)), _count(-1), bcd(125), "bcdsr, Rc=0 PS=0")
    _case(p, _long(_vx(0x7C0)), _count(1), bcd(125, 0xB), "bcdsr, Rc=0 PS=1")
    for n in (-33, -32, -31, -1, 0, 1, 31, 32, 33, 127, -128):
        _case(p, f"bcdus. {VT},{VA},{VB}", _count(n), int("1234567890" * 3 + "12", 16),
              f"32 digits, shift {n}")  # fmt: skip
    for b, n, note in [
        (0x5, 0, "only digit 0 (EQ)"),
        (0x123, 1, "small (LT: QEMU reads a sign code)"),
        (0, 5, "zero"),
        (0, 32, "zero, shift 32 (SO)"),
        (bcd(1), 1, "a sign code in digit 0: bad, VRT unchanged"),
        (0xA0, -1, "bad digit 1"),
    ]:
        _case(p, f"bcdus. {VT},{VA},{VB}", _count(n), b, note)


TRUNCS = (-32768, -2, -1, 0, 1, 2, 5, 15, 16, 17, 20, 30, 31, 32, 33, 0x7FFF)


def _truncs(p: Prog) -> None:
    for i, n in enumerate(TRUNCS):
        ps = i % 2
        _case(p, f"bcdtrunc. {VT},{VA},{VB},{ps}", _count(n, 16), bcd(BIG1),
              f"31 digits, keep {n}, PS={ps}")  # fmt: skip
        _case(p, f"bcdtrunc. {VT},{VA},{VB},{1 - ps}", _count(n, 16), bcd(123, 0xB),
              f"-123, keep {n}")  # fmt: skip
    for b, n, note in [
        (bcd(0, 0xD), 3, "-0"),
        (digits("12", 3), 1, "bad sign: VRT unchanged"),
        (digits("1B2", 0xC), 5, "bad digit: VRT unchanged"),
        (bcd(1000), 3, "keep 3: only zeros left, SO"),
    ]:
        _case(p, f"bcdtrunc. {VT},{VA},{VB},0", _count(n, 16), b, note)
    u32 = int("9876543210" * 3 + "98", 16)
    for n in (-32768, -1, 0, 1, 2, 15, 16, 17, 31, 32, 33, 0x7FFF):
        _case(p, f"bcdutrunc. {VT},{VA},{VB}", _count(n, 16), u32, f"32 digits, keep {n}")
    for b, n, note in [
        (0, 0, "zero, keep 0"),
        (0x12, 1, "keep 1"),
        (0x1C, 2, "a sign code: bad, VRT unchanged"),
        (0x300, 2, "zeros left, SO"),
    ]:
        _case(p, f"bcdutrunc. {VT},{VA},{VB}", _count(n, 16), b, note)


# -- conversions -------------------------------------------------------------------------------
def zoned(text: str, sign_zone: int, zone: int = 3) -> int:
    """16 zoned bytes of ``text`` (right-aligned, zeros before), the last zone ``sign_zone``."""
    text = text.rjust(16, "0")
    v = 0
    for ch in text:
        v = v << 8 | zone << 4 | int(ch, 16)
    return (v & ~0xF0) | sign_zone << 4


def national(text: str, sgn: int = 0x2B) -> int:
    """7 national halfwords 0x0030 + digit (right-aligned), then the sign halfword."""
    text = text.rjust(7, "0")
    v = 0
    for ch in text:
        v = v << 16 | (0x30 + int(ch, 16))
    return v << 16 | sgn


def conv() -> Prog:
    p = Prog(
        "vmx_bcd_conv",
        "VMX decimal conversions: bcdcfn. bcdctn. bcdcfz. bcdctz. bcdcfsq. bcdctsq. (zoned, "
        "national, signed quadword; bad digits, zones and signs, PS=0/1, out of range)",
        [34, 35],
    )

    def one(insn: str, b: int, note: str) -> None:
        _case(p, insn, None, b, note)

    def both(op: str, b: int, note: str) -> None:
        for ps in (0, 1):
            one(f"{op} {VT},{VB},{ps}", b, f"{note}, PS={ps}")

    # signed quadword <-> BCD
    for v, note in [
        (0, "0"),
        (1, "1"),
        (-1, "-1"),
        (10**31 - 1, "10**31 - 1"),
        (10**31, "10**31: out of range"),
        (-(10**31 - 1), "-(10**31 - 1)"),
        (-(10**31), "-10**31: out of range"),
        ((1 << 127) - 1, "2**127 - 1"),
        (-(1 << 127), "-2**127"),
        (0x0123_4567_89AB_CDEF, "64 bits"),
        (-0x0123_4567_89AB_CDEF_0011, "-72 bits"),
        (10**16 + 7, "10**16 + 7"),
    ]:
        both("bcdcfsq.", v & M128, note)
    for b, note in [
        (bcd(0), "+0"),
        (bcd(0, 0xD), "-0"),
        (bcd(1, 0xB), "-1 (B)"),
        (bcd(NINES), "31 nines"),
        (bcd(NINES, 0xD), "-31 nines"),
        (bcd(BIG1, 0xA), "31 digits (A)"),
        (bcd(18446744073709551615), "2**64 - 1"),
        (bcd(18446744073709551616, 0xD), "-2**64"),
        (digits("12", 7), "bad sign: VRT written"),
        (digits("A" + "1" * 30, 0xC), "bad digit 31"),
        (digits("1" * 29 + "B1", 0xD), "bad digit 2"),
        (digits("1" * 30 + "F", 0xC), "bad digit 1"),
        (digits("9" * 31, 0x0), "bad sign, 31 nines"),
    ]:
        one(f"bcdctsq. {VT},{VB}", b, note)
    one(_long(_vx(0x781, vra=0)), bcd(42, 0xD), "bcdctsq. with PS=1 (ignored)")
    # VRT = VRB: QEMU 7.2 takes CR6 from the integer it wrote over VRB
    for b, note in [
        (bcd(42, 0xD), "VRT = VRB, -42"),
        (bcd(0x10, 0xC) | 1 << 124, "VRT = VRB, digit 31"),
        (bcd(NINES, 0xD), "VRT = VRB, -31 nines"),
        (digits("12", 7), "VRT = VRB, bad sign"),
    ]:
        one(f"bcdctsq. {VB},{VB}", b, note)
    for op in ("bcdcfsq.", "bcdcfz.", "bcdcfn.", "bcdctz."):
        one(f"{op} {VB},{VB},1", 0x3030_3030_3030_3030_3030_3030_3031_3233, f"{op} VRT = VRB")
    one(f"bcdctn. {VB},{VB}", bcd(77, 0xD), "VRT = VRB")
    # zoned <-> BCD
    for zone in range(16):
        both("bcdcfz.", zoned("1234567890123456", zone), f"16 digits, sign zone {zone:X}")
    for b, note in [
        (zoned("0", 3), "+0"),
        (zoned("0", 0xD, 0xF), "-0, zones F"),
        (zoned("42", 0xC, 0xF), "zones F"),
        (zoned("42", 3) ^ 0x10 << 64, "a zone 2"),
        (zoned("4A2", 3), "a bad digit"),
        (zoned("9" * 16, 0xB, 0xF), "16 nines, zones F"),
    ]:
        both("bcdcfz.", b, note)
    for b, note in [
        (bcd(123), "+123"),
        (bcd(123, 0xD), "-123"),
        (bcd(0, 0xB), "-0 (B)"),
        (bcd(int("9" * 16)), "16 nines"),
        (bcd(int("1" + "0" * 16)), "17 digits: SO"),
        (bcd(BIG1, 0xE), "31 digits: SO"),
        (digits("12", 4), "bad sign"),
        (digits("1C2", 0xD), "bad digit"),
    ]:
        both("bcdctz.", b, note)
    # national <-> BCD
    for b, note in [
        (national("1234567"), "+1234567"),
        (national("42", 0x2D), "-42"),
        (national("0", 0x2D), "-0"),
        (national("0"), "+0"),
        (national("42", 0x2C), "bad sign 0x2c"),
        (national("4") | 0x3A << 32, "bad digit 0x3a"),
        (national("4") | 0x1_0000 << 112, "a halfword 0x1003x"),
        (national("77") | 0xFFFF << 96, "top halfword 0xffff, beyond digit 7: ignored?"),
    ]:
        both("bcdcfn.", b, note)
    for b, note in [
        (bcd(1234567), "+1234567"),
        (bcd(42, 0xB), "-42 (B)"),
        (bcd(0, 0xD), "-0"),
        (bcd(12345678), "8 digits: SO"),
        (bcd(BIG1, 0xD), "31 digits: SO"),
        (digits("12", 0), "bad sign"),
        (digits("1D2", 0xC), "bad digit"),
    ]:
        one(f"bcdctn. {VT},{VB}", b, note)
    # words QEMU 7.2 rejects (HEAI): bcdctn. with PS=1, the xpnd04 selectors 1 and 3
    one(_long(_vx(0x781, vra=5)), bcd(1), "bcdctn. with PS=1: HEAI")
    one(_long(_vx(0x581, vra=1)), bcd(1), "VRA = 1: HEAI")
    one(_long(_vx(0x781, vra=3)), bcd(1), "VRA = 3, PS=1: HEAI")
    return p


ALL = [add_sub, shift_trunc, conv]


def main(names: Iterable[str] = ()) -> None:
    want = set(names)
    for mk in ALL:
        p = mk()
        if want and p.name not in want:
            continue
        p.generator = "vmx_bcd_cases"
        be, le = p.texts()
        (PROGRAMS / f"{p.name}.S").write_text(be)
        (PROGRAMS / f"{p.name}.le.S").write_text(le)
        print(p.name, len(p.cases), "cases")


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
