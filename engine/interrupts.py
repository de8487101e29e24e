"""Interrupts: raised by instructions, selected by priority, delivered.

Stage one is an exception (``Interrupt``) or a pending bit; stage two, a pure
selection function (for asynchronous interrupts, with the supervisor
architecture); stage three, ``deliver()``, the only code that writes
SRR0/SRR1 (or HSRR0/HSRR1), the new MSR and the vector (docs/machine.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .bits import M64
from .msr import (
    HID0_HILE,
    LPCR_AIL,
    LPCR_AIL_SHIFT,
    LPCR_HDICE,
    LPCR_HR,
    LPCR_ILE,
    LPCR_LPES0,
    MSR_DR,
    MSR_EE,
    MSR_HV,
    MSR_IR,
    MSR_LE,
    MSR_ME,
    MSR_RI,
    MSR_SF,
    SRR1_INTERRUPT_BITS,
)
from .sprs import SPR_DAR, SPR_DSISR, SPR_HID0, SPR_HSRR0, SPR_HSRR1, SPR_LPCR, SPR_SRR0, SPR_SRR1

if TYPE_CHECKING:
    from .state import CPUState

EXCP_RESET = 0x100
EXCP_MCHECK = 0x200
EXCP_DSI = 0x300
EXCP_DSEG = 0x380
EXCP_ISI = 0x400
EXCP_ISEG = 0x480
EXCP_EXTERNAL = 0x500
EXCP_ALIGN = 0x600
EXCP_PROGRAM = 0x700
EXCP_FPU = 0x800
EXCP_DECR = 0x900
EXCP_HDECR = 0x980
EXCP_SDOOR = 0xA00
EXCP_SYSCALL = 0xC00
EXCP_TRACE = 0xD00
EXCP_HDSI = 0xE00
EXCP_HISI = 0xE20
EXCP_HV_EMU = 0xE40
EXCP_HVIRT = 0xE60
EXCP_SDOOR_HV = 0xE80
EXCP_PERFM = 0xF00
EXCP_VPU = 0xF20
EXCP_VSXU = 0xF40
EXCP_FU = 0xF60
EXCP_HV_FU = 0xF80

# Interrupts that save into HSRR0/HSRR1 and go to hypervisor state.
HV_VECTORS = frozenset(
    {EXCP_HDECR, EXCP_HDSI, EXCP_HISI, EXCP_HV_EMU, EXCP_HVIRT, EXCP_SDOOR_HV, EXCP_HV_FU}
)
# SRR0 of an asynchronous interrupt is the next instruction to execute.
ASYNC_VECTORS = frozenset(
    {EXCP_EXTERNAL, EXCP_DECR, EXCP_HDECR, EXCP_SDOOR, EXCP_SDOOR_HV, EXCP_HVIRT}
)
# AIL never relocates these (ISA 3.0B 6.5, "Alternate Interrupt Location").
NO_AIL_VECTORS = frozenset({EXCP_RESET, EXCP_MCHECK, EXCP_HVIRT})


class Interrupt(Exception):
    """A synchronous interrupt raised by the instruction being executed.

    ``srr1`` holds the interrupt-specific SRR1 bits; ``next_pc`` is the SRR0
    value for interrupts that save the next instruction (``sc``), or None
    for those that save the instruction itself.
    """

    __slots__ = ("vector", "srr1", "next_pc", "dar", "dsisr", "hv_call")

    def __init__(
        self,
        vector: int,
        srr1: int = 0,
        next_pc: int | None = None,
        dar: int | None = None,
        dsisr: int | None = None,
        hv_call: bool = False,
    ) -> None:
        super().__init__(vector)
        self.vector = vector
        self.srr1 = srr1
        self.next_pc = next_pc
        self.dar = dar
        self.dsisr = dsisr
        self.hv_call = hv_call  # sc 1: a hypervisor call

    def __repr__(self) -> str:
        return f"Interrupt(0x{self.vector:x}, srr1=0x{self.srr1:x})"


def save_registers(vector: int) -> tuple[int, int]:
    """The SPR numbers ``vector`` saves into: (HSRR0, HSRR1) for hypervisor interrupts, else
    (SRR0, SRR1); ``sc 1`` goes to hypervisor state but saves into SRR0/SRR1 (ISA 3.0B 7.5.14)."""
    return (SPR_HSRR0, SPR_HSRR1) if vector in HV_VECTORS else (SPR_SRR0, SPR_SRR1)


def goes_to_hypervisor(vector: int, hv_call: bool) -> bool:
    return vector in HV_VECTORS or hv_call


def vector_address(cpu: CPUState, vector: int, to_hv: bool, msr: int) -> tuple[int, bool]:
    """The effective address of ``vector`` with AIL applied, and whether AIL applied.

    ``msr`` is the MSR in force when the interrupt happens; LPCR[AIL] is read
    at every delivery, never cached.
    """
    ail = (cpu.spr[SPR_LPCR] & LPCR_AIL) >> LPCR_AIL_SHIFT
    if ail < 2 or vector in NO_AIL_VECTORS:
        return vector, False
    if (msr & (MSR_IR | MSR_DR)) != (MSR_IR | MSR_DR):
        return vector, False
    if to_hv and not (msr & MSR_HV) and not (cpu.spr[SPR_LPCR] & LPCR_HR):
        return vector, False
    if ail == 3:
        return 0xC000_0000_0000_4000 + vector, True
    return 0x18000 + vector, True


def deliver(cpu: CPUState, exc: Interrupt, pc: int) -> None:
    """Deliver a synchronous interrupt raised by the instruction at ``pc``."""
    srr0 = exc.next_pc if exc.next_pc is not None else pc
    if exc.dar is not None:
        cpu.spr[SPR_DAR] = exc.dar & M64
    if exc.dsisr is not None:
        cpu.spr[SPR_DSISR] = exc.dsisr
    deliver_vector(cpu, exc.vector, exc.srr1, srr0, exc.hv_call)


def deliver_vector(
    cpu: CPUState, vector: int, srr1_bits: int, srr0: int, hv_call: bool = False
) -> None:
    msr = cpu.msr
    to_hv = goes_to_hypervisor(vector, hv_call)
    image = (msr & ~SRR1_INTERRUPT_BITS & M64) | srr1_bits
    spr = cpu.spr
    save0, save1 = save_registers(vector)
    spr[save0], spr[save1] = srr0 & M64, image
    nia, relocated = vector_address(cpu, vector, to_hv, msr)
    new = MSR_SF | (msr & MSR_ME)
    if to_hv or msr & MSR_HV:
        new |= MSR_HV
    if vector in HV_VECTORS:
        new |= msr & MSR_RI
    if vector == EXCP_MCHECK:
        new &= ~MSR_ME
    if relocated:
        new |= MSR_IR | MSR_DR
    big = (
        (cpu.spr[SPR_HID0] & HID0_HILE) == 0
        if new & MSR_HV
        else (cpu.spr[SPR_LPCR] & LPCR_ILE) == 0
    )
    if not big:
        new |= MSR_LE
    cpu.lose_reservation()
    cpu.set_msr(new)
    cpu.nia = nia


# -- asynchronous interrupts: pending conditions and the pure selection ----------
PEND_EXT = 1  # external interrupt line
PEND_DOORBELL = 2  # directed privileged doorbell (msgsndp) -> 0xa00
PEND_HDOORBELL = 4  # directed hypervisor doorbell (msgsnd) -> 0xe80
PEND_HMI = 8  # hypervisor maintenance


def select_async(
    msr: int, lpcr: int, pending: int, dec_negative: bool, hdec_negative: bool
) -> int | None:
    """The asynchronous interrupt to deliver now, by POWER9 priority and masks, or None.

    Pure: a function of the MSR, LPCR and the pending conditions only. The
    order and masking follow QEMU 7.2's p9_next_unmasked_interrupt: HMI,
    HDEC, external, then (with MSR[EE]) DEC and the doorbells. Hypervisor
    interrupts are enabled when MSR[EE]=1 or the vCPU is not in HV state.
    """
    ee = bool(msr & MSR_EE)
    hv = bool(msr & MSR_HV)
    hv_enabled = ee or not hv
    if pending & PEND_HMI and hv_enabled:
        return EXCP_HVIRT
    if hdec_negative and hv_enabled and lpcr & LPCR_HDICE:
        return EXCP_HDECR
    if pending & PEND_EXT:
        lpes0 = bool(lpcr & LPCR_LPES0)
        if ee or (not hv and not lpes0):
            return EXCP_EXTERNAL
    if ee:
        if dec_negative:
            return EXCP_DECR
        if pending & PEND_DOORBELL:
            return EXCP_SDOOR
    if pending & PEND_HDOORBELL and hv_enabled:
        return EXCP_SDOOR_HV
    return None
