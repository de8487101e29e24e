"""Compares (signed/unsigned, word/doubleword, 32-bit mode), cmprb, cmpeqb, isel, setb."""

from __future__ import annotations

from collections.abc import Callable

from engine.cpu import VCPU

from .conftest import CODE
from .flags import EQ, GT, LT, M32, M64, MSR_32BIT, SO, XER_SO, crf, flags, xer

Step = Callable[..., VCPU]
IMIN64 = 1 << 63


def test_cmpw_compares_low_words_signed(step1: Step) -> None:
    cpu = step1(0x7C032000, r3=0x1_0000_0001, r4=2)  # cmp cr0,0,r3,r4 (cmpw)
    assert cpu.cr == LT << 28
    assert xer(cpu) == flags()
    assert cpu.nia == CODE + 4


def test_cmpd_compares_doublewords_into_cr7_with_so(step1: Step) -> None:
    cpu = step1(0x7FA32000, r3=0x1_0000_0001, r4=2, xer=XER_SO, cr=M32)  # cmp cr7,1,r3,r4
    assert cpu.cr == 0xFFFF_FFF0 | GT | SO
    assert xer(cpu) == flags(so=1)


def test_cmpd_in_32bit_mode_still_compares_doublewords(step1: Step) -> None:
    cpu = step1(0x7FA32000, msr=MSR_32BIT, r3=0x1_0000_0001, r4=2)  # cmp cr7,1,r3,r4
    assert crf(cpu, 7) == GT


def test_cmplw_is_unsigned(step1: Step) -> None:
    cpu = step1(0x7C832040, r3=0x8000_0000, r4=1)  # cmpl cr1,0,r3,r4 (cmplw)
    assert cpu.cr == GT << 24


def test_cmpld_is_unsigned_doubleword(step1: Step) -> None:
    cpu = step1(0x7C232040, r3=IMIN64, r4=1)  # cmpl cr0,1,r3,r4 (cmpld)
    assert cpu.cr == GT << 28


def test_cmpdi_sign_extends_immediate(step1: Step) -> None:
    cpu = step1(0x2C23FFFF, r3=M64)  # cmpi cr0,1,r3,-1 (cmpdi)
    assert cpu.cr == EQ << 28


def test_cmpwi_ignores_high_word(step1: Step) -> None:
    cpu = step1(0x2D83FFFF, r3=0x7_FFFF_FFFF)  # cmpi cr3,0,r3,-1 (cmpwi)
    assert crf(cpu, 3) == EQ
    assert cpu.cr == EQ << 16


def test_cmpwi_in_32bit_mode(step1: Step) -> None:
    cpu = step1(0x2D83FFFF, msr=MSR_32BIT, r3=0x1_0000_0000)  # cmpi cr3,0,r3,-1
    assert crf(cpu, 3) == GT


def test_cmpldi_zero_extends_immediate(step1: Step) -> None:
    cpu = step1(0x28238000, r3=0xFFFF_FFFF_FFFF_8000)  # cmpli cr0,1,r3,0x8000 (cmpldi)
    assert cpu.cr == GT << 28


def test_cmplwi_low_word_below(step1: Step) -> None:
    cpu = step1(0x29030005, r3=0x1_0000_0003)  # cmpli cr2,0,r3,5 (cmplwi)
    assert cpu.cr == LT << 20


def test_cmp_with_reserved_bit_9_still_executes_as_qemu(step1: Step) -> None:
    cpu = step1(0x7C432000, r3=1, r4=2)  # cmp cr0,0,r3,r4 with bit 9 set
    assert cpu.nia == CODE + 4
    assert cpu.cr == LT << 28


# -- cmprb / cmpeqb ----------------------------------------------------------------------
def test_cmprb_in_first_range_sets_gt_only(step1: Step) -> None:
    cpu = step1(0x7C832180, r3=0x41, r4=0x5A41, xer=XER_SO)  # cmprb cr1,0,r3,r4
    assert cpu.cr == GT << 24  # SO is not copied
    assert xer(cpu) == flags(so=1)


def test_cmprb_out_of_range_clears_field(step1: Step) -> None:
    cpu = step1(0x7C832180, r3=0x5B, r4=0x5A41, cr=M32)  # cmprb cr1,0,r3,r4
    assert cpu.cr == 0xF0FF_FFFF


def test_cmprb_l1_checks_second_range(step1: Step) -> None:
    cpu = step1(0x7CA32180, r3=0x61, r4=0x7A61_5A41)  # cmprb cr1,1,r3,r4
    assert cpu.cr == GT << 24


def test_cmprb_l0_ignores_second_range(step1: Step) -> None:
    cpu = step1(0x7C832180, r3=0x61, r4=0x7A61_5A41)  # cmprb cr1,0,r3,r4
    assert cpu.cr == 0


def test_cmpeqb_finds_matching_byte(step1: Step) -> None:
    cpu = step1(0x7D0321C0, r3=0x41, r4=0x1122_3344_5566_7741, cr=M32)  # cmpeqb cr2,r3,r4
    assert cpu.cr == 0xFF4F_FFFF


def test_cmpeqb_no_match(step1: Step) -> None:
    cpu = step1(0x7D0321C0, r3=0x141, r4=0x1122_3344_5566_7701)  # cmpeqb cr2,r3,r4
    assert cpu.cr == 0


# -- isel / setb -------------------------------------------------------------------------
def test_isel_picks_ra_when_bit_set(step1: Step) -> None:
    cpu = step1(0x7CA3219E, r3=11, r4=22, cr=0x0200_0000)  # isel r5,r3,r4,4*cr1+eq
    assert cpu.gpr[5] == 11
    assert cpu.cr == 0x0200_0000


def test_isel_picks_rb_when_bit_clear(step1: Step) -> None:
    cpu = step1(0x7CA3219E, r3=11, r4=22, cr=0xFDFF_FFFF)  # isel r5,r3,r4,4*cr1+eq
    assert cpu.gpr[5] == 22


def test_isel_ra0_means_zero(step1: Step) -> None:
    cpu = step1(0x7CA027DE, r0=99, r4=22, cr=1)  # isel r5,0,r4,4*cr7+so
    assert cpu.gpr[5] == 0


def test_setb_lt_gives_minus_one(step1: Step) -> None:
    cpu = step1(0x7CAC0100, cr=(LT | GT) << 16)  # setb r5,cr3
    assert cpu.gpr[5] == M64


def test_setb_gt_gives_one(step1: Step) -> None:
    cpu = step1(0x7CAC0100, cr=GT << 16)  # setb r5,cr3
    assert cpu.gpr[5] == 1


def test_setb_eq_gives_zero(step1: Step) -> None:
    cpu = step1(0x7CA00100, r5=7, cr=(EQ | SO) << 28)  # setb r5,cr0
    assert cpu.gpr[5] == 0
    assert cpu.cr == (EQ | SO) << 28
