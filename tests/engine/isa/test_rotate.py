"""Rotates (rlw*, rld*) with wrapping masks, and shifts with CA/CA32."""

from __future__ import annotations

from collections.abc import Callable

from engine.cpu import VCPU

from .conftest import CODE
from .flags import EQ, GT, LT, M64, MSR_32BIT, XER_CA, XER_CA32, crf, flags, xer

Step = Callable[..., VCPU]
X = 0x89AB_CDEF_1234_5678
R5 = 0xAAAA_AAAA_5555_5555
IMIN64 = 1 << 63


# -- 32-bit rotates -------------------------------------------------------------------------
def test_rlwinm_extracts_byte(step1: Step) -> None:
    cpu = step1(0x5465463E, r3=X)  # rlwinm r5,r3,8,24,31
    assert cpu.gpr[5] == 0x12
    assert cpu.cr == 0
    assert cpu.nia == CODE + 4


def test_rlwinm_dot_wrapping_mask_keeps_doubled_word_in_high_half(step1: Step) -> None:
    cpu = step1(0x54654707, r3=X)  # rlwinm. r5,r3,8,28,3
    # ROTL32 doubles the rotated word; MASK(60,35) wraps and keeps bits 0:35.
    assert cpu.gpr[5] == 0x3456_7812_3000_0002
    assert crf(cpu, 0) == GT


def test_rlwinm_full_mask_zero_extends_low_word(step1: Step) -> None:
    cpu = step1(0x5465003E, r3=X)  # rlwinm r5,r3,0,0,31
    assert cpu.gpr[5] == 0x1234_5678


def test_rlwnm_rotates_by_low_five_bits_of_rb(step1: Step) -> None:
    cpu = step1(0x5C65243E, r3=X, r4=0xFF08)  # rlwnm r5,r3,r4,16,31
    assert cpu.gpr[5] == 0x7812


def test_rlwimi_inserts_under_mask(step1: Step) -> None:
    cpu = step1(0x5065442E, r3=X, r5=R5)  # rlwimi r5,r3,8,16,23
    assert cpu.gpr[5] == 0xAAAA_AAAA_5555_7855


def test_rlwimi_wrapping_mask_replaces_high_word(step1: Step) -> None:
    cpu = step1(0x50652706, r3=X, r5=R5)  # rlwimi r5,r3,4,28,3
    assert cpu.gpr[5] == 0x2345_6781_2555_5551


# -- 64-bit rotates -------------------------------------------------------------------------
def test_rldicl_rotates_and_clears_left(step1: Step) -> None:
    cpu = step1(0x78654620, r3=X)  # rldicl r5,r3,8,56
    assert cpu.gpr[5] == 0x89


def test_rldicl_without_rotate_clears_high_word(step1: Step) -> None:
    cpu = step1(0x78650020, r3=X)  # rldicl r5,r3,0,32 (clrldi r5,r3,32)
    assert cpu.gpr[5] == 0x1234_5678


def test_rldicr_dot_keeps_top_byte(step1: Step) -> None:
    cpu = step1(0x786541C5, r3=X)  # rldicr. r5,r3,8,7
    assert cpu.gpr[5] == 0xAB00_0000_0000_0000
    assert crf(cpu, 0) == LT


def test_rldic_clears_both_sides(step1: Step) -> None:
    cpu = step1(0x78654228, r3=X)  # rldic r5,r3,8,40
    assert cpu.gpr[5] == 0x56_7800


def test_rldic_wrapping_mask(step1: Step) -> None:
    cpu = step1(0x7865E20A, r3=X)  # rldic r5,r3,60,8: MASK(8,3) wraps
    assert cpu.gpr[5] == 0x809A_BCDE_F123_4567


def test_rldimi_inserts(step1: Step) -> None:
    cpu = step1(0x7865802C, r3=X, r5=R5)  # rldimi r5,r3,16,32
    assert cpu.gpr[5] == 0xAAAA_AAAA_5678_5555


def test_rldcl_rotates_by_low_six_bits_of_rb(step1: Step) -> None:
    cpu = step1(0x78652630, r3=X, r4=0x108)  # rldcl r5,r3,r4,56
    assert cpu.gpr[5] == 0x89


def test_rldcr_rotates_and_clears_right(step1: Step) -> None:
    cpu = step1(0x786521D2, r3=X, r4=0x108)  # rldcr r5,r3,r4,7
    assert cpu.gpr[5] == 0xAB00_0000_0000_0000


# -- logical shifts -----------------------------------------------------------------------
def test_slw_drops_high_word_and_bits_shifted_out(step1: Step) -> None:
    cpu = step1(0x7C652030, r3=0xFFFF_FFFF_8000_0001, r4=1)  # slw r5,r3,r4
    assert cpu.gpr[5] == 2


def test_slw_by_32_or_more_is_zero(step1: Step) -> None:
    cpu = step1(0x7C652030, r3=0xFFFF_FFFF, r4=32)  # slw r5,r3,r4
    assert cpu.gpr[5] == 0


def test_slw_uses_six_bits_of_rb(step1: Step) -> None:
    cpu = step1(0x7C652030, r3=1, r4=0x41)  # slw r5,r3,r4 (0x41 & 0x3f = 1)
    assert cpu.gpr[5] == 2


def test_slw_dot_word_result_is_positive_in_64bit_mode(step1: Step) -> None:
    cpu = step1(0x7C652031, r3=0x4000_0000, r4=1)  # slw. r5,r3,r4
    assert cpu.gpr[5] == 0x8000_0000
    assert crf(cpu, 0) == GT


