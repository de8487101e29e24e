"""VSX loads and stores that cross into an unmapped page (engine/isa/vsx_storage.py).

The DSI reports DAR = the first byte of the unmapped page (QEMU 7.2's softmmu
faults on the second page's first byte, or on the EA when its own page is
unmapped) and the load or store DSISR, and the instruction changes no
register and no byte of storage, in the interpreter and in translated blocks.
"""

from __future__ import annotations

from typing import Literal

import pytest

from engine.cpu import VCPU
from engine.memory import PhysicalMemory
from engine.mmu import PageMapping, RadixMMU, build_radix_tables
from engine.msr import LPCR_HR, MSR_DR, MSR_FP, MSR_HV, MSR_IR, MSR_LE, MSR_SF, MSR_VEC, MSR_VSX
from engine.sprs import SPR_DAR, SPR_DSISR, SPR_LPCR, SPR_PTCR

Q3 = 0xC000_0000_0000_0000
LPCR_UPRT = 1 << (63 - 42)
MSR = MSR_SF | MSR_HV | MSR_IR | MSR_DR | MSR_FP | MSR_VEC | MSR_VSX | 0x1000  # ME
CODE, DATA, HOLE = Q3 | 0x1000, Q3 | 0x2000, Q3 | 0x3000  # HOLE: not mapped
DATA_PA = 0x6000
OLD = 0x0123_4567_89AB_CDEF_FEDC_BA98_7654_3210
DSISR_LOAD, DSISR_STORE = 0x4000_0000, 0x4200_0000


def vcpu(word: int, ea: int, little: bool, blocks: bool, r5: int = 0) -> VCPU:
    """A vCPU with radix on at CODE: ``word`` there, r4 = ``ea``, r5, VSRs = OLD."""
    mem = PhysicalMemory(16 << 20)
    t = build_radix_tables(
        mem, 0x10_0000, [PageMapping(0x1000, 0x1000, perms="rx"), PageMapping(0x2000, DATA_PA)]
    )
    mem.write_bytes(0x1000, word.to_bytes(4, "little" if little else "big"), None)
    mem.write_bytes(DATA_PA, bytes(range(256)) * 16, None)
    cpu = VCPU(mem, 0)
    cpu.mmu = RadixMMU(cpu)
    cpu.spr[SPR_PTCR] = t.ptcr
    cpu.spr[SPR_LPCR] = LPCR_HR | LPCR_UPRT
    cpu.set_msr(MSR | (MSR_LE if little else 0))
    cpu.use_blocks = blocks
    cpu.nia = CODE
    cpu.gpr[4], cpu.gpr[5] = ea, r5
    cpu.vsr = [OLD] * 64
    return cpu


def run1(cpu: VCPU) -> None:
    if cpu.use_blocks:
        cpu.run(1)
    else:
        cpu.step()


# (instruction, word with XT/XS = 1 (VSR 33 for TX=1), EA, DAR)
LOADS = [
    ("lxvd2x vs1,r4,r5", 0x7C242E98, 0x2FF8, 0x3000),  # the second doubleword faults
    ("lxvd2x vs1,r4,r5", 0x7C242E98, 0x2FFC, 0x3000),  # the first crosses
    ("lxvx vs1,r4,r5", 0x7C242A18, 0x2FF1, 0x3000),
    ("lxvw4x vs1,r4,r5", 0x7C242E18, 0x2FF4, 0x3000),
    ("lxvh8x vs33,r4,r5", 0x7C242E59, 0x2FFF, 0x3000),
    ("lxvb16x vs1,r4,r5", 0x7C242ED8, 0x3000, 0x3000),  # its own page unmapped
    ("lxvdsx vs1,r4,r5", 0x7C242A98, 0x2FFA, 0x3000),
    ("lxvwsx vs1,r4,r5", 0x7C242AD8, 0x2FFE, 0x3000),
    ("lxsdx vs1,r4,r5", 0x7C242C98, 0x2FF9, 0x3000),
    ("lxsiwax vs1,r4,r5", 0x7C242898, 0x2FFD, 0x3000),
    ("lxsspx vs1,r4,r5", 0x7C242C18, 0x2FFF, 0x3000),
    ("lxsihzx vs1,r4,r5", 0x7C242E5A, 0x2FFF, 0x3000),
    ("lxv vs1,0(r4)", 0xF4240001, 0x2FF8, 0x3000),
    ("lxsd v1,0(r4)", 0xE4240002, 0x2FFC, 0x3000),
    ("lxssp v1,0(r4)", 0xE4240003, 0x2FFE, 0x3000),
]


