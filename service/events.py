"""Per-session event hubs: gap-free ``seq``, a bounded ring for ``?since=``, per-client queues.

The controller's listener runs on the engine thread; it only appends the event to a deque
and, when no drain is scheduled, wakes the event loop with ``call_soon_threadsafe``. On
the loop, ``_drain`` numbers the events (``seq`` from 1, no gaps), keeps them in the ring
and offers them to every client's bounded queue. An event's JSON is made once, when first
sent, and shared by all clients; batching clients get arrays of up to ``TRACE_BATCH``
consecutive trace events, each exactly the object an unbatched client gets. A client
whose queue is full is marked overflowed: its events are dropped (never waited for)
until its sender reaches the overflow marker, which tells it what it missed, so a slow or
vanished client never blocks the engine or the other clients. Stop, session-state and
error events are never lost that way: the latest of each type is kept aside while the
client is overflowed and sent just before the overflow notice, which lists their seqs
(``kept``), so a client waiting for a stop always gets it.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import deque
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any, cast

from engine.target import (
    TRACE_REG_NAMES,
    ChangedIndices,
    ConsoleEvent,
    Event,
    InterruptEvent,
    PackedTrace,
    ResumeEvent,
    StopEvent,
    TraceBatch,
    TraceEvent,
    canonical,
    disassemble_one,
    instruction_key,
    trace_xer,
    width,
)

TRACE_BATCH = 1024  # trace events per message for batching clients
# Events numbered per loop callback: between chunks the clients' senders run, so a burst
# from the engine does not land in a client's queue all at once.
DRAIN_CHUNK = 256
DEFAULT_TYPES = frozenset(
    {"stop", "resume", "interrupt", "console", "breakpoint-changed", "session-state", "progress"}
)
EVENT_TYPES = DEFAULT_TYPES | {"trace"}
# json.dumps(obj, separators=(",", ":")) without a new encoder per call (json.dumps makes
# one whenever an argument differs from its defaults): every reply and stop event.
compact_json = json.JSONEncoder(separators=(",", ":")).encode


def hex64(v: int) -> str:
    return f"0x{v:016x}"


# Hex digits of a register value by its architected width: 0x%08x, 0x%016x or 0x%032x
# (docs/api.md; 128-bit values with byte 0, the most significant, first).
DIGITS = {32: 8, 64: 16, 128: 32}


def reg_hex(name: str, v: int) -> str:
    """``v`` formatted at register ``name``'s width (``name`` as a client spelled it)."""
    return f"0x{v:0{DIGITS[width(canonical(name))]}x}"


@lru_cache(maxsize=65_536)
def _disasm(word: int, pc: int) -> str:
    # The word is already a number, so the byte order it was fetched in does not matter.
    return disassemble_one(word, pc).text


def _where_json(pc: int, insn: int | None) -> str:
    """A trace event's ``pc``, ``insn`` and ``disassembly`` members: the same for every
    execution of an instruction, so formatted once (``_WHERE``)."""
    if insn is None:
        return f'"pc":"0x{pc:016x}","insn":null,"disassembly":null'
    return f'"pc":"0x{pc:016x}","insn":"0x{insn:08x}","disassembly":{json.dumps(_disasm(insn, pc))}'


class _WhereCache(dict[int, str]):
    """``_where_json`` by instruction_key(pc, insn) (bit 32: no word): a dict
    look-up of an int is cheaper than lru_cache's call and tuple key, once per event."""

    def __missing__(self, key: int) -> str:
        if len(self) >= 65_536:
            self.clear()
        insn = None if key & (1 << 32) else key & 0xFFFF_FFFF
        text = self[key] = _where_json(key >> 33, insn)
        return text


_WHERE = _WhereCache()


class _RegisterJson(dict[str, str]):
    """``name`` -> the ``"name":"0x%0Nx"`` template of a changed register in a trace event."""

    def __missing__(self, name: str) -> str:
        template = f'{json.dumps(name)}:"0x%0{DIGITS[width(canonical(name))]}x"'
        self[name] = template
        return template


_REGISTER_JSON = _RegisterJson()