def test_slw_dot_in_32bit_mode_compares_low_word(step1: Step) -> None:
    cpu = step1(0x7C652031, msr=MSR_32BIT, r3=0x4000_0000, r4=1)  # slw. r5,r3,r4
    assert cpu.gpr[5] == 0x8000_0000
    assert crf(cpu, 0) == LT


def test_srw_shifts_low_word_right(step1: Step) -> None:
    cpu = step1(0x7C652430, r3=0xFFFF_FFFF_8000_0000, r4=4)  # srw r5,r3,r4
    assert cpu.gpr[5] == 0x0800_0000


def test_sld_by_63(step1: Step) -> None:
    cpu = step1(0x7C652036, r3=1, r4=63)  # sld r5,r3,r4
    assert cpu.gpr[5] == IMIN64


def test_sld_by_64_is_zero(step1: Step) -> None:
    cpu = step1(0x7C652036, r3=M64, r4=64)  # sld r5,r3,r4
    assert cpu.gpr[5] == 0


def test_sld_uses_seven_bits_of_rb(step1: Step) -> None:
    cpu = step1(0x7C652036, r3=1, r4=0x80)  # sld r5,r3,r4 (0x80 & 0x7f = 0)
    assert cpu.gpr[5] == 1


def test_srd_dot_by_64_is_zero_eq(step1: Step) -> None:
    cpu = step1(0x7C652437, r3=M64, r4=64)  # srd. r5,r3,r4
    assert cpu.gpr[5] == 0
    assert crf(cpu, 0) == EQ


# -- algebraic shifts ---------------------------------------------------------------------
def test_sraw_negative_with_ones_shifted_out_sets_ca_and_ca32(step1: Step) -> None:
    cpu = step1(0x7C652630, r3=0x8000_0001, r4=4)  # sraw r5,r3,r4
    assert cpu.gpr[5] == 0xFFFF_FFFF_F800_0000
    assert xer(cpu) == flags(ca=1, ca32=1)


def test_sraw_dot_negative_exact_clears_ca(step1: Step) -> None:
    cpu = step1(0x7C652631, r3=0xFFFF_FF00, r4=4, xer=XER_CA | XER_CA32)  # sraw. r5,r3,r4
    assert cpu.gpr[5] == -16 & M64
    assert xer(cpu) == flags()
    assert crf(cpu, 0) == LT


def test_sraw_by_32_or_more_gives_sign(step1: Step) -> None:
    cpu = step1(0x7C652630, r3=0x8000_0000, r4=33)  # sraw r5,r3,r4
    assert cpu.gpr[5] == M64
    assert xer(cpu) == flags(ca=1, ca32=1)


def test_sraw_positive_by_32_is_zero_without_ca(step1: Step) -> None:
    cpu = step1(0x7C652630, r3=0xFFFF_FFFF_7FFF_FFFF, r4=32)  # sraw r5,r3,r4
    assert cpu.gpr[5] == 0
    assert xer(cpu) == flags()


def test_srawi_minus_one_sets_ca(step1: Step) -> None:
    cpu = step1(0x7C652670, r3=M64)  # srawi r5,r3,4
    assert cpu.gpr[5] == M64
    assert xer(cpu) == flags(ca=1, ca32=1)


def test_srawi_by_zero_sign_extends_and_clears_ca(step1: Step) -> None:
    cpu = step1(0x7C650670, r3=0x1_8000_0000, xer=XER_CA | XER_CA32)  # srawi r5,r3,0
    assert cpu.gpr[5] == 0xFFFF_FFFF_8000_0000
    assert xer(cpu) == flags()


def test_srad_negative_sets_ca(step1: Step) -> None:
    cpu = step1(0x7C652634, r3=IMIN64 | 1, r4=1)  # srad r5,r3,r4
    assert cpu.gpr[5] == 0xC000_0000_0000_0000
    assert xer(cpu) == flags(ca=1, ca32=1)


def test_srad_by_64_or_more_gives_sign(step1: Step) -> None:
    cpu = step1(0x7C652634, r3=IMIN64, r4=64)  # srad r5,r3,r4
    assert cpu.gpr[5] == M64
    assert xer(cpu) == flags(ca=1, ca32=1)


def test_sradi_negative_exact_clears_ca(step1: Step) -> None:
    cpu = step1(0x7C652674, r3=-256 & M64, xer=XER_CA)  # sradi r5,r3,4
    assert cpu.gpr[5] == -16 & M64
    assert xer(cpu) == flags()


def test_sradi_dot_by_63(step1: Step) -> None:
    cpu = step1(0x7C65FE77, r3=-2 & M64)  # sradi. r5,r3,63
    assert cpu.gpr[5] == M64
    assert xer(cpu) == flags(ca=1, ca32=1)
    assert crf(cpu, 0) == LT


def test_extswsli_sign_extends_then_shifts(step1: Step) -> None:
    cpu = step1(0x7C6546F6, r3=0xFFFF_FFFF_8000_0001)  # extswsli r5,r3,40
    assert cpu.gpr[5] == 0x100_0000_0000
    assert xer(cpu) == flags()


def test_extswsli_dot_of_zero_low_word_is_eq(step1: Step) -> None:
    cpu = step1(0x7C6506F5, r3=0x1_0000_0000)  # extswsli. r5,r3,0
    assert cpu.gpr[5] == 0
    assert crf(cpu, 0) == EQ
