"""VSX vector conversions and round-to-integral: the rules QEMU 7.2 adds to the ISA, by hand.

The differential programs vsx_vconvert, vsx_vconvert_int and vsx_vconvert_round
(both byte orders) compare every line with QEMU 7.2; these pin the element
layout and the accumulated-flags rule of engine/isa/vsx_vconvert.py.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

import pytest

from engine.cpu import VCPU
from engine.fpu import FPSCR_FI, FPSCR_FR, FPSCR_VE, FPSCR_VXCVI, FPSCR_VXSNAN, FPSCR_XX
from engine.isa.table import decode

MSR_VSX_FE = 0x9000000002802900  # FP|VEC|VSX, FE0|FE1: enabled exceptions interrupt
QNAN, SNAN, PINF = 0x7FF8_0000_0000_0123, 0x7FF0_0000_0000_0456, 0x7FF0_0000_0000_0000
WJUNK = 0x7F80_0001  # a signalling NaN in the words a two-word source does not read


def f(x: float) -> int:
    return int(struct.unpack(">Q", struct.pack(">d", x))[0])


def s(x: float) -> int:
    return int(struct.unpack(">I", struct.pack(">f", x))[0])


def dd(a: int, b: int) -> int:
    return (a << 64) | b


def ww(*ws: int) -> int:
    return int.from_bytes(b"".join(w.to_bytes(4, "big") for w in ws), "big")


def xx2(xo: int, t: int = 3, b: int = 2) -> int:
    return (60 << 26) | (t << 21) | (b << 11) | (xo << 2)


OPS = {
    "xvcvdpsp": 393, "xvcvspdp": 457, "xvcvdpsxds": 472, "xvcvdpsxws": 216,
    "xvcvdpuxds": 456, "xvcvspsxds": 408, "xvcvspuxws": 136, "xvcvsxwdp": 248,
    "xvcvuxdsp": 424, "xvrdpi": 201, "xvrdpic": 235, "xvrspiz": 153,
}  # fmt: skip


def run(step1: Callable[..., VCPU], name: str, b: int, fpscr: int = 0) -> VCPU:
    w = xx2(OPS[name])
    assert decode(w).mnemonic == name
    return step1(w, msr=MSR_VSX_FE, vs2=b, vs3=dd(f(3.0), f(4.0)), fpscr=fpscr)


def test_xvcvdpsp_writes_each_result_to_both_words(step1: Callable[..., VCPU]) -> None:
    c = run(step1, "xvcvdpsp", dd(f(1.0), f(-2.5)))
    assert c.vsr[3] == ww(s(1.0), s(1.0), s(-2.5), s(-2.5))
    assert c.fpscr == 0


def test_xvcvspdp_reads_words_0_and_2_and_quiets_a_snan(step1: Callable[..., VCPU]) -> None:
    c = run(step1, "xvcvspdp", ww(s(1.5), WJUNK, 0x7F80_0456, WJUNK))
    assert c.vsr[3] == dd(f(1.5), 0x7FF8_008A_C000_0000)
    assert c.fpscr & FPSCR_VXSNAN


def test_to_int_saturates_with_vxcvi_and_no_xx(step1: Callable[..., VCPU]) -> None:
    c = run(step1, "xvcvdpsxds", dd(f(1e30), f(-2.5)))
    assert c.vsr[3] == dd(0x7FFF_FFFF_FFFF_FFFF, (-2) & (2**64 - 1))
    assert c.fpscr & FPSCR_VXCVI and c.fpscr & FPSCR_XX  # the XX is element 1's


def test_to_int_an_element_after_a_nan_takes_the_nan_result(step1: Callable[..., VCPU]) -> None:
    c = run(step1, "xvcvdpsxds", dd(QNAN, f(1.0)))
    assert c.vsr[3] == dd(1 << 63, 1 << 63)


def test_to_int_after_an_out_of_range_element_keeps_its_value(
    step1: Callable[..., VCPU],
) -> None:
    c = run(step1, "xvcvdpsxds", dd(PINF, f(2.0)))
    assert c.vsr[3] == dd(0x7FFF_FFFF_FFFF_FFFF, 2)


def test_to_int_a_nan_after_an_out_of_range_element_is_the_maximum(
    step1: Callable[..., VCPU],
) -> None:
    c = run(step1, "xvcvdpuxds", dd(f(-1.0), QNAN))
    assert c.vsr[3] == dd(0, 2**64 - 1)


def test_to_int_later_elements_clear_fr_and_fi_again(step1: Callable[..., VCPU]) -> None:
    c = run(step1, "xvcvdpsxds", dd(QNAN, f(2.0)), fpscr=FPSCR_FR | FPSCR_FI)
    assert not c.fpscr & (FPSCR_FR | FPSCR_FI)


def test_to_int_valid_elements_leave_fr_and_fi(step1: Callable[..., VCPU]) -> None:
    c = run(step1, "xvcvdpsxds", dd(f(2.5), f(2.0)), fpscr=FPSCR_FR | FPSCR_FI)
    assert c.fpscr & (FPSCR_FR | FPSCR_FI) == FPSCR_FR | FPSCR_FI


def test_to_int_word_results_fill_both_words(step1: Callable[..., VCPU]) -> None:
    c = run(step1, "xvcvdpsxws", dd(f(-7.0), f(9.75)))
    assert c.vsr[3] == ww(0xFFFF_FFF9, 0xFFFF_FFF9, 9, 9)


def test_sp_to_int_doublewords_from_words_0_and_2(step1: Callable[..., VCPU]) -> None:
    c = run(step1, "xvcvspsxds", ww(s(-3.0), WJUNK, s(5.5), WJUNK))
    assert c.vsr[3] == dd((-3) & (2**64 - 1), 5)
    assert not c.fpscr & FPSCR_VXCVI


def test_sp_to_unsigned_words(step1: Callable[..., VCPU]) -> None:
    c = run(step1, "xvcvspuxws", ww(s(1.5), s(-0.5), s(5e9), s(7.0)))
    assert c.vsr[3] == ww(1, 0, 0xFFFF_FFFF, 7)


def test_to_int_enabled_invalid_interrupts_before_xt(step1: Callable[..., VCPU]) -> None:
    c = run(step1, "xvcvdpsxds", dd(f(1.5), SNAN), fpscr=FPSCR_VE)
    assert c.vsr[3] == dd(f(3.0), f(4.0))
    assert c.nia == 0x700
    assert not c.fpscr & FPSCR_XX  # element 0's inexact is never recorded


def test_int_words_to_doublewords_from_words_0_and_2(step1: Callable[..., VCPU]) -> None:
    c = run(step1, "xvcvsxwdp", ww(0xFFFF_FFFD, WJUNK, 7, WJUNK))
    assert c.vsr[3] == dd(f(-3.0), f(7.0))


def test_doubleword_ints_to_single_round_once_into_both_words(
    step1: Callable[..., VCPU],
) -> None:
    v = (1 << 62) + (1 << 38) + 1  # rounded twice (to double, then single) it would be 2**62
    c = run(step1, "xvcvuxdsp", dd(v, 1))
    assert c.vsr[3] == ww(0x5E80_0001, 0x5E80_0001, s(1.0), s(1.0))
    assert c.fpscr & FPSCR_XX and not c.fpscr & FPSCR_FI


@pytest.mark.parametrize(
    ("name", "xx"), [("xvrdpi", False), ("xvrdpic", True)], ids=["xvrdpi", "xvrdpic"]
)
def test_round_only_the_c_form_sets_xx(step1: Callable[..., VCPU], name: str, xx: bool) -> None:
    c = run(step1, name, dd(f(2.5), f(-0.5)))
    want = dd(f(3.0), f(-1.0)) if name == "xvrdpi" else dd(f(2.0), f(-0.0))
    assert c.vsr[3] == want
    assert bool(c.fpscr & FPSCR_XX) == xx


def test_round_sp_elements(step1: Callable[..., VCPU]) -> None:
    c = run(step1, "xvrspiz", ww(s(-1.75), s(2.5), 0x7FA0_0000, 0x0000_0001))
    assert c.vsr[3] == ww(s(-1.0), s(2.0), 0x7FE0_0000, 0)
    assert c.fpscr & FPSCR_VXSNAN