def trace_json(seq: int, ev: TraceEvent, registers: frozenset[str] | None = None) -> str:
    """The trace event's WebSocket message, formatted directly: the same JSON as
    ``json.dumps({"seq": seq, **event_dict(ev)})`` without a dict per event or the
    encoder's per-value dispatch (this runs once per traced instruction)."""
    changed = ev.changed
    text = ""
    if changed:
        # A plain loop: a comprehension is a function call per event in 3.11, and most
        # instructions change one register.
        reg = _REGISTER_JSON
        for k, v in changed.items():
            if registers is None or k in registers:
                text = f"{text},{reg[k] % v}" if text else reg[k] % v
    insn = ev.insn
    where = _WHERE[instruction_key(ev.pc, insn)]
    return (
        f'{{"seq":{seq},"type":"trace","time":{ev.time},"vcpu":{ev.vcpu},'
        f'{where},"changed":{{{text}}}}}'
    )


# TRACE_REG_NAMES[i]'s template, and where XER's six fields are (one "xer" member).
_TEMPLATES = tuple(_REGISTER_JSON[name] for name in TRACE_REG_NAMES)
_XER_FIELDS = range(TRACE_REG_NAMES.index("xer"), TRACE_REG_NAMES.index("xer") + 6)
_DIFF = ChangedIndices()


def trace_batch_texts(seq: int, batch: TraceBatch) -> list[str]:
    """The messages of ``batch``'s events numbered from ``seq``: for each, the text
    ``trace_json`` gives for the TraceEvent ``batch.events()`` has there, formatted
    straight from the records (no event object or dict of changes per instruction;
    a traced run delivers every instruction through here)."""
    t, vcpu = batch.time, batch.vcpu
    where, templates, xer, diff = _WHERE, _TEMPLATES, _XER_FIELDS, _DIFF
    out = []
    for (pc, regs, word), new in zip(batch.records, batch.afters(), strict=True):
        key = (pc << 33) | (0x1_0000_0000 if word is None else word)  # instruction_key, inline
        text = ""
        if new != regs:
            for i in diff(key, regs, new):
                if i in xer:
                    if '"xer"' in text:
                        continue  # XER is one member, where its first changed field is
                    v = trace_xer(new)
                else:
                    v = new[i]
                text = f"{text},{templates[i] % v}" if text else templates[i] % v
        out.append(
            f'{{"seq":{seq},"type":"trace","time":{t},"vcpu":{vcpu},{where[key]},'
            f'"changed":{{{text}}}}}'
        )
        seq += 1
        t += 1
    return out


# A run of trace events as the engine gives them: in the same process, or from a worker.
TRACE_BATCHES = (TraceBatch, PackedTrace)


def packed_trace_texts(seq: int, packed: PackedTrace) -> list[str]:
    """The messages trace_batch_texts gives for the batch ``packed`` holds, formatted
    straight from its changes (a worker's trace: no tuple of registers per instruction)."""
    t, vcpu = packed.time, packed.vcpu
    where, templates, xer = _WHERE, _TEMPLATES, _XER_FIELDS
    cur = list(packed.before)  # the registers after each event, for XER's composed value
    data = packed.data.tolist()
    out = []
    pos = 0
    for _ in range(packed.count):
        key = (data[pos] << 33) | data[pos + 1]
        n = data[pos + 2]
        pos += 3
        text = ""
        if n:
            end = pos + 2 * n
            for j in range(pos, end, 2):
                cur[data[j]] = data[j + 1]
            for j in range(pos, end, 2):
                i = data[j]
                if i in xer:
                    if '"xer"' in text:
                        continue  # XER is one member, where its first changed field is
                    v = trace_xer(cur)  # type: ignore[arg-type]
                else:
                    v = data[j + 1]
                text = f"{text},{templates[i] % v}" if text else templates[i] % v
            pos = end
        out.append(
            f'{{"seq":{seq},"type":"trace","time":{t},"vcpu":{vcpu},{where[key]},'
            f'"changed":{{{text}}}}}'
        )
        seq += 1
        t += 1
    return out


