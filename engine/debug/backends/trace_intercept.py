"""`trace-intercept`: the host sees every guest interrupt first (the KVM PR model).

The controller's single step is a host-hidden MSR[SE] (the engine's
``host_se``, KVM PR's shadow MSR): the guest's ``mfmsr`` never shows it and
``rfid`` cannot clear it. The trace interrupt it causes is intercepted
before delivery and swallowed. Every other interrupt the step raises (a
fault, a trap, the guest's own trace, an asynchronous interrupt when the
step flags allow it) is delivered to the guest as usual, and the step ends
at its handler, as the reference does.

Instructions that are never traced (`sc`, `rfid`, `hrfid`, an `mtmsr(d)`
that sets SE) are the privileged instructions a KVM PR guest traps on, so
the host emulates them: the engine executes them for the host directly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from ...cpu import VCPU
from ...interrupts import EXCP_TRACE, Interrupt
from ...msr import MSR_BE, MSR_SE
from .base import INTERCEPTS_GUEST_INTERRUPTS, BackendServices, StepError
from .insn import Pending, pending

STEP_BUDGET = 64  # instruction slots a single step may take before it is a bug


class TraceInterceptBackend:
    name: ClassVar[str] = "trace-intercept"
    capabilities: ClassVar[frozenset[str]] = frozenset({INTERCEPTS_GUEST_INTERRUPTS})

    def __init__(self) -> None:
        self.steps = 0
        self.host_exits = 0
        self.intercepted_traces = 0
        self.emulated = 0
        self._pre_msr = 0
        self._insn: Pending | None = None

    def attach(self, services: BackendServices) -> None:
        self.services = services

    def step(self, cpu: VCPU, during: Callable[[], None]) -> None:
        self.steps += 1
        insn = pending(cpu)
        if insn.op is not None and (insn.op.untraced or insn.sets_se(cpu)):
            self.host_exits += 1
            self.emulated += 1
            during()
            cpu.step()
            return
        self._pre_msr = cpu.msr
        self._insn = insn
        cpu.host_se = True
        cpu.intercept = self._intercept
        try:
            during()
            cpu.run(STEP_BUDGET)
        finally:
            cpu.host_se = False
            cpu.intercept = None
        if cpu.exit_reason != "host-step":
            raise StepError(f"vCPU {cpu.index}: step at 0x{insn.pc:x} did not reach a trace stop")
        cpu.exit_reason = None

    def _intercept(self, cpu: VCPU, exc: Interrupt, pc: int) -> bool:
        self.host_exits += 1
        cpu.exit_reason = "host-step"
        if exc.vector != EXCP_TRACE:
            return False  # delivered to the guest; the step ends at its handler
        insn = self._insn
        guest_wants = bool(self._pre_msr & MSR_SE) or bool(
            self._pre_msr & MSR_BE and insn is not None and insn.op is not None and insn.op.branch
        )
        if guest_wants:
            return False  # the guest's own trace interrupt: deliver it
        # The host's trace: taken by the hardware (so the reservation is
        # gone, as on a real machine), then hidden from the guest.
        self.intercepted_traces += 1
        cpu.lose_reservation()
        cpu.nia = exc.next_pc if exc.next_pc is not None else pc
        return True

    def stats(self) -> dict[str, int]:
        return {
            "steps": self.steps,
            "host_exits": self.host_exits,
            "planted": 0,
            "restored": 0,
            "foreign_hits": 0,
            "intercepted_traces": self.intercepted_traces,
            "emulated": self.emulated,
        }
