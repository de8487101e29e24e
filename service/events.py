"""Per-session event hubs: gap-free ``seq``, a bounded ring for ``?since=``, per-client queues.

The controller's listener runs on the engine thread; it only appends the event to a deque
and, when no drain is scheduled, wakes the event loop with ``call_soon_threadsafe``. On
the loop, ``_drain`` numbers the events (``seq`` from 1, no gaps), keeps them in the ring
and offers them to every client's bounded queue. An event's JSON is made once, when first
sent, and shared by all clients; batching clients get arrays of up to ``TRACE_BATCH``
consecutive trace events, each exactly the object an unbatched client gets. A client
whose queue is full is marked overflowed: its events are dropped (never waited for)
until its sender reaches the overflow marker, which tells it what it missed, so a slow or
vanished client never blocks the engine or the other clients.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import deque
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any, cast

from engine.debug.events import (
    ConsoleEvent,
    Event,
    InterruptEvent,
    ResumeEvent,
    StopEvent,
    TraceEvent,
)
from engine.disasm import disassemble_one
from engine.registers import WIDTH32

TRACE_BATCH = 1024  # trace events per message for batching clients
# Events numbered per loop callback: between chunks the clients' senders run, so a burst
# from the engine does not land in a client's queue all at once.
DRAIN_CHUNK = 256
DEFAULT_TYPES = frozenset(
    {"stop", "resume", "interrupt", "console", "breakpoint-changed", "session-state"}
)
EVENT_TYPES = DEFAULT_TYPES | {"trace"}


def hex64(v: int) -> str:
    return f"0x{v:016x}"


def reg_hex(name: str, v: int) -> str:
    return f"0x{v:08x}" if name in WIDTH32 else f"0x{v:016x}"


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
    """``_where_json`` by one integer key, ``pc << 33 | insn`` (bit 32: no word): a dict
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
        width = 8 if name in WIDTH32 else 16
        template = f'{json.dumps(name)}:"0x%0{width}x"'
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
    where = _WHERE[(ev.pc << 33) | (0x1_0000_0000 if insn is None else insn)]
    return (
        f'{{"seq":{seq},"type":"trace","time":{ev.time},"vcpu":{ev.vcpu},'
        f'{where},"changed":{{{text}}}}}'
    )


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
                text = json.dumps({"seq": self.seq, **event_dict(ev)}, separators=(",", ":"))
            self._text = text
        return text

    def text_for(self, registers: frozenset[str] | None) -> str:
        if registers is None or self.type != "trace":
            return self.text
        return trace_json(self.seq, cast(TraceEvent, self.event), registers)


class _Overflow:
    """The marker a client's sender turns into an ``overflow`` message."""

    __slots__ = ("first_dropped",)

    def __init__(self, first_dropped: int) -> None:
        self.first_dropped = first_dropped


Item = Record | _Overflow | str  # str: a client-local message (reply, error), already JSON


