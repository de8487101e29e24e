"""Logical instructions: boolean ops with Rc, immediates, sign extension, counts,
population and parity, bpermd and cmpb."""

from __future__ import annotations

from collections.abc import Callable

from engine.cpu import VCPU

from .conftest import CODE
from .flags import EQ, GT, LT, M64, MSR_32BIT, SO, XER_SO, crf, flags, xer

Step = Callable[..., VCPU]
A = 0xF0F0_0000_FFFF_0000
B = 0xFF00_FF00_0F0F_0000


def test_and_leaves_cr_and_xer(step1: Step) -> None:
    cpu = step1(0x7C652038, r3=A, r4=B, cr=0x1234_5678)  # and r5,r3,r4
    assert cpu.gpr[5] == A & B
    assert cpu.cr == 0x1234_5678
    assert xer(cpu) == flags()
    assert cpu.nia == CODE + 4


def test_and_dot_sets_cr0_lt_and_copies_so(step1: Step) -> None:
    cpu = step1(0x7C652039, r3=A, r4=B, xer=XER_SO)  # and. r5,r3,r4
    assert cpu.gpr[5] == 0xF000_0000_0F0F_0000
    assert cpu.cr == (LT | SO) << 28
    assert xer(cpu) == flags(so=1)


def test_andc_clears_rb_bits(step1: Step) -> None:
    cpu = step1(0x7C652078, r3=A, r4=B)  # andc r5,r3,r4
    assert cpu.gpr[5] == A & ~B & M64


def test_or_combines(step1: Step) -> None:
    cpu = step1(0x7C652378, r3=A, r4=B)  # or r5,r3,r4
    assert cpu.gpr[5] == A | B


def test_or_same_register_is_move(step1: Step) -> None:
    cpu = step1(0x7C651B78, r3=A)  # or r5,r3,r3 (mr r5,r3)
    assert cpu.gpr[5] == A
    assert cpu.cr == 0


def test_or_dot_in_32bit_mode_compares_low_word(step1: Step) -> None:
    cpu = step1(0x7C652379, msr=MSR_32BIT, r3=0x1_0000_0000, r4=0)  # or. r5,r3,r4
    assert cpu.gpr[5] == 0x1_0000_0000
    assert crf(cpu, 0) == EQ


def test_orc_ors_complement(step1: Step) -> None:
    cpu = step1(0x7C652338, r3=0, r4=B)  # orc r5,r3,r4
    assert cpu.gpr[5] == ~B & M64


def test_xor_dot_of_self_is_zero_eq(step1: Step) -> None:
    cpu = step1(0x7C651A79, r3=A)  # xor. r5,r3,r3
    assert cpu.gpr[5] == 0
    assert cpu.cr == EQ << 28


def test_xor_differs(step1: Step) -> None:
    cpu = step1(0x7C652278, r3=A, r4=B)  # xor r5,r3,r4
    assert cpu.gpr[5] == A ^ B


def test_nand(step1: Step) -> None:
    cpu = step1(0x7C6523B8, r3=A, r4=B)  # nand r5,r3,r4
    assert cpu.gpr[5] == ~(A & B) & M64


def test_nor_same_register_is_not(step1: Step) -> None:
    cpu = step1(0x7C6518F8, r3=A)  # nor r5,r3,r3 (not r5,r3)
    assert cpu.gpr[5] == ~A & M64


def test_eqv_dot(step1: Step) -> None:
    cpu = step1(0x7C652239, r3=A, r4=A ^ 1)  # eqv. r5,r3,r4
    assert cpu.gpr[5] == M64 - 1
    assert crf(cpu, 0) == LT


# -- immediates ----------------------------------------------------------------------
def test_andi_dot_always_sets_cr0(step1: Step) -> None:
    cpu = step1(0x70658001, r3=M64)  # andi. r5,r3,0x8001
    assert cpu.gpr[5] == 0x8001
    assert cpu.cr == GT << 28


def test_andi_dot_zero_result_is_eq(step1: Step) -> None:
    cpu = step1(0x70658001, r3=0x7FFE, xer=XER_SO)  # andi. r5,r3,0x8001
    assert cpu.gpr[5] == 0
    assert cpu.cr == (EQ | SO) << 28


def test_andis_dot_masks_upper_halfword_of_low_word(step1: Step) -> None:
    cpu = step1(0x74658001, r3=M64)  # andis. r5,r3,0x8001
    assert cpu.gpr[5] == 0x8001_0000
    assert cpu.cr == GT << 28


def test_ori_zero_extends_immediate(step1: Step) -> None:
    cpu = step1(0x60658001, r3=0x1_0000_0000)  # ori r5,r3,0x8001
    assert cpu.gpr[5] == 0x1_0000_8001
    assert cpu.cr == 0


def test_oris_shifts_immediate(step1: Step) -> None:
    cpu = step1(0x64658001, r3=1)  # oris r5,r3,0x8001
    assert cpu.gpr[5] == 0x8001_0001


