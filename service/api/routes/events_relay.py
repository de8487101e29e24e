"""A session's event stream relayed from the replica that holds it, over a WebSocket of its
own: how a client on another replica gets trace events (service/api/routes/events_remote.py).

Trace events are the fire-hose (hundreds of thousands a second): they are not read back
from Redis but taken from the holder's own hub, batched as its clients get them. When a
client on a non-holder subscribes to trace, its stream switches from the Redis reader to
this relay: a WebSocket to the holder's ``/v1/sessions/{id}/events`` with the client's token
(as forwarded REST requests carry it) and ``X-Ppcdbg-Forwarded``. The relay first asks the
holder for the events after the last seq the client was given, under the filter it had
(a ``subscribe`` with ``since``, whose reply is the relay's own and is not passed on:
whatever the holder sent before that reply is dropped), then passes the client's own
subscribe and every later message on, both ways, as they are. So from that seq on the
client gets the very messages a client of the holder gets: seq for seq, trace batches as
the holder's arrays, overflow notices from the holder's bounded queue, replies to its
commands. A holder that goes away ends the relay with an ``error`` message
(``replica-unavailable``, with the last seq relayed) and the client's stream with close code
1014 (bad gateway), not a silent wait; a client that leaves closes the relay, and the holder
stops tracing for it.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

from ...events import compact_json
from ...problems import Problem

RELAY_ID = "ppcdbg-relay"  # the id of the relay's own subscribe (its reply is not passed on)
MAX_MESSAGE = 64 << 20  # a holder's message: a batch of 1,024 trace events is ~0.2-0.5 MB
GONE_CLOSE = 1014  # RFC 6455 registry: bad gateway (the upstream replica failed)


def _last_seq(text: str) -> int | None:
    """The last event seq in a message (an event or a batch), None for a client-local one;
    read from the text (a batch is not decoded: this runs on every relayed message)."""
    i = text.rfind('{"seq":')
    if i < 0:
        return None
    j = i + 7
    k = j
    while k < len(text) and text[k].isdigit():
        k += 1
    return int(text[j:k]) if k > j else None


class Relay:
    """One client's stream from the holder's WebSocket."""

    def __init__(self, url: str, session_id: str, headers: dict[str, str],
                 send: Callable[[str], Awaitable[None]]) -> None:  # fmt: skip
        base = url.replace("http://", "ws://", 1).replace("https://", "wss://", 1)
        self.url = url
        self.ws_url = f"{base}/v1/sessions/{session_id}/events"
        self.headers = headers
        self.send = send
        self.ws: ClientConnection | None = None
        self.last = 0  # the last seq passed on to the client
        self.closed = False  # the session closed (its last event passed on)

    async def open(self, after: int, types: frozenset[str], first: dict[str, Any]) -> None:
        """Connect, restart the holder's stream after seq ``after`` under ``types`` (no
        trace), then send ``first`` (the client's subscribe). A 503 problem when the holder
        cannot be reached."""
        try:
            self.ws = await connect(
                self.ws_url, additional_headers=self.headers, max_size=MAX_MESSAGE,
                # Trace batches are big and already cheap to send: deflate would cost the
                # holder a core. Internal traffic: no proxy from the environment.
                compression=None, proxy=None, open_timeout=5, close_timeout=2,
            )  # fmt: skip
        except (OSError, WebSocketException, TimeoutError) as e:
            raise Problem(503, "replica-unavailable",
                          f"the replica holding this session ({self.url}) does not answer; "
                          f"try later ({type(e).__name__})") from None  # fmt: skip
        self.last = after
        await self.ws.send(compact_json({"op": "subscribe", "id": RELAY_ID,
                                         "types": sorted(types), "since": after}))  # fmt: skip
        await self.ws.send(compact_json(first))

    async def forward(self, raw: Any) -> None:
        """A client's message, to the holder as it came (the holder answers it)."""
        assert self.ws is not None
        with contextlib.suppress(ConnectionClosed):  # the relay's reader reports that
            await self.ws.send(compact_json(raw))

    async def run(self) -> None:
        """Pass the holder's messages on until its stream ends; a holder gone (not after
        the session closed) is told to the client as an ``error`` message."""
        ws = self.ws
        assert ws is not None
        primed = False
        try:
            async for text in ws:
                if isinstance(text, bytes):
                    text = text.decode("utf-8", "replace")
                if not primed:
                    # Everything before the relay's reply came before its since=: dropped.
                    if text.startswith('{"seq":null'):
                        msg = json.loads(text)
                        primed = msg.get("id") == RELAY_ID
                        if primed and msg.get("type") == "error":
                            return await self._gone(str(msg.get("problem")))
                    continue
                await self.send(text)
                if text[0] == "{":
                    seq = _last_seq(text)
                    if seq is not None:
                        self.last = seq
                        if '"type":"session-state"' in text and '"state":"closed"' in text:
                            self.closed = True
                else:
                    self.last = _last_seq(text) or self.last
        except ConnectionClosed:
            pass
        finally:
            await self.close()
        if not self.closed:
            await self._gone("its connection ended")

    async def _gone(self, why: str) -> None:
        p = Problem(503, "replica-unavailable",
                    f"the replica holding this session ({self.url}) went away ({why}): its "
                    f"events stop here; reconnect with ?since={self.last}",
                    last_seq=self.last)  # fmt: skip
        with contextlib.suppress(Exception):
            await self.send(compact_json({"seq": None, "type": "error", "vcpu": None,
                                          "id": None, "problem": p.body("websocket")}))  # fmt: skip

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()
