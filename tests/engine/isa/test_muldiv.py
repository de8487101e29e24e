"""Multiply, divide, modulo, multiply-add, addpcis and darn.

Results the ISA leaves undefined (divide by zero, overflow, the high word of
mulhw) are QEMU 7.2's, measured on qemu-system-ppc64 -M powernv9.
"""

from __future__ import annotations

from collections.abc import Callable

from engine.cpu import VCPU

from .conftest import CODE, make_cpu
from .flags import EQ, GT, LT, M32, M64, MSR_32BIT, SO, XER_OV, XER_SO, crf, flags, xer

Step = Callable[..., VCPU]
IMIN64 = 1 << 63


# -- multiply -------------------------------------------------------------------------
def test_mulli_keeps_low_64_bits_of_signed_product(step1: Step) -> None:
    cpu = step1(0x1C83FFF9, r3=0x123456789)  # mulli r4,r3,-7
    assert cpu.gpr[4] == (0x123456789 * -7) & M64
    assert cpu.gpr[3] == 0x123456789
    assert cpu.nia == CODE + 4


def test_mullw_gives_full_64_bit_product_of_low_words(step1: Step) -> None:
    cpu = step1(0x7CA321D6, r3=0xFFFF_FFFF_8000_0000, r4=0x1_0000_0002)  # mullw r5,r3,r4
    assert cpu.gpr[5] == (-(1 << 31) * 2) & M64
    assert xer(cpu) == flags()


def test_mullwo_dot_sets_ov_ov32_so_when_product_exceeds_32_bits(step1: Step) -> None:
    cpu = step1(0x7CA325D7, r3=0x10000, r4=0x10000)  # mullwo. r5,r3,r4
    assert cpu.gpr[5] == 0x1_0000_0000
    assert xer(cpu) == flags(so=1, ov=1, ov32=1)
    assert crf(cpu, 0) == GT | SO


def test_mullwo_clears_ov_but_keeps_so(step1: Step) -> None:
    cpu = step1(0x7CA325D7, r3=-3, r4=5, xer=XER_SO | XER_OV)  # mullwo. r5,r3,r4
    assert cpu.gpr[5] == -15 & M64
    assert xer(cpu) == flags(so=1)
    assert crf(cpu, 0) == LT | SO


def test_mulhw_high_word_is_zero_extended_as_qemu(step1: Step) -> None:
    cpu = step1(0x7CA32097, r3=-6, r4=5)  # mulhw. r5,r3,r4
    assert cpu.gpr[5] == 0xFFFF_FFFF  # high word of -30; QEMU zero-extends
    assert crf(cpu, 0) == GT  # 64-bit CR0 of a zero-extended value


def test_mulhw_dot_in_32bit_mode_compares_low_word(step1: Step) -> None:
    cpu = step1(0x7CA32097, msr=MSR_32BIT, r3=-6, r4=5)  # mulhw. r5,r3,r4
    assert cpu.gpr[5] == 0xFFFF_FFFF
    assert crf(cpu, 0) == LT


def test_mulhwu_is_unsigned_high_word(step1: Step) -> None:
    cpu = step1(0x7CA32016, r3=0xFFFF_FFFF, r4=0xFFFF_FFFF)  # mulhwu r5,r3,r4
    assert cpu.gpr[5] == 0xFFFF_FFFE


def test_mulld_keeps_low_doubleword(step1: Step) -> None:
    cpu = step1(0x7CA321D2, r3=M64, r4=M64)  # mulld r5,r3,r4
    assert cpu.gpr[5] == 1
    assert xer(cpu) == flags()


def test_mulldo_negative_result_that_fits_does_not_overflow(step1: Step) -> None:
    cpu = step1(0x7CA325D3, r3=1, r4=M64)  # mulldo. r5,r3,r4
    assert cpu.gpr[5] == M64
    assert xer(cpu) == flags()
    assert crf(cpu, 0) == LT


