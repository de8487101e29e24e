"""The interrupt stages as tables: selection (pure) and delivery (SRR/new MSR/vector).

The rows were checked against QEMU 7.2 powernv9 by the sv_* differential
programs (sv_dec: DEC/HDEC/doorbell order, sv_ail: AIL, sv_hile: HILE,
sv_priv: HV transitions) where QEMU can show them.
"""

from __future__ import annotations

import itertools

import pytest

from engine.cpu import VCPU
from engine.interrupts import (
    EXCP_DECR,
    EXCP_EXTERNAL,
    EXCP_HDECR,
    EXCP_HVIRT,
    EXCP_SDOOR,
    EXCP_SDOOR_HV,
    PEND_DOORBELL,
    PEND_EXT,
    PEND_HDOORBELL,
    PEND_HMI,
    Interrupt,
    deliver,
    select_async,
)
from engine.memory import PhysicalMemory
from engine.msr import LPCR_HDICE, LPCR_LPES0, MSR_EE, MSR_HV
from engine.sprs import SPR_LPCR

EE, HV, PR, IR, DR, RI, LE, ME, SF = (
    0x8000, 1 << 60, 0x4000, 0x20, 0x10, 0x2, 0x1, 0x1000, 1 << 63,
)  # fmt: skip
HDICE, LPES0, HR, ILE = 1, 1 << 3, 1 << 20, 1 << 25
AIL3, AIL2, AIL1 = 3 << 23, 2 << 23, 1 << 23
HILE = 1 << 59

ALL = PEND_EXT | PEND_DOORBELL | PEND_HDOORBELL | PEND_HMI


# (msr, lpcr, pending, dec<0, hdec<0) -> selected vector
SELECTION = [
    # nothing pending, or everything masked
    (HV | EE, 0, 0, False, False, None),
    (HV, HDICE, ALL & ~PEND_HMI, True, True, None),  # HV with EE=0 masks all but ext...
    # priority with everything enabled: HMI, HDEC, external, DEC, doorbells
    (HV | EE, HDICE, ALL, True, True, EXCP_HVIRT),
    (HV | EE, HDICE, ALL & ~PEND_HMI, True, True, EXCP_HDECR),
    (HV | EE, HDICE, PEND_EXT | PEND_DOORBELL | PEND_HDOORBELL, True, False, EXCP_EXTERNAL),
    (HV | EE, HDICE, PEND_DOORBELL | PEND_HDOORBELL, True, False, EXCP_DECR),
    (HV | EE, HDICE, PEND_DOORBELL | PEND_HDOORBELL, False, False, EXCP_SDOOR),
    (HV | EE, HDICE, PEND_HDOORBELL, False, False, EXCP_SDOOR_HV),
    # HDEC needs LPCR[HDICE]
    (HV | EE, 0, 0, False, True, None),
    # hypervisor interrupts are enabled in HV=0 whatever EE says
    (SF, HDICE, 0, False, True, EXCP_HDECR),
    (SF, 0, PEND_HDOORBELL, False, False, EXCP_SDOOR_HV),
    (SF, 0, PEND_HMI, False, False, EXCP_HVIRT),
    # ... but DEC and the privileged doorbell need EE
    (SF, 0, PEND_DOORBELL, True, False, None),
    # external in HV=0 with EE=0: taken to the hypervisor unless LPES0
    (SF, 0, PEND_EXT, False, False, EXCP_EXTERNAL),
    (SF, LPES0, PEND_EXT, False, False, None),
    (SF | EE, LPES0, PEND_EXT, False, False, EXCP_EXTERNAL),
]


@pytest.mark.parametrize(("msr", "lpcr", "pending", "dec", "hdec", "want"), SELECTION)
def test_select_async(
    msr: int, lpcr: int, pending: int, dec: bool, hdec: bool, want: int | None
) -> None:
    assert select_async(msr, lpcr, pending, dec, hdec) == want


def test_select_async_hv_ee0_still_takes_nothing_but_level_ext_with_lpes0() -> None:
    # HV=1, EE=0: external needs EE (or HV=0 without LPES0).
    assert select_async(HV, 0, PEND_EXT, False, False) is None


# -- delivery --------------------------------------------------------------------------
def cpu_with(msr: int, lpcr: int = 0xC, hid0: int = 0) -> VCPU:
    cpu = VCPU(PhysicalMemory(1 << 20), 0)
    cpu.set_msr(msr)
    cpu.spr[318] = lpcr
    cpu.spr[1008] = hid0
    return cpu


PC = 0x2000
SRR0, SRR1, HSRR0, HSRR1 = 26, 27, 314, 315

