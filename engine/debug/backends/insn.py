"""What a backend needs to know about the instruction it is about to step."""

from __future__ import annotations

from dataclasses import dataclass

from ...bits import M32, M64, sext
from ...cpu import VCPU
from ...interrupts import Interrupt
from ...isa.decoder import AnyOp
from ...isa.table import decode
from ...memory import MemoryFault
from ...msr import MSR_SE, MSR_SF
from ...sprs import SPR_CTR, SPR_HSRR0, SPR_HSRR1, SPR_LR, SPR_SRR0, SPR_SRR1

SPR_TAR = 815


@dataclass(frozen=True)
class Pending:
    """The instruction at a vCPU's NIA, decoded once for the backend's plan."""

    pc: int
    word: int | None  # None: fetching it faults
    op: AnyOp | None

    @property
    def mnemonic(self) -> str:
        return self.op.mnemonic if self.op else ""

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
        return self.mnemonic in ("mtmsr", "mtmsrd", "rfid", "hrfid")

    def sets_se(self, cpu: VCPU) -> bool:
        """An mtmsr(d) that sets SE is not traced (docs/machine.md)."""
        if self.mnemonic not in ("mtmsr", "mtmsrd") or self.word is None or self.word & 0x10000:
            return False
        return not cpu.msr & MSR_SE and bool(cpu.gpr[self.rt] & MSR_SE)

    def guest_se_after(self, cpu: VCPU, pre_msr: int, pre_srr1: int, pre_hsrr1: int) -> bool:
        """The guest's own MSR[SE] after the instruction, from what the guest wrote."""
        m = self.mnemonic
        if m in ("mtmsr", "mtmsrd") and self.word is not None and not self.word & 0x10000:
            return bool(cpu.gpr[self.rt] & MSR_SE)
        if m == "rfid":
            return bool(pre_srr1 & MSR_SE)
        if m == "hrfid":
            return bool(pre_hsrr1 & MSR_SE)
        return bool(pre_msr & MSR_SE)

    def writes_spr(self) -> int | None:
        if self.mnemonic != "mtspr" or self.word is None:
            return None
        w = self.word
        return ((w >> 16) & 31) | (((w >> 11) & 31) << 5)

    def successors(self, cpu: VCPU) -> list[int]:
        """Every effective address execution may continue at, besides interrupt vectors."""
        amask = M64 if cpu.msr & MSR_SF else M32
        npc = (self.pc + 4) & amask
        if self.word is None or self.op is None:
            return [npc]
        w, m = self.word, self.mnemonic
        if m == "b":
            li = sext(w & 0x03FF_FFFC, 26)
            return [(li if w & 2 else self.pc + li) & amask]
        if m == "bc":
            bd = sext(w & 0xFFFC, 16)
            return [npc, (bd if w & 2 else self.pc + bd) & amask]
        if m == "bclr":
            return [npc, cpu.read_spr(SPR_LR) & ~3 & amask]
        if m == "bcctr":
            return [npc, cpu.read_spr(SPR_CTR) & ~3 & amask]
        if m == "bctar":
            return [npc, cpu.read_spr(SPR_TAR) & ~3 & amask]
        if m == "rfid":
            srr1 = cpu.spr[SPR_SRR1]
            return [cpu.spr[SPR_SRR0] & ~3 & (M64 if srr1 & MSR_SF else M32)]
        if m == "hrfid":
            hsrr1 = cpu.spr[SPR_HSRR1]
            return [cpu.spr[SPR_HSRR0] & ~3 & (M64 if hsrr1 & MSR_SF else M32)]
        return [npc]


def pending(cpu: VCPU) -> Pending:
    try:
        word = cpu.fetch(cpu.nia)
    except (Interrupt, MemoryFault):
        return Pending(cpu.nia, None, None)
    return Pending(cpu.nia, word, decode(word))
