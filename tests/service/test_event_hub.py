"""The event hub on its own: the directly formatted trace JSON, gap-free numbering of events
published from another thread, and batches that carry exactly what an unbatched client gets."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import pytest

from engine.debug.events import ChangedIndices, ResumeEvent, StopEvent, TraceBatch, TraceEvent
from engine.debug.packed_trace import PackedTrace
from service.events import (
    DRAIN_CHUNK,
    Client,
    EventHub,
    TraceRun,
    event_dict,
    packed_trace_texts,
    trace_batch_texts,
    trace_json,
)

TRACES = [
    TraceEvent(0, 0x1000, 0x3A802000, {"r20": 0x2000}, 1),
    TraceEvent(3, 0xFFFF_FFFF_FFFF_FFFC, 0x7C0802A6, {"r0": 0, "cr": 0x2000_0000,
                                                      "xer": 0x2004_0000, "lr": 1 << 63}, 2),
    TraceEvent(1, 0x2000, None, {}, 3),  # an unmapped pc: no word, no disassembly
    TraceEvent(2, 0x2004, 0x00000000, {"msr": 0x9000_0000_0000_1033}, 4),  # illegal word
    # Vector registers, should a trace carry them: 0x%032x and 0x%08x (vscr).
    TraceEvent(0, 0x2008, 0x10421484, {"vr2": 1 << 64, "vs34": 5, "vscr": 1}, 5),
]  # fmt: skip


@pytest.mark.parametrize("ev", TRACES)
def test_trace_json_is_the_event_dict(ev: TraceEvent) -> None:
    assert json.loads(trace_json(17, ev)) == {"seq": 17, **event_dict(ev)}


def test_trace_json_formats_128_bit_registers_at_their_width() -> None:
    got = json.loads(trace_json(6, TRACES[4]))["changed"]
    assert got == {"vr2": "0x00000000000000010000000000000000",
                   "vs34": "0x00000000000000000000000000000005", "vscr": "0x00000001"}  # fmt: skip


def test_trace_json_keeps_only_the_subscribed_registers() -> None:
    got = json.loads(trace_json(5, TRACES[1], frozenset({"cr", "r9"})))
    assert got["changed"] == {"cr": "0x20000000"}
    assert got["pc"] == "0xfffffffffffffffc"


def _drive(hub: EventHub, c: Client, until: int) -> list[Any]:
    """What ``c``'s sender writes until ``until`` events have been delivered, decoded."""
    out: list[Any] = []

    async def send(text: str) -> None:
        out.append(json.loads(text))

    async def run() -> None:
        task = asyncio.ensure_future(hub.run_sender(c, send))
        try:
            async with asyncio.timeout(30):  # an event left behind would never arrive
                while c.delivered < until:
                    await asyncio.sleep(0.001)
        finally:
            task.cancel()

    # On a thread of its own: another test's framework (Playwright's sync API)
    # may leave an event loop marked running on the main thread.
    failure: list[BaseException] = []

    def drive() -> None:
        try:
            hub.loop.run_until_complete(run())
        except BaseException as exc:  # noqa: BLE001 - re-raised on the test's thread
            failure.append(exc)

    t = threading.Thread(target=drive)
    t.start()
    t.join()
    if failure:
        raise failure[0]
    return out


def _hub(loop: asyncio.AbstractEventLoop, queue_length: int = 100_000) -> EventHub:
    return EventHub(loop, ring=100_000, queue_length=queue_length, time=lambda: 0,
                    on_trace=lambda v: None)  # fmt: skip


def test_events_from_another_thread_are_numbered_without_gaps() -> None:
    loop = asyncio.new_event_loop()
    try:
        hub = _hub(loop)
        plain, batched = hub.attach(), hub.attach()
        hub.subscribe(plain, ["trace", "stop", "resume"], [0, 1, 2, 3], None, False)
        hub.subscribe(batched, ["trace", "stop", "resume"], [0, 1, 2, 3], None, True)
        n = 20_000
        events: list[Any] = []
        for i in range(n):
            if i % 1000 == 999:
                events.append(StopEvent(i % 4, "step", 0x1000 + i, i))
            elif i % 1000 == 500:
                events.append(ResumeEvent((0, 1), i))
            else:
                events.append(TraceEvent(i % 4, 0x1000 + 4 * (i % 64), 0x38630001,
                                         {"r3": i} if i % 2 else {}, i))  # fmt: skip

        def engine() -> None:  # as the controller's listener does: on its own thread
            for ev in events:
                hub.publish(ev)

        t = threading.Thread(target=engine)
        t.start()
        got_plain = _drive(hub, plain, n)
        t.join()
        got_batched = _drive(hub, batched, n)
    finally:
        loop.close()
    assert [m["seq"] for m in got_plain] == list(range(1, n + 1))
    assert got_plain == [{"seq": i, **event_dict(e)}
                         for i, e in enumerate(events, 1)]  # fmt: skip
    # Batches are arrays of trace events only; flattened they are the plain stream.
    flat: list[Any] = []
    for m in got_batched:
        if isinstance(m, list):
            assert m and all(e["type"] == "trace" for e in m)
            flat += m
        else:
            assert m["type"] != "trace"
            flat.append(m)
    assert flat == got_plain
    assert any(isinstance(m, list) and len(m) > 1 for m in got_batched)


