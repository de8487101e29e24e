"""The WebSocket event stream of a session another replica holds: its events read from the
session's Redis Stream (service/replicas.py), its commands sent to that replica's REST API;
with a trace subscription, the whole stream relayed from that replica's own WebSocket
(service/api/routes/events_relay.py).

The messages are the ones the holding replica's clients get, seq for seq: the holder
numbers every event and puts its text in the stream, so a client may disconnect from one
replica and resume on another with ``?since=`` (or ``subscribe`` with ``since``) without a
gap. The reader reads as fast as the client takes messages (``XREAD`` waits while a send
does), so a slow client is never handed an overflow that the stream can still fill; only
events the stream no longer holds (trimmed to the ring size) are announced as an
``overflow``, as on the holder. Trace events are not read from Redis (they reach the
stream only while the holder traces, and a fire-hose does not belong there): a subscribe
that asks for them stops the reader after the last entry it sent and hands the stream,
from the next seq on, to a relay of the holder's WebSocket, which then carries every
message both ways until either side goes away.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from fastapi import WebSocket

from ...events import DEFAULT_TYPES, EVENT_TYPES, TRACE_BATCH, compact_json
from ...models.messages import ConsoleInput, Continue, Message, Step, Subscribe
from ...problems import Problem
from ...replicas import FORWARDED, Replicas, entry_events
from ...sessions import Manager
from .events_relay import GONE_CLOSE, Relay

log = logging.getLogger("ppcdbg.ws")
BLOCK_MS = 1000  # an XREAD's wait; between two, the session is looked up again


class RemoteStream:
    def __init__(self, ws: WebSocket, manager: Manager, session_id: str, row: Any,
                 token: str | None) -> None:  # fmt: skip
        assert manager.replicas is not None
        self.ws = ws
        self.manager = manager
        self.replicas: Replicas = manager.replicas
        self.sid = session_id
        self.url: str = row["url"]
        self.replica: str = row["replica"]
        self.headers = {FORWARDED: self.replicas.id}
        if token:
            self.headers["authorization"] = f"Bearer {token}"
        self.types: frozenset[str] = DEFAULT_TYPES
        self.batch = False
        self.send_lock = asyncio.Lock()
        # The stream's source: the Redis reader, or the relay once trace is subscribed.
        # (a bare future while the source is being switched: run() waits on for the next)
        self.reader: asyncio.Future[None] | None = None
        self.relay: Relay | None = None
        # The reader sends an entry's events holding this lock, and ``position`` is the
        # last seq it has given the client: stopping it under the lock leaves no entry
        # half sent, so the relay takes over at the next seq.
        self.reading = asyncio.Lock()
        self.position = 0
        self.generation = 0  # a reader of an older generation sends nothing more

    async def send(self, text: str) -> None:
        async with self.send_lock:  # the reader and the replies: one frame at a time
            await self.ws.send_text(text)

    def say(self, message: dict[str, Any]) -> str:
        return compact_json({"seq": None, **message})

    async def run(self, since: int | None) -> None:
        start = since if since is not None else await self.replicas.last_seq(self.sid)
        self.restart(start, since is not None)
        receiver = asyncio.create_task(self._receive())
        try:
            while True:
                reader = self.reader
                assert reader is not None
                done, _ = await asyncio.wait({reader, receiver},
                                             return_when=asyncio.FIRST_COMPLETED)  # fmt: skip
                if receiver in done or self.reader is reader:
                    break  # the client left, or the stream ended (the session closed)
            if self.relay is not None and not self.relay.closed and receiver not in done:
                # The holder went away under the relay (it has said so): not a normal end.
                with contextlib.suppress(Exception):
                    await self.ws.close(code=GONE_CLOSE, reason="replica-unavailable")
        finally:
            for t in (self.reader, receiver):
                if t is not None:
                    t.cancel()
                    with contextlib.suppress(BaseException):
                        await t

    def restart(self, after: int, check_gap: bool) -> None:
        if self.reader is not None:
            self.reader.cancel()
        self.position = after
        self.generation += 1
        self._set_source(asyncio.create_task(self._read(after, check_gap, self.generation)))

    def _set_source(self, source: asyncio.Future[None]) -> None:
        old, self.reader = self.reader, source
        if old is not None and not old.done():
            old.set_result(None)  # the placeholder of a switch (run() then waits on this)

    async def _stop_reader(self) -> int:
        """Stop the Redis reader between two entries; the last seq it gave the client."""
        async with self.reading:
            self.generation += 1  # (it may take the lock next, before the cancel lands)
            after = self.position
        old, self.reader = self.reader, asyncio.get_running_loop().create_future()
        if old is not None:
            # Not awaited: a blocking XREAD is not cut short by the cancel (redis-py), and
            # the generation already keeps the old reader from sending anything.
            old.cancel()
        return after

    async def _read(self, after: int, check_gap: bool, generation: int) -> None:
        """Send the stream's events after seq ``after`` as the client's filter wants them."""
        if check_gap:
            first = await self.replicas.first_seq(self.sid)
            if first is not None and after + 1 < first:
                async with self.reading:
                    if self.generation != generation:
                        return
                    await self._overflow(after + 1, first - 1, first)
        idle = 0
        while True:
            entries = await self.replicas.read(self.sid, after, BLOCK_MS)
            if not entries:
                idle += 1
                if idle % 10 == 0 and await self._gone():
                    return
                continue
            idle = 0
            for eid, fields in entries:
                last = int(eid.split("-")[0])
                events = entry_events(fields)
                async with self.reading:
                    if self.generation != generation:
                        return
                    if events[0][0] > after + 1:
                        # Trimmed (or lost while Redis was away) before this reader came to it.
                        await self._overflow(after + 1, events[0][0] - 1, events[0][0])
                    closed = await self._send_events([e for e in events if e[0] > after])
                    after = self.position = last
                if closed:
                    return

    async def _send_events(self, events: list[tuple[int, str, int | None, str]]) -> bool:
        """Send them (trace events in arrays when batching); True after the session closed."""
        traces: list[str] = []
        closed = False
        for _seq, typ, _vcpu, text in events:
            if typ not in self.types:
                continue
            if typ == "trace" and self.batch:
                traces.append(text)
                if len(traces) >= TRACE_BATCH:
                    await self.send("[" + ",".join(traces) + "]")
                    traces = []
                continue
            if traces:
                await self.send("[" + ",".join(traces) + "]")
                traces = []
            await self.send(text)
            if typ == "session-state" and '"state":"closed"' in text:
                closed = True
        if traces:
            await self.send("[" + ",".join(traces) + "]")
        return closed

    async def _overflow(self, first: int, last: int, oldest: int) -> None:
        await self.send(self.say({"type": "overflow", "vcpu": None, "time": None,
                                  "first_dropped": first, "last_dropped": last,
                                  "oldest_seq": oldest, "kept": []}))  # fmt: skip

    async def _gone(self) -> bool:
        row = await asyncio.to_thread(self.manager.store.session_owner, self.sid)
        return row is None

    # -- commands ------------------------------------------------------------------------
    async def _receive(self) -> None:
        from .events import _error, _parse, _reply, frames

        async for frame in frames(self.ws):
            if frame.problem is not None:
                await self.send(self.say(_error(None, frame.problem)))
                continue
            raw, cid = frame.raw, frame.cid
            if self.relay is not None:
                await self.relay.forward(raw)  # the holder answers everything now
                continue
            try:
                msg = _parse(raw)
                if isinstance(msg, Subscribe):
                    await self._subscribe(msg, raw, _reply)
                    continue
                result = await self._command(msg)
            except Problem as p:
                await self.send(self.say(_error(cid, p)))
                continue
            await self.send(self.say(_reply(cid, msg.op, result)))

    async def _subscribe(self, msg: Subscribe, raw: Any, reply: Any) -> None:
        if msg.types is not None:
            unknown = sorted(set(msg.types) - EVENT_TYPES)
            if unknown:
                raise Problem(422, "validation-error",
                              f"unknown event types: {', '.join(unknown)}",
                              field="types")  # fmt: skip
        if msg.trace is not None or (msg.types is not None and "trace" in msg.types):
            await self._start_relay(raw)
            return
        if msg.types is not None:
            self.types = frozenset(msg.types)
        self.batch = msg.batch
        await self.send(self.say(reply(msg.id, "subscribe", {
            "types": sorted(self.types), "trace_vcpus": None, "since": msg.since})))  # fmt: skip
        if msg.since is not None:
            self.restart(msg.since, True)

    async def _start_relay(self, raw: Any) -> None:
        """Hand the stream to a relay of the holder's WebSocket from the next seq on (the
        holder replies to this subscribe); a holder that cannot be reached is a 503 and
        the Redis reader goes on where it stopped."""
        after = await self._stop_reader()
        relay = Relay(self.url, self.sid, self.headers, self.send)
        try:
            await relay.open(after, self.types, raw)
        except Problem:
            await relay.close()
            self.restart(after, False)
            raise
        self.relay = relay
        self._set_source(asyncio.create_task(relay.run()))

    async def _command(self, msg: Message) -> dict[str, Any]:
        """The command through the holding replica's REST API; its reply fields."""
        base = f"{self.url}/v1/sessions/{self.sid}"
        if isinstance(msg, Step):
            body = await self._post(f"{base}/vcpus/{msg.vcpu}/step",
                                    {"count": msg.count, "mode": msg.mode})  # fmt: skip
            return {"stop": body["last_stop"]}
        if isinstance(msg, Continue):
            await self._post(
                f"{base}/continue", {"vcpus": msg.vcpus, "until": msg.until, "budget": msg.budget}
            )
            return {"state": "running"}
        if isinstance(msg, ConsoleInput):
            body = await self._post(f"{base}/console", {"data": msg.data})
            return {"queued": body["queued"]}
        body = await self._post(f"{base}/halt", None)
        return {"state": body["state"]}

    async def _post(self, url: str, body: dict[str, Any] | None) -> dict[str, Any]:
        import httpx

        try:
            r = await self.replicas.http.post(url, json=body, headers=self.headers)
        except httpx.HTTPError:
            raise Problem(503, "replica-unavailable",
                          f"the replica holding this session ({self.url}) does not answer; "
                          "try later") from None  # fmt: skip
        data: dict[str, Any] = r.json()
        if r.status_code >= 400:
            # The holder's problem, as a local one would be said on the WebSocket.
            ext = {k: v for k, v in data.items()
                   if k not in ("type", "title", "status", "detail", "instance")}  # fmt: skip
            slug = str(data.get("type", "")).rsplit("/", 1)[-1]
            raise Problem(r.status_code, slug, str(data.get("detail", "")), **ext)
        return data
