"""Loads and stores: every width and form in both byte orders, invalid forms, 32-bit mode,
load/store multiple and the string instructions.

Memory at DATA holds the bytes 0x80, 0x81, ... 0x9f, so every byte differs and every
halfword/word/doubleword has its sign bit set. r4 = DATA is the base, r6 = 8 the index.
"""

from __future__ import annotations

import pytest

from engine.cpu import VCPU
from engine.interrupts import EXCP_ALIGN, EXCP_HV_EMU, EXCP_PROGRAM
from engine.sprs import SPR_DAR, SPR_DSISR, SPR_HSRR0, SPR_SRR0, SPR_SRR1

from .conftest import CODE, make_cpu

M64 = (1 << 64) - 1
DATA = 0x2000
PATTERN = bytes(range(0x80, 0xA0))
MSR_32BIT_HV = 0x1000_0000_0000_0000  # SF=0, HV=1
SRR1_ILLEGAL = 0x80000


def run1(word: int, little: bool = False, **regs: int) -> VCPU:
    """Step ``word`` once with PATTERN at DATA, r4 = DATA and r6 = 8 unless given."""
    regs = {"r4": DATA, "r6": 8, **regs}
    cpu = make_cpu([word], little, **regs)
    cpu.mem.write_bytes(DATA, PATTERN, None)
    cpu.step()
    return cpu


def mem(cpu: VCPU, addr: int, n: int) -> bytes:
    return cpu.mem.read_bytes(addr, n)


ORDERS = [pytest.param(False, id="BE"), pytest.param(True, id="LE")]

# (assembly, word, value BE, value LE, r4 afterwards)
LOADS = [
    ("lbz r5,1(r4)", 0x88A40001, 0x81, 0x81, DATA),
    ("lbzu r5,1(r4)", 0x8CA40001, 0x81, 0x81, DATA + 1),
    ("lbzx r5,r4,r6", 0x7CA430AE, 0x88, 0x88, DATA),
    ("lbzux r5,r4,r6", 0x7CA430EE, 0x88, 0x88, DATA + 8),
    ("lhz r5,2(r4)", 0xA0A40002, 0x8283, 0x8382, DATA),
    ("lhzu r5,2(r4)", 0xA4A40002, 0x8283, 0x8382, DATA + 2),
    ("lhzx r5,r4,r6", 0x7CA4322E, 0x8889, 0x8988, DATA),
    ("lhzux r5,r4,r6", 0x7CA4326E, 0x8889, 0x8988, DATA + 8),
    ("lha r5,2(r4)", 0xA8A40002, 0xFFFF_FFFF_FFFF_8283, 0xFFFF_FFFF_FFFF_8382, DATA),
    ("lhau r5,2(r4)", 0xACA40002, 0xFFFF_FFFF_FFFF_8283, 0xFFFF_FFFF_FFFF_8382, DATA + 2),
    ("lhax r5,r4,r6", 0x7CA432AE, 0xFFFF_FFFF_FFFF_8889, 0xFFFF_FFFF_FFFF_8988, DATA),
    ("lhaux r5,r4,r6", 0x7CA432EE, 0xFFFF_FFFF_FFFF_8889, 0xFFFF_FFFF_FFFF_8988, DATA + 8),
    ("lwz r5,4(r4)", 0x80A40004, 0x8485_8687, 0x8786_8584, DATA),
    ("lwzu r5,4(r4)", 0x84A40004, 0x8485_8687, 0x8786_8584, DATA + 4),
    ("lwzx r5,r4,r6", 0x7CA4302E, 0x8889_8A8B, 0x8B8A_8988, DATA),
    ("lwzux r5,r4,r6", 0x7CA4306E, 0x8889_8A8B, 0x8B8A_8988, DATA + 8),
    ("lwa r5,4(r4)", 0xE8A40006, 0xFFFF_FFFF_8485_8687, 0xFFFF_FFFF_8786_8584, DATA),
    ("lwax r5,r4,r6", 0x7CA432AA, 0xFFFF_FFFF_8889_8A8B, 0xFFFF_FFFF_8B8A_8988, DATA),
    ("lwaux r5,r4,r6", 0x7CA432EA, 0xFFFF_FFFF_8889_8A8B, 0xFFFF_FFFF_8B8A_8988, DATA + 8),
    ("ld r5,8(r4)", 0xE8A40008, 0x8889_8A8B_8C8D_8E8F, 0x8F8E_8D8C_8B8A_8988, DATA),
    ("ldu r5,8(r4)", 0xE8A40009, 0x8889_8A8B_8C8D_8E8F, 0x8F8E_8D8C_8B8A_8988, DATA + 8),
    ("ldx r5,r4,r6", 0x7CA4302A, 0x8889_8A8B_8C8D_8E8F, 0x8F8E_8D8C_8B8A_8988, DATA),
    ("ldux r5,r4,r6", 0x7CA4306A, 0x8889_8A8B_8C8D_8E8F, 0x8F8E_8D8C_8B8A_8988, DATA + 8),
    ("lhbrx r5,r4,r6", 0x7CA4362C, 0x8988, 0x8889, DATA),
    ("lwbrx r5,r4,r6", 0x7CA4342C, 0x8B8A_8988, 0x8889_8A8B, DATA),
    ("ldbrx r5,r4,r6", 0x7CA43428, 0x8F8E_8D8C_8B8A_8988, 0x8889_8A8B_8C8D_8E8F, DATA),
]


