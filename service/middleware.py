"""Pure ASGI middleware: request ids, JSON request logs and metrics; the body size limit."""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .logs import request_id
from .metrics import Metrics
from .problems import PROBLEM_JSON, Problem

log = logging.getLogger("ppcdbg.http")
SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestContext:
    """X-Request-ID in and out, one JSON log line and the metrics for every request."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        rid = None
        for k, v in scope.get("headers", ()):
            if k == b"x-request-id":
                rid = v.decode("latin-1")
        if rid is None or not SAFE_ID.match(rid):
            rid = secrets.token_hex(8)
        token = request_id.set(rid)
        status = 0
        t0 = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            dt = time.perf_counter() - t0
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope.get("method", "WS")
            if scope["type"] == "http":
                self.metrics.requests.labels(method, template, str(status)).inc()
                self.metrics.latency.labels(method).observe(dt)
            # The path only: a query string may carry a WebSocket ?token=.
            log.info("request", extra={
                "request_id": rid, "method": method, "path": scope.get("path"),
                "route": template, "status": status, "duration_ms": round(dt * 1000, 3),
            })  # fmt: skip
            request_id.reset(token)


class BodyTooLarge(Problem):
    def __init__(self, limit: int) -> None:
        super().__init__(413, "payload-too-large", f"request bodies are limited to {limit} bytes")


class BodyLimit:
    """413 for a body over ``limit`` bytes, by Content-Length or as it streams in."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for k, v in scope.get("headers", ()):
            if k == b"content-length":
                try:
                    too_big = int(v) > self.limit
                except ValueError:
                    too_big = False
                if too_big:
                    await _problem(send, BodyTooLarge(self.limit), scope.get("path", ""))
                    return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        await self.app(scope, limited, send)


async def _problem(send: Send, p: Problem, path: str) -> None:
    body: Any = json.dumps(p.body(path)).encode()
    await send({"type": "http.response.start", "status": p.status,
                "headers": [(b"content-type", PROBLEM_JSON.encode()),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})  # fmt: skip
    await send({"type": "http.response.body", "body": body})
