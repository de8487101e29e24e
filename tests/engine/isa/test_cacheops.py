"""Cache management and synchronisation: dcbz, dcb*/icb* probes and hints, barriers,
and stores into decoded code (self-modifying code) being seen."""

from __future__ import annotations

import pytest

from engine.cpu import VCPU
from engine.interrupts import EXCP_HV_EMU, EXCP_MCHECK
from engine.loader import Image, Segment
from engine.machine import Machine, MachineConfig
from engine.sprs import SPR_HSRR0

from .conftest import CODE, make_cpu

DATA = 0x2000
FILL = bytes([0xA5]) * 0x200
MEMORY = 16 << 20  # make_cpu's machine size
MSR_HV_ME = 0x9000_0000_0000_1000
ORDERS = [pytest.param(False, id="BE"), pytest.param(True, id="LE")]


def cpu_with(words: list[int], little: bool = False, **regs: int) -> VCPU:
    cpu = make_cpu(words, little, **{"r4": DATA + 0x90, **regs})
    cpu.mem.write_bytes(DATA, FILL, None)
    return cpu


def record_translations(cpu: VCPU) -> list[tuple[int, bool]]:
    """Log every data translation the vCPU asks for: (EA, as a store?)."""
    calls: list[tuple[int, bool]] = []
    inner = cpu.translate_data

    def spy(ea: int, write: bool) -> int:
        calls.append((ea, write))
        return inner(ea, write)

    cpu.translate_data = spy  # type: ignore[method-assign]
    return calls


# -- dcbz ----------------------------------------------------------------------------------
@pytest.mark.parametrize("little", ORDERS)
def test_dcbz_zeroes_the_aligned_128_byte_block(little: bool) -> None:
    cpu = cpu_with([0x7C0027EC], little)  # dcbz 0,r4 with r4 = DATA+0x90
    cpu.step()
    assert cpu.mem.read_bytes(DATA + 0x80, 0x80) == bytes(0x80)
    assert cpu.mem.read_bytes(DATA, 0x80) == FILL[:0x80]
    assert cpu.mem.read_bytes(DATA + 0x100, 0x100) == FILL[:0x100]
    assert cpu.gpr[4] == DATA + 0x90
    assert cpu.nia == CODE + 4


def test_dcbz_indexed_ea() -> None:
    cpu = cpu_with([0x7C0437EC], r4=DATA, r6=0x17F)  # dcbz r4,r6
    cpu.step()
    assert cpu.mem.read_bytes(DATA + 0x100, 0x80) == bytes(0x80)
    assert cpu.mem.read_bytes(DATA + 0x80, 0x80) == FILL[:0x80]


def test_dcbz_in_32bit_mode_truncates_ea() -> None:
    cpu = cpu_with([0x7C0027EC], r4=0xFFFF_FFFF_0000_0000 | DATA, msr=0x1000_0000_0000_0000)
    cpu.step()
    assert cpu.mem.read_bytes(DATA, 0x80) == bytes(0x80)
    assert cpu.nia == CODE + 4


def test_dcbz_is_translated_as_a_store() -> None:
    cpu = cpu_with([0x7C0027EC])  # dcbz 0,r4
    calls = record_translations(cpu)
    cpu.step()
    assert calls == [(DATA + 0x80, True)]


def test_dcbz_outside_ram_faults_like_a_store() -> None:
    # Real mode has no DSI yet; outside RAM a store takes a machine check, and so does dcbz.
    results = []
    for word in (0x7C0027EC, 0x90A40000):  # dcbz 0,r4 ; stw r5,0(r4)
        cpu = cpu_with([word], r4=MEMORY + 0x40, msr=MSR_HV_ME)
        cpu.step()
        results.append(cpu.nia)
    assert results == [EXCP_MCHECK, EXCP_MCHECK]


