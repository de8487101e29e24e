"""Traced vCPUs run a fast per-instruction loop that reports exactly what step() + hook reports.

The reference replaces VCPU._run_traced with the exact path (one step(),
then the hook when the slot counted): every trace event, every stop and the
final guest state must be the same, on programs that take interrupts,
hypercalls, time reads, resyncs (mtmsrd, rfid), self-stepping and several
vCPUs.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.cpu import VCPU, trace_regs
from engine.debug.events import ChangedIndices, TraceBatch, TraceEvent
from tests.conformance.conftest import guest_state, session


def _stepwise(
    self: VCPU, left: int, stop_at: frozenset[int] | set[int], done: int
) -> tuple[int, bool]:
    """The exact path for one instruction (what run() did for traced vCPUs before)."""
    if done and self.nia in stop_at:
        return 0, True
    hook = self.trace_hook
    assert hook is not None
    pc, retired = self.nia, self.retired
    regs, cache = trace_regs(self), self.icache
    self.step()
    n = 1
    if self.refund:
        self._refund()
        n = 0
    if self.retired != retired:
        hook(self, [(pc, regs, cache.words.get(pc))], trace_regs(self))
    return n, False


CASES = [
    ("basic", "guest", 1, 400),
    ("timer", "guest", 1, 3000),
    ("selfstep", "guest", 1, 400),
    ("le_guest", "guest", 1, 400),
    ("race", "guest", 2, 600),
    ("spinlock", "powernv", 2, 2000),
    ("examples/interrupts", "powernv", 1, 3000),
    ("examples/guest_console", "guest", 1, 3000),
    ("examples/radix_ail", "guest", 1, 3000),
    ("examples/smp_spinlock", "powernv", 4, 4000),
]


def _run(program: str, profile: str, vcpus: int, budget: int) -> tuple[object, ...]:
    ctl = session(program, "native", profile=profile, vcpus=vcpus, notimer=False)
    events: list[object] = []
    ctl.subscribe(events.append)  # every event: trace events keep their place among them
    ctl.set_trace(list(range(vcpus)))
    stops = []
    left = budget
    while left > 0:
        before = ctl.time
        ev = ctl.cont(budget=min(left, 700))
        stops.append((ev.reason, ev.pc, ev.vcpu))
        used = ctl.time - before
        if used <= 0 or ev.reason != "limit":
            break
        left -= used
    return events, stops, guest_state(ctl)


@pytest.mark.parametrize(("program", "profile", "vcpus", "budget"), CASES)
def test_the_fast_traced_loop_reports_what_stepping_reports(
    program: str, profile: str, vcpus: int, budget: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = _run(program, profile, vcpus, budget)
    monkeypatch.setattr(VCPU, "_run_traced", _stepwise)
    exact = _run(program, profile, vcpus, budget)
    assert fast[1] == exact[1]
    assert len(fast[0]) == len(exact[0]) > 0
    for i, (a, b) in enumerate(zip(fast[0], exact[0], strict=True)):
        assert a == b, f"event {i}: {a} != {b}"
    assert fast[2] == exact[2]


def test_an_instruction_that_switches_byte_order_is_reported_as_it_ran() -> None:
    """le_guest's rfid at 0x102c runs big-endian and lands in little-endian code: the
    trace event's word is the rfid (0x4c000024), not its bytes read the new way."""
    for stepped in (False, True):
        ctl = session("le_guest", "native")
        events: list[TraceEvent] = []
        ctl.subscribe(lambda e, out=events: out.append(e) if isinstance(e, TraceEvent) else None)
        ctl.set_trace([0])
        for _ in range(20) if stepped else range(1):
            if stepped:
                ctl.step(0)
            else:
                ctl.cont(budget=20)
        rfid = [e for e in events if e.pc == 0x102C]
        assert rfid and rfid[0].insn == 0x4C000024, stepped
        assert rfid[0].changed["msr"] & 1  # MSR[LE] set by it
        after = events[events.index(rfid[0]) + 1]  # the first little-endian instruction
        data = ctl.read_memory(after.pc, 4)
        assert after.insn == int.from_bytes(data, "little") != int.from_bytes(data, "big")


@pytest.mark.parametrize(("program", "profile", "vcpus", "budget"), CASES)
def test_batch_listeners_get_the_same_events_in_batches(
    program: str, profile: str, vcpus: int, budget: int
) -> None:
    """A listener that takes TraceBatches sees, expanded, exactly the events (and their
    order among the other events) that a per-event listener sees."""
    ctl = session(program, "native", profile=profile, vcpus=vcpus, notimer=False)
    events: list[object] = []
    batched: list[object] = []
    ctl.subscribe(events.append)
    ctl.subscribe(batched.append, batches=True)
    ctl.set_trace(list(range(vcpus)))
    ctl.cont(budget=budget // 2)
    ctl.cont(budget=budget // 2)
    expanded: list[object] = []
    for item in batched:
        assert not isinstance(item, TraceEvent)
        expanded += item.events() if isinstance(item, TraceBatch) else [item]
    assert any(isinstance(b, TraceBatch) and len(b) > 1 for b in batched)
    assert expanded == events


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.sets(st.integers(0, 41), max_size=4),
                          st.integers(0, 1)), min_size=1, max_size=30))  # fmt: skip
def test_changed_indices_are_exactly_the_differing_entries(
    steps: list[tuple[int, set[int], int]],
) -> None:
    """Remembered indices per instruction only speed the search up: whatever an
    instruction changed before, the answer is every entry that differs, and only those
    (a same-value write, a new register, nothing at all)."""
    diff = ChangedIndices(limit=3)
    before = tuple(range(1000, 1042))
    for key, changes, same in steps:
        after = list(before)
        for i in changes:
            after[i] = before[i] if same else before[i] + 1
        after_t = tuple(after)
        expected = [i for i in range(42) if before[i] != after_t[i]]
        assert sorted(diff(key, before, after_t)) == expected
        before = after_t
