"""Property tests: random requests leave the guest where the reference leaves it."""

from __future__ import annotations

import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.debug.controller import Controller

from .conftest import describe_difference, guest_state, session

PROGRAMS = {"basic": 1, "selfstep": 1, "race": 2, "spinlock": 1}

op = st.one_of(
    st.tuples(st.just("step"), st.integers(0, 1), st.integers(1, 4)),
    st.tuples(st.just("cont"), st.integers(0, 1), st.integers(1, 300)),
    st.tuples(st.just("bp"), st.integers(0, 1), st.integers(0, 40)),
    st.tuples(st.just("clear"), st.integers(0, 1), st.integers(0, 0)),
)


def apply(ctl: Controller, request: tuple[str, int, int]) -> None:
    kind, v, n = request
    v %= len(ctl.machine.vcpus)
    if kind == "step":
        ctl.step(v, count=n)
    elif kind == "cont":
        ctl.cont(budget=n)
    elif kind == "bp":
        ctl.add_breakpoint("software", address=0x1000 + 4 * n)
    else:
        for bp in list(ctl.breakpoints):
            ctl.remove_breakpoint(bp.id)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    program=st.sampled_from(sorted(PROGRAMS)),
    backend=st.sampled_from(["trace-intercept", "trace-vector"]),
    locking=st.sampled_from(["step", "off"]),
    requests=st.lists(op, min_size=1, max_size=12),
)
def test_random_requests_leave_the_guest_where_native_does(
    program: str, backend: str, locking: str, requests: list[tuple[str, int, int]]
) -> None:
    vcpus = PROGRAMS[program]
    ref = session(program, "native", vcpus=vcpus, locking=locking)
    ctl = session(program, backend, vcpus=vcpus, locking=locking)
    for i, r in enumerate(requests):
        apply(ref, r)
        apply(ctl, r)
        a, b = guest_state(ref), guest_state(ctl)
        assert a == b, f"after request {i} {r}: {describe_difference(a, b)}"


@settings(max_examples=10, deadline=None, derandomize=True)
@given(
    program=st.sampled_from(["basic", "selfstep", "spinlock"]),
    backend=st.sampled_from(["native", "trace-intercept", "trace-vector"]),
    steps=st.integers(0, 40),
)
def test_stepped_then_continued_ends_where_an_undisturbed_run_ends(
    program: str, backend: str, steps: int
) -> None:
    flags = {"noirq": False, "notimer": False}
    undisturbed = session(program, "native", **flags)
    done = undisturbed.symbol("done")
    undisturbed.cont(until=[done])
    ctl = session(program, backend, **flags)
    for _ in range(steps):
        if ctl.machine.vcpus[0].nia == done:
            break
        ctl.step(0)
    if ctl.machine.vcpus[0].nia != done:
        ctl.cont(until=[done])
    a, b = guest_state(undisturbed), guest_state(ctl)
    assert a == b, describe_difference(a, b)


@settings(max_examples=10, deadline=None, derandomize=True)
@given(
    program=st.sampled_from(sorted(PROGRAMS)),
    forward=st.integers(1, 40),
    back=st.integers(1, 40),
)
def test_reverse_step_lands_on_the_states_the_forward_run_recorded(
    program: str, forward: int, back: int
) -> None:
    # One step is one instruction here (a whole larx..stcx. step is a run).
    ctl = session(
        program, "native", vcpus=PROGRAMS[program], history_interval=7, atomic_sequences="each"
    )
    recorded = [guest_state(ctl)]
    for _ in range(forward):
        ctl.step(0)
        recorded.append(guest_state(ctl))
    for j in range(1, min(back, forward) + 1):
        ev = ctl.reverse_step(0)
        assert ev.reason == "step"
        a, b = recorded[forward - j], guest_state(ctl)
        assert a == b, f"{j} back: {describe_difference(a, b)}"