# (msr, lpcr, hid0, interrupt, expected nia, expected new msr, saved in (H)SRR, (srr0, srr1))
# fmt: off
DELIVERY = [
    # program/trap from HV real mode: SRR0 = the instruction, HV kept
    (SF | HV | EE | RI, 0xC, 0, Interrupt(0x700, 0x20000), 0x700, SF | HV, "srr",
     (PC, SF | HV | EE | RI | 0x20000)),
    # sc: SRR0 = the next instruction
    (SF | HV, 0xC, 0, Interrupt(0xC00, next_pc=PC + 4), 0xC00, SF | HV, "srr",
     (PC + 4, SF | HV)),
    # sc 1 from HV=0 goes to HV=1, saves in SRR0/1
    (SF | ME | PR | EE | IR | DR, 0xC, 0, Interrupt(0xC00, next_pc=PC + 4, hv_call=True),
     0xC00, SF | HV | ME, "srr", (PC + 4, SF | ME | PR | EE | IR | DR)),
    # HEAI from HV=0: HSRR0/1, HV=1, RI kept
    (SF | ME | RI, 0xC, 0, Interrupt(0xE40), 0xE40, SF | HV | ME | RI, "hsrr",
     (PC, SF | ME | RI)),
    # machine check clears ME
    (SF | HV | ME, 0xC, 0, Interrupt(0x200), 0x200, SF | HV, "srr", (PC, SF | HV | ME)),
    # AIL=3 with IR=DR=1: relocated, IR|DR kept
    (SF | HV | IR | DR, HR | AIL3, 0, Interrupt(0xC00, next_pc=PC + 4),
     0xC000_0000_0000_4C00, SF | HV | IR | DR, "srr", (PC + 4, SF | HV | IR | DR)),
    (SF | HV | IR | DR, HR | AIL2, 0, Interrupt(0x700, 0x20000), 0x18700, SF | HV | IR | DR,
     "srr", (PC, SF | HV | IR | DR | 0x20000)),
    (SF | HV | IR | DR, HR | AIL1, 0, Interrupt(0x700, 0x20000), 0x700, SF | HV, "srr",
     (PC, SF | HV | IR | DR | 0x20000)),
    # IR != DR, or real mode: no relocation
    (SF | HV | DR, AIL3, 0, Interrupt(0x380), 0x380, SF | HV, "srr", (PC, SF | HV | DR)),
    # AIL never for machine check and system reset... nor HMI
    (SF | HV | IR | DR | ME, HR | AIL3, 0, Interrupt(0x200), 0x200, SF | HV, "srr",
     (PC, SF | HV | IR | DR | ME)),
    # HV=0 -> HV=1 relocated only with LPCR[HR]
    (SF | IR | DR, AIL3 | HR, 0, Interrupt(0xE40), 0xC000_0000_0000_4E40, SF | HV | IR | DR,
     "hsrr", (PC, SF | IR | DR)),
    (SF | IR | DR, AIL3, 0, Interrupt(0xE40), 0xE40, SF | HV, "hsrr", (PC, SF | IR | DR)),
    # interrupt endianness: HILE for HV=1, LPCR[ILE] for HV=0
    (SF | HV | LE, 0xC | ILE, 0, Interrupt(0x700, 0x20000), 0x700, SF | HV, "srr",
     (PC, SF | HV | LE | 0x20000)),
    (SF | HV, 0xC, HILE, Interrupt(0x700, 0x20000), 0x700, SF | HV | LE, "srr",
     (PC, SF | HV | 0x20000)),
    (SF | ME, 0xC | ILE, 0, Interrupt(0x700, 0x40000), 0x700, SF | ME | LE, "srr",
     (PC, SF | ME | 0x40000)),
    # trace: SRR1 bit 33, SE/BE cleared
    (SF | HV | 0x400, 0xC, 0, Interrupt(0xD00, 1 << 30, next_pc=PC + 4), 0xD00, SF | HV, "srr",
     (PC + 4, SF | HV | 0x400 | 1 << 30)),
    # HDEC (asynchronous, hypervisor): HSRR0 = the next instruction
    (SF | HV | EE, 0xD, 0, Interrupt(EXCP_HDECR, next_pc=PC), 0x980, SF | HV, "hsrr",
     (PC, SF | HV | EE)),
]
# fmt: on


@pytest.mark.parametrize(
    ("msr", "lpcr", "hid0", "exc", "nia", "new_msr", "saved", "regs"), DELIVERY
)
def test_deliver(
    msr: int, lpcr: int, hid0: int, exc: Interrupt, nia: int, new_msr: int, saved: str,
    regs: tuple[int, int],
) -> None:  # fmt: skip
    cpu = cpu_with(msr, lpcr, hid0)
    cpu.resv_addr = 0x100  # a reservation: delivery drops it
    cpu.mem.reserve(cpu, 0x100)
    deliver(cpu, exc, PC)
    assert cpu.nia == nia
    assert cpu.msr == new_msr
    s0, s1 = (SRR0, SRR1) if saved == "srr" else (HSRR0, HSRR1)
    assert (cpu.spr[s0], cpu.spr[s1]) == regs
    assert cpu.resv_addr is None


def test_dsi_sets_dar_and_dsisr() -> None:
    cpu = cpu_with(SF | HV)
    deliver(cpu, Interrupt(0x300, dar=0x20_4000, dsisr=0x4200_0000), PC)
    assert (cpu.spr[19], cpu.spr[18]) == (0x20_4000, 0x4200_0000)


def test_the_vcpus_quick_async_check_agrees_with_select_async_everywhere() -> None:
    """VCPU.async_interrupt short-cuts the common cases; every combination must agree."""
    cpu = VCPU(PhysicalMemory(1 << 16), 0)
    cpu.clock = 100
    for ee, hv, pending, dec, hdec, armed, lpcr in itertools.product(
        (0, MSR_EE),
        (0, MSR_HV),
        range(16),
        (50, 150),
        (50, 150),
        (False, True),
        (0, LPCR_HDICE, LPCR_LPES0, LPCR_HDICE | LPCR_LPES0),
    ):
        cpu.msr, cpu.pending, cpu.dec_zero, cpu.hdec_zero = ee | hv, pending, dec, hdec
        cpu.hdec_armed, cpu.spr[SPR_LPCR] = armed, lpcr
        want = select_async(ee | hv, lpcr, pending, dec < 100, armed and hdec < 100)
        assert cpu.async_interrupt() == want, (ee, hv, pending, dec, hdec, armed, lpcr)