def test_mulldo_overflow_sets_ov_and_ov32(step1: Step) -> None:
    cpu = step1(0x7CA325D3, r3=1 << 62, r4=2)  # mulldo. r5,r3,r4
    assert cpu.gpr[5] == IMIN64
    assert xer(cpu) == flags(so=1, ov=1, ov32=1)
    assert crf(cpu, 0) == LT | SO


def test_mulhd_signed_high_doubleword(step1: Step) -> None:
    cpu = step1(0x7CA32092, r3=-1 & M64, r4=2)  # mulhd r5,r3,r4
    assert cpu.gpr[5] == M64


def test_mulhdu_unsigned_high_doubleword(step1: Step) -> None:
    cpu = step1(0x7CA32012, r3=M64, r4=2)  # mulhdu r5,r3,r4
    assert cpu.gpr[5] == 1


# -- divide -------------------------------------------------------------------------------
def test_divw_truncates_toward_zero_and_zero_extends(step1: Step) -> None:
    cpu = step1(0x7CA323D6, r3=-7 & M64, r4=2)  # divw r5,r3,r4
    assert cpu.gpr[5] == (-3) & M32  # QEMU: quotient zero-extended
    assert xer(cpu) == flags()


def test_divwo_by_zero_returns_dividend_low_word_and_sets_ov(step1: Step) -> None:
    cpu = step1(0x7CA327D7, r3=0x1_8000_0005, r4=0)  # divwo. r5,r3,r4
    assert cpu.gpr[5] == 0x8000_0005
    assert xer(cpu) == flags(so=1, ov=1, ov32=1)
    assert crf(cpu, 0) == GT | SO  # 64-bit compare of the zero-extended value


def test_divwo_min_by_minus_one_overflows(step1: Step) -> None:
    cpu = step1(0x7CA327D7, r3=0x8000_0000, r4=M64)  # divwo. r5,r3,r4
    assert cpu.gpr[5] == 0x8000_0000
    assert xer(cpu) == flags(so=1, ov=1, ov32=1)
    assert crf(cpu, 0) == GT | SO


def test_divwo_in_32bit_mode_cr0_sees_negative_low_word(step1: Step) -> None:
    cpu = step1(0x7CA327D7, msr=MSR_32BIT, r3=0x8000_0000, r4=M64)  # divwo. r5,r3,r4
    assert cpu.gpr[5] == 0x8000_0000
    assert xer(cpu) == flags(so=1, ov=1, ov32=1)
    assert crf(cpu, 0) == LT | SO


def test_divwu_by_zero_without_oe_leaves_xer(step1: Step) -> None:
    cpu = step1(0x7CA32396, r3=0xFFFF_FFFF_1234_5678, r4=0, xer=XER_OV)  # divwu r5,r3,r4
    assert cpu.gpr[5] == 0x1234_5678
    assert xer(cpu) == flags(ov=1)


def test_divwuo_clears_ov_on_good_division(step1: Step) -> None:
    cpu = step1(0x7CA32796, r3=0xFFFF_FFFF, r4=0x1_0000_0010, xer=XER_OV)  # divwuo r5,r3,r4
    assert cpu.gpr[5] == 0xFFFF_FFFF // 16
    assert xer(cpu) == flags()


def test_divd_signed_quotient(step1: Step) -> None:
    cpu = step1(0x7CA323D2, r3=-100 & M64, r4=7)  # divd r5,r3,r4
    assert cpu.gpr[5] == -14 & M64


def test_divdo_min_by_minus_one_returns_dividend(step1: Step) -> None:
    cpu = step1(0x7CA327D2, r3=IMIN64, r4=M64)  # divdo r5,r3,r4
    assert cpu.gpr[5] == IMIN64
    assert xer(cpu) == flags(so=1, ov=1, ov32=1)
    assert cpu.cr == 0


def test_divduo_dot_by_zero_returns_dividend(step1: Step) -> None:
    cpu = step1(0x7CA32793, r3=0x1234, r4=0)  # divduo. r5,r3,r4
    assert cpu.gpr[5] == 0x1234
    assert xer(cpu) == flags(so=1, ov=1, ov32=1)
    assert crf(cpu, 0) == GT | SO


