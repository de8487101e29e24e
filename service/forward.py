"""Forwarding a session's requests to the replica that holds it (several replicas).

A client may send any request to any replica. One for ``/v1/sessions/{id}/...`` whose
session another replica holds (the database's ``session_owners``) is passed on to that
replica's URL as it came (method, path, query, headers, body) and its answer returned as it
is: transparent, so a client behind a load balancer never sees where a session runs (a 307
would send it to an internal URL it may not reach, and clients do not all re-send a body on
a redirect). The forwarded request carries ``X-Ppcdbg-Forwarded``, and a replica never
forwards one again, so a directory that changed in between ends in a 404, not a loop. The
token is checked here first: a session of another owner is not forwarded, it is the 404 it
is everywhere. A holder that does not answer is a 503 while its lease lasts; once it has
expired, the session is taken over here (Manager.adopt) and the request served here.

The directory row is remembered for ROW_TTL seconds: asking the database on every request
was 40% of a forwarding replica's time (a step through B: 219/s against 920/s on the
holder). A remembered row that is out of date shows as the holder not answering or as its
404 (it gave the session up or it was deleted): then the row is read again and, if it names
another holder, or none, the request goes where the fresh row says, once.
WebSockets are not forwarded: every replica serves events itself, from the
session's Redis Stream (service/api/routes/events_remote.py).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import Any

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .problems import Problem
from .replicas import FORWARDED

log = logging.getLogger("ppcdbg.replicas")
ROW_TTL = 1.0  # seconds a directory row is used without reading it again
ROWS_KEPT = 10_000  # remembered rows at most (the table is emptied when full)
SESSION_PATH = re.compile(r"^/v1/sessions/([A-Za-z0-9_-]+)(?:/|$)")
# Hop-by-hop headers (RFC 9110 7.6.1) and those the client library sets itself.
HOP = frozenset({
    "connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
    "proxy-authorization", "proxy-authenticate", "host", "content-length",
})  # fmt: skip


def _replay(body: bytes) -> Receive:
    """The request's body, read already, for the app that serves it here after all."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


class Forward:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._rows: dict[str, tuple[float, Any]] = {}  # session id -> (when read, row)

    async def _owner_row(self, manager: Any, sid: str, fresh: bool = False) -> tuple[Any, bool]:
        """The session's directory row, and whether it is a remembered one."""
        now = time.monotonic()
        if not fresh:
            kept = self._rows.get(sid)
            if kept is not None and now - kept[0] < ROW_TTL:
                return kept[1], True
        row = await asyncio.to_thread(manager.store.session_owner, sid)
        if len(self._rows) >= ROWS_KEPT:
            self._rows.clear()
        self._rows[sid] = (now, row)
        return row, False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        target = await self._target(scope)
        if target is None:
            await self.app(scope, receive, send)
            return
        await self._forward(scope, receive, send, *target)

    async def _target(self, scope: Scope) -> tuple[Any, bool] | None:
        """The directory row (``replica``, ``url``) of the replica holding the request's
        session, if another one does, and whether it is a remembered one."""
        m = SESSION_PATH.match(scope["path"])
        if m is None:
            return None
        state = scope["app"].state
        manager = getattr(state, "manager", None)
        if manager is None:
            return None
        rep = manager.replicas
        sid = m.group(1)
        if rep is None or sid in manager.sessions:
            return None
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        if FORWARDED in headers:
            return None
        row, kept = await self._owner_row(manager, sid)
        if row is None or row["replica"] in (None, rep.id):
            return None
        scheme, _, token = headers.get("authorization", "").partition(" ")
        client = scope.get("client")
        try:
            owner = state.auth.owner(token.strip() if scheme.lower() == "bearer" else None,
                                     client[0] if client else None)  # fmt: skip
        except Problem:
            return None  # answered here: the 401 it is on every replica
        if owner != row["owner"]:
            return None
        return row, kept

    async def _forward(self, scope: Scope, receive: Receive, send: Send, row: Any,
                       kept: bool) -> None:  # fmt: skip
        manager = scope["app"].state.manager
        rep = manager.replicas
        target: str = row["url"]
        body = bytearray()
        while True:
            message: Message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]
                   if k.decode("latin-1").lower() not in HOP]  # fmt: skip
        headers.append((FORWARDED, rep.id))
        query = scope.get("query_string", b"").decode("latin-1")
        sid = SESSION_PATH.match(scope["path"])
        assert sid is not None
        while True:
            url = target + scope["path"] + (f"?{query}" if query else "")
            failed: httpx.HTTPError | None = None
            try:
                r = await rep.http.request(scope["method"], url, headers=headers,
                                           content=bytes(body))  # fmt: skip
            except httpx.HTTPError as e:
                failed = e
            if kept and (failed is not None or r.status_code == 404):
                # A remembered holder that does not answer, or no longer has the session
                # (given up, deleted): where does the directory say it is now?
                kept = False
                row, _ = await self._owner_row(manager, sid.group(1), fresh=True)
                if row is None or row["replica"] in (None, rep.id):
                    await self.app(scope, _replay(bytes(body)), send)
                    return
                if row["url"] != target:
                    target = row["url"]
                    continue
            if failed is not None:
                log.error("replica unreachable", extra={"url": target, "error": str(failed)})
                # Gone for good (its lease expired): the session is this replica's from now on.
                if sid.group(1) in await manager.adopt(only=sid.group(1)):
                    await self.app(scope, _replay(bytes(body)), send)
                    return
                p = Problem(503, "replica-unavailable",
                            f"the replica holding this session ({target}) does not answer; "
                            f"if it does not come back, another replica takes the session "
                            f"over once its lease expires (at most {rep.lease:g} s)")  # fmt: skip
                await p.response(scope["path"])(scope, receive, send)
                return
            break
        out: list[tuple[bytes, bytes]] = [
            (k.encode("latin-1"), v.encode("latin-1")) for k, v in r.headers.multi_items()
            # (httpx has decoded the body; this replica's RequestContext sets its request id)
            if k.lower() not in HOP and k.lower() not in ("content-encoding", "x-request-id")
        ]  # fmt: skip
        content = r.content
        out.append((b"content-length", str(len(content)).encode()))
        start: dict[str, Any] = {"type": "http.response.start", "status": r.status_code,
                                 "headers": out}  # fmt: skip
        await send(start)
        await send({"type": "http.response.body", "body": content})
