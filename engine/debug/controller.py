"""The stepping controller: sessions' single entry point into the engine.

The service, the CLI and a GDB server drive a machine only through a
``Controller``: registers and memory, breakpoints, step/continue/halt,
checkpoints and reverse execution, and a stream of typed events. The
controller picks its strategy from the backend's capabilities, never from
its name (docs/stepping.md "Backends").

Its jobs live in mixins of their own: inspection.py (registers, memory,
disassembly), breakpoint_control.py (breakpoints and when a hit stops),
reverse.py (snapshots and reverse execution), tracing.py (trace events); this
module keeps execution control, the event stream and the engine's hooks.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from operator import attrgetter
from typing import Any, cast

from ..bits import M64, sext
from ..cpu import NO_EVENT, VCPU, trace_regs
from ..host import VMExit
from ..interrupts import EXCP_HV_EMU, save_registers
from ..isa.table import decode
from ..loader import Image
from ..machine import ConfigError as ConfigError  # re-exported: the controller's face for callers
from ..machine import Machine, MachineConfig
from ..mmu import RadixMMU
from ..msr import MSR_IR, MSR_LE
from ..trace_format import Reader
from .backends import make_backend
from .backends.base import (
    NATIVE_STEP,
    NEEDS_GUEST_PROFILE,
    PLANTED_BREAKPOINTS,
    VIRTUAL_HW_BREAKPOINTS,
    StepError,
)
from .backends.insn import pending
from .backends.native import NativeBackend
from .breakpoint_control import BreakpointControl
from .breakpoints import Breakpoint, BreakpointTable
from .config import SessionConfig
from .errors import ControllerError as ControllerError  # re-exported (the face for callers)
from .errors import MemoryAccessError as MemoryAccessError
from .events import (
    ConsoleEvent,
    Event,
    InterruptEvent,
    ResumeEvent,
    StopEvent,
    WatchHit,
)
from .history import History, RunEntry
from .inspection import Inspection
from .planter import Planter
from .reverse import ReverseExecution, Snapshot
from .tracing import TraceEmission

TIMEBASE_HZ = 512_000_000  # the timebase's frequency (POWER9, QEMU's powernv9 and pseries)
CHUNK = 4096  # slots between halt checks while running (a few ms)
# A halted vCPU's halt_reason that is a stop reason of its own (the platform ended the run).
END_OF_RUN = ("checkstop", "poweroff", "panic", "reboot")
CHUNK_TRACED = 1024  # the same when vCPUs are traced (each slot costs several times more)
DEFAULT_BUDGET = 50_000_000
RUN_TO_BUDGET = 5_000_000
PROGRESS_STEPS = 1 << 16  # steps between progress calls of a long step
ATOMIC_WINDOW = 16  # instructions gdb scans for the end of a larx/stcx. sequence


class Controller(Inspection, BreakpointControl, TraceEmission, ReverseExecution):
    """One debug session's machine and everything that drives it (engine/target.py's
    Target): state access and breakpoints here, trace events in tracing.py, snapshots and
    reverse execution in reverse.py."""

    def __init__(
        self, image: Image, config: SessionConfig | None = None, machine: Machine | None = None
    ) -> None:
        """A session over ``image``, or over a ``machine`` a platform built (pseries: the
        kernel, initrd and tree already placed), whose config must agree with ``config``."""
        self.config = config = config or SessionConfig()
        self._readers: dict[tuple[str, ...], list[Reader]] = {}
        self.image = image
        self.backend = make_backend(config.backend)
        caps = self.backend.capabilities
        if NEEDS_GUEST_PROFILE in caps and config.profile not in ("guest", "pseries"):
            raise ControllerError(f"the {config.backend} backend needs the guest profile")
        if machine is not None:
            mc = machine.config
            if (mc.vcpus, mc.profile, mc.memory) != (config.vcpus, config.profile, config.memory):
                raise ControllerError("the machine and the session configuration disagree")
        self.machine = machine or Machine(
            image,
            MachineConfig(
                vcpus=config.vcpus, profile=config.profile, memory=config.memory,
                quantum=config.quantum,
            ),
        )  # fmt: skip
        self.planter = Planter(self.machine.mem)
        self.breakpoints = BreakpointTable(unlimited_hardware=VIRTUAL_HW_BREAKPOINTS in caps)
        self.atomic = config.atomic_sequences or ("each" if NATIVE_STEP in caps else "whole")
        self.foreign_hits = 0
        self.listeners: tuple[Callable[[Any], None], ...] = ()  # every listener
        # Callable[[Event], None] each
        self._event_listeners: tuple[Callable[[Any], None], ...] = ()
        # Callable[[Event | TraceBatch], None] each
        self._batch_listeners: tuple[Callable[[Any], None], ...] = ()
        self.last_stop: StopEvent | None = None
        self.running = False
        self._halt = threading.Event()
        # Set by a halt and by console input: ends a realtime idle wait (config.idle) early.
        self._poke = threading.Event()
        # Console input typed from other threads, handed to the host on the engine's thread
        # (it may raise the console's interrupt, which changes vCPU state).
        self._typed: list[bytes] = []
        self._typed_lock = threading.Lock()
        self._lock = threading.RLock()
        self._step_stops: dict[int, set[int]] = {}
        self._bp_pas: dict[int, list[Breakpoint]] = {}
        self._extra_pas: dict[int, set[int]] = {}
        self._skip_once: dict[int, int] = {}  # vCPU -> planted address it resumes from
        self._catch_hit: dict[int, Breakpoint] = {}
        self.snapshots: dict[str, Snapshot] = {}
        # Trace events: the vCPUs traced (None: tracing off) and the extra
        # registers reported when they change (GPRs, CR, XER, LR, CTR, MSR always).
        self.trace_vcpus: frozenset[int] | None = None
        self._snap_ids = 0
        host = self.machine.host
        if host is not None:
            host.on_exit = self._on_vm_exit
            host.on_console = self._on_console
            host.after_hcall.append(self._after_hcall)
        for cpu in self.machine.vcpus:
            cpu.on_interrupt = self._on_interrupt
        self.backend.attach(self)
        self.history = History(
            self.machine, config.history_interval, config.history_budget, config.history
        )

    # -- events ---------------------------------------------------------------------
    def subscribe(
        self, listener: Callable[[Any], None], batches: bool = False
    ) -> Callable[[], None]:
        """Call ``listener`` with every event, in order; with ``batches``, trace events
        come as TraceBatch objects (a run of one vCPU's instructions each). Returns the
        function that unsubscribes it."""
        # Listeners are kept as tuples, replaced on change: the trace paths iterate them
        # without a copy, even if a listener unsubscribes.
        if batches:
            self._batch_listeners = (*self._batch_listeners, listener)
        else:
            self._event_listeners = (*self._event_listeners, listener)
        self.listeners = (*self.listeners, listener)

        def unsubscribe() -> None:
            self.listeners = tuple(x for x in self.listeners if x is not listener)
            self._batch_listeners = tuple(x for x in self._batch_listeners if x is not listener)
            self._event_listeners = tuple(x for x in self._event_listeners if x is not listener)

        return unsubscribe

    def _emit(self, event: Event) -> None:
        for listener in self.listeners:
            listener(event)

    @property
    def time(self) -> int:
        """Virtual time: instructions executed by every vCPU so far."""
        return sum(map(_RETIRED, self.machine.vcpus))

    def _stop_event(self, ev: StopEvent) -> StopEvent:
        self.last_stop = ev
        self._emit(ev)
        return ev

    def _stop(self, vcpu: int, reason: str, **extra: object) -> StopEvent:
        cpu = self.machine.vcpus[vcpu]
        ev = StopEvent(vcpu=vcpu, reason=reason, pc=cpu.nia, time=self.time, **extra)  # type: ignore[arg-type]
        return self._stop_event(ev)

    # -- hooks from the engine ----------------------------------------------------------
    def _on_console(self, vcpu: int, data: bytes) -> None:
        self._emit(ConsoleEvent(vcpu, data.decode("latin-1"), self.time))

    def _on_interrupt(self, cpu: VCPU, vector: int, pc: int) -> None:
        if self.history.replaying:
            return
        if self.listeners:
            # What delivery wrote: the interrupt's own save registers (SRR or HSRR).
            save0, save1 = save_registers(vector)
            spr = cpu.spr
            self._emit(InterruptEvent(cpu.index, vector, spr[save0], spr[save1], self.time))
        for bp in self.breakpoints.catches():
            if bp.vector == vector and bp.applies_to(cpu.index) and self._triggers(bp, cpu):
                self._catch_hit[cpu.index] = bp
                cpu.exit_reason = "catch"

    def _after_hcall(self, cpu: VCPU) -> None:
        host = self.machine.host
        if host is None or self.history.replaying:
            return
        for bp in self.breakpoints.catches():
            if (
                bp.hypercall is not None
                and bp.applies_to(cpu.index)
                and (bp.hypercall in (-1, host.last_hcall))
                and self._triggers(bp, cpu)
            ):
                self._catch_hit[cpu.index] = bp
                cpu.exit_reason = "catch"

    def _on_vm_exit(self, cpu: VCPU, ex: VMExit) -> bool:
        """A hypervisor exit: the debug instruction is ours only where we planted it."""
        if ex.vector != EXCP_HV_EMU:
            return False
        pa = cpu.probe(ex.pc, fetch=True)
        if pa is None or not self.planter.is_planted(pa):
            return False  # the guest's own illegal instruction: reflected by the host
        cpu.nia = ex.pc
        if self._skip_once.get(cpu.index) == pa:
            del self._skip_once[cpu.index]
            self._run_original(cpu, pa)  # resuming from a breakpoint: run what is under it
            cpu.clock -= 1
            cpu.retired -= 1
            return True
        own = pa in self._step_stops.get(cpu.index, ()) or pa in self._extra_pas.get(cpu.index, ())
        if (own or any(bp.applies_to(cpu.index) for bp in self._bp_pas.get(pa, ()))) and (
            isinstance(cpu.mmu, RadixMMU)
        ):
            cpu.mmu.undo_fetch_rc(ex.pc)  # the guest never fetched our word
        if own:
            cpu.exit_reason = "step" if pa in self._step_stops.get(cpu.index, ()) else "breakpoint"
            cpu.refund = 1  # the guest never executed that slot
            return True
        if any(bp.applies_to(cpu.index) for bp in self._bp_pas.get(pa, ())):
            cpu.exit_reason = "breakpoint"
            cpu.refund = 1
            return True
        # Rule 11: a word planted for someone else. Run the original
        # instruction for this vCPU and send it back into the guest; the
        # exit's slot is that instruction's slot, so time is counted once.
        self.foreign_hits += 1
        self._run_original(cpu, pa)
        cpu.clock -= 1
        cpu.retired -= 1
        return True

    def _run_original(self, cpu: VCPU, pa: int) -> None:
        word = self.planter.words[pa]
        self.machine.mem.write_bytes(pa, word.original, None)
        try:
            cpu.step()
        finally:
            self.machine.mem.write_bytes(pa, (0x00DDDD00).to_bytes(4, word.order), None)  # type: ignore[arg-type]

    # -- BackendServices --------------------------------------------------------------
    def register_stops(self, cpu: VCPU, addresses: set[int]) -> None:
        self._step_stops[cpu.index] = set(addresses)

    def clear_stops(self, cpu: VCPU) -> None:
        self._step_stops.pop(cpu.index, None)

    def stats(self) -> dict[str, int]:
        s = dict(self.backend.stats())
        s["foreign_hits"] = self.foreign_hits
        s.setdefault("host_exits", 0)
        return s

    def platform_stats(self) -> dict[str, Any]:
        """The platform's counters (hypercalls and RTAS calls by name, the unsupported ones
        apart); empty for ``powernv``, which has no host."""
        host = self.machine.host
        return {} if host is None else host.stats()

    # -- the Target face (engine/target.py): plain data for the service -------------------
    def capabilities(self) -> dict[str, Any]:
        """The backend's capabilities and the session's stepping choices."""
        return {"backend": self.config.backend, "capabilities": sorted(self.backend.capabilities),
                "atomic_sequences": self.atomic}  # fmt: skip

    # -- execution ----------------------------------------------------------------------
    @contextlib.contextmanager
    def _op(self) -> Iterator[None]:
        with self._lock:
            self._deliver_typed()
            yield

    def close(self) -> None:
        """Nothing to release: the engine lives in the caller's process (Target.close)."""

    def halt(self) -> None:
        """Stop a running continue from any thread, at the next chunk boundary (milliseconds)."""
        self._halt.set()
        self._poke.set()

    def console_input(self, data: bytes) -> int:
        """Type ``data`` at the guest's console, from any thread, running or not; returns the
        bytes waiting for the guest. The host gets them on the engine's thread: at once when
        no command runs, else at the running command's next chunk boundary (milliseconds).
        A machine without a console (``powernv``) refuses."""
        host = self.machine.host
        if host is None:
            raise ControllerError(
                f"the {self.config.profile} profile has no console (the guest and pseries "
                "profiles have one)"
            )
        with self._typed_lock:
            self._typed.append(data)
            waiting = len(host.console_in) + sum(map(len, self._typed))
        self._poke.set()
        if self._lock.acquire(blocking=False):
            try:
                self._deliver_typed()
            finally:
                self._lock.release()
        return waiting

    def _deliver_typed(self) -> None:
        """Hand typed input to the host (the engine's thread, or with the session lock)."""
        if not self._typed:
            return
        host = self.machine.host
        with self._typed_lock:
            typed, self._typed = self._typed, []
        if host is not None:
            for data in typed:
                host.console_input(data)

    def _others(self, v: int) -> list[VCPU]:
        return [c for c in self.machine.vcpus if c.index != v and not c.halted]

    def _during(self, v: int) -> Callable[[], None]:
        """What the other vCPUs do while vCPU v steps (scheduler locking)."""
        if self.config.scheduler_locking != "off" or len(self.machine.vcpus) == 1:
            return _nothing
        q = self.config.quantum

        def run_others() -> None:
            for other in self._others(v):
                other.run(q)
                other.exit_reason = None if other.exit_reason == "watchpoint" else other.exit_reason

        return run_others

    def _clock_slots(self) -> dict[int, int]:
        return {c.index: c.clock for c in self.machine.vcpus}

    def _slots_since(self, before: dict[int, int]) -> dict[int, int]:
        return {c.index: c.clock - before[c.index] for c in self.machine.vcpus}

    def _one_step(self, v: int, backend_step: Callable[[VCPU, Callable[[], None]], None]) -> None:
        """One step of vCPU v with the session's step flags (noirq, notimer)."""
        cpu = self.machine.vcpus[v]
        cpu.mask_async = self.config.noirq
        clock = cpu.clock
        hook, cpu.trace_hook = cpu.trace_hook, None  # the step reports itself once
        try:
            backend_step(cpu, self._during(v))
        finally:
            cpu.mask_async = False
            cpu.trace_hook = hook
        if self.config.notimer:
            # Virtual time stands still for the stepped vCPU (QEMU's SSTEP_NOTIMER).
            cpu.clock = clock

    def _reference_step(self, v: int) -> None:
        """Replay of a step: the native semantics every backend equals."""

        def native(cpu: VCPU, during: Callable[[], None]) -> None:
            during()
            cpu.step()

        self._one_step(v, native)

    def step(
        self, vcpu: int, count: int = 1, mode: str = "into",
        progress: Callable[[int], None] | None = None,
    ) -> StopEvent:  # fmt: skip
        """Step vCPU ``vcpu`` ``count`` times (into / over / out); ``progress`` is called with
        the steps done so far every PROGRESS_STEPS of them (a long step call reports)."""
        cpu = self.vcpu(vcpu)
        if count < 1:
            raise ControllerError("count must be at least 1")
        if mode not in ("into", "over", "out"):
            raise ControllerError("mode must be into, over or out")
        with self._lock:
            halt = self._halt
            if halt.is_set():
                halt.clear()
            ev: StopEvent | None = None
            for i in range(count):
                if progress is not None and i and not i % PROGRESS_STEPS:
                    progress(i)
                if cpu.halted:
                    return self._stop(
                        vcpu,
                        "checkstop" if cpu.halt_reason == "checkstop" else "exit",
                        message=cpu.halt_reason,
                    )
                ev = self._step_once(cpu, mode)
                if ev is not None or halt.is_set():
                    break
            if ev is None:
                ev = self._stop(vcpu, "halt" if halt.is_set() else "step")
            return ev

    def bounded_step(self, vcpu: int, count: int, mode: str) -> bool:
        """Whether ``step(vcpu, count, mode)`` runs at most about ``count`` instructions
        (a caller may then run it where a long run would be in the way): not a step
        over a call or out of a function, and not one that runs to the end of an
        atomic sequence (which may spin until the run-to budget while another vCPU,
        not running, holds the lock). Call it only while the controller is idle."""
        if mode != "into":
            return False
        if self.atomic == "each":
            return True
        # "whole": only the next instruction is known not to start a sequence.
        return count == 1 and pending(self.vcpu(vcpu)).atomic != "larx"

    def plain_steps(self) -> bool:
        """Whether a step here is the backend's step and nothing else: no event to
        deliver, no history, trace, breakpoint or watchpoint to keep, a larx one
        instruction, no other vCPU running during it (``stepping`` then skips the
        per-step bookkeeping)."""
        m = self.machine
        return (
            type(self.backend) is NativeBackend  # its step is exactly cpu.step(), after `during`
            and not self.history.enabled
            and not self.listeners
            and not self.trace_vcpus
            and not self.breakpoints.by_id  # no watch scope, no catchpoints
            and not m.mem.watching
            and self.atomic == "each"
            and (self.config.scheduler_locking != "off" or len(m.vcpus) == 1)
        )

    @contextlib.contextmanager
    def stepping(self, fast: bool = True) -> Iterator[Callable[[int], object]]:
        """Many steps in a row (``ppcdbg trace --steps``): ``step(v)`` does what
        ``self.step(v)`` does. Where steps are plain (and ``fast``), the stop event
        that nobody listens to is made once, as the last stop, when the block ends:
        a step then costs about what the instruction does."""
        if not (fast and self.plain_steps()):
            yield self.step
            return
        one_step, backend_step = self._one_step, self.backend.step
        last: tuple[VCPU, str | None] | None = None  # the last vCPU, why it was halted
        with self._lock:
            if self._halt.is_set():
                self._halt.clear()

            def step(v: int) -> None:
                nonlocal last
                cpu = self.vcpu(v)
                if cpu.halted:
                    last = (cpu, cpu.halt_reason or "")
                    return  # step() reports the halt and does not step
                last = (cpu, None)
                if cpu.msr & MSR_IR:
                    pending(cpu)  # as _step_once: the look walks the page table
                one_step(v, backend_step)  # the step flags, as step() applies them

            try:
                yield step
            finally:
                if last is not None:
                    cpu, why = last
                    if why is None:
                        self.last_stop = StopEvent(cpu.index, "step", cpu.nia, self.time)
                    else:
                        reason = "checkstop" if why == "checkstop" else "exit"
                        self.last_stop = StopEvent(cpu.index, reason, cpu.nia, self.time,
                                                   message=cpu.halt_reason)  # fmt: skip

    def _step_once(self, cpu: VCPU, mode: str) -> StopEvent | None:
        """One step; returns a stop event only when something other than the step stopped it."""
        if mode != "into" or self.atomic == "whole":
            insn = pending(cpu)
            if (
                mode == "over"
                and insn.op is not None
                and insn.op.branch
                and insn.word
                and (insn.word & 1)
            ):
                return self._run_to(cpu, {(insn.pc + 4) & M64})
            if mode == "out":
                return self._run_to(cpu, {cpu.lr & ~3})
            if self.atomic == "whole" and insn.atomic == "larx":
                stops = self._atomic_sequence_stops(cpu)
                if stops:
                    return self._run_to(cpu, stops)
        elif cpu.msr & MSR_IR:
            # A step looks at the instruction it is about to run (over, out and atomic
            # sequences need it; an into step keeps the look for its one side effect: with
            # translation on, the fetch walks the page table and sets reference bits,
            # even when the step then takes an interrupt instead).
            pending(cpu)
        # Only the bookkeeping something will read: a watch scope when watchpoints are
        # enabled, a history entry when history is kept, a trace event when traced (a
        # plain step is then the backend's step and the stop event).
        if self.breakpoints.by_id and self.breakpoints.watches():
            with self._watching(stop_vcpu=False):
                self._step_recorded(cpu)
                if self.machine.mem.watch_hits:
                    return self._stop_event(self._watch_stop(cpu))
            return None
        return self._step_recorded(cpu)

    def _step_recorded(self, cpu: VCPU) -> StopEvent | None:
        """The backend's step with its trace event and history entry."""
        v = cpu.index
        history = self.history
        keep = history.enabled and not history.replaying
        before = self._clock_slots() if keep else None
        traced = self.trace_vcpus is not None and v in self.trace_vcpus
        if traced:
            pc, regs, words = cpu.nia, trace_regs(cpu), cpu.icache.words
        try:
            self._one_step(v, self.backend.step)
        except StepError as e:
            return self._stop(v, "error", message=str(e))
        if traced:
            # the word the step decoded (in the byte order it ran in)
            self._emit_traces(cpu, [(pc, regs, words.get(pc))], trace_regs(cpu))
        if before is not None:
            slots = self._slots_since(before)
            slots[v] = max(slots[v], 1)  # with notimer the clock stood still, but v did step
            history.record_step(v, self._reference_step, slots)
        return None

    def _atomic_sequence_stops(self, cpu: VCPU) -> set[int]:
        """Where a larx ... st*cx. sequence ends, as gdb's stepi finds it (empty: it does not)."""
        pc = cpu.nia
        stops: set[int] = set()
        addr = pc
        for _ in range(ATOMIC_WINDOW):
            addr = (addr + 4) & M64
            try:
                word = cpu.fetch(addr)
            except Exception:  # noqa: BLE001 - an unfetchable word ends the scan
                return set()
            o = decode(word)
            if o is None:
                return set()
            if o.flow == "bd":
                bd = sext(word & 0xFFFC, 16)
                target = (bd if word & 2 else addr + bd) & M64
                if not pc <= target <= addr:
                    stops.add(target)
            if o.atomic == "stcx":
                stops.add((addr + 4) & M64)
                return stops
        return set()

    def _run_to(self, cpu: VCPU, eas: set[int]) -> StopEvent | None:
        """Run vCPU ``cpu`` (and the others as scheduler locking says) until it reaches ``eas``."""
        locking = self.config.scheduler_locking
        run_set = None if locking == "off" else frozenset({cpu.index})
        ev = self._continue(run_set, RUN_TO_BUDGET, {cpu.index: eas}, quiet=True)
        if ev.reason == "step" and ev.vcpu == cpu.index:
            return None
        return self._stop_event(ev)

    def cont(
        self,
        vcpus: list[int] | None = None,
        budget: int | None = None,
        until: list[int] | None = None,
    ) -> StopEvent:
        """Continue the vCPUs (all, or ``vcpus``) until a stop, ``until`` or the budget runs out."""
        with self._op():
            self._halt.clear()
            run_set = None
            if vcpus is not None:
                for v in vcpus:
                    self.vcpu(v)
                run_set = frozenset(vcpus)
            elif self.config.scheduler_locking == "on" and self.last_stop is not None:
                run_set = frozenset({self.last_stop.vcpu})
            extra = {c.index: set(until) for c in self.machine.vcpus} if until else {}
            return self._continue(run_set, budget or DEFAULT_BUDGET, extra, quiet=False)

    def _continue(
        self,
        run_set: frozenset[int] | None,
        budget: int,
        extra: dict[int, set[int]],
        quiet: bool,
    ) -> StopEvent:
        m = self.machine
        planted = PLANTED_BREAKPOINTS in self.backend.capabilities
        code = self.breakpoints.code()
        stop_at: frozenset[int] = frozenset()
        eas = {bp.address for bp in code if bp.address is not None}
        for s in extra.values():
            eas |= s
        self._emit(
            ResumeEvent(
                tuple(sorted(run_set)) if run_set else tuple(range(len(m.vcpus))), self.time
            )
        )
        self.running = True
        planted_pas: list[int] = []
        try:
            if planted:
                self._plant_breakpoints(code, extra, planted_pas)
                # A vCPU resuming from a planted address executes that
                # instruction first, as cpu.run does for engine stop addresses.
                self._skip_once = {}
                for c in m.vcpus:
                    pa = c.probe(c.nia, fetch=True)
                    if pa is not None and pa in self.planter.words:
                        self._skip_once[c.index] = pa
            else:
                stop_at = frozenset(eas)
            with self._watching(stop_vcpu=True):
                return self._run_loop(run_set, budget, stop_at, extra, planted, quiet)
        finally:
            self.running = False
            for pa in planted_pas:
                self.planter.unplant(pa)
            self._bp_pas.clear()
            self._extra_pas.clear()
            self._skip_once.clear()

    def _run_loop(
        self,
        run_set: frozenset[int] | None,
        budget: int,
        stop_at: frozenset[int],
        extra: dict[int, set[int]],
        planted: bool,
        quiet: bool,
    ) -> StopEvent:
        m = self.machine
        left = budget
        while True:
            if self._halt.is_set():
                return self._quiet_or(quiet, self._stop_any("halt", run_set))
            if self._typed:
                self._deliver_typed()
            before = self._clock_slots()
            # The slots to the first timer when the whole machine sleeps: none when a vCPU is
            # awake, nor when no timer will ever fire (then the sleep is spent from the
            # budget, so that a continue still ends).
            idle = m.sleep_horizon(run_set)
            if idle >= NO_EVENT:
                idle = 0
            if idle and self.config.idle == "realtime":
                idle = self._wait_idle(idle)
            if idle:
                # Every vCPU that can run sleeps until a timer: time jumps there in one run
                # (no instruction executes), and the jump is no part of the instruction
                # budget: an idle kernel waiting at its shell prompt is not "at the limit".
                used, who = m.run(idle, stop_at, vcpus=run_set)
                self.history.record(RunEntry(used, run_set, self._slots_since(before)), used)
                if who is not None:
                    ev = self._classify(m.vcpus[who], extra, planted)
                    if ev is not None:
                        return self._quiet_or(quiet, ev)
                continue
            chunk = CHUNK if self.trace_vcpus is None else CHUNK_TRACED
            retired = self.time
            used, who = m.run(min(chunk, left), stop_at, vcpus=run_set)
            self.history.record(RunEntry(used, run_set, self._slots_since(before)), used)
            # The budget is instructions; slots slept with no timer to end the sleep count
            # too (a chunk that retires nothing), so that a continue always ends.
            left -= self.time - retired or used
            if who is None:
                if left <= 0:
                    return self._quiet_or(quiet, self._stop_any("limit", run_set))
                if used == 0:
                    return self._quiet_or(quiet, self._stop_any("exit", run_set))
                continue
            ev = self._classify(m.vcpus[who], extra, planted)
            if ev is not None:
                return self._quiet_or(quiet, ev)

    def _wait_idle(self, slots: int) -> int:
        """Wait on the host clock for as long as ``slots`` of sleep last in virtual time (the
        timebase's 512 MHz), or until console input or a halt arrives: the slots that passed,
        at least 1 (the sleep is then skipped that far, and the input delivered there)."""
        ratio = self.machine.vcpus[0].tb_ratio
        self._poke.clear()
        if self._typed or self._halt.is_set():
            return 1
        t0 = time.monotonic()
        if not self._poke.wait(slots * ratio / TIMEBASE_HZ):
            return slots
        passed = int((time.monotonic() - t0) * TIMEBASE_HZ) // ratio
        return max(1, min(slots, passed))

    def _halted_stop(self, cpu: VCPU) -> StopEvent:
        """A halted vCPU's stop: the platform's end of the run (poweroff, panic, reboot) is the
        reason itself; a checkstop is one; any other halt is an exit with its reason."""
        why = cpu.halt_reason
        r = why if why in END_OF_RUN else "exit"
        msg = why if r == "exit" else self._end_message(why)
        return StopEvent(vcpu=cpu.index, reason=r, pc=cpu.nia, time=self.time, message=msg)

    def _end_message(self, why: str | None) -> str | None:
        # The platform's host may say why (pseries: the ibm,os-term message).
        message = getattr(self.machine.host, "os_term_message", None) if why == "panic" else None
        return str(message) if message else None

    def _quiet_or(self, quiet: bool, ev: StopEvent) -> StopEvent:
        return ev if quiet else self._stop_event(ev)

    def _stop_any(self, reason: str, run_set: frozenset[int] | None) -> StopEvent:
        v = min(run_set) if run_set else (self.last_stop.vcpu if self.last_stop else 0)
        cpu = self.machine.vcpus[v]
        msg = None
        if reason == "exit":
            msg = ", ".join(
                f"vCPU {c.index}: {c.halt_reason}" for c in self.machine.vcpus if c.halted
            )
            ends = [c.halt_reason for c in self.machine.vcpus if c.halt_reason in END_OF_RUN]
            if ends:
                reason = "checkstop" if "checkstop" in ends else str(ends[0])
                msg = self._end_message(reason) if reason != "checkstop" else msg
        return StopEvent(vcpu=v, reason=reason, pc=cpu.nia, time=self.time, message=msg or None)

    def _plant_breakpoints(
        self, code: list[Breakpoint], extra: dict[int, set[int]], planted: list[int]
    ) -> None:
        cpu0 = self.machine.vcpus[0]
        order = "little" if cpu0.msr & MSR_LE else "big"
        for bp in code:
            assert bp.address is not None
            pa = cpu0.probe(bp.address, fetch=True)
            if pa is None:
                continue
            self._bp_pas.setdefault(pa, []).append(bp)
            self.planter.plant(pa, order)
            planted.append(pa)
        for v, eas in extra.items():
            cpu = self.machine.vcpus[v]
            for ea in eas:
                pa = cpu.probe(ea, fetch=True)
                if pa is None:
                    continue
                self._extra_pas.setdefault(v, set()).add(pa)
                self.planter.plant(pa, "little" if cpu.msr & MSR_LE else "big")
                planted.append(pa)

    def _classify(self, cpu: VCPU, extra: dict[int, set[int]], planted: bool) -> StopEvent | None:
        """Why machine.run stopped at ``cpu``; None to keep running."""
        reason = cpu.exit_reason
        cpu.exit_reason = None
        v = cpu.index
        if reason == "watchpoint":
            return self._watch_stop(cpu)
        if reason == "catch":
            bp = self._catch_hit.pop(v)
            if bp.temporary:
                self.breakpoints.by_id.pop(bp.id, None)
            return StopEvent(
                vcpu=v,
                reason="catch",
                pc=cpu.nia,
                time=self.time,
                breakpoint_id=bp.id,
                vector=bp.vector,
            )
        if cpu.halted:
            return self._halted_stop(cpu)
        pc = cpu.nia
        if pc in extra.get(v, ()):
            return StopEvent(vcpu=v, reason="step", pc=pc, time=self.time)
        for bp in self.breakpoints.code():
            if bp.address == pc and bp.applies_to(v) and self._triggers(bp, cpu):
                if bp.temporary:
                    self.breakpoints.by_id.pop(bp.id, None)
                return StopEvent(
                    vcpu=v, reason="breakpoint", pc=pc, time=self.time, breakpoint_id=bp.id
                )
        if planted:
            self._pass_planted(cpu)
        return None

    def _pass_planted(self, cpu: VCPU) -> None:
        """Let ``cpu`` execute the original word under a breakpoint that did not trigger."""
        pa = cpu.probe(cpu.nia, fetch=True)
        assert pa is not None
        w = self.planter.words.get(pa)
        if w is None:
            return
        self.machine.mem.write_bytes(pa, w.original, None)
        try:
            before = self._clock_slots()
            used, _ = self.machine.run(1, vcpus=frozenset({cpu.index}))
            self.history.record(
                RunEntry(used, frozenset({cpu.index}), self._slots_since(before)), used
            )
        finally:
            self.machine.mem.write_bytes(pa, (0x00DDDD00).to_bytes(4, w.order), None)  # type: ignore[arg-type]

    @contextlib.contextmanager
    def _watching(self, stop_vcpu: bool) -> Iterator[None]:
        """Install the enabled watchpoints in memory for one operation.

        With ``stop_vcpu`` a hit stops the accessing vCPU after its
        instruction (continue); without, hits are only collected (a step
        completes first, then reports them).
        """
        mem = self.machine.mem
        keys = []
        for bp in self.breakpoints.watches():
            assert bp.address is not None
            ea = bp.address
            for pa, n in self._physical(bp.address, bp.length, "effective", 0):
                key = (bp.id, pa, ea)
                mem.add_watch(key, pa, n, bp.access)
                keys.append(key)
                ea += n
        mem.watch_exit = stop_vcpu
        try:
            yield
        finally:
            for key in keys:
                mem.remove_watch(key)
            mem.watch_exit = True
            mem.watch_hits.clear()

    def _watch_stop(self, cpu: VCPU) -> StopEvent:
        hits = self.machine.mem.watch_hits
        wid, pa, size, kind, old, new = hits[0]
        hits.clear()
        bp_id, run_pa, run_ea = cast(tuple[str, int, int], wid)
        if cpu.msr & MSR_LE:  # memory holds the bytes; the value is the guest's, as gdb shows it
            old, new = (None if v is None else _swap(v, size) for v in (old, new))
        return StopEvent(
            vcpu=cpu.index,
            reason="watchpoint",
            pc=cpu.nia,
            time=self.time,
            breakpoint_id=bp_id,
            watch=WatchHit(run_ea + pa - run_pa, size, kind, old, new),  # the effective address
        )


def _swap(value: int, size: int) -> int:
    return int.from_bytes(value.to_bytes(size, "big"), "little")


_RETIRED = attrgetter("retired")


def _nothing() -> None:
    """What the other vCPUs do during a step when none may run."""
