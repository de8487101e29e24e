"""VSX half-precision conversions (xscvdphp xscvhpdp xvcvsphp xvcvhpsp): a few values by hand.

The differential program vsx_convert_half (both byte orders) compares them with
QEMU 7.2 over special values, every rounding mode and the FPSCR enables.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from engine.cpu import VCPU
from engine.fpu import FPSCR_FI, FPSCR_OX, FPSCR_UX, FPSCR_VXSNAN, FPSCR_XX
from engine.isa.table import decode

MSR_VSX = 0x9000000002802000  # FP|VEC|VSX
MSR_VSX_FE = MSR_VSX | 0x900  # FE0|FE1: enabled exceptions interrupt
FPSCR_VE, FPSCR_OE = 0x80, 0x40
XT, XB = 3, 4


def _xx2(xo: int, sub: int) -> int:
    return (60 << 26) | (XT << 21) | (sub << 16) | (XB << 11) | (xo << 2)


XSCVDPHP, XSCVHPDP = _xx2(347, 17), _xx2(347, 16)
XVCVHPSP, XVCVSPHP = _xx2(475, 24), _xx2(475, 25)


def f64(x: float) -> int:
    return int(struct.unpack(">Q", struct.pack(">d", x))[0])


def _run(step1: Callable[..., VCPU], word: int, b: int, fpscr: int = 0, msr: int = MSR_VSX) -> VCPU:
    return step1(word, msr=msr, fpscr=fpscr, vs3=0x1111, vs4=b)


def test_the_four_words_decode() -> None:
    names = [decode(w).mnemonic for w in (XSCVDPHP, XSCVHPDP, XVCVHPSP, XVCVSPHP)]
    assert names == ["xscvdphp", "xscvhpdp", "xvcvhpsp", "xvcvsphp"]


def test_xscvdphp_ties_to_even_in_halfword_3(step1: Callable[..., VCPU]) -> None:
    c = _run(step1, XSCVDPHP, f64(1 + 2.0**-11) << 64)
    assert c.vsr[XT] == 0x3C00 << 64
    assert c.fpscr & (FPSCR_XX | FPSCR_FI) == FPSCR_XX | FPSCR_FI
    assert c.fpscr & 0x1F000 == 0x04000  # FPRF: + normal


def test_xscvdphp_overflow_by_rounding_mode(step1: Callable[..., VCPU]) -> None:
    assert _run(step1, XSCVDPHP, f64(1e5) << 64).vsr[XT] == 0x7C00 << 64
    c = _run(step1, XSCVDPHP, f64(1e5) << 64, fpscr=1)  # toward zero: the largest half
    assert c.vsr[XT] == 0x7BFF << 64 and c.fpscr & FPSCR_OX


def test_xscvdphp_overflow_with_oe_rebiases_by_24(step1: Callable[..., VCPU]) -> None:
    c = _run(step1, XSCVDPHP, f64(2.0**16) << 64, fpscr=FPSCR_OE)
    assert c.vsr[XT] == ((16 - 24 + 15) << 10) << 64  # 2**-8 in binary16
    assert c.fpscr & FPSCR_OX


def test_xscvdphp_snan_keeps_the_top_payload_bits_quieted(step1: Callable[..., VCPU]) -> None:
    c = _run(step1, XSCVDPHP, 0xFFF2_A500_0000_0001 << 64)
    assert c.vsr[XT] == (0xFC00 | 0x200 | (0x2A5 >> 2)) << 64
    assert c.fpscr & FPSCR_VXSNAN


def test_enabled_snan_interrupts_before_xt_is_written(step1: Callable[..., VCPU]) -> None:
    c = _run(step1, XSCVDPHP, 0x7FF0_0000_0000_0001 << 64, FPSCR_VE, MSR_VSX_FE)
    assert c.nia == 0x700 and c.vsr[XT] == 0x1111


def test_xscvhpdp_widens_a_denormal_exactly(step1: Callable[..., VCPU]) -> None:
    c = _run(step1, XSCVHPDP, (0xFFFF_0000_0000_0001 << 64) | 0xAB)  # hw3 = 0x0001
    assert c.vsr[XT] == f64(2.0**-24) << 64
    assert c.fpscr & (FPSCR_XX | FPSCR_UX) == 0


def test_xvcvsphp_writes_the_low_halfword_of_each_word(step1: Callable[..., VCPU]) -> None:
    words = [0x3F80_0000, 0xC000_0000, 0x7F80_0000, 0x3DCC_CCCD]  # 1, -2, +inf, 0.1
    b = int.from_bytes(b"".join(w.to_bytes(4, "big") for w in words), "big")
    c = _run(step1, XVCVSPHP, b, fpscr=FPSCR_FI)
    want = [0x3C00, 0xC000, 0x7C00, 0x2E66]
    assert c.vsr[XT] == int.from_bytes(b"".join(h.to_bytes(4, "big") for h in want), "big")
    assert c.fpscr & FPSCR_XX and c.fpscr & FPSCR_FI  # FI left as it was
    assert c.fpscr & 0x1F000 == 0  # no FPRF


def test_xvcvhpsp_reads_the_low_halfword_of_each_word(step1: Callable[..., VCPU]) -> None:
    halves = [0x3C00, 0x8000, 0x7E01, 0x7C01]  # 1, -0, QNaN, SNaN
    b = int.from_bytes(b"".join((0xA5A5_0000 | h).to_bytes(4, "big") for h in halves), "big")
    c = _run(step1, XVCVHPSP, b)
    want = [0x3F80_0000, 0x8000_0000, 0x7FC0_2000, 0x7FC0_2000]
    assert c.vsr[XT] == int.from_bytes(b"".join(w.to_bytes(4, "big") for w in want), "big")
    assert c.fpscr & FPSCR_VXSNAN