@pytest.mark.parametrize("blocks", [False, True], ids=["interp", "blocks"])
@pytest.mark.parametrize("little", [False, True], ids=["BE", "LE"])
@pytest.mark.parametrize(("asm", "word", "ea", "dar"), LOADS, ids=[x[0] + hex(x[2]) for x in LOADS])
def test_load_crossing_into_an_unmapped_page_faults_and_changes_nothing(
    asm: str, word: int, ea: int, dar: int, little: bool, blocks: bool
) -> None:
    cpu = vcpu(word, Q3 | ea, little, blocks)
    run1(cpu)
    assert cpu.nia == 0x300, asm
    assert (cpu.spr[SPR_DAR], cpu.spr[SPR_DSISR]) == (Q3 | dar, DSISR_LOAD)
    assert cpu.vsr == [OLD] * 64
    assert cpu.spr[26] == CODE  # SRR0: the load


@pytest.mark.parametrize("blocks", [False, True], ids=["interp", "blocks"])
@pytest.mark.parametrize("little", [False, True], ids=["BE", "LE"])
def test_load_up_to_the_page_end_reads_the_last_bytes(little: bool, blocks: bool) -> None:
    cpu = vcpu(0x7C242E98, Q3 | 0x2FF0, little, blocks)  # lxvd2x vs1: the page's last 16 bytes
    run1(cpu)
    assert cpu.nia == CODE + 4
    dw0, dw1 = bytes(range(0xF0, 0xF8)), bytes(range(0xF8, 0x100))
    order: Literal["little", "big"] = "little" if little else "big"
    want = (int.from_bytes(dw0, order) << 64) | int.from_bytes(dw1, order)
    assert cpu.vsr[1] == want


# (instruction, word with XS = 1 (VSR 33 for SX=1), EA, DAR)
STORES = [
    ("stxvd2x vs1,r4,r5", 0x7C242F98, 0x2FF8, 0x3000),  # the second doubleword faults
    ("stxvd2x vs1,r4,r5", 0x7C242F98, 0x2FFC, 0x3000),
    ("stxvx vs33,r4,r5", 0x7C242B19, 0x2FF1, 0x3000),
    ("stxvw4x vs1,r4,r5", 0x7C242F18, 0x2FF4, 0x3000),
    ("stxvh8x vs1,r4,r5", 0x7C242F58, 0x2FFF, 0x3000),
    ("stxvb16x vs1,r4,r5", 0x7C242FD8, 0x3000, 0x3000),  # its own page unmapped
    ("stxsdx vs1,r4,r5", 0x7C242D98, 0x2FF9, 0x3000),
    ("stxsspx vs1,r4,r5", 0x7C242D18, 0x2FFD, 0x3000),
    ("stxsiwx vs1,r4,r5", 0x7C242918, 0x2FFF, 0x3000),
    ("stxsihx vs1,r4,r5", 0x7C242F5A, 0x2FFF, 0x3000),
    ("stxv vs1,0(r4)", 0xF4240005, 0x2FF9, 0x3000),
    ("stxsd v1,0(r4)", 0xF4240002, 0x2FFC, 0x3000),
    ("stxssp v1,0(r4)", 0xF4240003, 0x3000, 0x3000),
]


