"""The add/subtract family: results, CA/CA32, OV/OV32/SO, CR0, 32-bit mode."""

from __future__ import annotations

from collections.abc import Callable

from engine.cpu import VCPU

from .conftest import CODE

Step = Callable[..., VCPU]
M64 = (1 << 64) - 1


def test_addi_adds_signed_immediate(step1: Step) -> None:
    cpu = step1(0x3883FFFF, r3=5)  # addi r4,r3,-1
    assert cpu.gpr[4] == 4
    assert cpu.nia == CODE + 4


def test_addi_with_ra0_loads_immediate(step1: Step) -> None:
    cpu = step1(0x38808000, r0=123)  # li r4,-32768
    assert cpu.gpr[4] == (-32768) & M64


def test_addis_shifts_immediate(step1: Step) -> None:
    cpu = step1(0x3C831234, r3=1)  # addis r4,r3,0x1234
    assert cpu.gpr[4] == 0x12340001


def test_addc_sets_ca_and_ca32(step1: Step) -> None:
    cpu = step1(0x7C832014, r3=M64, r4=1)  # addc r4,r3,r4
    assert cpu.gpr[4] == 0
    assert (cpu.ca, cpu.ca32) == (1, 1)


def test_addo_dot_sets_ov_so_and_cr0(step1: Step) -> None:
    cpu = step1(0x7CA32615, r3=0x7FFFFFFFFFFFFFFF, r4=1)  # addo. r5,r3,r4
    assert cpu.gpr[5] == 0x8000000000000000
    assert (cpu.ov, cpu.so, cpu.ov32) == (1, 1, 0)
    assert cpu.cr >> 28 == 0b1001  # LT and SO


def test_subf_subtracts_ra_from_rb(step1: Step) -> None:
    cpu = step1(0x7CA32050, r3=7, r4=5)  # subf r5,r3,r4
    assert cpu.gpr[5] == (5 - 7) & M64


def test_subfe_uses_carry_in(step1: Step) -> None:
    cpu = step1(0x7CA32110, r3=1, r4=1, xer=0x20000000)  # subfe r5,r3,r4
    assert cpu.gpr[5] == 0
    assert cpu.ca == 1


def test_neg_of_minimum_overflows(step1: Step) -> None:
    cpu = step1(0x7C8304D0, r3=1 << 63)  # nego r4,r3
    assert cpu.gpr[4] == 1 << 63
    assert cpu.ov == 1 and cpu.so == 1


def test_addc_in_32bit_mode_takes_carry_from_low_word(step1: Step) -> None:
    cpu = step1(0x7C832014, msr=0x1000000000000000, r3=0xFFFFFFFF, r4=1)  # addc r4,r3,r4
    assert cpu.gpr[4] == 0x100000000
    assert (cpu.ca, cpu.ca32) == (1, 1)
