"""Reverse-execution history within its memory budget: checkpoints thinned, the log merged,
every position still reachable exactly, and nothing kept once the session is gone."""

from __future__ import annotations

import gc
import tracemalloc
import weakref

import pytest

from engine.debug.config import SessionConfig
from engine.debug.controller import Controller
from engine.loader import load_image
from engine.machine import ConfigError
from tests.conformance.conftest import describe_difference, guest_state

# At 0x10 (a raw image): r5 = 1 MiB; loop: store r4 at r5 + r4, r4 += 4 KiB (mod 16 MiB).
# Every iteration (four instructions) dirties a page of its own: the history's worst case.
PAGE_WRITER = b"".join(w.to_bytes(4, "big") for w in (
    0x3CA00010,  # lis r5, 0x10
    0x38800000,  # li r4, 0
    0x7C85212A,  # stdx r4, r5, r4
    0x38841000,  # addi r4, r4, 0x1000
    0x78840220,  # clrldi r4, r4, 40
    0x4BFFFFF4,  # b 0x18
))  # fmt: skip
IMAGE = bytes(16) + PAGE_WRITER


def writer(**kw: object) -> Controller:
    config = SessionConfig(memory=64 << 20, history_interval=1000, **kw)  # type: ignore[arg-type]
    return Controller(load_image(IMAGE, "raw"), config)


def test_history_stays_within_its_byte_budget_by_thinning_checkpoints() -> None:
    budget = 4 << 20
    ctl = writer(history_budget=budget)
    peak = 0
    for _ in range(40):
        ctl.cont(budget=2000)
        peak = max(peak, ctl.history.size())
    # Each checkpoint holds the 250 pages written after it (1 MiB): within one of those.
    assert peak <= budget + (1 << 20) + 256 * 4096
    marks = [m.index for m in ctl.history.marks]
    assert len(marks) >= 3
    # Thinned, not only cut: the oldest checkpoint is still the start of history.
    assert ctl.history.start == 0


def test_reverse_step_is_exact_after_thinning() -> None:
    ctl = writer(history_budget=2 << 20)
    ctl.cont(budget=30_000)
    assert len(ctl.history.marks) < 30  # thinned
    ctl.reverse_step(0)
    ref = writer(history=False)
    ref.machine.run(30_000, vcpu_limit=(0, ctl.machine.vcpus[0].clock))
    a, b = guest_state(ref), guest_state(ctl)
    assert a == b, describe_difference(a, b)


def test_a_log_that_outgrows_the_budget_loses_its_oldest_part() -> None:
    # Steps of alternating vCPUs are not merged: one entry each.
    def two(history: bool = True) -> Controller:
        return Controller(load_image(IMAGE, "raw"), SessionConfig(
            vcpus=2, memory=64 << 20, history_interval=1_000_000, history_budget=1 << 20,
            history=history))  # fmt: skip

    ctl, ref = two(), two(history=False)
    for _ in range(3000):
        ctl.step(0)
        ctl.step(1)
    assert ctl.history.size() <= (1 << 20) * 5 // 4  # kept at checkpoints: a quarter apart
    assert ctl.history.start > 0  # the oldest steps can no longer be reversed
    assert ctl.reverse_step(1).reason == "step"
    for _ in range(2999):
        ref.step(0)
        ref.step(1)
    ref.step(0)
    a, b = guest_state(ref), guest_state(ctl)
    assert a == b, describe_difference(a, b)


def test_the_budget_is_at_least_a_megabyte() -> None:
    with pytest.raises(ConfigError, match="history_budget"):
        SessionConfig(history_budget=1000)


def test_a_dropped_session_frees_its_history() -> None:
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        ctl = writer()
        ctl.cont(budget=20_000)
        ctl.step(0, count=2000)
        held = tracemalloc.get_traced_memory()[0] - base
        gone = weakref.ref(ctl)
        del ctl
        gc.collect()
        left = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    assert gone() is None
    assert held > 8 << 20  # thousands of dirtied pages in the checkpoints
    assert left < 1 << 20, f"{left} bytes still held"