class Client:
    """One WebSocket subscriber: its filter, its bounded queue and its wake-up event."""

    def __init__(self, hub: EventHub, maxlen: int) -> None:
        self.hub = hub
        self.maxlen = maxlen
        self.queue: deque[Item] = deque()
        self.wake = asyncio.Event()
        self.types: frozenset[str] = DEFAULT_TYPES
        self.trace_vcpus: frozenset[int] | None = None
        self.trace_registers: frozenset[str] | None = None
        self.batch = False
        self.overflowed = False
        self.closed = False
        self.delivered = 0
        self.dropped = 0

    def wants(self, rec: Record) -> bool:
        if rec.type not in self.types:
            return False
        if rec.type == "trace":
            return self.trace_vcpus is not None and rec.vcpu in self.trace_vcpus
        return True

    def offer(self, recs: list[Record]) -> None:
        """Queue the records this client wants (``wants`` and ``push`` for each, in bulk:
        a traced run offers every client one record per instruction)."""
        types, vcpus = self.types, self.trace_vcpus
        wanted = [
            r for r in recs
            if r.type in types and (r.type != "trace" or (vcpus is not None and r.vcpu in vcpus))
        ]  # fmt: skip
        if not wanted:
            return
        q = self.queue
        if not self.overflowed and len(q) + len(wanted) <= self.maxlen:
            q.extend(wanted)
            return
        for r in wanted:  # at the bound: one at a time, for the exact overflow point
            self.push(r)

    def push(self, rec: Record) -> None:
        if self.overflowed:
            self.dropped += 1
            self.hub.on_dropped(1)
            return
        if len(self.queue) >= self.maxlen:
            self.overflowed = True
            self.queue.append(_Overflow(rec.seq))
            self.dropped += 1
            self.hub.on_dropped(1)
            return
        self.queue.append(rec)

    def say(self, message: dict[str, Any]) -> None:
        """Queue a client-local message (a reply or an error); it has no session seq."""
        self.queue.append(json.dumps({"seq": None, **message}, separators=(",", ":")))
        self.wake.set()

    def next_message(self) -> tuple[str, int]:
        """The next message to send and how many events it carries."""
        item = self.queue.popleft()
        if isinstance(item, str):
            return item, 0
        if isinstance(item, _Overflow):
            hub = self.hub
            self.overflowed = False  # events after hub.seq are queued again
            msg = {
                "seq": None, "type": "overflow", "vcpu": None, "time": hub.time(),
                "first_dropped": item.first_dropped, "last_dropped": hub.seq,
                "oldest_seq": hub.oldest_seq(),
            }  # fmt: skip
            return json.dumps(msg, separators=(",", ":")), 0
        regs = self.trace_registers
        if item.type == "trace" and self.batch:
            recs = [item]
            q = self.queue
            while q and len(recs) < TRACE_BATCH:
                nxt = q[0]
                if not isinstance(nxt, Record) or nxt.type != "trace":
                    break
                q.popleft()
                recs.append(nxt)
            if regs is None:
                texts = [r._text or r.text for r in recs]
            else:
                texts = [r.text_for(regs) for r in recs]
            return "[" + ",".join(texts) + "]", len(texts)
        return item.text_for(regs), 1


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
        self.ring: deque[Record] = deque(maxlen=max(1, ring))
        self.queue_length = queue_length
        self.clients: set[Client] = set()
        self.time = time
        self.on_trace = on_trace
        self.on_sent = on_sent
        self.on_dropped = on_dropped
        # Appended by the engine thread, taken by the loop: deque operations are atomic, so
        # publishing takes no lock (see publish and _drain for the wake-up protocol).
        self._pending: deque[Event | dict[str, Any]] = deque()
        self._scheduled = False
        self.closed = False
        self._loop_thread = threading.get_ident()  # hubs are made on the loop's thread

    # -- any thread ---------------------------------------------------------------
    def publish(self, ev: Event | dict[str, Any]) -> None:
        """Take an event from any thread; never blocks on clients.

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
        """Number and dispatch a chunk of pending events, then let the senders run."""
        self._scheduled = False
        pending = self._pending
        n = min(len(pending), DRAIN_CHUNK)
        items = [pending.popleft() for _ in range(n)]
        if pending and not self._scheduled:
            self._scheduled = True
            self.loop.call_soon(self._drain)
        self._dispatch(items)

    def _flush(self) -> None:
        """Dispatch everything pending now (attach, close)."""
        pending = self._pending
        items = [pending.popleft() for _ in range(len(pending))]
        self._dispatch(items)

    def _dispatch(self, items: list[Event | dict[str, Any]]) -> None:
        clients = list(self.clients)
        first = self.seq + 1
        recs = [Record(seq, ev) for seq, ev in enumerate(items, first)]
        self.seq += len(recs)
        self.ring.extend(recs)
        for c in clients:
            c.offer(recs)
        for c in clients:
            if c.queue:
                c.wake.set()

    def oldest_seq(self) -> int:
        return self.ring[0].seq if self.ring else self.seq + 1

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
            })  # fmt: skip
        # The replay is bounded by the ring, not by the live queue length (which would
        # drop what was just asked for); live events behind it obey the bound.
        c.queue.extend(rec for rec in self.ring if rec.seq > since and c.wants(rec))

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
            c.queue = deque(i for i in c.queue if isinstance(i, str))
            c.overflowed = False
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