@pytest.mark.parametrize("little", ORDERS)
@pytest.mark.parametrize(("asm", "word", "be", "le", "r4"), LOADS, ids=[x[0] for x in LOADS])
def test_load_form_reads_in_msr_le_order(
    asm: str, word: int, be: int, le: int, r4: int, little: bool
) -> None:
    cpu = run1(word, little)
    assert cpu.gpr[5] == (le if little else be)
    assert cpu.gpr[4] == r4
    assert cpu.gpr[6] == 8
    assert cpu.nia == CODE + 4


R5 = 0x0102_0304_0506_0708
# (assembly, word, EA, bytes BE, bytes LE, r4 afterwards)
STORES = [
    ("stb r5,1(r4)", 0x98A40001, DATA + 1, "08", "08", DATA),
    ("stbu r5,1(r4)", 0x9CA40001, DATA + 1, "08", "08", DATA + 1),
    ("stbx r5,r4,r6", 0x7CA431AE, DATA + 8, "08", "08", DATA),
    ("stbux r5,r4,r6", 0x7CA431EE, DATA + 8, "08", "08", DATA + 8),
    ("sth r5,2(r4)", 0xB0A40002, DATA + 2, "0708", "0807", DATA),
    ("sthu r5,2(r4)", 0xB4A40002, DATA + 2, "0708", "0807", DATA + 2),
    ("sthx r5,r4,r6", 0x7CA4332E, DATA + 8, "0708", "0807", DATA),
    ("sthux r5,r4,r6", 0x7CA4336E, DATA + 8, "0708", "0807", DATA + 8),
    ("stw r5,4(r4)", 0x90A40004, DATA + 4, "05060708", "08070605", DATA),
    ("stwu r5,4(r4)", 0x94A40004, DATA + 4, "05060708", "08070605", DATA + 4),
    ("stwx r5,r4,r6", 0x7CA4312E, DATA + 8, "05060708", "08070605", DATA),
    ("stwux r5,r4,r6", 0x7CA4316E, DATA + 8, "05060708", "08070605", DATA + 8),
    ("std r5,8(r4)", 0xF8A40008, DATA + 8, "0102030405060708", "0807060504030201", DATA),
    ("stdu r5,8(r4)", 0xF8A40009, DATA + 8, "0102030405060708", "0807060504030201", DATA + 8),
    ("stdx r5,r4,r6", 0x7CA4312A, DATA + 8, "0102030405060708", "0807060504030201", DATA),
    ("stdux r5,r4,r6", 0x7CA4316A, DATA + 8, "0102030405060708", "0807060504030201", DATA + 8),
    ("sthbrx r5,r4,r6", 0x7CA4372C, DATA + 8, "0807", "0708", DATA),
    ("stwbrx r5,r4,r6", 0x7CA4352C, DATA + 8, "08070605", "05060708", DATA),
    ("stdbrx r5,r4,r6", 0x7CA43528, DATA + 8, "0807060504030201", "0102030405060708", DATA),
]