def test_dcbz_breaks_another_vcpus_reservation() -> None:
    body = bytearray(0x104)
    body[0:8] = bytes.fromhex("7ca02028 7cc0212d")  # lwarx r5,0,r4 ; stwcx. r6,0,r4
    body[0x100:0x104] = bytes.fromhex("7c0047ec")  # dcbz 0,r8
    m = Machine(
        Image("raw", CODE, [Segment(CODE, bytes(body), len(body))]),
        MachineConfig(vcpus=2, memory=MEMORY),
    )
    cpu0, cpu1 = m.vcpus
    cpu1.nia = CODE + 0x100
    cpu0.gpr[4] = DATA + 8
    cpu1.gpr[8] = DATA + 0x7F
    m.mem.write_bytes(DATA, FILL, None)
    cpu0.step()
    cpu1.step()
    cpu0.step()
    assert cpu0.cr == 0  # stwcx. failed
    assert m.mem.read_bytes(DATA, 0x80) == bytes(0x80)


def test_dcbz_clears_own_reservation_on_the_block() -> None:
    # QEMU 7.2's helper_dcbz drops the issuing vCPU's reservation on the block.
    cpu = cpu_with([0x7CA02028, 0x7C0027EC, 0x7CC0212D])  # lwarx; dcbz 0,r4; stwcx. r6,0,r4
    for _ in range(3):
        cpu.step()
    assert cpu.cr == 0
    assert cpu.mem.read_bytes(DATA + 0x90, 4) == bytes(4)


def test_dcbz_keeps_own_reservation_on_another_block() -> None:
    cpu = cpu_with([0x7CA02028, 0x7C0047EC, 0x7CC0212D], r8=DATA)  # dcbz 0,r8
    for _ in range(3):
        cpu.step()
    assert cpu.cr == 0x2000_0000


def test_dcbz_with_reserved_bits_raises_heai() -> None:
    cpu = cpu_with([0x7C8027EC])  # dcbz with bit 8 set
    cpu.step()
    assert cpu.nia == EXCP_HV_EMU
    assert cpu.mem.read_bytes(DATA, 0x200) == FILL


# -- probes and hints ------------------------------------------------------------------------
# (assembly, word, translated as a load?)
NO_STORE = [
    ("dcbt 0,r4", 0x7C00222C, False),
    ("dcbt 0,r4,16", 0x7E00222C, False),
    ("dcbtst 0,r4", 0x7C0021EC, False),
    ("icbt 0,0,r4", 0x7C00202C, False),
    ("dcbst 0,r4", 0x7C00206C, True),
    ("dcbf 0,r4", 0x7C0020AC, True),
    ("dcbfl 0,r4", 0x7C2020AC, True),
    ("dcbflp 0,r4", 0x7C6020AC, True),
    ("icbi 0,r4", 0x7C0027AC, True),
    ("sync", 0x7C0004AC, False),
    ("lwsync", 0x7C2004AC, False),
    ("ptesync", 0x7C4004AC, False),
    ("sync 3", 0x7C6004AC, False),
    ("eieio", 0x7C0006AC, False),
    ("isync", 0x4C00012C, False),
]


@pytest.mark.parametrize(("asm", "word", "probes"), NO_STORE, ids=[n[0] for n in NO_STORE])
def test_cache_op_or_barrier_changes_no_state(asm: str, word: int, probes: bool) -> None:
    cpu = cpu_with([word], r5=0x55, cr=0x1234_5678)
    calls = record_translations(cpu)
    cpu.step()
    assert cpu.nia == CODE + 4
    assert cpu.mem.read_bytes(DATA, 0x200) == FILL
    assert (cpu.gpr[4], cpu.gpr[5], cpu.cr) == (DATA + 0x90, 0x55, 0x1234_5678)
    # dcbst/dcbf/icbi are "treated as a load" for translation (ISA 3.0B Book II 4.3).
    assert calls == ([(DATA + 0x90, False)] if probes else [])


def test_barrier_names() -> None:
    from engine.isa.table import decode

    names = [decode(w).name(w) for w in (0x7C0004AC, 0x7C2004AC, 0x7C4004AC)]  # type: ignore[union-attr]
    assert names == ["sync", "lwsync", "ptesync"]


