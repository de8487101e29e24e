"""`trace-vector`: the host cannot intercept guest interrupts (the KVM HV model).

Only hypervisor-level events leave the guest: HEAI raised by the debug
instruction 0x00dddd00, `sc 1`, HDEC. So a step sets MSR[SE] on the vCPU
for real, plants the debug instruction on the guest's own trace vector and
undoes, at the exit, everything the trace interrupt did. Each numbered
comment below is the rule of docs/stepping.md it implements.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from ...bits import M64
from ...cpu import VCPU
from ...interrupts import (
    EXCP_ALIGN,
    EXCP_DECR,
    EXCP_DSEG,
    EXCP_DSI,
    EXCP_EXTERNAL,
    EXCP_FPU,
    EXCP_MCHECK,
    EXCP_PROGRAM,
    EXCP_SDOOR,
    EXCP_SYSCALL,
    EXCP_TRACE,
    vector_address,
)
from ...machine import ConfigError
from ...msr import (
    HID0_HILE,
    LPCR_ILE,
    MSR_BE,
    MSR_DR,
    MSR_HV,
    MSR_IR,
    MSR_LE,
    MSR_SE,
    SRR1_INTERRUPT_BITS,
    SRR1_TRACE,
)
from ...sprs import SPR_HID0, SPR_HSRR1, SPR_LPCR, SPR_SRR0, SPR_SRR1
from .base import (
    HYPERVISOR_EXIT_ON_DEBUG_INSTRUCTION,
    NEEDS_GUEST_PROFILE,
    PLANTED_BREAKPOINTS,
    BackendServices,
    StepError,
)
from .insn import Pending, pending

STEP_BUDGET = 64
ASYNC_VECTORS = (EXCP_EXTERNAL, EXCP_DECR, EXCP_SDOOR)


class TraceVectorBackend:
    name: ClassVar[str] = "trace-vector"
    capabilities: ClassVar[frozenset[str]] = frozenset(
        {HYPERVISOR_EXIT_ON_DEBUG_INSTRUCTION, PLANTED_BREAKPOINTS, NEEDS_GUEST_PROFILE}
    )

    def __init__(self) -> None:
        self.steps = 0
        self.host_exits = 0
        self.vector_stops = 0
        self.successor_stops = 0
        self.guest_traces = 0
        self.replants = 0

    def attach(self, services: BackendServices) -> None:
        self.services = services
        host = services.machine.host
        if host is None:
            raise ConfigError("the trace-vector backend needs the guest profile")
        host.after_hcall.append(self._after_hcall)
        self._active: tuple[VCPU, Pending, bool] | None = None
        self._planted: list[int] = []

    # -- the plan: where V may stop, and in which byte order each word goes ---------
    def _interrupt_order(self, cpu: VCPU, to_hv: bool) -> str:
        """The byte order interrupt handlers run in: LPCR[ILE] for the guest (rule 3)."""
        if to_hv or cpu.msr & MSR_HV:
            return "little" if cpu.spr[SPR_HID0] & HID0_HILE else "big"
        return "little" if cpu.spr[SPR_LPCR] & LPCR_ILE else "big"

    def _vector_pa(self, cpu: VCPU, vector: int, msr: int) -> int:
        """The physical word a vector's first instruction is fetched from (rule 2)."""
        ea, relocated = vector_address(cpu, vector, False, msr)
        if relocated:
            pa = cpu.mmu.probe(ea, "x") if cpu.mmu is not None else None
            if pa is None:
                raise StepError(
                    f"vCPU {cpu.index}: interrupt vector 0x{ea:x} is not mapped by the guest MMU"
                )
            return pa
        return cpu.real_address(ea)

    def _fault_vectors(self, insn: Pending) -> set[int]:
        vectors = {EXCP_PROGRAM}  # traps, privileged and (reflected) illegal instructions
        if insn.is_storage() or insn.is_fp():
            vectors |= {EXCP_MCHECK, EXCP_DSI, EXCP_DSEG, EXCP_ALIGN}
        if insn.is_fp():
            vectors.add(EXCP_FPU)
        if insn.flow == "syscall":
            vectors.add(EXCP_SYSCALL)
        return vectors

    def _plan(self, cpu: VCPU, insn: Pending, use_trace: bool, allow_async: bool) -> dict[int, str]:
        """Physical address -> byte order of every word to plant for this step."""
        msr = cpu.msr
        words: dict[int, str] = {}
        order = self._interrupt_order(cpu, False)
        vectors = self._fault_vectors(insn)
        if allow_async:
            vectors.update(ASYNC_VECTORS)
        for v in vectors:
            words[self._vector_pa(cpu, v, msr)] = order
        if use_trace:
            # Rule 2: the trace interrupt is taken in the state after the
            # instruction; mtmsr(d)/rfid may change IR/DR: plant every candidate.
            candidates = [msr]
            if insn.changes_translation_mode():
                candidates = [msr | MSR_IR | MSR_DR, msr & ~(MSR_IR | MSR_DR)]
            for m in candidates:
                words[self._vector_pa(cpu, EXCP_TRACE, m)] = order
        else:
            # Rules 8 and 9: no trace interrupt to rely on; stop at every
            # address the instruction may continue at.
            for ea in insn.successors(cpu):
                target_msr = insn.target_msr(cpu)
                pa = self._fetch_pa(cpu, ea, target_msr)
                words[pa] = "little" if target_msr & MSR_LE else "big"
        return words

    def _fetch_pa(self, cpu: VCPU, ea: int, msr: int) -> int:
        if msr & MSR_IR and cpu.mmu is not None:
            pa = cpu.mmu.probe(ea, "x")
            if pa is None:
                raise StepError(f"vCPU {cpu.index}: 0x{ea:x} is not mapped by the guest MMU")
            return pa
        return cpu.real_address(ea)

    def _plant(self, cpu: VCPU, words: dict[int, str], own_pa: int | None) -> None:
        planter = self.services.planter
        for pa, order in words.items():
            if pa == own_pa:
                continue  # rule 9: never plant on the instruction being stepped
            planter.plant(pa, order)
            self._planted.append(pa)
        self.services.register_stops(cpu, {pa for pa in words if pa != own_pa})

    def _unplant(self, cpu: VCPU) -> None:
        planter = self.services.planter
        for pa in self._planted:
            planter.unplant(pa)
        self._planted = []
        self.services.clear_stops(cpu)

    def _after_hcall(self, cpu: VCPU) -> None:
        """Rule 10: a hypercall in the middle of a step may move or re-encode the vector."""
        if self._active is None or self._active[0] is not cpu:
            return
        _, insn, use_trace = self._active
        self._unplant(cpu)
        self._plant(cpu, self._plan(cpu, insn, use_trace, not cpu.mask_async), self._own_pa)
        self.replants += 1

    # -- one step ----------------------------------------------------------------
    def step(self, cpu: VCPU, during: Callable[[], None]) -> None:
        self.steps += 1
        # Rule 1: the pre-step state, and the guest's own view of SE and BE.
        insn = pending(cpu)
        pre_msr = cpu.msr
        pre_srr0, pre_srr1 = cpu.spr[SPR_SRR0], cpu.spr[SPR_SRR1]
        pre_hsrr1 = cpu.spr[SPR_HSRR1]
        guest_se = bool(pre_msr & MSR_SE)
        guest_be = bool(pre_msr & MSR_BE)
        own_pa = cpu.probe(insn.pc, fetch=True)
        self._own_pa = own_pa
        allow_async = not cpu.mask_async
        traced = insn.op is not None and not insn.op.untraced and not insn.sets_se(cpu)
        plan = self._plan(cpu, insn, traced, allow_async) if traced else {}
        # Rule 9: stepping the instruction that sits where a word would go.
        use_trace = traced and own_pa not in plan
        if not use_trace:
            plan = self._plan(cpu, insn, False, allow_async)
        self._plant(cpu, plan, own_pa)
        self._active = (cpu, insn, use_trace)
        try:
            if use_trace:
                cpu.set_msr(cpu.msr | MSR_SE)  # rule 4
            during()
            cpu.run(STEP_BUDGET)
        finally:
            self._active = None
            self._unplant(cpu)
        if cpu.exit_reason != "step":
            if guest_se is False and cpu.msr & MSR_SE and use_trace:
                cpu.set_msr(cpu.msr & ~MSR_SE)
            raise StepError(f"vCPU {cpu.index}: step at 0x{insn.pc:x} did not reach a planted stop")
        cpu.exit_reason = None
        self.host_exits += 1
        at_trace = (
            use_trace
            and cpu.spr[SPR_SRR1] & SRR1_TRACE
            and cpu.nia in self._trace_eas(cpu, insn, pre_msr)
        )
        if at_trace:
            self.vector_stops += 1
            self._finish_trace(
                cpu, insn, pre_msr, pre_srr0, pre_srr1, pre_hsrr1, guest_se, guest_be
            )
        else:
            self.successor_stops += 1
            if use_trace:
                # Stopped at a fault or asynchronous vector: the interrupt saved
                # MSR with the host's SE in SRR1; the guest must see its own.
                srr1 = cpu.spr[SPR_SRR1]
                cpu.spr[SPR_SRR1] = (srr1 & ~MSR_SE) | (pre_msr & MSR_SE)

    def _trace_eas(self, cpu: VCPU, insn: Pending, pre_msr: int) -> set[int]:
        eas = set()
        for m in (pre_msr, pre_msr | MSR_IR | MSR_DR, pre_msr & ~(MSR_IR | MSR_DR)):
            eas.add(vector_address(cpu, EXCP_TRACE, False, m)[0])
        return eas

    def _finish_trace(
        self,
        cpu: VCPU,
        insn: Pending,
        pre_msr: int,
        pre_srr0: int,
        pre_srr1: int,
        pre_hsrr1: int,
        guest_se: bool,
        guest_be: bool,
    ) -> None:
        # Rule 7: the guest single-steps (or branch-traces) itself: it expects
        # this trace interrupt. Leave V at its trace vector as the reference does.
        branch = insn.op is not None and insn.op.branch
        new_se = insn.guest_se_after(cpu, pre_msr, pre_srr1, pre_hsrr1)
        if guest_se or (guest_be and branch):
            self.guest_traces += 1
            # The saved MSR image carries the host's SE: the guest's own view goes there.
            srr1 = cpu.spr[SPR_SRR1]
            cpu.spr[SPR_SRR1] = (srr1 & ~MSR_SE) | (MSR_SE if new_se else 0)
            return
        # Rule 5: undo the trace interrupt.
        srr0, srr1 = cpu.spr[SPR_SRR0], cpu.spr[SPR_SRR1]
        msr = srr1 & ~SRR1_INTERRUPT_BITS & M64
        msr = (msr & ~MSR_SE) | (MSR_SE if new_se else 0)  # never from a pre-step copy
        cpu.set_msr(msr)
        cpu.nia = srr0
        written = insn.writes_spr()
        cpu.spr[SPR_SRR0] = cpu.gpr[insn.rt] if written == SPR_SRR0 else pre_srr0
        cpu.spr[SPR_SRR1] = cpu.gpr[insn.rt] if written == SPR_SRR1 else pre_srr1
        # Rule 6: hide the host's SE from a stepped mfmsr.
        if insn.reads_msr and not guest_se:
            cpu.gpr[insn.rt] &= ~MSR_SE

    def stats(self) -> dict[str, int]:
        planter = self.services.planter
        return {
            "steps": self.steps,
            "host_exits": self.host_exits + self.services_foreign(),
            "planted": planter.planted,
            "restored": planter.restored,
            "foreign_hits": self.services_foreign(),
            "vector_stops": self.vector_stops,
            "successor_stops": self.successor_stops,
            "guest_traces": self.guest_traces,
            "replants": self.replants,
        }

    def services_foreign(self) -> int:
        return int(getattr(self.services, "foreign_hits", 0))
