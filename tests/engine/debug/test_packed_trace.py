"""A trace batch packed as its changes (how a worker sends trace) is the batch it came from:
record for record, split anywhere, through pickle."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

from engine.cpu import TRACE_REG_NAMES
from engine.debug.events import ChangedIndices, TraceBatch
from engine.debug.packed_trace import PackedTrace
from tests.conformance.conftest import traced_batches

XER = TRACE_REG_NAMES.index("xer")


def _synthetic() -> TraceBatch:
    """Runs the real ones rarely have: no word (a fetch that faulted), XER fields, nothing
    changed, and every register changed at once."""
    regs = [tuple(range(42))]
    r = list(regs[0])
    for step in range(6):
        if step == 1:
            r[XER] ^= 1
            r[XER + 2] ^= 1
        elif step == 3:
            r = [v + 1 for v in r]
        elif step != 2:
            r[3] = (r[3] + 1) & (1 << 64) - 1
            r[41] = 1 << 63
        regs.append(tuple(r))
    words: list[int | None] = [0x38630001, 0x7C0802A6, None, 0, 0x38630001, None]
    records = [(0x1000 + 4 * i, regs[i], w) for i, w in enumerate(words)]
    return TraceBatch(2, 77, records, regs[6])


def _plain(b: TraceBatch | PackedTrace) -> tuple[Any, ...]:
    return (b.vcpu, b.time, len(b), b.records, b.after)


@pytest.mark.parametrize(("program", "profile", "vcpus"), [
    ("basic", "guest", 1), ("examples/smp_spinlock", "powernv", 4),
])  # fmt: skip
def test_a_packed_run_unpacks_to_the_batch_it_came_from(program: str, profile: str,
                                                         vcpus: int) -> None:  # fmt: skip
    diff = ChangedIndices()
    for b in [*traced_batches(program, profile, vcpus), _synthetic()]:
        p = PackedTrace.pack(b, diff)
        assert _plain(p) == _plain(b)
        assert p.events() == b.events()
        back = pickle.loads(pickle.dumps(p, pickle.HIGHEST_PROTOCOL))
        assert _plain(back) == _plain(b)


def test_a_packed_run_is_its_changes_only() -> None:
    b = _synthetic()
    p = PackedTrace.pack(b, ChangedIndices())
    data = p.data.tolist()
    assert data[:7] == [0x1000, 0x38630001, 2, 3, 4, 41, 1 << 63]  # pc, word, n, (i, value)...
    # Changed per event: r3 and msr; two XER fields; nothing; all 42; r3 and msr; r3.
    assert len(data) == 3 * 6 + 2 * (2 + 2 + 0 + 42 + 2 + 1)
    assert data[3 * 2 + 2 * 4 : 3 * 2 + 2 * 4 + 3] == [0x1008, 0x1_0000_0000, 0]  # no word
    assert p.records[2][2] is None


def test_a_packed_run_splits_where_its_batch_does() -> None:
    b = _synthetic()
    p = PackedTrace.pack(b, ChangedIndices())
    for n in range(1, len(b)):
        head, tail = p.split(n)
        want_head, want_tail = b.split(n)
        assert (_plain(head), _plain(tail)) == (_plain(want_head), _plain(want_tail))
        assert type(head) is type(tail) is PackedTrace