def stop_dict(ev: StopEvent) -> dict[str, Any]:
    d: dict[str, Any] = {
        "reason": ev.reason, "pc": hex64(ev.pc), "time": ev.time, "vcpu": ev.vcpu,
        "breakpoint_id": ev.breakpoint_id, "vector": None if ev.vector is None else
        f"0x{ev.vector:x}", "message": ev.message, "watch": None,
    }  # fmt: skip
    if ev.watch is not None:
        w = ev.watch
        d["watch"] = {
            "address": hex64(w.address), "size": w.size, "kind": w.kind,
            "old": None if w.old is None else f"0x{w.old:x}",
            "new": None if w.new is None else f"0x{w.new:x}",
        }  # fmt: skip
    return d


def event_dict(ev: Event | dict[str, Any]) -> dict[str, Any]:
    """An engine event (or a service event dict) as the WebSocket's JSON object, minus seq."""
    if isinstance(ev, dict):
        return ev
    if isinstance(ev, TraceEvent):
        insn = ev.insn
        return {
            "type": "trace", "time": ev.time, "vcpu": ev.vcpu, "pc": hex64(ev.pc),
            "insn": None if insn is None else f"0x{insn:08x}",
            "disassembly": None if insn is None else _disasm(insn, ev.pc),
            "changed": {k: reg_hex(k, v) for k, v in ev.changed.items()},
        }  # fmt: skip
    if isinstance(ev, StopEvent):
        return {"type": "stop", **stop_dict(ev)}
    if isinstance(ev, ResumeEvent):
        return {"type": "resume", "time": ev.time, "vcpu": None, "vcpus": list(ev.vcpus)}
    if isinstance(ev, InterruptEvent):
        return {
            "type": "interrupt", "time": ev.time, "vcpu": ev.vcpu, "vector": f"0x{ev.vector:x}",
            "srr0": hex64(ev.srr0), "srr1": hex64(ev.srr1),
        }  # fmt: skip
    if isinstance(ev, ConsoleEvent):
        return {"type": "console", "time": ev.time, "vcpu": ev.vcpu, "text": ev.text}
    raise TypeError(f"not an event: {ev!r}")


class Record:
    """One numbered event; its JSON text is made once, when first sent, and shared by every
    client (the engine event is kept, not a dict of it: most are trace events that are only
    ever encoded)."""

    __slots__ = ("seq", "type", "vcpu", "event", "_text")
    count = 1  # events in it

    def __init__(self, seq: int, event: Event | dict[str, Any]) -> None:
        self.seq = seq
        if isinstance(event, dict):
            self.type: str = event["type"]
            self.vcpu: int | None = event.get("vcpu")
        else:
            self.type = event.type
            self.vcpu = getattr(event, "vcpu", None)
        self.event = event
        self._text: str | None = None

    @property
    def text(self) -> str:
        text = self._text
        if text is None:
            ev = self.event
            if isinstance(ev, TraceEvent):
                text = trace_json(self.seq, ev)
            else:
                text = compact_json({"seq": self.seq, **event_dict(ev)})
            self._text = text
        return text

    def text_for(self, registers: frozenset[str] | None) -> str:
        if registers is None or self.type != "trace":
            return self.text
        return trace_json(self.seq, cast(TraceEvent, self.event), registers)


class StoredRecord(Record):
    """A numbered event as another replica sent it (its text from the session's Redis
    Stream): what a session re-created on this replica keeps of its earlier events, so that
    a client resuming with ``since=`` from before the re-creation finds them here. Its text
    is the one sent then: a trace event's register filter does not apply to it."""

    __slots__ = ()

    def __init__(self, seq: int, type_: str, vcpu: int | None, text: str) -> None:
        super().__init__(seq, {"type": type_, "vcpu": vcpu})
        self._text = text

    def text_for(self, registers: frozenset[str] | None) -> str:
        return self.text


