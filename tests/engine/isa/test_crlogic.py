"""CR logical instructions and CR field moves: cr*, mcrf, mtcrf/mtocrf, mfcr/mfocrf, mcrxrx."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from engine.cpu import VCPU

from .conftest import CODE
from .flags import M32, M64, XER_CA, XER_CA32, XER_OV, XER_OV32, XER_SO, flags, xer

Step = Callable[..., VCPU]


def bit(n: int) -> int:
    """CR bit n (IBM numbering) as a mask."""
    return 1 << (31 - n)


# word, bt, ba, bb, truth table over (a, b) = (0,0), (0,1), (1,0), (1,1)
CR_OPS = [
    (0x4C221A02, "crand", 1, 2, 3, (0, 0, 0, 1)),
    (0x4C853382, "cror", 4, 5, 6, (0, 1, 1, 1)),
    (0x4CE84982, "crxor", 7, 8, 9, (0, 1, 1, 0)),
    (0x4D4B61C2, "crnand", 10, 11, 12, (1, 1, 1, 0)),
    (0x4DAE7842, "crnor", 13, 14, 15, (1, 0, 0, 0)),
    (0x4E119242, "creqv", 16, 17, 18, (1, 0, 0, 1)),
    (0x4E74A902, "crandc", 19, 20, 21, (0, 0, 1, 0)),
    (0x4ED7C342, "crorc", 22, 23, 24, (1, 0, 1, 1)),
]


@pytest.mark.parametrize("word,name,bt,ba,bb,table", CR_OPS, ids=[c[1] for c in CR_OPS])
def test_cr_logical_truth_table(
    step1: Step, word: int, name: str, bt: int, ba: int, bb: int, table: tuple[int, ...]
) -> None:
    for (a, b), want in zip([(0, 0), (0, 1), (1, 0), (1, 1)], table, strict=True):
        for background in (0, M32 & ~(bit(ba) | bit(bb))):  # other bits untouched
            cr = background | (bit(ba) if a else 0) | (bit(bb) if b else 0)
            cpu = step1(word, cr=cr)
            expect = (cr & ~bit(bt)) | (bit(bt) if want else 0)
            assert cpu.cr == expect, f"{name} a={a} b={b} cr={cr:08x}"
            assert cpu.nia == CODE + 4


def test_crxor_same_bit_clears_it(step1: Step) -> None:
    cpu = step1(0x4CE73982, cr=M32)  # crxor 7,7,7 (crclr 7)
    assert cpu.cr == M32 & ~bit(7)


def test_mcrf_copies_field(step1: Step) -> None:
    cpu = step1(0x4D140000, cr=0x1234_5678)  # mcrf cr2,cr5
    assert cpu.cr == 0x1264_5678


def test_mtcrf_sets_selected_fields_from_low_word(step1: Step) -> None:
    cpu = step1(0x7C681120, r3=0xDEAD_BEEF_1234_5678, cr=M32)  # mtcrf 0x81,r3
    assert cpu.cr == 0x1FFF_FFF8
    assert cpu.gpr[3] == 0xDEAD_BEEF_1234_5678


def test_mtcrf_all_fields(step1: Step) -> None:
    cpu = step1(0x7C6FF120, r3=0xDEAD_BEEF_1234_5678)  # mtcrf 0xff,r3 (mtcr r3)
    assert cpu.cr == 0x1234_5678


def test_mtocrf_sets_one_field(step1: Step) -> None:
    cpu = step1(0x7C710120, r3=0x1234_5678, cr=M32)  # mtocrf 0x10,r3
    assert cpu.cr == 0xFFF4_FFFF


def test_mtocrf_with_two_fields_leaves_cr_as_qemu(step1: Step) -> None:
    cpu = step1(0x7C711120, r3=0, cr=M32)  # mtocrf 0x11,r3 (undefined: QEMU does nothing)
    assert cpu.cr == M32
    assert cpu.nia == CODE + 4


def test_mfcr_zero_extends_cr(step1: Step) -> None:
    cpu = step1(0x7CA00026, r5=M64, cr=0x1234_5678)  # mfcr r5
    assert cpu.gpr[5] == 0x1234_5678
    assert cpu.cr == 0x1234_5678


def test_mfocrf_returns_one_field_and_zeros(step1: Step) -> None:
    cpu = step1(0x7CB08026, r5=M64, cr=0x1234_5678)  # mfocrf r5,0x08
    assert cpu.gpr[5] == 0x5000


def test_mfocrf_with_two_fields_leaves_rt_as_qemu(step1: Step) -> None:
    cpu = step1(0x7CB09026, r5=M64, cr=0x1234_5678)  # mfocrf r5,0x09 (undefined)
    assert cpu.gpr[5] == M64


def test_mcrxrx_copies_ov_ov32_ca_ca32(step1: Step) -> None:
    cpu = step1(0x7D800480, xer=XER_SO | XER_OV | XER_CA | XER_CA32, cr=M32)  # mcrxrx cr3
    assert cpu.cr == 0xFFFB_FFFF
    assert xer(cpu) == flags(so=1, ov=1, ca=1, ca32=1)


def test_mcrxrx_ov32_alone(step1: Step) -> None:
    cpu = step1(0x7D800480, xer=XER_OV32)  # mcrxrx cr3
    assert cpu.cr == 0x0004_0000


def test_crand_with_rc_bit_is_illegal(step1: Step) -> None:
    cpu = step1(0x4C221A03)  # crand 1,2,3 with bit 31 set: QEMU raises HEAI
    assert cpu.nia == 0xE40
