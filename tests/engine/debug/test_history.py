"""Reverse-execution history within its memory budget: checkpoints thinned, the log merged,
every position still reachable exactly, and nothing kept once the session is gone."""

from __future__ import annotations

import gc
import tracemalloc
import weakref

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.debug.config import SessionConfig
from engine.debug.controller import Controller
from engine.loader import load_image
from engine.machine import Checkpoint, ConfigError
from tests.asm import assemble
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


def _compared(older: Checkpoint, newer: Checkpoint) -> set[int]:
    theirs = newer.memory.pages
    return {pn for pn, page in older.memory.pages.items() if theirs.get(pn) is not page}


# Runs, steps, reverse steps and continues, memory writes by the client, in any order: after
# each, every checkpoint holds exactly the pages its successor does not share (what
# comparing every page finds), however it was counted (copies told by memory, thinning).
OPS = st.lists(st.tuples(st.sampled_from(["cont", "step", "rstep", "rcont", "poke"]),
                         st.integers(1, 3000)), min_size=1, max_size=25)  # fmt: skip


# Stores over a run of pages that grows by one page a round (wrapping at 16): each page is
# new once, then copied after every checkpoint that shares it.
REWRITER = """
    .org 0x10
    lis 5, 0x10
    li 4, 0
    li 6, 0x1000
loop:
    stdx 4, 5, 4
    addi 4, 4, 0x1000
    cmpld 4, 6
    blt loop
    addi 6, 6, 0x1000
    clrldi 6, 6, 48
    li 4, 0
    b loop
"""


def _held_as_compared(ctl: Controller, ops: list[tuple[str, int]]) -> tuple[int, bool]:
    """Run ``ops``, checking every checkpoint's pages after each; (pages counted, thinned)."""
    copied, thinned = 0, False
    for op, n in ops:
        if op == "cont":
            ctl.cont(budget=n)
        elif op == "step":
            ctl.step(0, count=n % 40 + 1)
        elif op == "rstep" and ctl.history.position > ctl.history.start:
            ctl.reverse_step(0)
        elif op == "rcont":
            ctl.reverse_continue()
        elif op == "poke":
            ctl.write_memory(0x100000 + n * 64, b"\x5a" * 8)
        marks = ctl.history.marks
        for a, b in zip(marks, marks[1:], strict=False):
            assert a.held == _compared(a.checkpoint, b.checkpoint)
            copied += len(a.held)
        assert ctl.history.held_pages == sum(len(m.held) for m in marks)
        thinned |= marks[-1].index - marks[0].index > len(marks) - 1
    return copied, thinned


def _rewriter() -> Controller:
    return Controller(load_image(assemble(REWRITER), "raw"), SessionConfig(
        memory=64 << 20, history_interval=1, history_budget=1 << 20))  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(OPS)
def test_each_checkpoint_holds_the_pages_its_successor_does_not_share(ops) -> None:
    _held_as_compared(_rewriter(), ops)


def test_pages_counted_as_copied_stay_exact_through_thinning_and_reversing() -> None:
    ops = [("cont", 3000), *[("step", 39)] * 60, ("rstep", 0), ("poke", 5), ("cont", 9000),
           ("rcont", 0), *[("step", 39)] * 60]  # fmt: skip
    copied, thinned = _held_as_compared(_rewriter(), ops)
    assert copied > 1000 and thinned


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