class TraceRun:
    """A numbered TraceBatch: trace events ``seq`` .. ``seq + count - 1`` of one vCPU.
    Kept whole in the ring; its texts are made once, when first sent, and shared by
    every client (a client's queue holds a RunSlice of it); so are the texts for each
    register filter clients ask for."""

    __slots__ = ("seq", "vcpu", "count", "batch", "_texts", "_filtered")
    type = "trace"

    def __init__(self, seq: int, batch: TraceBatch | PackedTrace) -> None:
        self.seq = seq
        self.vcpu = batch.vcpu
        self.count = len(batch)
        self.batch: TraceBatch | PackedTrace | None = batch
        self._texts: list[str] | None = None
        self._filtered: dict[frozenset[str], list[str]] = {}

    def texts(self) -> list[str]:
        texts = self._texts
        if texts is None:
            assert self.batch is not None
            batch = self.batch
            if type(batch) is PackedTrace:
                texts = packed_trace_texts(self.seq, batch)
            else:
                texts = trace_batch_texts(self.seq, cast(TraceBatch, batch))
            self._texts = texts
            # The texts say all there is: the registers before and after every
            # instruction (the bulk of a retained run) go now.
            self.batch = None
        return texts

    def texts_for(self, start: int, end: int, registers: frozenset[str] | None) -> list[str]:
        """Events start..end-1 (indices into the run) as messages."""
        texts = self.texts()
        if registers is None:
            return texts[start:end]
        filtered = self._filtered.get(registers)
        if filtered is None:
            filtered = self._filtered[registers] = [
                keep_registers(text, registers) for text in texts
            ]
        return filtered[start:end]


def keep_registers(text: str, registers: frozenset[str]) -> str:
    """A trace event's text with only ``registers`` among its changes: what trace_json
    gives with that filter (its output is json.dumps's, so a round trip keeps it)."""
    ev = json.loads(text)
    ev["changed"] = {k: v for k, v in ev["changed"].items() if k in registers}
    return compact_json(ev)


class RunSlice:
    """Events ``start`` .. ``end - 1`` of a TraceRun in one client's queue; its sender
    takes them from the front."""

    __slots__ = ("run", "start", "end")

    def __init__(self, run: TraceRun, start: int, end: int) -> None:
        self.run = run
        self.start = start
        self.end = end


# Events a client must not lose to an overflow (see the module's docstring).
KEPT_TYPES = frozenset({"stop", "session-state", "error"})


class _Overflow:
    """The marker a client's sender turns into an ``overflow`` message."""

    __slots__ = ("first_dropped",)

    def __init__(self, first_dropped: int) -> None:
        self.first_dropped = first_dropped


Item = Record | RunSlice | _Overflow | str  # str: a client-local message (reply, error), JSON
Numbered = Record | TraceRun  # what the ring holds


