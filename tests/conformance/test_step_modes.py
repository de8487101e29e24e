"""Step flags, atomic sequences and scheduler locking, across backends."""

from __future__ import annotations

import pytest

from .conftest import describe_difference, guest_state, session
from .test_conformance import run_steps

BACKENDS = ("trace-intercept", "trace-vector")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("noirq", [True, False])
def test_timer_interrupts_under_stepping_match_native(backend: str, noirq: bool) -> None:
    flags = {"noirq": noirq, "notimer": False}
    ref = run_steps(session("timer", "native", **flags), 150, 0)
    got = run_steps(session("timer", backend, **flags), 150, 0)
    for i, (a, b) in enumerate(zip(ref, got, strict=True)):
        assert a == b, f"step {i}: {describe_difference(a, b)}"
    decrementers = ref[-1][0][0][3][23]  # type: ignore[index]
    assert (decrementers > 0) == (not noirq)


def test_notimer_stops_virtual_time_during_steps() -> None:
    ctl = session("timer", "native", notimer=True)
    tb = ctl.registers(0, ["tb"])["tb"]
    for _ in range(100):
        ctl.step(0)
    assert ctl.registers(0, ["tb"])["tb"] == tb


def _counter(ctl: object) -> int:
    return int.from_bytes(ctl.read_memory(0x3000, 4), "big")  # type: ignore[attr-defined]


@pytest.mark.parametrize("backend", ["native", *BACKENDS])
def test_whole_atomic_sequences_get_through_a_lwarx_stwcx_loop(backend: str) -> None:
    ctl = session("spinlock", backend, atomic_sequences="whole")
    done = ctl.symbol("done")
    for _ in range(60):
        if ctl.machine.vcpus[0].nia == done:
            break
        ctl.step(0)
    assert ctl.machine.vcpus[0].nia == done
    assert _counter(ctl) == 3


@pytest.mark.parametrize("backend", BACKENDS)
def test_trace_backends_stepping_each_instruction_never_get_through(backend: str) -> None:
    ctl = session("spinlock", backend, atomic_sequences="each")
    for _ in range(200):
        ctl.step(0)
    assert _counter(ctl) == 0  # every stwcx. failed: the trace interrupt took the reservation
    assert ctl.machine.vcpus[0].nia != ctl.symbol("done")


def test_native_stepping_each_instruction_gets_through() -> None:
    ctl = session("spinlock", "native", atomic_sequences="each")
    for _ in range(60):
        ctl.step(0)
    assert _counter(ctl) == 3


def test_trace_backends_default_to_whole_sequences() -> None:
    assert session("spinlock", "trace-vector", atomic_sequences=None).atomic == "whole"
    assert session("spinlock", "native", atomic_sequences=None).atomic == "each"


@pytest.mark.parametrize("locking", ["step", "on"])
def test_scheduler_locking_holds_the_other_vcpus_during_steps(locking: str) -> None:
    ctl = session("race", "native", vcpus=2, locking=locking)
    before = ctl.machine.vcpus[1].retired
    for _ in range(20):
        ctl.step(0)
    assert ctl.machine.vcpus[1].retired == before


def test_scheduler_locking_off_runs_each_other_vcpu_one_quantum_per_step() -> None:
    ctl = session("race", "native", vcpus=2, locking="off", quantum=7)
    for _ in range(20):
        ctl.step(0)
    assert ctl.machine.vcpus[1].retired == 20 * 7


def test_trace_events_follow_every_instruction_without_changing_the_run() -> None:
    from engine.debug.events import TraceEvent

    traced = session("race", "native", vcpus=2)
    events: list[TraceEvent] = []
    traced.subscribe(lambda e: events.append(e) if isinstance(e, TraceEvent) else None)
    traced.set_trace([1])
    traced.cont(budget=500)
    plain = session("race", "native", vcpus=2)
    plain.cont(budget=500)
    assert guest_state(traced) == guest_state(plain)
    assert len(events) == traced.machine.vcpus[1].retired
    assert all(e.vcpu == 1 for e in events)
    first = events[0]
    assert first.pc == 0x1000 and first.insn == 0x7C3FFAA6 and first.changed == {"r1": 4}


@pytest.mark.parametrize("backend", ["native", *BACKENDS])
def test_a_watched_store_is_reported_by_a_step_and_by_a_continue(backend: str) -> None:
    ctl = session("basic", backend, notimer=False)
    bp = ctl.add_breakpoint("watchpoint", address=0x3000, length=8, access="write")
    ev = ctl.cont()
    assert ev.reason == "watchpoint" and ev.breakpoint_id == bp.id
    assert ev.watch is not None and ev.watch.address == 0x3000 and ev.watch.new == 3 + 10
    again = session("basic", backend, notimer=False)
    again.add_breakpoint("watchpoint", address=0x3000, length=8, access="write")
    for _ in range(12):
        ev = again.step(0)
        if ev.reason == "watchpoint":
            break
    assert ev.reason == "watchpoint" and ev.watch is not None and ev.watch.address == 0x3000
    assert guest_state(again) == guest_state(ctl)


def test_a_step_is_bounded_unless_it_runs_to_an_address() -> None:
    """Over, out, and (atomic sequences whole) a larx's step to the end of its sequence
    run to an address; the service runs only bounded steps on its event loop."""
    each = session("examples/smp_spinlock", "native", "powernv", 2, atomic_sequences="each")
    whole = session("examples/smp_spinlock", "native", "powernv", 2)
    for ctl in (each, whole):
        assert ctl.bounded_step(0, 5, "into") is (ctl is each)
        assert ctl.bounded_step(0, 1, "into")  # _start: li
        assert not ctl.bounded_step(0, 1, "over")
        assert not ctl.bounded_step(0, 1, "out")
        for _ in range(4):
            ctl.step(0)
        assert ctl.machine.vcpus[0].nia == 0x1010  # lwarx
        assert ctl.bounded_step(0, 1, "into") is (ctl is each)