def test_xori(step1: Step) -> None:
    cpu = step1(0x68658001, r3=M64)  # xori r5,r3,0x8001
    assert cpu.gpr[5] == M64 ^ 0x8001


def test_xoris(step1: Step) -> None:
    cpu = step1(0x6C658001, r3=M64)  # xoris r5,r3,0x8001
    assert cpu.gpr[5] == M64 ^ 0x8001_0000


# -- sign extension -----------------------------------------------------------------------
def test_extsb_extends_negative_byte(step1: Step) -> None:
    cpu = step1(0x7C650774, r3=0x1234_5680)  # extsb r5,r3
    assert cpu.gpr[5] == 0xFFFF_FFFF_FFFF_FF80


def test_extsb_dot_positive_byte(step1: Step) -> None:
    cpu = step1(0x7C650775, r3=0xFFFF_FF7F)  # extsb. r5,r3
    assert cpu.gpr[5] == 0x7F
    assert cpu.cr == GT << 28


def test_extsh_extends_halfword(step1: Step) -> None:
    cpu = step1(0x7C650734, r3=0x8000)  # extsh r5,r3
    assert cpu.gpr[5] == 0xFFFF_FFFF_FFFF_8000


def test_extsw_dot_extends_word(step1: Step) -> None:
    cpu = step1(0x7C6507B5, r3=0x1_8000_0000)  # extsw. r5,r3
    assert cpu.gpr[5] == 0xFFFF_FFFF_8000_0000
    assert cpu.cr == LT << 28


# -- counts -----------------------------------------------------------------------------
def test_cntlzw_counts_in_low_word(step1: Step) -> None:
    cpu = step1(0x7C650034, r3=0xFFFF_FFFF_0000_8000)  # cntlzw r5,r3
    assert cpu.gpr[5] == 16


def test_cntlzw_dot_of_zero_word_is_32(step1: Step) -> None:
    cpu = step1(0x7C650035, r3=0xFFFF_FFFF_0000_0000)  # cntlzw. r5,r3
    assert cpu.gpr[5] == 32
    assert cpu.cr == GT << 28


def test_cntlzd_of_zero_is_64(step1: Step) -> None:
    cpu = step1(0x7C650074, r3=0)  # cntlzd r5,r3
    assert cpu.gpr[5] == 64


def test_cnttzw_of_zero_low_word_is_32(step1: Step) -> None:
    cpu = step1(0x7C650434, r3=0x8000_0000_0000_0000)  # cnttzw r5,r3
    assert cpu.gpr[5] == 32


def test_cnttzd_dot_counts_trailing_zeros(step1: Step) -> None:
    cpu = step1(0x7C650475, r3=0x100_0000_0000)  # cnttzd. r5,r3
    assert cpu.gpr[5] == 40
    assert cpu.cr == GT << 28


def test_popcntb_counts_each_byte(step1: Step) -> None:
    cpu = step1(0x7C6500F4, r3=0xFF01_0300_7F80_0F00)  # popcntb r5,r3
    assert cpu.gpr[5] == 0x0801_0200_0701_0400


def test_popcntw_counts_each_word(step1: Step) -> None:
    cpu = step1(0x7C6502F4, r3=0xFFFF_FFFF_0000_0101)  # popcntw r5,r3
    assert cpu.gpr[5] == 0x0000_0020_0000_0002


def test_popcntd_counts_doubleword(step1: Step) -> None:
    cpu = step1(0x7C6503F4, r3=M64)  # popcntd r5,r3
    assert cpu.gpr[5] == 64


def test_prtyw_parity_of_byte_low_bits_per_word(step1: Step) -> None:
    cpu = step1(0x7C650134, r3=0x0101_0001_0100_0000)  # prtyw r5,r3
    assert cpu.gpr[5] == 0x0000_0001_0000_0001


def test_prtyd_parity_of_all_byte_low_bits(step1: Step) -> None:
    cpu = step1(0x7C650174, r3=0x0101_0001_0100_0000)  # prtyd r5,r3
    assert cpu.gpr[5] == 0


def test_bpermd_gathers_indexed_bits(step1: Step) -> None:
    # indexes 0,63,64(out of range),1,.. select RB bits 0 and 63 only
    cpu = step1(0x7C6521F8, r3=0x003F_4001_0202_0202, r4=0x8000_0000_0000_0001)  # bpermd r5,r3,r4
    assert cpu.gpr[5] == 0b1100_0000


def test_cmpb_marks_equal_bytes(step1: Step) -> None:
    cpu = step1(0x7C6523F8, r3=0x1122_3344_5566_7788, r4=0x1122_0044_5500_7788)  # cmpb r5,r3,r4
    assert cpu.gpr[5] == 0xFFFF_00FF_FF00_FFFF
    assert cpu.cr == 0
