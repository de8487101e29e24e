"""The hypervisor side of the `guest` profile: what KVM HV does for a guest.

In the `guest` profile the vCPUs run a logical partition with MSR[HV]=0.
Hypervisor-level events (HEAI, `sc 1`, HDEC, hypervisor doorbells...) leave
the guest and arrive here as a *VM exit*. The host serves a small set of
sPAPR hypercalls (numbers and registers as Linux's `hvcall.h` uses them),
reflects illegal instructions back into the guest as KVM does, and hands
everything else (the debugger's planted instruction first of all) to an
exit handler the debugger installs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from .bits import M64
from .interrupts import (
    EXCP_HDECR,
    EXCP_HV_EMU,
    EXCP_PROGRAM,
    EXCP_SYSCALL,
    Interrupt,
    deliver_vector,
)
from .msr import (
    LPCR_AIL,
    LPCR_AIL_SHIFT,
    LPCR_GTSE,
    LPCR_HR,
    LPCR_ILE,
    LPCR_UPRT,
    MSR_EE,
    SRR1_PROGRAM_ILLEGAL,
)
from .sprs import SPR_LPCR, SPR_PIR

if TYPE_CHECKING:
    from .cpu import VCPU

DEBUG_INSTRUCTION = 0x00DDDD00  # what KVM_REG_PPC_DEBUG_INST returns on HV

H_SUCCESS = 0
H_FUNCTION = -2
H_PARAMETER = -4
H_P2 = -55
H_P3 = -56
H_UNSUPPORTED_FLAG = -256

H_GET_TERM_CHAR = 0x54
H_PUT_TERM_CHAR = 0x58
H_CEDE = 0xE0
H_CONFER = 0xE4
H_PROD = 0xE8
H_SET_MODE = 0x31C
H_REGISTER_PROC_TBL = 0x37C

H_SET_MODE_RESOURCE_ADDR_TRANS_MODE = 3
H_SET_MODE_RESOURCE_LE = 4

# H_REGISTER_PROC_TBL flags (hvcall.h)
PROC_TABLE_NEW = 0x18
PROC_TABLE_RADIX = 0x04
PROC_TABLE_GTSE = 0x01


@dataclass(frozen=True)
class VMExit:
    """A hypervisor-level event the host did not serve itself."""

    vcpu: int
    vector: int
    pc: int
    word: int | None  # the instruction word for HEAI (HEIR), when it could be fetched


@dataclass
class GuestHost:
    """Serves the guest's hypercalls; everything else goes to ``on_exit``."""

    vcpus: list[VCPU] = field(default_factory=list)
    console_out: bytearray = field(default_factory=bytearray)
    console_in: bytearray = field(default_factory=bytearray)
    process_table: int | None = None  # PATE second doubleword registered by the guest
    hcalls: int = 0
    last_hcall: int = -1
    # Hypercall numbers answered H_FUNCTION, with how often (PAPR: never an exception).
    unknown_hcalls: dict[int, int] = field(default_factory=dict)
    # H_PROD of a vCPU that was not ceded: its next H_CEDE returns at once (as QEMU).
    prodded: set[int] = field(default_factory=set)
    # Told of each hypercall the host does not implement: (vCPU index, number).
    on_unsupported: Callable[[int, str, int], None] | None = None
    on_console: Callable[[int, bytes], None] | None = None
    # The debugger's hook: returns True when it consumed the exit (the vCPU
    # then stays where the hook left it, usually with exit_reason set).
    on_exit: Callable[[VCPU, VMExit], bool] | None = None
    # Called after each hypercall the host served (the debugger re-plans a step).
    after_hcall: list[Callable[[VCPU], None]] = field(default_factory=list)

    def attach(self, vcpus: list[VCPU]) -> None:
        """Serve the machine's vCPUs (a platform's host also sets up its devices here)."""
        self.vcpus = vcpus

    def vm_exit(self, cpu: VCPU, exc: Interrupt, pc: int) -> None:
        if exc.hv_call and exc.vector == EXCP_SYSCALL:
            self.hcalls += 1
            cpu.nia = exc.next_pc if exc.next_pc is not None else (pc + 4) & M64
            self.hypercall(cpu)
            for hook in self.after_hcall:
                hook(cpu)
            return
        word = None
        if exc.vector == EXCP_HV_EMU:
            try:
                word = cpu.fetch(pc)
            except Exception:  # noqa: BLE001 - a fault on the re-fetch just means "unknown word"
                word = None
        info = VMExit(cpu.index, exc.vector, pc, word)
        if self.on_exit is not None and self.on_exit(cpu, info):
            return
        if exc.vector == EXCP_HV_EMU:
            # KVM reflects an instruction it cannot emulate into the guest as
            # a program interrupt, illegal instruction (SRR1 bit 44).
            cpu.lose_reservation()
            deliver_vector(cpu, EXCP_PROGRAM, SRR1_PROGRAM_ILLEGAL, pc)
            return
        if exc.vector == EXCP_HDECR:
            cpu.nia = pc  # the guest's time slice ended: resume it where it was
            return
        # Other hypervisor interrupts (hypervisor doorbell, HMI, HDSI...) have
        # no guest-visible effect in this model: resume the guest.
        cpu.nia = exc.next_pc if exc.next_pc is not None else pc

    def stats(self) -> dict[str, object]:
        """The host's counters for the session's platform view."""
        return {"hcalls": {"all": self.hcalls}}

    def console_input(self, data: bytes) -> int:
        """Queue ``data`` for the guest's H_GET_TERM_CHAR; returns the bytes now waiting.
        Call it on the engine's thread (Controller.console_input hands input over there)."""
        self.console_in += data
        return len(self.console_in)

    # -- hypercalls -----------------------------------------------------------
    def hypercall(self, cpu: VCPU) -> None:
        g = cpu.gpr
        opcode = g[3]
        self.last_hcall = opcode
        handler = self._HCALLS.get(opcode)
        if handler is None:
            self.unknown_hcalls[opcode] = self.unknown_hcalls.get(opcode, 0) + 1
            if self.on_unsupported is not None:
                self.on_unsupported(cpu.index, "hcall", opcode)
            g[3] = H_FUNCTION & M64
            return
        g[3] = handler(self, cpu) & M64

    # -- checkpoints ----------------------------------------------------------------
    def get_state(self) -> dict[str, object]:
        """The host's part of a checkpoint, as plain JSON values."""
        return {
            "console_out": bytes(self.console_out).hex(),
            "console_in": bytes(self.console_in).hex(),
            "process_table": self.process_table,
            "hcalls": self.hcalls,
            "last_hcall": self.last_hcall,
            "unknown_hcalls": {str(k): v for k, v in self.unknown_hcalls.items()},
            "prodded": sorted(self.prodded),
        }

    def set_state(self, state: dict[str, object]) -> None:
        self.console_out = bytearray.fromhex(str(state["console_out"]))
        self.console_in = bytearray.fromhex(str(state["console_in"]))
        table = state["process_table"]
        self.process_table = table if isinstance(table, int) else None
        self.hcalls = int(state["hcalls"])  # type: ignore[call-overload]
        self.last_hcall = int(state.get("last_hcall", -1))  # type: ignore[call-overload]
        unknown = state.get("unknown_hcalls", {})
        assert isinstance(unknown, dict)
        self.unknown_hcalls = {int(k): int(v) for k, v in unknown.items()}
        self.prodded = set(state.get("prodded", ()))  # type: ignore[call-overload]
        for v in self.vcpus:
            if v.mmu is not None:
                v.mmu.process_table_override = self.process_table  # type: ignore[attr-defined]

    def _put_term_char(self, cpu: VCPU) -> int:
        g = cpu.gpr
        length = g[5]
        if length > 16:
            return H_PARAMETER
        data = (g[6].to_bytes(8, "big") + g[7].to_bytes(8, "big"))[:length]
        self.console_out += data
        if self.on_console is not None and data:
            self.on_console(cpu.index, bytes(data))
        return H_SUCCESS

    def _get_term_char(self, cpu: VCPU) -> int:
        g = cpu.gpr
        chunk = bytes(self.console_in[:16])
        del self.console_in[: len(chunk)]  # not [:16]: input may have arrived since the copy
        padded = chunk.ljust(16, b"\0")
        g[4] = len(chunk)
        g[5] = int.from_bytes(padded[:8], "big")
        g[6] = int.from_bytes(padded[8:], "big")
        return H_SUCCESS

    def _set_mode(self, cpu: VCPU) -> int:
        g = cpu.gpr
        mflags, resource = g[4], g[5]
        if resource == H_SET_MODE_RESOURCE_ADDR_TRANS_MODE:
            if mflags > 3:
                return H_UNSUPPORTED_FLAG
            if mflags == 1:
                return H_UNSUPPORTED_FLAG  # POWER9 has no AIL=1 (as KVM answers)
            for v in self.vcpus:  # partition-wide, as LPCR is
                lpcr = v.spr[SPR_LPCR]
                v.spr[SPR_LPCR] = (lpcr & ~LPCR_AIL) | (mflags << LPCR_AIL_SHIFT)
            return H_SUCCESS
        if resource == H_SET_MODE_RESOURCE_LE:
            if mflags > 1:
                return H_UNSUPPORTED_FLAG
            for v in self.vcpus:
                lpcr = v.spr[SPR_LPCR]
                v.spr[SPR_LPCR] = (lpcr | LPCR_ILE) if mflags else (lpcr & ~LPCR_ILE)
            return H_SUCCESS
        return H_P2

    def _register_proc_tbl(self, cpu: VCPU) -> int:
        g = cpu.gpr
        flags, base, page_size, table_size = g[4], g[5], g[6], g[7]
        if not flags & PROC_TABLE_RADIX:
            if flags & PROC_TABLE_NEW:
                return H_PARAMETER  # hash is out of scope (docs/machine.md)
            self.process_table = None
        else:
            if table_size > 24 or page_size:
                return H_P3 if page_size else H_PARAMETER
            # PATE dword 1: PRTB (base, 4 KiB aligned) | PRTS (table size - 12)
            self.process_table = (base & ~0xFFF & M64) | (table_size & 0x1F)
        for v in self.vcpus:
            if v.mmu is not None:
                v.mmu.process_table_override = self.process_table  # type: ignore[attr-defined]
            # As QEMU's sPAPR machine: host radix (HR) and process tables in use (UPRT), and
            # GTSE (tlbie from the guest) when asked; all three are rewritten each time.
            update = LPCR_HR | LPCR_UPRT if self.process_table is not None else 0
            if flags & PROC_TABLE_GTSE:
                update |= LPCR_GTSE
            lpcr = v.spr[SPR_LPCR] & ~(LPCR_HR | LPCR_UPRT | LPCR_GTSE)
            v.spr[SPR_LPCR] = lpcr | update
            v.flush_translation()
        return H_SUCCESS

    def _cede(self, cpu: VCPU) -> int:
        # H_CEDE: idle until an interrupt or H_PROD; PAPR sets MSR[EE].
        cpu.set_msr(cpu.msr | MSR_EE)
        if cpu.index in self.prodded:
            self.prodded.discard(cpu.index)  # prodded while it ran: return at once (QEMU)
            return H_SUCCESS
        if not cpu.wake_condition():
            cpu.sleeping = True
        return H_SUCCESS

    def _prod(self, cpu: VCPU) -> int:
        target = self.vcpu_by_id(cpu.gpr[4])
        if target is None:
            return H_PARAMETER
        if target.sleeping:
            target.sleeping = False
        else:
            self.prodded.add(target.index)
        return H_SUCCESS

    def _confer(self, cpu: VCPU) -> int:
        # H_CONFER: give the rest of the time slice to another vCPU. The scheduler is
        # deterministic round-robin, so returning at once is a valid (QEMU-like) answer.
        return H_SUCCESS

    def vcpu_by_id(self, hw_id: int) -> VCPU | None:
        """The vCPU whose hardware id (PIR) is ``hw_id``, else whose index is (guest profile)."""
        for v in self.vcpus:
            if v.spr[SPR_PIR] == hw_id:
                return v
        for v in self.vcpus:
            if v.index == hw_id:
                return v
        return None

    _HCALLS: ClassVar[dict[int, Callable[[GuestHost, VCPU], int]]] = {
        H_PUT_TERM_CHAR: _put_term_char,
        H_GET_TERM_CHAR: _get_term_char,
        H_SET_MODE: _set_mode,
        H_REGISTER_PROC_TBL: _register_proc_tbl,
        H_CEDE: _cede,
        H_PROD: _prod,
        H_CONFER: _confer,
    }
