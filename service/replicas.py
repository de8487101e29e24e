"""Several API replicas on one database and one Redis (docs/deployment.md "Several replicas").

Each session is held by one replica, its *owner*: the one running its engine, named with its
URL in the database's ``session_owners`` table. The owner numbers the session's events as
one server does (service/events.py) and appends them to the Redis Stream
``ppcdbg:events:<session id>``: one stream entry per batch the hub numbered, its entry id
``<last seq>-0`` (so ``XREAD`` after ``<seq>-0`` is exactly "the events after seq", give or
take the earlier events of the entry that holds it, which the reader skips) and its fields
the first seq, each event's type, vCPU and count, and the events' JSON texts, one a line.
The stream is trimmed by ``MINID`` to the hub's ring size in seqs (the entry ids are seqs, so
that keeps as many events as the owner's ring, where ``MAXLEN`` would count entries of any
size). Any replica serves the events to a WebSocket client by ``XREAD`` (service/api/routes/
events_remote.py); requests for a session held elsewhere are forwarded (service/forward.py).

Each replica holds a lease, the Redis key ``ppcdbg:replica:<id>`` (its URL) set with a time to
live of ``replica_lease`` seconds and renewed every third of that. A replica without one (it
was killed, its host died, it was cut off from Redis, or it stopped and let it go) holds
nothing any more: the others take its sessions over (Manager.adopt).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import httpx
import redis.asyncio as aioredis
from redis.exceptions import RedisError, ResponseError

from .events import Numbered, Record, TraceRun
from .settings import Settings

log = logging.getLogger("ppcdbg.replicas")
FORWARDED = "x-ppcdbg-forwarded"  # set on a forwarded request: the replica it came through
# Entries held while Redis is away; past this the oldest go (readers then see a gap, which
# they announce as an overflow, as a slow client's would be).
MAX_PENDING = 16_384
PIPELINE = 64  # XADDs per round trip
CLOSED_TTL = 300  # seconds a closed session's stream stays (late readers get its end)


def stream_key(session_id: str) -> str:
    return f"ppcdbg:events:{session_id}"


def lease_key(replica_id: str) -> str:
    return f"ppcdbg:replica:{replica_id}"


def entry_fields(recs: list[Numbered]) -> dict[str, str]:
    """One stream entry for events numbered together: ``first`` seq, ``meta`` (per record
    ``type:vcpu:count``) and ``events`` (each event's JSON text, one a line: compact JSON has
    no raw newline)."""
    texts: list[str] = []
    meta: list[str] = []
    for r in recs:
        if type(r) is TraceRun:
            texts += r.texts_for(0, r.count, None)
        else:
            assert isinstance(r, Record)
            texts.append(r.text)
        meta.append(f"{r.type}:{'' if r.vcpu is None else r.vcpu}:{r.count}")
    return {"first": str(recs[0].seq), "meta": " ".join(meta), "events": "\n".join(texts)}


def entry_events(fields: dict[str, str]) -> list[tuple[int, str, int | None, str]]:
    """An entry's events as (seq, type, vcpu, text)."""
    seq = int(fields["first"])
    texts = fields["events"].split("\n")
    out: list[tuple[int, str, int | None, str]] = []
    i = 0
    for token in fields["meta"].split(" "):
        typ, vcpu, count = token.split(":")
        v = int(vcpu) if vcpu else None
        for _ in range(int(count)):
            out.append((seq, typ, v, texts[i]))
            seq += 1
            i += 1
    return out


def _closes(r: Numbered) -> bool:
    if type(r) is not Record or r.type != "session-state":
        return False
    ev = r.event
    return isinstance(ev, dict) and ev.get("state") == "closed"