@pytest.mark.parametrize("little", ORDERS)
@pytest.mark.parametrize(
    ("asm", "word", "ea", "be", "le", "r4"), STORES, ids=[x[0] for x in STORES]
)
def test_store_form_writes_in_msr_le_order(
    asm: str, word: int, ea: int, be: str, le: str, r4: int, little: bool
) -> None:
    cpu = run1(word, little, r5=R5)
    expect = bytes.fromhex(le if little else be)
    assert mem(cpu, ea, len(expect)) == expect
    # The bytes either side are untouched.
    assert mem(cpu, ea - 1, 1) == PATTERN[ea - 1 - DATA : ea - DATA]
    assert mem(cpu, ea + len(expect), 1) == PATTERN[ea + len(expect) - DATA :][:1]
    assert cpu.gpr[4] == r4
    assert cpu.gpr[5] == R5
    assert cpu.nia == CODE + 4


def test_load_with_ra0_uses_zero_not_r0() -> None:
    cpu = make_cpu([0x88A00000], r0=DATA)  # lbz r5,0(0)
    cpu.mem.write_bytes(0, b"\x5a", None)
    cpu.step()
    assert cpu.gpr[5] == 0x5A
    assert cpu.gpr[0] == DATA


def test_indexed_load_with_ra0_uses_rb_alone() -> None:
    cpu = run1(0x7CA030AE, r0=0x100, r6=DATA + 3)  # lbzx r5,0,r6
    assert cpu.gpr[5] == 0x83


def test_unaligned_load_is_allowed() -> None:
    cpu = run1(0x80A40001)  # lwz r5,1(r4)
    assert cpu.gpr[5] == 0x8182_8384
    assert cpu.nia == CODE + 4


def test_store_update_with_ra_equal_rs_stores_old_value() -> None:
    cpu = run1(0x9C840001)  # stbu r4,1(r4)
    assert mem(cpu, DATA + 1, 1) == bytes([DATA & 0xFF])
    assert cpu.gpr[4] == DATA + 1


def test_negative_displacement() -> None:
    cpu = run1(0xE8A4FFF8, r4=DATA + 16)  # ld r5,-8(r4)
    assert cpu.gpr[5] == 0x8889_8A8B_8C8D_8E8F


# -- invalid forms (ISA 3.0B 3.3.2: RA=0 or RA=RT for update loads; QEMU 7.2 raises HEAI) --
INVALID_UPDATES = [
    ("lbzu r5,0(0)", 0x8CA00000),
    ("lbzu r4,0(r4)", 0x8C840000),
    ("lhzux r4,r4,r6", 0x7C84326E),
    ("lhau r0,2(0)", 0xAC000002),
    ("lwzux r5,0,r6", 0x7CA0306E),
    ("lwaux r4,r4,r6", 0x7C8432EA),
    ("ldu r4,8(r4)", 0xE8840009),
    ("ldux r5,0,r6", 0x7CA0306A),
    ("stbu r5,1(0)", 0x9CA00001),
    ("sthux r5,0,r6", 0x7CA0336E),
    ("stwu r5,4(0)", 0x94A00004),
    ("stdu r5,8(0)", 0xF8A00009),
    ("stdux r5,0,r6", 0x7CA0316A),
]


@pytest.mark.parametrize(("asm", "word"), INVALID_UPDATES, ids=[x[0] for x in INVALID_UPDATES])
def test_invalid_update_form_raises_heai(asm: str, word: int) -> None:
    cpu = run1(word, r5=R5)
    assert cpu.nia == EXCP_HV_EMU
    assert cpu.spr[SPR_HSRR0] == CODE
    assert cpu.gpr[4] == DATA
    assert mem(cpu, DATA, 32) == PATTERN