class Client:
    """One WebSocket subscriber: its filter, its bounded queue and its wake-up event.

    The bound is in events (``size``): a RunSlice counts its events, any other item one.
    """

    def __init__(self, hub: EventHub, maxlen: int) -> None:
        self.hub = hub
        self.maxlen = maxlen
        self.queue: deque[Item] = deque()
        self.size = 0
        self.wake = asyncio.Event()
        self.types: frozenset[str] = DEFAULT_TYPES
        self.trace_vcpus: frozenset[int] | None = None
        self.trace_registers: frozenset[str] | None = None
        self.batch = False
        self.overflowed = False
        # While overflowed: the latest stop/session-state/error, by type (KEPT_TYPES).
        self.kept: dict[str, Record] = {}
        self.closed = False
        self.delivered = 0
        self.dropped = 0

    def wants(self, rec: Numbered) -> bool:
        if rec.type not in self.types:
            return False
        if rec.type == "trace":
            return self.trace_vcpus is not None and rec.vcpu in self.trace_vcpus
        return True

    def offer(self, recs: list[Numbered]) -> None:
        """Queue the numbered events this client wants (``wants`` and ``push`` for each,
        in bulk: a traced run offers every client a TraceRun per vCPU turn)."""
        types, vcpus = self.types, self.trace_vcpus
        wanted = [
            r for r in recs
            if r.type in types and (r.type != "trace" or (vcpus is not None and r.vcpu in vcpus))
        ]  # fmt: skip
        if not wanted:
            return
        q = self.queue
        for r in wanted:
            if type(r) is TraceRun:
                n = r.count
                room = self.maxlen - self.size
                if self.overflowed or n > room:
                    # At the bound: the part that fits, then the overflow point.
                    if not self.overflowed and room > 0:
                        q.append(RunSlice(r, 0, room))
                        self.size += room
                        self._drop(r.seq + room, n - room)
                    else:
                        self._drop(r.seq, n)
                    continue
                q.append(RunSlice(r, 0, n))
                self.size += n
            else:
                self.push(cast(Record, r))

    def _drop(self, first: int, n: int) -> None:
        """Drop ``n`` events from seq ``first`` on: the overflow marker goes in first."""
        if not self.overflowed:
            self.overflowed = True
            self.queue.append(_Overflow(first))
            self.size += 1
        self.dropped += n
        self.hub.on_dropped(n)

    def push(self, rec: Record) -> None:
        if self.overflowed or self.size >= self.maxlen:
            if rec.type in KEPT_TYPES:
                if not self.overflowed:
                    self._drop(rec.seq, 0)  # the marker, with nothing dropped yet
                older = self.kept.get(rec.type)
                if older is not None:
                    self.dropped += 1  # superseded: only the latest is worth sending
                    self.hub.on_dropped(1)
                self.kept[rec.type] = rec
                return
            self._drop(rec.seq, 1)
            return
        self.queue.append(rec)
        self.size += 1

    def extend(self, recs: Iterable[Numbered], since: int) -> None:
        """Queue the retained events after ``since`` in ``recs`` (a replay: not bounded by
        the live queue length, which would drop what was just asked for)."""
        q = self.queue
        for r in recs:
            if isinstance(r, TraceRun):
                start = max(0, since + 1 - r.seq)
                q.append(RunSlice(r, start, r.count))
                self.size += r.count - start
            else:
                q.append(r)
                self.size += 1

    def say(self, message: dict[str, Any]) -> None:
        """Queue a client-local message (a reply or an error); it has no session seq."""
        self.queue.append(compact_json({"seq": None, **message}))
        self.size += 1
        self.wake.set()

    def clear(self) -> None:
        """Drop every queued event (client-local messages stay)."""
        self.queue = deque(i for i in self.queue if isinstance(i, str))
        self.size = len(self.queue)
        self.overflowed = False
        self.kept = {}

    def next_message(self) -> tuple[str, int]:
        """The next message to send and how many events it carries."""
        q = self.queue
        item = q.popleft()
        if isinstance(item, str):
            self.size -= 1
            return item, 0
        if isinstance(item, _Overflow):
            self.size -= 1
            hub = self.hub
            self.overflowed = False  # events after hub.seq are queued again
            kept = sorted(self.kept.values(), key=lambda r: r.seq)
            self.kept = {}
            msg = {
                "seq": None, "type": "overflow", "vcpu": None, "time": hub.time(),
                "first_dropped": item.first_dropped, "last_dropped": hub.seq,
                "oldest_seq": hub.oldest_seq(), "kept": [r.seq for r in kept],
            }  # fmt: skip
            if not kept:
                return compact_json(msg), 0
            # The kept events first (in seq order), then the notice that lists them.
            q.appendleft(compact_json(msg))
            for r in reversed(kept[1:]):
                q.appendleft(r)
            self.size += len(kept)
            return kept[0].text_for(None), 1
        regs = self.trace_registers
        if not self.batch:
            if isinstance(item, RunSlice):
                i = item.start
                item.start = i + 1
                if item.start < item.end:
                    q.appendleft(item)
                self.size -= 1
                return item.run.texts_for(i, i + 1, regs)[0], 1
            self.size -= 1
            return item.text_for(regs), 1
        if isinstance(item, Record) and item.type != "trace":
            self.size -= 1
            return item.text_for(regs), 1
        # A batch: consecutive trace events, up to TRACE_BATCH of them.
        texts: list[str] = []
        while True:
            if isinstance(item, RunSlice):
                start = item.start
                end = min(item.end, start + TRACE_BATCH - len(texts))
                texts += item.run.texts_for(start, end, regs)
                self.size -= end - start
                if end < item.end:
                    item.start = end
                    q.appendleft(item)
                    break
            else:
                assert isinstance(item, Record)
                texts.append(item.text_for(regs))
                self.size -= 1
            if len(texts) >= TRACE_BATCH or not q:
                break
            item = q[0]
            if not (isinstance(item, RunSlice) or (
                    isinstance(item, Record) and item.type == "trace")):  # fmt: skip
                break
            q.popleft()
        return "[" + ",".join(texts) + "]", len(texts)