class Replicas:
    """This replica's identity, its Redis connection (the stream publisher and reads) and the
    HTTP client it forwards requests with."""

    def __init__(self, settings: Settings) -> None:
        assert settings.redis is not None
        self.id, self.url = settings.replica()
        self.lease = settings.replica_lease
        self.ring = max(1, settings.event_ring)
        self.redis: aioredis.Redis = aioredis.Redis.from_url(
            settings.redis, decode_responses=True, socket_connect_timeout=5,
            health_check_interval=30)  # fmt: skip
        # Forwarded commands may run long (continue?wait=, a long step): no read timeout.
        self.http = httpx.AsyncClient(timeout=httpx.Timeout(None, connect=5.0))
        self._pending: deque[tuple[str, int, dict[str, str], bool]] = deque()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._renewer: asyncio.Task[None] | None = None
        self._warned = 0.0
        self.dropped = 0  # entries dropped while Redis was away

    async def start(self) -> None:
        """Check Redis answers (a StoreError-like one-line failure otherwise) and start the
        publisher."""
        await self.redis.ping()
        await self._renew()
        self._task = asyncio.create_task(self._publish(), name="redis-publisher")
        self._renewer = asyncio.create_task(self._keep_lease(), name="replica-lease")

    async def close(self) -> None:
        # What is still pending goes out first (the sessions' "closed" events), briefly.
        deadline = time.monotonic() + 2.0
        while self._pending and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        for task in (self._task, self._renewer):
            if task is not None:
                task.cancel()
                try:
                    await task
                except asyncio.CancelledError:
                    pass
        # Stopping lets the lease go: the others take the sessions over at once rather than
        # after it would have expired (a rolling restart loses no more than it must).
        with contextlib.suppress(RedisError, OSError):
            await self.redis.delete(lease_key(self.id))
        await self.http.aclose()
        await self.redis.aclose()

    # -- the lease ------------------------------------------------------------------------
    async def _renew(self) -> None:
        await self.redis.set(lease_key(self.id), self.url, px=int(self.lease * 1000))

    async def _keep_lease(self) -> None:
        while True:
            await asyncio.sleep(self.lease / 3)
            try:
                await self._renew()
            except (RedisError, OSError) as e:
                # Cut off from Redis, this replica may already count as gone: its sessions
                # are then taken over elsewhere, and it finds out when it next claims one.
                log.error("replica lease not renewed", extra={"error": str(e)})

    async def alive(self, replica_id: str) -> bool:
        """Whether ``replica_id`` holds a lease (this replica always does)."""
        if replica_id == self.id:
            return True
        return bool(await self.redis.exists(lease_key(replica_id)))

    # -- publishing (the owner) -------------------------------------------------------
    def sink(self, session_id: str) -> Callable[[list[Numbered]], None]:
        """The hub's sink for one session (EventHub.sink): runs on the loop."""
        key = stream_key(session_id)

        def put(recs: list[Numbered]) -> None:
            last = recs[-1].seq + recs[-1].count - 1
            self._pending.append((key, last, entry_fields(recs), any(map(_closes, recs))))
            while len(self._pending) > MAX_PENDING:
                self._pending.popleft()
                self.dropped += 1
            self._wake.set()

        return put

    async def _publish(self) -> None:
        pending = self._pending
        while True:
            if not pending:
                self._wake.clear()
                await self._wake.wait()
                continue
            batch = [pending.popleft() for _ in range(min(len(pending), PIPELINE))]
            pipe = self.redis.pipeline(transaction=False)
            for key, last, fields, closes in batch:
                pipe.xadd(key, fields, id=f"{last}-0",  # type: ignore[arg-type]
                          minid=max(0, last - self.ring), approximate=True)  # fmt: skip
                if closes:
                    pipe.expire(key, CLOSED_TTL)
            try:
                results = await pipe.execute(raise_on_error=False)
            except (RedisError, OSError) as e:
                pending.extendleft(reversed(batch))  # again, in order, once Redis answers
                now = time.monotonic()
                if now - self._warned > 10:
                    self._warned = now
                    log.error("redis unavailable: events wait", extra={"error": str(e)})
                await asyncio.sleep(0.5)
                continue
            for r in results:
                # An id at or below the stream's last: sent before a failure cut the reply.
                if isinstance(r, ResponseError) and "equal or smaller" not in str(r):
                    log.error("redis refused an event entry", extra={"error": str(r)})

    # -- reading (any replica) -------------------------------------------------------
    async def last_seq(self, session_id: str) -> int:
        """The last seq in the session's stream (0: none): where a re-created session's
        numbering continues, and where a new reader starts."""
        got: Any = await self.redis.xrevrange(stream_key(session_id), count=1)
        return int(got[0][0].split("-")[0]) if got else 0

    async def history(self, session_id: str) -> list[tuple[int, str, int | None, str]]:
        """Every event the session's stream holds, oldest first (seq, type, vCPU, text)."""
        got: Any = await self.redis.xrange(stream_key(session_id))
        return [e for _, fields in got for e in entry_events(fields)]

    async def first_seq(self, session_id: str) -> int | None:
        """The oldest seq the stream still holds (None: no stream)."""
        got: Any = await self.redis.xrange(stream_key(session_id), count=1)
        return int(got[0][1]["first"]) if got else None

    async def read(self, session_id: str, after: int, block_ms: int,
                   count: int = 64) -> list[tuple[str, dict[str, str]]]:  # fmt: skip
        """Entries whose last seq is after ``after``, waiting up to ``block_ms`` for one."""
        got: Any = await self.redis.xread({stream_key(session_id): f"{after}-0"}, count=count,
                                          block=block_ms)  # fmt: skip
        if not got:
            return []
        entries: list[tuple[str, dict[str, str]]] = got[0][1]
        return entries