def test_reserved_bit31_of_x_form_load_is_ignored() -> None:
    cpu = run1(0x7CA430AF)  # lbzx r5,r4,r6 with bit 31 set: QEMU 7.2 runs it too
    assert cpu.gpr[5] == 0x88
    assert cpu.nia == CODE + 4


# -- 32-bit mode: EAs truncate to 32 bits, update forms write the truncated EA -----------
def test_32bit_mode_truncates_ea() -> None:
    cpu = make_cpu([0x80A40010], r4=0xFFFF_FFFF_FFFF_FFF8, msr=MSR_32BIT_HV)  # lwz r5,0x10(r4)
    cpu.mem.write_bytes(8, b"\x11\x22\x33\x44", None)
    cpu.step()
    assert cpu.gpr[5] == 0x1122_3344
    assert cpu.nia == CODE + 4


def test_32bit_mode_update_writes_truncated_ea() -> None:
    cpu = run1(0x8CA40008, r4=0x1_0000_0000 | DATA, msr=MSR_32BIT_HV)  # lbzu r5,8(r4)
    assert cpu.gpr[5] == 0x88
    assert cpu.gpr[4] == DATA + 8  # QEMU 7.2 measured the same


def test_32bit_mode_indexed_store_truncates_ea() -> None:
    cpu = run1(0x7CA4316E, r4=0xFFFF_FFFF_0000_0000 | DATA, r5=R5, msr=MSR_32BIT_HV)  # stwux
    assert mem(cpu, DATA + 8, 4) == bytes.fromhex("05060708")
    assert cpu.gpr[4] == DATA + 8


# -- load/store multiple ----------------------------------------------------------------
def test_lmw_loads_rt_through_r31() -> None:
    cpu = run1(0xBB840004)  # lmw r28,4(r4)
    assert cpu.gpr[28:] == [0x8485_8687, 0x8889_8A8B, 0x8C8D_8E8F, 0x9091_9293]
    assert cpu.gpr[27] == 0
    assert cpu.nia == CODE + 4


def test_lmw_with_ra_in_range_loads_ra_too() -> None:
    # An invalid form (ISA); QEMU 7.2 loads every register from the EA computed first.
    cpu = run1(0xBB9E0000, r30=DATA)  # lmw r28,0(r30)
    assert cpu.gpr[28:] == [0x8081_8283, 0x8485_8687, 0x8889_8A8B, 0x8C8D_8E8F]


def test_lmw_unaligned_is_allowed_in_be() -> None:
    cpu = run1(0xBBC40002)  # lmw r30,2(r4)
    assert cpu.gpr[30:] == [0x8283_8485, 0x8687_8889]


def test_stmw_stores_low_words_of_rs_through_r31() -> None:
    cpu = run1(0xBFA40000, r29=0xAAAA_AAAA_0102_0304, r30=0x0506_0708, r31=M64)  # stmw r29,0(r4)
    assert mem(cpu, DATA, 13) == bytes.fromhex("01020304 05060708 ffffffff 8c")


@pytest.mark.parametrize(
    ("asm", "word", "ea", "dsisr"),
    [
        ("lmw r28,4(r4)", 0xBB840004, DATA + 4, (28 << 5) | 4),
        ("stmw r29,0(r4)", 0xBFA40000, DATA, (29 << 5) | 4),
    ],
)
def test_multiple_in_le_raises_alignment(asm: str, word: int, ea: int, dsisr: int) -> None:
    cpu = run1(word, little=True, r28=1, r29=2)
    assert cpu.nia == EXCP_ALIGN
    assert cpu.spr[SPR_SRR0] == CODE
    assert cpu.spr[SPR_SRR1] == 0x9000_0000_0000_0001
    assert cpu.spr[SPR_DAR] == ea
    assert cpu.spr[SPR_DSISR] == dsisr
    assert (cpu.gpr[28], cpu.gpr[29]) == (1, 2)
    assert mem(cpu, DATA, 32) == PATTERN


# -- string instructions -------------------------------------------------------------------
def test_lswi_loads_bytes_and_zero_fills_last_register() -> None:
    cpu = run1(0x7CA43CAA, r6=M64)  # lswi r5,r4,7
    assert cpu.gpr[5] == 0x8081_8283
    assert cpu.gpr[6] == 0x8485_8600
    assert cpu.gpr[7] == 0


