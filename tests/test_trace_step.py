"""``Controller.stepping``'s plain steps leave everything exactly as ``Controller.step`` does.

Compared over whole traces, lines and afterwards the guest state, the
backend counters and the controller's last stop: a call-heavy C program, a
timer program (interrupts between steps without the step flags), a radix
guest (translation on), hypercalls, and several vCPUs with the stepping
options that keep the fast path; and steps are plain only there.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.debug.config import SessionConfig
from engine.debug.controller import Controller
from engine.loader import load_image
from engine.trace import TraceOptions, run_trace
from tests.conformance.conftest import guest_state
from tests.test_trace_format import MANY_REGS, SORT, session

ROOT = Path(__file__).resolve().parents[1]
TIMER = ROOT / "tests" / "conformance" / "programs" / "timer.elf"
RADIX = ROOT / "examples" / "radix_ail.elf"
CONSOLE = ROOT / "examples" / "guest_console.elf"
SPINLOCK = ROOT / "examples" / "smp_spinlock.elf"
TRACE_PROG = ROOT / "tests" / "data" / "trace_prog.elf"


# -- plain steps leave everything as Controller.step does -------------------------------
def _both(path: Path, opts: TraceOptions, profile: str = "powernv", **kw: object) -> None:
    """Trace with plain steps and through Controller.step: same lines, machine, controller."""
    runs = []
    for fast in (True, False):
        ctl = session(path, profile, **kw)
        assert ctl.plain_steps()
        lines = list(run_trace(ctl, opts, fast=fast))
        runs.append((lines, guest_state(ctl), ctl.stats(), ctl.last_stop))
    fast_run, slow_run = runs
    assert fast_run[0] == slow_run[0]  # the lines, compared first for a readable failure
    assert fast_run == slow_run


def test_plain_steps_on_the_sort_program() -> None:
    _both(SORT, TraceOptions(steps=3000, stats=True, mem=[("array", 0x100000, 64)]))


@pytest.mark.parametrize("flags", [(True, True), (False, False), (True, False), (False, True)])
def test_plain_steps_with_and_without_step_flags(flags: tuple[bool, bool]) -> None:
    noirq, notimer = flags
    _both(TIMER, TraceOptions(steps=1500, regs=MANY_REGS, stats=True), "guest",
          noirq=noirq, notimer=notimer)  # fmt: skip


def test_plain_steps_with_translation_on() -> None:
    _both(RADIX, TraceOptions(steps=800, regs=MANY_REGS), "guest")


def test_plain_steps_through_hypercalls() -> None:
    _both(CONSOLE, TraceOptions(steps=800, stats=True), "guest")


@pytest.mark.parametrize("step_vcpu", [None, 0, 2])
@pytest.mark.parametrize("locking", ["step", "on"])
def test_plain_steps_with_several_vcpus(step_vcpu: int | None, locking: str) -> None:
    _both(
        SPINLOCK,
        TraceOptions(steps=900, step_vcpu=step_vcpu, stats=True, mem=[("lock", 0x0, 32)]),
        vcpus=3, scheduler_locking=locking,
    )  # fmt: skip


def test_plain_steps_stop_at_and_halted_vcpus() -> None:
    # trace_prog ends in `done: b done`; stepping on once both vCPUs got there
    _both(TRACE_PROG, TraceOptions(steps=500, stop_at=[0x34]), vcpus=2)
    _both(TRACE_PROG, TraceOptions(steps=120), vcpus=2)


def test_a_halted_vcpu_is_reported_as_controller_step_reports_it() -> None:
    runs = []
    for fast in (True, False):
        ctl = session(SORT)
        cpu = ctl.machine.vcpus[0]
        cpu.halted, cpu.halt_reason = True, "checkstop"
        lines = list(run_trace(ctl, TraceOptions(steps=3, stats=True), fast=fast))
        runs.append((lines, ctl.last_stop, ctl.stats()))
    assert runs[0] == runs[1]
    assert runs[0][1] is not None and runs[0][1].reason == "checkstop"


# -- and steps are plain only where that equals Controller.step -------------------------
def test_plain_steps_only_where_nothing_is_recorded() -> None:
    assert session(SORT).plain_steps()
    assert session(SORT, scheduler_locking="off").plain_steps()  # one vCPU: nobody else runs
    slow = [
        session(TRACE_PROG, "guest", backend="trace-intercept"),
        session(TRACE_PROG, "guest", backend="trace-vector"),
        session(TRACE_PROG, vcpus=2, scheduler_locking="off"),
        session(TRACE_PROG, atomic_sequences="whole"),
        Controller(load_image(TRACE_PROG.read_bytes()), SessionConfig(history=True)),
    ]
    listened = session(TRACE_PROG)
    listened.subscribe(lambda e: None)
    traced = session(TRACE_PROG)
    traced.set_trace([0])
    with_bp = session(TRACE_PROG)
    with_bp.add_breakpoint("software", address=0x400)
    watched = session(TRACE_PROG)
    watched.add_breakpoint("watchpoint", address=0x2000, length=8, access="write")
    for ctl in [*slow, listened, traced, with_bp, watched]:
        assert not ctl.plain_steps(), ctl.config


def test_the_last_stop_is_the_last_step_as_it_happened() -> None:
    """A vCPU that halts in (or after) the last step: that step still stopped as a step,
    as Controller.step reported it then."""
    stops = []
    for fast in (True, False):
        ctl = session(SORT)
        with ctl.stepping(fast) as step:
            for _ in range(5):
                step(0)
            cpu = ctl.machine.vcpus[0]
            cpu.halted, cpu.halt_reason = True, "attn"
        stops.append(ctl.last_stop)
        with ctl.stepping(fast) as step:
            step(0)
        stops.append(ctl.last_stop)
    assert stops[0] == stops[2] and stops[0] is not None and stops[0].reason == "step"
    assert stops[1] == stops[3] and stops[1] is not None
    assert (stops[1].reason, stops[1].message) == ("exit", "attn")
