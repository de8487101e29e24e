"""How ``ppcdbg trace --steps`` moves a vCPU by one step.

Always what ``Controller.step(v)`` does. For the reference backend in a
session nobody else observes, that is ``cpu.step()`` with the session's step
flags plus bookkeeping that changes nothing the trace or the guest can see
(an event to no listener, a history entry history does not keep, a watch
scope with no watchpoints); the fast stepper does the step alone and leaves
the controller as ``step`` would (backend counter, last stop). Any other
backend or session option takes ``Controller.step`` itself.

Why not ``VCPU.run`` with the per-instruction trace hook: a run advances the
clock and takes asynchronous interrupts, a step with the default flags
(noirq, notimer) does neither, and a slot that retires nothing (an interrupt
delivered, a sleeping vCPU) is a step but no hook call.
"""

from __future__ import annotations

from .cpu import VCPU
from .debug.backends.insn import pending
from .debug.backends.native import NativeBackend
from .debug.controller import Controller
from .debug.events import StopEvent
from .msr import MSR_IR


class Stepper:
    """Steps through the controller: right for every backend and option."""

    def __init__(self, ctl: Controller) -> None:
        self.ctl = ctl

    def step(self, cpu: VCPU) -> None:
        self.ctl.step(cpu.index)

    def finish(self) -> None:
        """Leave the controller as the steps through it would have (nothing to do here)."""


class NativeStepper(Stepper):
    """``Controller.step`` for the native backend, without its per-step bookkeeping."""

    def __init__(self, ctl: Controller, backend: NativeBackend) -> None:
        super().__init__(ctl)
        self.backend = backend
        self.noirq = ctl.config.noirq
        self.notimer = ctl.config.notimer
        # the last vCPU stepped, whether it was halted before, and why
        self._last: tuple[VCPU, bool, str | None] | None = None

    def step(self, cpu: VCPU) -> None:
        if cpu.halted:
            # Controller.step reports the halt and does not step.
            self._last = (cpu, True, cpu.halt_reason)
            return
        self._last = (cpu, False, None)
        if cpu.msr & MSR_IR:
            # The controller decodes the pending instruction first; with
            # translation on that fetch walks the page table (reference bits).
            pending(cpu)
        clock = cpu.clock
        cpu.mask_async = self.noirq
        try:
            cpu.step()
        finally:
            cpu.mask_async = False
        if self.notimer:
            cpu.clock = clock  # virtual time stands still for the stepped vCPU
        self.backend.steps += 1

    def finish(self) -> None:
        if self._last is None:
            return
        cpu, halted, why = self._last
        ctl = self.ctl
        if not halted:
            ev = StopEvent(vcpu=cpu.index, reason="step", pc=cpu.nia, time=ctl.time)
        else:
            reason = "checkstop" if why == "checkstop" else "exit"
            ev = StopEvent(cpu.index, reason, cpu.nia, ctl.time, message=why)
        ctl.last_stop = ev


def stepper(ctl: Controller, fast: bool = True) -> Stepper:
    """The fastest stepper that equals ``Controller.step`` for this session."""
    backend = ctl.backend
    m = ctl.machine
    if (
        fast
        and type(backend) is NativeBackend  # its step is exactly cpu.step(), after `during`
        and not ctl.history.enabled  # no step entries to record
        and not ctl.listeners  # no stop events to deliver
        and not ctl.trace_vcpus  # no trace events
        and not ctl.breakpoints.by_id  # no watch scope, no catchpoints
        and not m.mem.watching
        and ctl.atomic == "each"  # a larx is one step, not a run to the end of its sequence
        # `during` runs the other vCPUs only with scheduler locking off
        and (ctl.config.scheduler_locking != "off" or len(m.vcpus) == 1)
    ):
        return NativeStepper(ctl, backend)
    return Stepper(ctl)