def test_bulk_offer_overflows_at_the_queue_bound() -> None:
    loop = asyncio.new_event_loop()
    try:
        hub = _hub(loop, queue_length=10)
        c = hub.attach()
        hub.subscribe(c, ["trace"], [0], None, True)
        for i in range(25):
            hub.publish(TraceEvent(0, 0x1000, 0x38630001, {}, i))
        hub._flush()
        assert len(c.queue) == 11  # ten events, then the overflow marker
        assert c.dropped == 15
        got = _drive(hub, c, 10)
    finally:
        loop.close()
    assert [e["seq"] for e in got[0]] == list(range(1, 11))
    assert got[1]["type"] == "overflow"
    assert (got[1]["first_dropped"], got[1]["last_dropped"]) == (11, 25)


def test_an_overflowed_client_still_gets_the_latest_stop_and_state_then_the_notice() -> None:
    loop = asyncio.new_event_loop()
    try:
        hub = _hub(loop, queue_length=10)
        c = hub.attach()
        hub.subscribe(c, ["trace", "stop", "session-state"], [0], None, False)
        for i in range(20):  # seq 1-20: ten queued, ten dropped
            hub.publish(TraceEvent(0, 0x1000, 0x38630001, {}, i))
        hub.publish(StopEvent(0, "step", 0x1000, 20))  # seq 21: superseded by 23
        hub.publish({"type": "session-state", "vcpu": None, "time": 21, "state": "stopped"})
        hub.publish(StopEvent(0, "breakpoint", 0x1010, 22))  # seq 23
        for i in range(5):  # seq 24-28
            hub.publish(TraceEvent(0, 0x1000, 0x38630001, {}, 23 + i))
        hub._flush()
        got = _drive(hub, c, 12)
    finally:
        loop.close()
    assert [e["seq"] for e in got[:10]] == list(range(1, 11))
    assert [(e["type"], e["seq"]) for e in got[10:12]] == [("session-state", 22), ("stop", 23)]
    assert got[11]["reason"] == "breakpoint" and got[11]["pc"] == "0x0000000000001010"
    notice = got[12]
    assert notice["type"] == "overflow"
    assert (notice["first_dropped"], notice["last_dropped"], notice["kept"]) == (11, 28, [22, 23])
    assert c.dropped == 15 + 1  # traces 11-20 and 24-28, and the superseded stop 21


def test_a_stop_that_meets_a_full_queue_is_kept() -> None:
    loop = asyncio.new_event_loop()
    try:
        hub = _hub(loop, queue_length=3)
        c = hub.attach()
        hub.subscribe(c, ["trace", "stop"], [0], None, True)
        for i in range(3):
            hub.publish(TraceEvent(0, 0x1000, 0x38630001, {}, i))
        hub.publish(StopEvent(0, "limit", 0x1000, 3))  # seq 4: the queue is full
        hub._flush()
        got = _drive(hub, c, 4)
    finally:
        loop.close()
    assert [e["seq"] for e in got[0]] == [1, 2, 3]
    assert (got[1]["type"], got[1]["seq"]) == ("stop", 4)
    assert (got[2]["type"], got[2]["kept"], got[2]["first_dropped"]) == ("overflow", [4], 4)


# -- trace batches (what a session's hub gets from the controller) ---------------------
def _batch(n: int, vcpu: int = 0, time: int = 1, pc: int = 0x1000) -> TraceBatch:
    """``n`` addi r3,r3,1 at consecutive addresses (r3 counts up from 3)."""
    regs = [tuple(range(42))]
    for _ in range(n):
        r = list(regs[-1])
        r[3] += 1
        regs.append(tuple(r))
    records = [(pc + 4 * i, regs[i], 0x38630001) for i in range(n)]
    return TraceBatch(vcpu, time, records, regs[n])


