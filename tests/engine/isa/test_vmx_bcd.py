"""VMX decimal (BCD) lines: encodings, CR6 and a few values by hand.

The differential programs vmx_bcd and vmx_bcd_conv (both byte orders) compare every
line with QEMU 7.2; these pin the decode-level rules and the ISA's examples.
"""

from __future__ import annotations

from collections.abc import Callable

from engine.cpu import VCPU
from engine.isa import vmx_bcd as bcd
from engine.isa.table import decode

MSR_VEC = 0x9000000002002000
VRT, VRA, VRB = 3, 5, 4


def _w(xo: int, vra: int = VRA, ps: int = 0) -> int:
    return (4 << 26) | (VRT << 21) | (vra << 16) | (VRB << 11) | (ps << 9) | xo


def _run(step1: Callable[..., VCPU], word: int, a: int = 0, b: int = 0, t: int = 0) -> VCPU:
    regs = {f"vs{32 + VRA}": a, f"vs{32 + VRB}": b, f"vs{32 + VRT}": t}
    return step1(word, msr=MSR_VEC, cr=0x1234_5678, **regs)


def _cr6(c: VCPU) -> int:
    return (c.cr >> 4) & 0xF


def test_bcdadd_same_sign_adds_with_the_preferred_sign(step1: Callable[..., VCPU]) -> None:
    c = _run(step1, _w(0x401, ps=1), a=0x123A, b=0x999C)  # +123 + +999, alternate plus
    assert decode(_w(0x401, ps=1)).name(_w(0x401, ps=1)) == "bcdadd."
    assert c.vsr[32 + VRT] == 0x1122F
    assert _cr6(c) == bcd.GT


def test_bcdadd_opposite_signs_subtracts_the_smaller_magnitude(step1: Callable[..., VCPU]) -> None:
    c = _run(step1, _w(0x401), a=0x5C, b=0x123D)  # +5 + -123 = -118
    assert c.vsr[32 + VRT] == 0x118D
    assert _cr6(c) == bcd.LT


def test_bcdadd_overflow_sets_so_and_keeps_31_digits() -> None:
    nines = int("9" * 31 + "C", 16)
    r, cr = bcd.add(nines, 0x1C, 0)
    assert r == 0xC and cr == bcd.GT | bcd.SO


def test_bcdadd_invalid_sign_gives_all_ones_and_so() -> None:
    assert bcd.add(0x1233, 0x1C, 0) == (bcd.M128, bcd.SO)


def test_bcdadd_zero_sum_of_same_signs_is_gt_and_eq() -> None:
    assert bcd.add(0xC, 0xF, 0) == (0xC, bcd.GT | bcd.EQ)


def test_bcdsub_flips_the_sign_of_vrb() -> None:
    assert bcd.sub(0x5C, 0x5C, 0) == (0xC, bcd.EQ)
    assert bcd.sub(0x5C, 0x7D, 1) == (0x12F, bcd.GT)


def test_bcds_shifts_by_byte_7_of_vra_and_reports_lost_digits() -> None:
    left = 2 << 64
    assert bcd.shift(0, left, 0x123C, 0, False) == (0x12300C, bcd.GT)
    right = 0xFE << 64  # -2
    assert bcd.shift(0, right, 0x12345D, 0, False) == (0x123D, bcd.LT)
    assert bcd.shift(0, 30 << 64, 0x12C, 0, False) == (0x2 << 124 | 0xC, bcd.GT | bcd.SO)
    assert bcd.shift(0, 31 << 64, 0x12C, 0, False) == (0xC, bcd.EQ | bcd.SO)


def test_bcdsr_rounds_half_up_on_a_right_shift() -> None:
    assert bcd.shift(0, 0xFF << 64, 0x125C, 0, True) == (0x13C, bcd.GT)
    assert bcd.shift(0, 0xFF << 64, 0x124C, 0, True) == (0x12C, bcd.GT)


def test_bcdus_nonzero_result_is_lt_as_qemu() -> None:
    assert bcd.ushift(0, 1 << 64, 0x12) == (0x120, bcd.LT)
    assert bcd.ushift(0, 32 << 64, 0x12) == (0, bcd.EQ | bcd.SO)


def test_bcdtrunc_keeps_the_low_digits() -> None:
    assert bcd.trunc(0, 2 << 64, 0x12345C, 0) == (0x45C, bcd.GT | bcd.SO)
    assert bcd.trunc(7, 2 << 64, 0x12345A, 0)[1] == bcd.GT | bcd.SO


def test_invalid_operand_leaves_vrt_for_the_shifts() -> None:
    assert bcd.shift(0x77, 0, 0x1A3C, 0, False) == (0x77, bcd.SO)
    assert bcd.utrunc(0x77, 0, 0xAB) == (0x77, bcd.SO)


def test_bcdcfsq_and_bcdctsq_round_trip() -> None:
    v = -1234567890123456789 & bcd.M128
    r, cr = bcd.cfsq(0, v, 0)
    assert r == 0x1234567890123456789D and cr == bcd.LT
    assert bcd.ctsq(r) == (v, bcd.LT)
    assert bcd.cfsq(5, 10**31, 0) == (5, bcd.GT | bcd.SO)


def test_zoned_and_national_conversions() -> None:
    # "-123": every zone 0x3 but the last byte's, 0x7 (minus, PS=0)
    zoned = int.from_bytes(b"0" * 13 + b"12", "big") << 8 | 0x73
    assert bcd.cfz(zoned, 0) == (0x123D, bcd.LT)
    assert bcd.ctz(0x123D, 0) == (zoned, bcd.LT)
    assert bcd.cfz(zoned & ~(0xF0 << 120), 0)[1] == bcd.SO  # a zone that is not 0x3
    national = 0x0030_0030_0030_0030_0031_0032_0033_002D  # "-0000123"
    assert bcd.cfn(national, 1) == (0x123D, bcd.LT)
    assert bcd.ctn(0x123C) == (national ^ 0x2D ^ 0x2B, bcd.GT)
    assert bcd.ctn(0x1_0000_000C)[1] == bcd.GT | bcd.SO  # an eighth digit


def test_encodings_qemu_decodes() -> None:
    assert decode(_w(0x6C0, ps=0)).mnemonic == "bcds"  # Rc=0, executed by QEMU 7.2
    assert decode(_w(0x5C0)).mnemonic == "bcdsr"
    assert decode(_w(0x4C0)).mnemonic == "vsubudm"
    assert decode(_w(0x581, vra=5, ps=1)) is None  # bcdctn. has no PS
    assert decode(_w(0x581, vra=0, ps=1)).mnemonic == "bcdctsq."
    assert decode(_w(0x581, vra=3)) is None