class EventHub:
    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        *,
        ring: int,
        queue_length: int,
        time: Callable[[], int],
        on_trace: Callable[[frozenset[int] | None], None],
        on_sent: Callable[[int], None] = lambda n: None,
        on_dropped: Callable[[int], None] = lambda n: None,
    ) -> None:
        self.loop = loop
        self.seq = 0
        # The last ``ring_size`` events at least (a TraceRun is kept or evicted whole).
        self.ring: deque[Numbered] = deque()
        self.ring_size = max(1, ring)
        self._ring_events = 0
        self.queue_length = queue_length
        self.clients: set[Client] = set()
        self.time = time
        self.on_trace = on_trace
        self.on_sent = on_sent
        self.on_dropped = on_dropped
        # Appended by the engine thread, taken by the loop: deque operations are atomic, so
        # publishing takes no lock (see publish and _drain for the wake-up protocol).
        self._pending: deque[Event | TraceBatch | PackedTrace | dict[str, Any]] = deque()
        self._scheduled = False
        self.closed = False
        self._loop_thread = threading.get_ident()  # hubs are made on the loop's thread
        # Several replicas: each numbered batch, in order, to the session's Redis Stream
        # (service/replicas.py), from the loop; None on one server.
        self.sink: Callable[[list[Numbered]], None] | None = None

    # -- any thread ---------------------------------------------------------------
    def publish(self, ev: Event | TraceBatch | PackedTrace | dict[str, Any]) -> None:
        """Take an event (or a batch of trace events) from any thread; never blocks on
        clients.

        Append first, then look at ``_scheduled``; ``_drain`` clears it before it takes
        events. So an event appended after a drain has looked either is taken by that drain
        or finds the flag clear and schedules the next one: none is left behind (a spare
        drain finds nothing and is harmless)."""
        self._pending.append(ev)
        if self._scheduled:
            return
        self._scheduled = True
        try:
            if threading.get_ident() == self._loop_thread:
                self.loop.call_soon(self._drain)  # no self-pipe write from the loop itself
            else:
                self.loop.call_soon_threadsafe(self._drain)
        except RuntimeError:  # the loop is closed: the server is shutting down
            pass

    # -- the event loop -------------------------------------------------------------
    def _drain(self) -> None:
        """Number and dispatch a chunk of pending events (DRAIN_CHUNK, splitting a trace
        batch at the end), then let the senders run."""
        self._scheduled = False
        pending = self._pending
        items: list[Event | TraceBatch | PackedTrace | dict[str, Any]] = []
        left = DRAIN_CHUNK
        while pending and left > 0:
            ev = pending.popleft()
            if type(ev) in TRACE_BATCHES:
                batch = cast(TraceBatch | PackedTrace, ev)
                n = len(batch)
                if n > left:
                    # (appendleft and the engine thread's append are both atomic)
                    ev, rest = batch.split(left)
                    pending.appendleft(rest)
                    n = left
                left -= n
            else:
                left -= 1
            items.append(ev)
        if pending and not self._scheduled:
            self._scheduled = True
            self.loop.call_soon(self._drain)
        self._dispatch(items)

    def _flush(self) -> None:
        """Dispatch everything pending now (attach, close)."""
        pending = self._pending
        items = [pending.popleft() for _ in range(len(pending))]
        self._dispatch(items)

    def _dispatch(self, items: list[Event | TraceBatch | PackedTrace | dict[str, Any]]) -> None:
        clients = list(self.clients)
        seq = self.seq
        recs: list[Numbered] = []
        for ev in items:
            if type(ev) in TRACE_BATCHES:
                run = TraceRun(seq + 1, cast(TraceBatch | PackedTrace, ev))
                seq += run.count
                recs.append(run)
            else:
                seq += 1
                recs.append(Record(seq, cast(Event | dict[str, Any], ev)))
        self._ring_events += seq - self.seq
        self.seq = seq
        ring = self.ring
        ring.extend(recs)
        while ring and self._ring_events - ring[0].count >= self.ring_size:
            self._ring_events -= ring.popleft().count
        if self.sink is not None and recs:
            self.sink(recs)
        for c in clients:
            c.offer(recs)
        for c in clients:
            if c.queue:
                c.wake.set()

    def oldest_seq(self) -> int:
        return self.ring[0].seq if self.ring else self.seq + 1

    def preload(self, events: list[tuple[int, str, int | None, str]]) -> None:
        """Before any event of its own: the session's earlier events (seq, type, vCPU,
        text), in order, as its ring's oldest; numbering goes on after the last."""
        assert not self.ring and not self._pending
        keep = events[-self.ring_size :]
        self.ring.extend(StoredRecord(*e) for e in keep)
        self._ring_events = len(keep)
        if events:
            self.seq = events[-1][0]

    def attach(self, since: int | None = None) -> Client:
        """A new client; with ``since``, the retained events after it are queued first."""
        self._flush()
        c = Client(self, self.queue_length)
        if since is not None:
            self._replay(c, since)
        self.clients.add(c)
        if c.queue:
            c.wake.set()
        return c

    def _replay(self, c: Client, since: int) -> None:
        """Queue the retained events after ``since`` that ``c`` wants (an overflow notice
        first when some are no longer in the ring)."""
        if since >= self.seq:
            return
        oldest = self.oldest_seq()
        if since + 1 < oldest:
            c.say({
                "type": "overflow", "vcpu": None, "time": self.time(),
                "first_dropped": since + 1, "last_dropped": oldest - 1, "oldest_seq": oldest,
                "kept": [],
            })  # fmt: skip
        c.extend((r for r in self.ring if r.seq + r.count - 1 > since and c.wants(r)), since)

    def detach(self, c: Client) -> None:
        c.closed = True
        c.wake.set()
        self.clients.discard(c)
        self.retrace()

    def subscribe(
        self, c: Client, types: Iterable[str] | None, trace_vcpus: Iterable[int] | None,
        trace_registers: Iterable[str] | None, batch: bool, since: int | None = None,
    ) -> None:  # fmt: skip
        """Change what ``c`` receives; with ``since``, restart its stream there (the events
        it has queued are replaced by the ring's after ``since``, under the new filter)."""
        if types is not None:
            c.types = frozenset(types)
        c.trace_vcpus = None if trace_vcpus is None else frozenset(trace_vcpus)
        if c.trace_vcpus is not None and types is None:
            c.types = c.types | {"trace"}
        c.trace_registers = None if trace_registers is None else frozenset(trace_registers)
        c.batch = batch
        if since is not None:
            self._flush()
            c.clear()
            self._replay(c, since)
            c.wake.set()
        self.retrace()

    def retrace(self) -> None:
        """Tell the controller which vCPUs any client traces (None: nobody)."""
        want: set[int] = set()
        any_trace = False
        for c in self.clients:
            if c.trace_vcpus is not None and "trace" in c.types:
                any_trace = True
                want |= c.trace_vcpus
        self.on_trace(frozenset(want) if any_trace else None)

    def close(self) -> None:
        self._flush()
        self.closed = True
        for c in list(self.clients):
            c.closed = True
            c.wake.set()

    async def run_sender(self, c: Client, send: Callable[[str], Any]) -> None:
        """Send ``c``'s queue until it is detached or the hub closes."""
        while True:
            if not c.queue:
                if c.closed:
                    return
                c.wake.clear()
                await c.wake.wait()
                continue
            text, n = c.next_message()
            await send(text)
            if n:
                c.delivered += n
                self.on_sent(n)