@settings(max_examples=10, deadline=None, derandomize=True)
@given(
    requests=st.lists(st.tuples(st.integers(0, 1), st.integers(1, 30)), min_size=1, max_size=6),
    back=st.integers(1, 30),
)
def test_reverse_step_through_merged_steps_lands_on_each_earlier_state(
    requests: list[tuple[int, int]], back: int
) -> None:
    # step(v, n) calls are merged into one history entry per run of same-vCPU steps; going
    # back through them must land where single steps went (the reference steps one by one).
    kw = {"vcpus": 2, "history_interval": 11, "atomic_sequences": "each"}
    ctl, ref = session("race", "native", **kw), session("race", "native", **kw)
    recorded = [guest_state(ref)]
    for v, n in requests:
        ctl.step(v, count=n)
        for _ in range(n):
            ref.step(v)
            recorded.append(guest_state(ref))
    a, b = recorded[-1], guest_state(ctl)
    assert a == b, describe_difference(a, b)
    v, n = requests[-1]
    for j in range(1, min(back, n) + 1):
        assert ctl.reverse_step(v).reason == "step"
        a, b = recorded[-1 - j], guest_state(ctl)
        assert a == b, f"{j} back: {describe_difference(a, b)}"


def test_a_long_step_call_is_a_few_history_entries_not_one_per_instruction() -> None:
    ctl = session("basic", "native", history_interval=1000)
    ctl.step(0, count=5000)
    # merged between checkpoints: one entry per interval, not 5,000
    assert len(ctl.history.entries) <= 6


@settings(max_examples=10, deadline=None, derandomize=True)
@given(program=st.sampled_from(sorted(PROGRAMS)), budget=st.integers(2, 3000))
def test_reverse_step_after_a_continue_lands_one_slot_earlier(program: str, budget: int) -> None:
    vcpus = PROGRAMS[program]
    ctl = session(program, "native", vcpus=vcpus, history_interval=500)
    ctl.cont(budget=budget)
    v = 0
    ctl.reverse_step(v)
    # the same machine, run forward to just before vCPU v's last slot
    ref = session(program, "native", vcpus=vcpus)
    slots = ref.machine.run(budget)
    assert slots[0] <= budget
    ref2 = session(program, "native", vcpus=vcpus)
    target = ctl.machine.vcpus[v].clock
    ref2.machine.run(budget, vcpu_limit=(v, target))
    a, b = guest_state(ref2), guest_state(ctl)
    assert a == b, describe_difference(a, b)


def test_reverse_continue_returns_to_each_earlier_breakpoint_hit() -> None:
    ctl = session("spinlock", "native", history_interval=5)
    ctl.add_breakpoint("software", address=ctl.symbol("done") - 12)  # addi 6,6,1
    hits = []
    for _ in range(3):
        ev = ctl.cont()
        assert ev.reason == "breakpoint"
        hits.append(guest_state(ctl))
    for expected in (hits[1], hits[0]):
        ev = ctl.reverse_continue()
        assert ev.reason == "breakpoint"
        assert guest_state(ctl) == expected
    assert ctl.reverse_continue().reason == "history-start"


def test_reverse_step_at_the_start_of_history_is_a_stop() -> None:
    ctl = session("basic", "native")
    assert ctl.reverse_step(0).reason == "history-start"


@pytest.mark.parametrize("backend", ["native", "trace-vector"])
def test_halt_stops_a_running_continue_within_50_ms(backend: str) -> None:
    ctl = session("timer", backend)
    result: list[object] = []
    t = threading.Thread(target=lambda: result.append(ctl.cont(budget=10**12)))
    t.start()
    time.sleep(0.2)
    assert t.is_alive()
    start = time.perf_counter()
    ctl.halt()
    t.join(timeout=5)
    elapsed = time.perf_counter() - start
    assert not t.is_alive()
    assert result[0].reason == "halt"  # type: ignore[attr-defined]
    assert elapsed < 0.05, f"halt took {elapsed * 1000:.1f} ms"