@pytest.mark.parametrize("blocks", [False, True], ids=["interp", "blocks"])
@pytest.mark.parametrize("little", [False, True], ids=["BE", "LE"])
@pytest.mark.parametrize(
    ("asm", "word", "ea", "dar"), STORES, ids=[x[0] + hex(x[2]) for x in STORES]
)
def test_store_crossing_into_an_unmapped_page_faults_and_stores_nothing(
    asm: str, word: int, ea: int, dar: int, little: bool, blocks: bool
) -> None:
    cpu = vcpu(word, Q3 | ea, little, blocks)
    before = cpu.mem.read_bytes(DATA_PA, 0x1000)
    run1(cpu)
    assert cpu.nia == 0x300, asm
    assert (cpu.spr[SPR_DAR], cpu.spr[SPR_DSISR]) == (Q3 | dar, DSISR_STORE)
    assert cpu.mem.read_bytes(DATA_PA, 0x1000) == before
    assert cpu.vsr == [OLD] * 64


@pytest.mark.parametrize("blocks", [False, True], ids=["interp", "blocks"])
@pytest.mark.parametrize("little", [False, True], ids=["BE", "LE"])
def test_store_up_to_the_page_end_writes_the_last_bytes(little: bool, blocks: bool) -> None:
    cpu = vcpu(0x7C242F18, Q3 | 0x2FF0, little, blocks)  # stxvw4x vs1: the last 16 bytes
    run1(cpu)
    assert cpu.nia == CODE + 4
    order: Literal["little", "big"] = "little" if little else "big"
    words = [(OLD >> (96 - 32 * k)) & 0xFFFF_FFFF for k in range(4)]
    assert cpu.mem.read_bytes(DATA_PA + 0xFF0, 16) == b"".join(w.to_bytes(4, order) for w in words)


# lxvl/lxvll/stxvl/stxvll: EA = r4, the length in r5's top byte
LENGTHS = [
    ("lxvl vs1,r4,r5", 0x7C242A1A, 0x2FF8, 16, 0x3000),  # the 9th byte faults
    ("lxvll vs33,r4,r5", 0x7C242A5B, 0x2FFF, 2, 0x3000),
    ("lxvl vs1,r4,r5", 0x7C242A1A, 0x3000, 255, 0x3000),  # clamped to 16, own page
    ("stxvl vs1,r4,r5", 0x7C242B1A, 0x2FF1, 16, 0x3000),
    ("stxvll vs1,r4,r5", 0x7C242B5A, 0x2FFD, 4, 0x3000),
]


@pytest.mark.parametrize("blocks", [False, True], ids=["interp", "blocks"])
@pytest.mark.parametrize("little", [False, True], ids=["BE", "LE"])
@pytest.mark.parametrize(
    ("asm", "word", "ea", "n", "dar"), LENGTHS, ids=[f"{x[0]}{x[2]:#x}/{x[3]}" for x in LENGTHS]
)
def test_length_forms_crossing_into_an_unmapped_page_fault_and_change_nothing(
    asm: str, word: int, ea: int, n: int, dar: int, little: bool, blocks: bool
) -> None:
    cpu = vcpu(word, Q3 | ea, little, blocks, r5=n << 56)
    before = cpu.mem.read_bytes(DATA_PA, 0x1000)
    run1(cpu)
    assert cpu.nia == 0x300, asm
    store = asm.startswith("st")
    assert (cpu.spr[SPR_DAR], cpu.spr[SPR_DSISR]) == (
        Q3 | dar,
        DSISR_STORE if store else DSISR_LOAD,
    )
    assert cpu.mem.read_bytes(DATA_PA, 0x1000) == before
    assert cpu.vsr == [OLD] * 64


@pytest.mark.parametrize("blocks", [False, True], ids=["interp", "blocks"])
@pytest.mark.parametrize("word", [0x7C242A1A, 0x7C242B1A], ids=["lxvl", "stxvl"])
def test_length_zero_accesses_nothing_so_an_unmapped_ea_does_not_fault(
    word: int, blocks: bool
) -> None:
    cpu = vcpu(word, HOLE, False, blocks, r5=0x00FF_FFFF_FFFF_FFFF)  # bits 8:63 do not count
    run1(cpu)
    assert cpu.nia == CODE + 4
    assert cpu.vsr[1] == (0 if word == 0x7C242A1A else OLD)