def test_divdu_unsigned_quotient(step1: Step) -> None:
    cpu = step1(0x7CA32392, r3=M64, r4=2)  # divdu r5,r3,r4
    assert cpu.gpr[5] == M64 // 2


def test_divwe_divides_word_shifted_left_32(step1: Step) -> None:
    cpu = step1(0x7CA32356, r3=1, r4=4)  # divwe r5,r3,r4
    assert cpu.gpr[5] == 0x4000_0000


def test_divwe_negative_quotient_is_sign_extended(step1: Step) -> None:
    cpu = step1(0x7CA32356, r3=1, r4=-4 & M64)  # divwe r5,r3,r4
    assert cpu.gpr[5] == -0x4000_0000 & M64


def test_divweo_overflow_gives_zero(step1: Step) -> None:
    cpu = step1(0x7CA32756, r3=1, r4=1)  # divweo r5,r3,r4
    assert cpu.gpr[5] == 0
    assert xer(cpu) == flags(so=1, ov=1, ov32=1)


def test_divweuo_by_zero_gives_zero(step1: Step) -> None:
    cpu = step1(0x7CA32716, r3=5, r4=0x1_0000_0000)  # divweuo r5,r3,r4 (low word 0)
    assert cpu.gpr[5] == 0
    assert xer(cpu) == flags(so=1, ov=1, ov32=1)


def test_divweu_quotient(step1: Step) -> None:
    cpu = step1(0x7CA32316, r3=1, r4=3)  # divweu r5,r3,r4
    assert cpu.gpr[5] == (1 << 32) // 3


def test_divde_quotient(step1: Step) -> None:
    cpu = step1(0x7CA32352, r3=1, r4=4)  # divde r5,r3,r4
    assert cpu.gpr[5] == 1 << 62


def test_divdeo_overflow_when_dividend_not_smaller(step1: Step) -> None:
    cpu = step1(0x7CA32752, r3=-3 & M64, r4=3)  # divdeo r5,r3,r4
    assert cpu.gpr[5] == 0
    assert xer(cpu) == flags(so=1, ov=1, ov32=1)


def test_divdeo_quotient_2_pow_63_is_not_flagged_as_qemu(step1: Step) -> None:
    # ISA: 2**63 does not fit, so overflow; QEMU 7.2 only checks |RA| >= |RB|.
    cpu = step1(0x7CA32752, r3=1, r4=2)  # divdeo r5,r3,r4
    assert cpu.gpr[5] == IMIN64
    assert xer(cpu) == flags()


def test_divdeuo_overflow_when_ra_not_below_rb(step1: Step) -> None:
    cpu = step1(0x7CA32712, r3=7, r4=7)  # divdeuo r5,r3,r4
    assert cpu.gpr[5] == 0
    assert xer(cpu) == flags(so=1, ov=1, ov32=1)


def test_divdeu_quotient(step1: Step) -> None:
    cpu = step1(0x7CA32312, r3=1, r4=3)  # divdeu r5,r3,r4
    assert cpu.gpr[5] == (1 << 64) // 3


# -- modulo ------------------------------------------------------------------------------
def test_modsw_remainder_takes_dividend_sign(step1: Step) -> None:
    cpu = step1(0x7CA32616, r3=-7 & M64, r4=2)  # modsw r5,r3,r4
    assert cpu.gpr[5] == -1 & M64  # sign-extended


def test_modsw_by_zero_is_zero(step1: Step) -> None:
    cpu = step1(0x7CA32616, r3=7, r4=0, xer=0)  # modsw r5,r3,r4
    assert cpu.gpr[5] == 0
    assert xer(cpu) == flags()
    assert cpu.cr == 0


def test_moduw_uses_low_words(step1: Step) -> None:
    cpu = step1(0x7CA32216, r3=0x5_0000_0007, r4=0x9_0000_0004)  # moduw r5,r3,r4
    assert cpu.gpr[5] == 3