def test_lswi_nb0_means_32_bytes() -> None:
    cpu = run1(0x7F0404AA)  # lswi r24,r4,32
    assert cpu.gpr[24:] == [int.from_bytes(PATTERN[i : i + 4], "big") for i in range(0, 32, 4)]


def test_lswi_wraps_from_r31_to_r0() -> None:
    cpu = run1(0x7FC464AA)  # lswi r30,r4,12
    assert (cpu.gpr[30], cpu.gpr[31], cpu.gpr[0]) == (0x8081_8283, 0x8485_8687, 0x8889_8A8B)


def test_lswi_with_ra_in_range_raises_heai() -> None:
    cpu = run1(0x7C6444AA)  # lswi r3,r4,8 (r3, r4): QEMU 7.2 refuses it as an invalid form
    assert cpu.nia == EXCP_HV_EMU
    assert cpu.spr[SPR_HSRR0] == CODE
    assert cpu.gpr[4] == DATA


def test_lswx_takes_count_from_xer() -> None:
    cpu = run1(0x7D44342A, xer=0x2000_0005)  # lswx r10,r4,r6
    assert (cpu.gpr[10], cpu.gpr[11]) == (0x8889_8A8B, 0x8C00_0000)
    assert cpu.xer == 0x2000_0005


def test_lswx_with_zero_count_leaves_rt() -> None:
    cpu = run1(0x7D44342A, r10=M64, xer=0)  # lswx r10,r4,r6
    assert cpu.gpr[10] == M64
    assert cpu.nia == CODE + 4


def test_lswx_with_rb_in_range_raises_program_illegal() -> None:
    # Found at run time by QEMU 7.2's helper: a program interrupt, SRR1 0x80000 (measured).
    cpu = run1(0x7CA4342A, xer=8)  # lswx r5,r4,r6 (r5, r6)
    assert cpu.nia == EXCP_PROGRAM
    assert cpu.spr[SPR_SRR0] == CODE
    assert cpu.spr[SPR_SRR1] == 0x9000_0000_0000_0000 | SRR1_ILLEGAL
    assert cpu.gpr[5] == 0


def test_stswi_stores_bytes_from_high_end_of_low_words() -> None:
    cpu = run1(0x7CA43DAA, r5=0xFFFF_FFFF_0102_0304, r6=0x0506_0708)  # stswi r5,r4,7
    assert mem(cpu, DATA, 8) == bytes.fromhex("01020304050607 87")


def test_stswx_takes_count_from_xer() -> None:
    cpu = run1(0x7CA4352A, r5=0x0102_0304, xer=3)  # stswx r5,r4,r6
    assert mem(cpu, DATA + 8, 4) == bytes.fromhex("010203 8b")


@pytest.mark.parametrize(
    ("asm", "word", "ea", "dsisr"),
    [
        ("lswi r5,r4,8", 0x7CA444AA, DATA, (5 << 5) | 4),
        ("lswx r10,r4,r6", 0x7D44342A, DATA + 8, (10 << 5) | 4),
        ("stswi r5,r4,8", 0x7CA445AA, DATA, (5 << 5) | 4),
        ("stswx r5,r4,r6", 0x7CA4352A, DATA + 8, (5 << 5) | 4),
    ],
)
def test_string_in_le_raises_alignment(asm: str, word: int, ea: int, dsisr: int) -> None:
    cpu = run1(word, little=True, xer=0)  # even with a zero count (QEMU checks LE first)
    assert cpu.nia == EXCP_ALIGN
    assert cpu.spr[SPR_SRR0] == CODE
    assert cpu.spr[SPR_DAR] == ea
    assert cpu.spr[SPR_DSISR] == dsisr
    assert mem(cpu, DATA, 32) == PATTERN


def test_string_with_reserved_bit31_raises_heai() -> None:
    cpu = run1(0x7CA444AB)  # lswi. r5,r4,8 (QEMU 7.2: HEAI)
    assert cpu.nia == EXCP_HV_EMU