@pytest.mark.parametrize(("program", "profile", "vcpus"), [
    ("basic", "guest", 1), ("timer", "guest", 1), ("le_guest", "guest", 1),
    ("examples/smp_spinlock", "powernv", 4), ("examples/interrupts", "powernv", 1),
])  # fmt: skip
def test_batch_texts_are_each_events_json(program: str, profile: str, vcpus: int) -> None:
    from tests.conformance.conftest import traced_batches

    batches = traced_batches(program, profile, vcpus)
    changed: set[str] = set()
    some = frozenset({"r3", "r9", "cr", "xer", "lr", "msr"})
    for seq, b in enumerate(batches, 100):
        events = b.events()
        assert trace_batch_texts(seq, b) == [trace_json(seq + i, e) for i, e in enumerate(events)]
        # A worker's packed run gives the same texts (formatted from its changes alone).
        packed = PackedTrace.pack(b, ChangedIndices())
        assert packed_trace_texts(seq, packed) == trace_batch_texts(seq, b)
        assert TraceRun(seq, packed).texts() == trace_batch_texts(seq, b)
        # A run's texts for a register filter (made from its full texts) are too.
        run = TraceRun(seq, b)
        assert run.texts_for(0, len(b), some) == [
            trace_json(seq + i, e, some) for i, e in enumerate(events)]  # fmt: skip
        assert run.texts_for(1, 3, None) == run.texts()[1:3]
        changed |= {k for e in events for k in e.changed}
    assert {"r3", "cr", "msr"} & changed


def test_a_batch_is_cut_at_the_queue_bound() -> None:
    loop = asyncio.new_event_loop()
    try:
        hub = _hub(loop, queue_length=10)
        c = hub.attach()
        hub.subscribe(c, ["trace"], [0], None, True)
        hub.publish(_batch(25))
        hub._flush()
        assert c.size == 11  # ten events, then the overflow marker
        assert c.dropped == 15
        got = _drive(hub, c, 10)
    finally:
        loop.close()
    assert [e["seq"] for e in got[0]] == list(range(1, 11))
    assert [e["changed"]["r3"] for e in got[0][:2]] == ["0x0000000000000004",
                                                        "0x0000000000000005"]  # fmt: skip
    assert got[1]["type"] == "overflow"
    assert (got[1]["first_dropped"], got[1]["last_dropped"]) == (11, 25)


def test_since_inside_a_batch_replays_from_there_and_unbatched_clients_get_one_each() -> None:
    loop = asyncio.new_event_loop()
    try:
        hub = _hub(loop)
        hub.publish(_batch(20, vcpu=1))
        hub.publish(StopEvent(1, "limit", 0x1050, 21))
        hub._flush()
        c = hub.attach(since=7)
        hub.subscribe(c, ["trace", "stop"], [1], ["r3", "lr"], False, since=7)
        got = _drive(hub, c, 14)
    finally:
        loop.close()
    assert [m["seq"] for m in got] == list(range(8, 22))
    assert got[0]["changed"] == {"r3": "0x000000000000000b"}  # the 8th addi: r3 = 3 + 8
    assert got[0]["pc"] == "0x000000000000101c" and got[-1]["type"] == "stop"


def test_a_big_batch_is_numbered_a_chunk_at_a_time() -> None:
    """The senders run between chunks of DRAIN_CHUNK events, however large the engine's
    batch (a single vCPU's run hands over thousands at once)."""
    loop = asyncio.new_event_loop()
    try:
        hub = _hub(loop)
        c = hub.attach()
        hub.subscribe(c, ["trace"], [0], None, True)
        hub.publish(_batch(1000))
        hub._drain()
        assert hub.seq == c.size == DRAIN_CHUNK
        got = _drive(hub, c, 1000)
    finally:
        loop.close()
    flat = [e["seq"] for m in got for e in m]
    assert flat == list(range(1, 1001))


def test_a_client_tracing_some_vcpus_gets_exactly_their_events() -> None:
    """Batches of a real 4-vCPU run: a client tracing vCPUs 1 and 3 (unbatched) gets the
    events of those vCPUs from the full stream, in order, with their seqs, and nothing
    else; a client tracing all of them, batched, gets the whole stream."""
    from tests.conformance.conftest import session

    loop = asyncio.new_event_loop()
    try:
        hub = _hub(loop)
        some, every = hub.attach(), hub.attach()
        hub.subscribe(some, ["trace"], [1, 3], None, False)
        hub.subscribe(every, ["trace"], [0, 1, 2, 3], None, True)
        ctl = session("examples/smp_spinlock", "native", profile="powernv", vcpus=4)
        ctl.subscribe(hub.publish, batches=True)
        ctl.set_trace([0, 1, 2, 3])
        ctl.cont(budget=2000)
        hub._flush()
        total = every.size
        got_every = [e for m in _drive(hub, every, total) for e in m]
        got_some = _drive(hub, some, some.size)
    finally:
        loop.close()
    assert total == 2000 and [e["seq"] for e in got_every] == list(range(2, 2002))
    assert got_some == [e for e in got_every if e["vcpu"] in (1, 3)]
    assert {e["vcpu"] for e in got_some} == {1, 3}


def test_packed_texts_compose_xer_and_show_a_missing_word() -> None:
    from tests.engine.debug.test_packed_trace import _synthetic

    b = _synthetic()
    texts = packed_trace_texts(5, PackedTrace.pack(b, ChangedIndices()))
    assert texts == trace_batch_texts(5, b)
    assert '"xer"' in texts[1] and texts[1].count('"xer"') == 1
    assert '"insn":null' in texts[2]
