"""VSX logical/permute lines and the word moves: encodings, facilities and a few values by hand.

The differential program vsx_permute (both byte orders) compares every one
of them with QEMU 7.2; these pin the decode-level rules and ISA examples.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from engine.cpu import VCPU
from engine.isa.table import decode

MSR_VSX_ALL = 0x9000000002802000  # FP|VEC|VSX
MSR_NO_VSX = 0x9000000002002000  # FP|VEC

A = 0x00112233_44556677_8899AABB_CCDDEEFF
B = 0xF0E1D2C3_B4A59687_78695A4B_3C2D1E0F


def _xx3(xo: int, t: int, a: int, b: int) -> int:
    return (
        (60 << 26)
        | ((t & 31) << 21)
        | ((a & 31) << 16)
        | ((b & 31) << 11)
        | (xo << 3)
        | ((a >> 5) << 2)
        | ((b >> 5) << 1)
        | (t >> 5)
    )


def _run(step1: Callable[..., VCPU], word: int, msr: int = MSR_VSX_ALL, **vsr: int) -> VCPU:
    return step1(word, msr=msr, **vsr)


def test_xxpermdi_every_dm(step1: Callable[..., VCPU]) -> None:
    a_hi, a_lo, b_hi, b_lo = A >> 64, A & (2**64 - 1), B >> 64, B & (2**64 - 1)
    want = {0: (a_hi, b_hi), 1: (a_hi, b_lo), 2: (a_lo, b_hi), 3: (a_lo, b_lo)}
    for dm, (hi, lo) in want.items():
        w = _xx3(10, 3, 1, 2) | (dm << 8)
        assert decode(w).mnemonic == "xxpermdi"
        c = _run(step1, w, vs1=A, vs2=B)
        assert c.vsr[3] == (hi << 64) | lo


def test_xxpermdi_bit21_is_not_xxpermdi() -> None:
    o = decode(_xx3(10, 3, 1, 2) | (1 << 10))
    assert o is None or o.mnemonic != "xxpermdi"


def test_xxspltib_reserved_bits_and_facility(step1: Callable[..., VCPU]) -> None:
    w = (60 << 26) | (5 << 21) | (0x5A << 11) | (360 << 1)
    assert decode(w).mnemonic == "xxspltib"
    assert decode(w | (1 << 19)) is None or decode(w | (1 << 19)).mnemonic != "xxspltib"
    c = _run(step1, w)
    assert c.vsr[5] == int.from_bytes(b"\x5a" * 16, "big")
    # VSR 0-31 need MSR[VSX]; VSRs 32-63 only MSR[VEC]
    c = _run(step1, w, msr=MSR_NO_VSX)
    assert c.nia == 0xF40
    c = _run(step1, w | 1, msr=MSR_NO_VSX)
    assert c.nia == 0x1004 and c.vsr[37] == int.from_bytes(b"\x5a" * 16, "big")


def test_logical_needs_vsx(step1: Callable[..., VCPU]) -> None:
    c = _run(step1, _xx3(130, 40, 41, 42), msr=MSR_NO_VSX)  # xxland on VRs still needs VSX
    assert c.nia == 0xF40


@pytest.mark.parametrize(
    ("sel", "rev"),
    [
        (0x00_1F_10_0F_21_3E_FF_80_01_11_12_13_04_05_06_07, False),
        (0x00_1F_10_0F_21_3E_FF_80_01_11_12_13_04_05_06_07, True),
    ],
)
def test_xxperm_by_hand(step1: Callable[..., VCPU], sel: int, rev: bool) -> None:
    t = 0x20212223_24252627_28292A2B_2C2D2E2F
    c = _run(step1, _xx3(58 if rev else 26, 3, 1, 2), vs1=A, vs2=sel, vs3=t)
    src = A.to_bytes(16, "big") + t.to_bytes(16, "big")
    idx = [(31 - (s & 31)) if rev else (s & 31) for s in sel.to_bytes(16, "big")]
    assert c.vsr[3] == int.from_bytes(bytes(src[i] for i in idx), "big")


def test_extract_insert_past_12(step1: Callable[..., VCPU]) -> None:
    xb = 14  # uim 14: bytes 14, 15, 0, 1
    w = (60 << 26) | (3 << 21) | (xb << 16) | (1 << 11) | (165 << 2)
    c = _run(step1, w, vs1=A)
    assert c.vsr[3] == 0xEEFF0011 << 64
    w = (60 << 26) | (3 << 21) | (14 << 16) | (1 << 11) | (181 << 2)
    c = _run(step1, w, vs1=A, vs3=B)
    assert c.vsr[3] == (B & ~0xFFFF) | 0x4455  # word 1 of XB, first two bytes


def test_word_moves(step1: Callable[..., VCPU]) -> None:
    def x1(xo: int, t: int, ra: int) -> int:
        return (31 << 26) | ((t & 31) << 21) | (ra << 16) | (xo << 1) | (t >> 5)

    c = _run(step1, x1(211, 3, 4), r4=0x1234_5678_8000_0001, vs3=B)  # mtvsrwa
    assert c.vsr[3] == (0xFFFF_FFFF_8000_0001 << 64) | (B & (2**64 - 1))
    c = _run(step1, x1(243, 35, 4), r4=0x1234_5678_8000_0001, vs35=B)  # mtvsrwz
    assert c.vsr[35] == (0x8000_0001 << 64) | (B & (2**64 - 1))
    c = _run(step1, x1(403, 3, 4), r4=0x1234_5678_9ABC_DEF0)  # mtvsrws
    assert c.vsr[3] == 0x9ABCDEF0_9ABCDEF0_9ABCDEF0_9ABCDEF0
    w = (31 << 26) | (1 << 21) | (5 << 16) | (115 << 1)  # mfvsrwz r5, vs1
    c = _run(step1, w, vs1=A)
    assert c.gpr[5] == 0x44556677
    assert decode(w | (1 << 11)) is None  # RB must be 0
