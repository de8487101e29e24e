"""engine/worker.py: a session's Controller in a worker process behaves as one in this
process (same answers, same events in the same order, same error types), and a worker that
dies, runs out of memory or of instructions says so."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.target import (
    BreakpointError,
    ConditionError,
    ConfigError,
    ControllerError,
    LimitExceeded,
    LostEvent,
    MemoryAccessError,
    PackedTrace,
    SessionConfig,
    StopEvent,
    Target,
    TraceBatch,
    UnknownRegister,
    WorkerLimits,
    WorkerLost,
    load_image,
    open_session,
)
from engine.worker import ProcessTransport, RemoteTarget

SMP = Path(__file__).resolve().parents[3] / "examples" / "smp_spinlock.elf"
IMAGE = load_image(SMP.read_bytes(), "elf")
CONFIG = SessionConfig(vcpus=4)


@pytest.fixture
def remote() -> Iterator[RemoteTarget]:
    t = open_session(IMAGE, CONFIG, isolation="process")
    assert isinstance(t, RemoteTarget)
    yield t
    t.close()


def _script(t: Target) -> tuple[list[Any], list[Any]]:
    """A short debugging session: what it returns and the events it sees."""
    events: list[Any] = []
    t.subscribe(events.append, batches=True)
    out: list[Any] = [t.step(0, 3), t.registers(0, ["pc", "r1", "msr"])]
    bp = t.add_breakpoint("software", address=IMAGE.symbols["done"], condition="r3 == r3")
    out += [bp.id, bp.condition.source if bp.condition else None, t.cont(), t.time]
    t.set_trace([1])
    out += [t.step(1, 5), t.vcpu_views(), t.read_memory(IMAGE.symbols["counter"], 8)]
    t.set_trace(None)
    snaps = t.support_snapshots()
    assert snaps is not None
    blob, at = snaps.take_snapshot("s1")
    out += [at, t.step(2, 10)]
    snaps.restore_snapshot("s1")
    out += [t.time, t.last_stop]
    rev = t.support_reverse()
    assert rev is not None
    out += [rev.reverse_step(0), t.breakpoint_list()[0].hit_count]
    return out, events


def _plain(events: list[Any]) -> list[Any]:
    """Events as comparable data (a trace batch's records and registers: a worker's come
    packed, with the same records)."""
    return [(e.vcpu, e.time, e.records, e.after) if type(e) in (TraceBatch, PackedTrace) else e
            for e in events]  # fmt: skip


def test_a_worker_answers_and_emits_exactly_what_the_controller_does(remote):
    local = open_session(IMAGE, CONFIG)
    want, want_events = _script(local)
    got, got_events = _script(remote)
    assert got == want
    assert _plain(got_events) == _plain(want_events)
    assert any(type(e) is PackedTrace for e in got_events)


def test_errors_in_the_worker_are_raised_as_their_own_types(remote):
    with pytest.raises(UnknownRegister) as e1:
        remote.registers(0, ["r99"])
    assert e1.value.name == "r99"
    with pytest.raises(MemoryAccessError) as e2:
        remote.read_memory(1 << 60, 8)
    assert e2.value.address == 1 << 60
    with pytest.raises(ConditionError) as e3:
        remote.add_breakpoint("software", address=0x1000, condition="r3 ==")
    assert e3.value.column == 6
    with pytest.raises(BreakpointError):
        remote.remove_breakpoint("bp404")
    with pytest.raises(ControllerError, match="count must be at least 1"):
        remote.step(0, 0)
    with pytest.raises(ControllerError, match="needs the guest profile"):
        open_session(IMAGE, SessionConfig(backend="trace-vector"), isolation="process")
    with pytest.raises(ConfigError, match="quantum must be at least 1"):
        open_session(IMAGE, SessionConfig(quantum=0), isolation="process")
    assert remote.step(0).reason == "step"  # the worker carries on after each


def test_halt_reaches_a_running_worker_and_long_steps_report_progress(remote):
    import threading

    result: list[StopEvent] = []
    th = threading.Thread(target=lambda: result.append(remote.cont(vcpus=[1], budget=10**9)))
    remote.add_breakpoint("software", address=IMAGE.symbols["done"], vcpus=frozenset({0}))
    th.start()
    time.sleep(0.3)
    assert remote.running
    t0 = remote.time
    remote.halt()
    th.join(10)
    assert result and result[0].reason == "halt"
    assert remote.time >= t0 and not remote.running
    done: list[int] = []
    remote.step(1, 70_000, progress=done.append)
    assert done and done[0] == 1 << 16


def test_a_killed_worker_leaves_the_target_lost_with_an_event(remote):
    events: list[Any] = []
    remote.subscribe(events.append)
    remote.step(0, 5)
    views = remote.vcpu_views()
    os.kill(remote.process.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while remote.lost is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert remote.lost == "killed by SIGKILL"
    assert events[-1] == LostEvent("killed by SIGKILL", 5)
    with pytest.raises(WorkerLost, match="SIGKILL"):
        remote.step(0)
    # What was last known stays readable; halt and set_trace are harmless.
    assert (remote.time, remote.running, remote.vcpu_views()) == (5, False, views)
    remote.halt()
    remote.set_trace(None)


def test_the_instruction_limit_is_enforced_in_the_worker():
    t = open_session(IMAGE, CONFIG, isolation="process", limits=WorkerLimits(instructions=1000))
    try:
        t.step(0, 400)
        with pytest.raises(LimitExceeded, match="600 instructions left") as e:
            t.step(0, 601)
        assert e.value.limit == "instructions"
        ev = t.cont()
        assert ev.reason == "limit" and t.time == 1000  # clamped to what was left
        with pytest.raises(LimitExceeded, match="its instruction limit"):
            t.cont()
    finally:
        t.close()


def test_the_memory_limit_ends_the_worker_with_a_limit_problem():
    t = open_session(IMAGE, CONFIG, isolation="process", limits=WorkerLimits(memory=400 << 20))
    try:
        chunk = b"\x5a" * (1 << 20)
        with pytest.raises(LimitExceeded, match="400 MiB memory limit") as e:
            for i in range(1, 1000):  # a 1 GiB guest touched a MiB at a time
                t.write_memory(i << 20, chunk)
        assert e.value.limit == "memory"
        deadline = time.monotonic() + 10
        while t.lost is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert t.lost == "the session's worker ran out of its 400 MiB memory limit"
    finally:
        t.close()


def test_closing_ends_the_worker(remote):
    transport = remote.transport
    assert isinstance(transport, ProcessTransport)
    remote.close()
    # (its reaper's exit status: polled from here too, the process could read as 255)
    assert transport.exit_code(5) == 0
    with pytest.raises(WorkerLost, match="closed"):
        remote.step(0)


def test_bounded_step_is_answered_as_the_controller_does_without_a_round_trip():
    # Atomic sequences run whole: a 1-step is bounded unless the vCPU's next instruction
    # starts one (the spinlock's lwarx), which each answer's state says.
    config = SessionConfig(vcpus=4, atomic_sequences="whole")
    local = open_session(IMAGE, config)
    remote = open_session(IMAGE, config, isolation="process")
    assert isinstance(remote, RemoteTarget)
    try:
        asked: list[str] = []
        call = remote._call

        def counting(method: str, *args: Any, **kw: Any) -> Any:
            asked.append(method)
            return call(method, *args, **kw)

        remote._call = counting  # type: ignore[method-assign]
        seen = set()
        for _ in range(60):
            for v in range(4):
                for count, mode in ((1, "into"), (2, "into"), (1, "over")):
                    want = local.bounded_step(v, count, mode)
                    assert remote.bounded_step(v, count, mode) == want
                    seen.add(want)
            assert local.step(0) == remote.step(0)
        assert seen == {True, False}  # the loop passed a lwarx (a step on the runner)
        assert "bounded_step" not in asked
        with pytest.raises(ControllerError):
            remote.bounded_step(9, 1, "into")  # a bad vCPU: the worker's own error
    finally:
        remote.close()
