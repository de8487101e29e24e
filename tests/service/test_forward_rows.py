"""The forwarding middleware remembers where a session is held (service/forward.py ROW_TTL)
instead of asking the directory on every request, and a remembered row that has gone out of
date costs one more read, never a wrong answer."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace
from typing import Any

import httpx

from service.forward import Forward

SID = "s1"


class Directory:
    def __init__(self, url: str | None) -> None:
        self.url = url
        self.reads = 0

    def session_owner(self, sid: str) -> dict[str, Any] | None:
        self.reads += 1
        if self.url is None:
            return None
        return {"owner": "alice", "replica": self.url.removeprefix("http://"), "url": self.url}


def _stack(directory: Directory, holders: dict[str, Any]) -> tuple[Any, list[str]]:
    """Forward in front of a local app that answers 404 ("here"), with replicas as
    httpx mock handlers by URL; returns the ASGI app and the URLs it forwarded to."""
    forwarded: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        base = f"http://{request.url.host}"
        forwarded.append(base)
        answer = holders.get(base)
        if answer is None:
            raise httpx.ConnectError("refused", request=request)
        return answer(request)

    async def local(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b'{"where": "here"}'})

    async def adopt(only: str) -> list[str]:
        return []

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    rep = SimpleNamespace(id="me", lease=15.0, http=http)
    manager = SimpleNamespace(replicas=rep, sessions={}, store=directory, adopt=adopt)
    state = SimpleNamespace(manager=manager, auth=SimpleNamespace(owner=lambda t, ip: "alice"))
    forward = Forward(local)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        scope["app"] = SimpleNamespace(state=state)
        await forward(scope, receive, send)

    return app, forwarded


def _ok(name: str) -> Any:
    return lambda request: httpx.Response(200, json={"where": name})


async def _get(app: Any, n: int = 1) -> list[Any]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://me") as c:  # fmt: skip
        return [(await c.get(f"/v1/sessions/{SID}")).json()["where"] for _ in range(n)]


def test_requests_to_one_holder_read_the_directory_once() -> None:
    d = Directory("http://a")
    app, forwarded = _stack(d, {"http://a": _ok("a")})
    assert asyncio.run(_get(app, 20)) == ["a"] * 20
    assert d.reads == 1 and len(forwarded) == 20


def test_a_remembered_holder_that_gave_the_session_up_sends_the_request_to_the_new_one() -> None:
    d = Directory("http://a")
    holders: dict[str, Any] = {"http://a": _ok("a"), "http://b": _ok("b")}
    app, forwarded = _stack(d, holders)
    assert asyncio.run(_get(app)) == ["a"]
    # A gives the session up to B; the row this replica remembers still names A.
    holders["http://a"] = lambda request: httpx.Response(404, json={"where": "a: none"})
    d.url = "http://b"
    assert asyncio.run(_get(app, 2)) == ["b", "b"]  # A's 404, read again, then remembered
    assert d.reads == 2 and forwarded == ["http://a", "http://a", "http://b", "http://b"]


def test_a_row_is_read_again_once_it_is_older_than_the_ttl(monkeypatch: Any) -> None:
    import service.forward

    monkeypatch.setattr(service.forward, "ROW_TTL", 0.0)
    d = Directory("http://a")
    app, _ = _stack(d, {"http://a": _ok("a")})
    assert asyncio.run(_get(app, 3)) == ["a"] * 3
    assert d.reads == 3


def test_a_remembered_holder_that_is_gone_is_looked_up_again_once() -> None:
    d = Directory("http://a")
    holders: dict[str, Any] = {"http://a": _ok("a")}
    app, forwarded = _stack(d, holders)
    assert asyncio.run(_get(app)) == ["a"]
    del holders["http://a"]  # A dies; B took the session over
    d.url = "http://b"
    holders["http://b"] = _ok("b")
    assert asyncio.run(_get(app)) == ["b"]
    assert d.reads == 2 and forwarded == ["http://a", "http://a", "http://b"]


def test_a_deleted_session_is_answered_here_after_the_holders_404() -> None:
    d = Directory("http://a")
    holders: dict[str, Any] = {"http://a": _ok("a")}
    app, _ = _stack(d, holders)
    asyncio.run(_get(app))
    holders["http://a"] = lambda request: httpx.Response(404, json={"where": "a"})
    d.url = None
    assert asyncio.run(_get(app)) == ["here"]


def test_a_holder_that_does_not_answer_on_a_fresh_row_is_a_503() -> None:
    d = Directory("http://a")
    app, forwarded = _stack(d, {})

    async def get() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://me") as c:  # fmt: skip
            return await c.get(f"/v1/sessions/{SID}")

    r = asyncio.run(get())
    assert r.status_code == 503 and json.loads(r.text)["type"].endswith("replica-unavailable")
    assert d.reads == 1 and forwarded == ["http://a"]
