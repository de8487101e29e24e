"""What a backend needs to know about the instruction it is about to step."""

from __future__ import annotations

from dataclasses import dataclass

from ...bits import M32, M64, sext
from ...cpu import VCPU
from ...interrupts import Interrupt
from ...isa.insn import Insn
from ...isa.system import scv_entry
from ...isa.table import decode
from ...memory import MemoryFault
from ...msr import MSR_SE, MSR_SF
from ...sprs import SPR_CTR, SPR_HSRR0, SPR_HSRR1, SPR_LPCR, SPR_LR, SPR_SRR0, SPR_SRR1

SPR_TAR = 815


@dataclass(frozen=True)
class Pending:
    """The instruction at a vCPU's NIA, decoded once for the backend's plan."""

    pc: int
    word: int | None  # None: fetching it faults
    op: Insn | None

    @property
    def mnemonic(self) -> str:
        return self.op.mnemonic if self.op else ""

    # What the plan needs comes from the table line's metadata, never from its mnemonic.
    @property
    def flow(self) -> str | None:
        return self.op.flow if self.op else None

    @property
    def msr_write(self) -> str | None:
        return self.op.msr_write if self.op else None

    @property
    def reads_msr(self) -> bool:
        return self.op is not None and self.op.msr_read

    @property
    def atomic(self) -> str | None:
        return self.op.atomic if self.op else None

    @property
    def rt(self) -> int:
        return ((self.word or 0) >> 21) & 31

    def is_storage(self) -> bool:
        """Whether it accesses storage (its table line's ``access``: loads, stores, cache ops)."""
        o = self.op
        return o is not None and getattr(o, "access", None) is not None

    def is_fp(self) -> bool:
        return self.op is not None and self.op.facility == "fp"

    def changes_translation_mode(self) -> bool:
        """mtmsr(d) and rfid can change MSR[IR/DR] and so where the trace interrupt goes."""
        return self.msr_write is not None

    def sets_se(self, cpu: VCPU) -> bool:
        """An mtmsr(d) that sets SE is not traced (docs/machine.md)."""
        if self.msr_write != "rs" or self.word is None or self.word & 0x10000:
            return False
        return not cpu.msr & MSR_SE and bool(cpu.gpr[self.rt] & MSR_SE)

    def guest_se_after(self, cpu: VCPU, pre_msr: int, pre_srr1: int, pre_hsrr1: int) -> bool:
        """The guest's own MSR[SE] after the instruction, from what the guest wrote."""
        m = self.msr_write
        if m == "rs" and self.word is not None and not self.word & 0x10000:
            return bool(cpu.gpr[self.rt] & MSR_SE)
        if m == "srr1":
            return bool(pre_srr1 & MSR_SE)
        if m == "hsrr1":
            return bool(pre_hsrr1 & MSR_SE)
        return bool(pre_msr & MSR_SE)

    def writes_spr(self) -> int | None:
        if self.op is None or not self.op.spr_write or self.word is None:
            return None
        w = self.word
        return ((w >> 16) & 31) | (((w >> 11) & 31) << 5)

    def successors(self, cpu: VCPU) -> list[int]:
        """Every effective address execution may continue at, besides interrupt vectors."""
        amask = M64 if cpu.msr & MSR_SF else M32
        npc = (self.pc + 4) & amask
        if self.word is None or self.op is None:
            return [npc]
        w, f = self.word, self.flow
        if f == "li":  # b: never falls through
            li = sext(w & 0x03FF_FFFC, 26)
            return [(li if w & 2 else self.pc + li) & amask]
        if f == "bd":
            bd = sext(w & 0xFFFC, 16)
            return [npc, (bd if w & 2 else self.pc + bd) & amask]
        if f in _FLOW_SPR:
            return [npc, cpu.read_spr(_FLOW_SPR[f]) & ~3 & amask]
        if f in _FLOW_RETURN:
            srr0, srr1 = _FLOW_RETURN[f]
            return [cpu.spr[srr0] & ~3 & (M64 if cpu.spr[srr1] & MSR_SF else M32)]
        if f == "scv":  # to its vector, like an interrupt but without SRR0/1
            return [scv_entry(cpu.spr[SPR_LPCR], cpu.msr, (w >> 5) & 0x7F)[0]]
        return [npc]

    def target_msr(self, cpu: VCPU) -> int:
        """The MSR execution continues under at the successors (an rfid's SRR1)."""
        if self.flow in _FLOW_RETURN:
            return cpu.spr[_FLOW_RETURN[self.flow][1]]
        if self.flow == "scv" and self.word is not None:
            return scv_entry(cpu.spr[SPR_LPCR], cpu.msr, (self.word >> 5) & 0x7F)[1]
        if self.op is not None and self.op.msr_write == "ctr":  # rfscv: MSR from CTR
            return cpu.ctr
        return cpu.msr


_FLOW_SPR = {"lr": SPR_LR, "ctr": SPR_CTR, "tar": SPR_TAR}
_FLOW_RETURN = {"srr0": (SPR_SRR0, SPR_SRR1), "hsrr0": (SPR_HSRR0, SPR_HSRR1)}


def pending(cpu: VCPU) -> Pending:
    try:
        word = cpu.fetch(cpu.nia)
    except (Interrupt, MemoryFault):
        return Pending(cpu.nia, None, None)
    return Pending(cpu.nia, word, decode(word))