def test_modsd_min_by_minus_one_is_zero(step1: Step) -> None:
    cpu = step1(0x7CA32612, r3=IMIN64, r4=M64)  # modsd r5,r3,r4
    assert cpu.gpr[5] == 0


def test_modud_remainder(step1: Step) -> None:
    cpu = step1(0x7CA32212, r3=M64, r4=10)  # modud r5,r3,r4
    assert cpu.gpr[5] == M64 % 10


def test_modud_by_zero_is_zero(step1: Step) -> None:
    cpu = step1(0x7CA32212, r3=M64, r4=0)  # modud r5,r3,r4
    assert cpu.gpr[5] == 0


# -- multiply-add -------------------------------------------------------------------------
def test_maddld_low_doubleword_of_product_plus_rc(step1: Step) -> None:
    cpu = step1(0x10A321B3, r3=M64, r4=M64, r6=5)  # maddld r5,r3,r4,r6
    assert cpu.gpr[5] == 6


def test_maddhd_signed_high_doubleword_with_sign_extended_addend(step1: Step) -> None:
    cpu = step1(0x10A321B0, r3=3, r4=5, r6=M64)  # maddhd r5,r3,r4,r6  (15 + -1)
    assert cpu.gpr[5] == 0


def test_maddhd_negative_sum_high_is_all_ones(step1: Step) -> None:
    cpu = step1(0x10A321B0, r3=3, r4=-5 & M64, r6=0)  # maddhd r5,r3,r4,r6
    assert cpu.gpr[5] == M64


def test_maddhdu_unsigned_carry_into_high(step1: Step) -> None:
    cpu = step1(0x10A321B1, r3=M64, r4=M64, r6=M64)  # maddhdu r5,r3,r4,r6
    assert cpu.gpr[5] == M64  # (2^64-1)^2 + 2^64-1 = (2^64-1) * 2^64


# -- addpcis and darn -------------------------------------------------------------------
def test_addpcis_adds_shifted_immediate_to_next_address(step1: Step) -> None:
    cpu = step1(0x4C800005)  # addpcis r4,1
    assert cpu.gpr[4] == CODE + 4 + 0x10000


def test_addpcis_negative_immediate(step1: Step) -> None:
    cpu = step1(0x4C9FFFC5)  # addpcis r4,-1
    assert cpu.gpr[4] == (CODE + 4 - 0x10000) & M64


def test_darn_32bit_value_is_zero_extended(step1: Step) -> None:
    cpu = step1(0x7CA005E6)  # darn r5,0
    assert cpu.gpr[5] <= M32


def test_darn_64bit_never_returns_error_value(step1: Step) -> None:
    cpu = step1(0x7CA105E6)  # darn r5,1
    assert cpu.gpr[5] != M64


def test_darn_is_repeatable_per_vcpu() -> None:
    words = [0x7CA205E6, 0x7CC205E6]  # darn r5,2 ; darn r6,2
    a, b = make_cpu(words), make_cpu(words)
    for cpu in (a, b):
        cpu.step()
        cpu.step()
    assert (a.gpr[5], a.gpr[6]) == (b.gpr[5], b.gpr[6])
    assert a.gpr[5] != a.gpr[6]


def test_darn_reserved_level_returns_error_value(step1: Step) -> None:
    cpu = step1(0x7CA305E6)  # darn r5,3 (L=3 is reserved)
    assert cpu.gpr[5] == M64


def test_mulhw_with_oe_bit_is_illegal(step1: Step) -> None:
    cpu = step1(0x7CA32496)  # mulhw r5,r3,r4 with bit 21 set: QEMU raises HEAI
    assert cpu.nia == 0xE40
    assert cpu.gpr[5] == 0


def test_rc0_eq_for_zero_quotient(step1: Step) -> None:
    cpu = step1(0x7CA32793, r3=1, r4=2)  # divduo. r5,r3,r4
    assert cpu.gpr[5] == 0
    assert crf(cpu, 0) == EQ
    assert xer(cpu) == flags()