# Words with reserved bits set that QEMU 7.2 refuses (measured: HEAI on powernv9).
RESERVED = [
    ("dcbf 0,r4,2", 0x7C4020AC),
    ("dcbst with RT=1", 0x7C20206C),
    ("icbi with RT=1", 0x7C2027AC),
    ("dcbt. (Rc=1)", 0x7C00222D),
    ("dcbtst. (Rc=1)", 0x7C0021ED),
    ("sync with bit 8", 0x7C8004AC),
    ("sync with RA=1", 0x7C0104AC),
    ("sync. (Rc=1)", 0x7C0004AD),
    ("eieio with RT=1", 0x7C2006AC),
    ("isync with RT=1", 0x4C20012C),
]


@pytest.mark.parametrize(("asm", "word"), RESERVED, ids=[r[0] for r in RESERVED])
def test_reserved_bits_raise_heai(asm: str, word: int) -> None:
    cpu = cpu_with([word])
    cpu.step()
    assert cpu.nia == EXCP_HV_EMU
    assert cpu.spr[SPR_HSRR0] == CODE


# -- self-modifying code: stores into decoded words are seen ------------------------------------
# CODE: li r5,1 ; stw r7,0(r8) ; b CODE   with r7 = "li r5,2", r8 = CODE
SMC = [0x38A00001, 0x90E80000, 0x4BFFFFF8]
LI_R5_2 = 0x38A00002


@pytest.mark.parametrize("little", ORDERS)
def test_store_over_decoded_word_is_executed_when_stepping(little: bool) -> None:
    cpu = make_cpu(SMC, little, r7=LI_R5_2, r8=CODE)
    cpu.step()
    assert cpu.gpr[5] == 1
    cpu.step()
    cpu.step()
    assert cpu.nia == CODE
    cpu.step()
    assert cpu.gpr[5] == 2
    assert cpu.fetch(CODE) == LI_R5_2


@pytest.mark.parametrize("little", ORDERS)
def test_store_over_decoded_word_is_executed_in_run_loop(little: bool) -> None:
    cpu = make_cpu(SMC, little, r7=LI_R5_2, r8=CODE)
    assert cpu.run(4) == 4
    assert cpu.gpr[5] == 2
    assert cpu.nia == CODE + 4


def test_dcbz_over_decoded_code_is_seen() -> None:
    # CODE: li r5,1 ; b CODE+0x80 ... CODE+0x80: dcbz 0,r8 ; b CODE  -> the zero word at
    # CODE is illegal (HEAI) instead of the cached li.
    words = [0] * 0x22
    words[0], words[1] = 0x38A00001, 0x4800007C
    words[0x20], words[0x21] = 0x7C0047EC, 0x4BFFFF7C
    cpu = make_cpu(words, r8=CODE)
    for _ in range(5):
        cpu.step()
    assert cpu.gpr[5] == 1
    assert cpu.nia == EXCP_HV_EMU
    assert cpu.spr[SPR_HSRR0] == CODE


def test_other_vcpus_store_over_decoded_code_is_seen() -> None:
    # vCPU 0 loops on "li r5,1 ; b CODE"; vCPU 1 stores "li r5,2" over the li.
    body = bytearray(0x104)
    body[0:8] = bytes.fromhex("38a00001 4bfffffc")
    body[0x100:0x104] = bytes.fromhex("90e80000")  # stw r7,0(r8)
    m = Machine(
        Image("raw", CODE, [Segment(CODE, bytes(body), len(body))]),
        MachineConfig(vcpus=2, memory=MEMORY),
    )
    cpu0, cpu1 = m.vcpus
    cpu1.nia = CODE + 0x100
    cpu1.gpr[7], cpu1.gpr[8] = LI_R5_2, CODE
    cpu0.step()
    cpu0.step()
    assert cpu0.gpr[5] == 1
    cpu1.step()
    cpu0.step()
    assert cpu0.gpr[5] == 2
