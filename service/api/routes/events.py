"""The WebSocket event stream, ``/v1/sessions/{id}/events`` (docs/api.md "WebSocket")."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, WebSocket
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.websockets import WebSocketDisconnect

from engine.target import UnknownRegister, canonical

from ...events import EVENT_TYPES, Client, compact_json, stop_dict
from ...models.messages import MESSAGE, OPS, ConsoleInput, Continue, Message, Step, Subscribe
from ...problems import Problem
from ...replicas import FORWARDED
from ...sessions import Manager, Session
from ..deps import Auth, ManagerDep, OwnerDep
from .events_remote import RemoteStream

router = APIRouter(tags=["events"])
log = logging.getLogger("ppcdbg.ws")
MAX_MESSAGE = 64 << 10


def _token(ws: WebSocket, query_token: str | None) -> str | None:
    header = ws.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return query_token


# Not in the OpenAPI document, like the WebSocket itself (OpenAPI cannot describe one):
# docs/api.md does.
@router.get("/v1/sessions/{session_id}/events", name="upgrade-required", status_code=426,
            response_class=Response, include_in_schema=False)  # fmt: skip
async def upgrade_required(session_id: str, owner: OwnerDep, manager: ManagerDep) -> Response:
    """The session's event stream is a WebSocket (``links.events``): a plain GET says so."""
    manager.session(owner, session_id)  # 404 for another owner's session, as everywhere
    raise Problem(426, "upgrade-required",
                  "this is the session's WebSocket event stream: connect with a WebSocket "
                  "(ws:// or wss://), see docs/api.md")  # fmt: skip


@router.websocket("/v1/sessions/{session_id}/events", name="stream")
async def stream(ws: WebSocket, session_id: str, since: int | None = None,
                 token: str | None = None) -> None:  # fmt: skip
    auth: Auth = ws.app.state.auth
    manager: Manager = ws.app.state.manager
    bearer = _token(ws, token)
    try:
        owner = auth.owner(bearer, ws.client.host if ws.client else None)
        try:
            session = manager.session(owner, session_id)
        except Problem:
            # A relay from another replica (events_relay.py) is never relayed again: a
            # directory that changed under it ends in the 404, not a loop.
            forwarded = FORWARDED in ws.headers
            row = None if forwarded else await _held_elsewhere(manager, owner, session_id)
            if row is None:
                raise
            # Several replicas: another one holds the session; its events come from Redis.
            await ws.accept()
            manager.metrics.ws_clients.inc()
            try:
                await RemoteStream(ws, manager, session_id, row, bearer).run(
                    since if since is not None and since >= 0 else None
                )
            finally:
                manager.metrics.ws_clients.dec()
                with contextlib.suppress(Exception):
                    await ws.close()
            return
    except Problem as p:
        # Before accept: the handshake is answered with the same problem+json (401/404) a
        # REST request gets (ASGI's WebSocket denial response); a server without that
        # extension can only refuse it (HTTP 403), with close code 4401/4404 saying why.
        if "websocket.http.response" in ws.scope.get("extensions", {}):
            await ws.send_denial_response(p.response(ws.url.path))
        else:
            await ws.close(code=4401 if p.status == 401 else 4404, reason=p.detail[:100])
        return
    await ws.accept()
    hub = session.hub
    client = hub.attach(since if since is not None and since >= 0 else None)
    metrics = manager.metrics
    metrics.ws_clients.inc()
    sender = asyncio.create_task(hub.run_sender(client, ws.send_text))
    receiver = asyncio.create_task(_receive(ws, session, client))
    try:
        await asyncio.wait({sender, receiver}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        hub.detach(client)
        for t in (sender, receiver):
            t.cancel()
        for t in (sender, receiver):
            with contextlib.suppress(BaseException):
                await t
        metrics.ws_clients.dec()
        with contextlib.suppress(Exception):
            await ws.close()


async def _held_elsewhere(manager: Manager, owner: str, session_id: str) -> Any:
    """The directory row of the owner's session when another replica holds it, else None."""
    rep = manager.replicas
    if rep is None:
        return None
    row = await asyncio.to_thread(manager.store.session_owner, session_id)
    if row is None or row["owner"] != owner or row["replica"] in (None, rep.id):
        return None
    return row


@dataclass(frozen=True, slots=True)
class Frame:
    """A client's message: its JSON and id, or the problem that made it unreadable."""

    raw: Any = None
    cid: str | int | None = None
    problem: Problem | None = None


async def frames(ws: WebSocket) -> AsyncIterator[Frame]:
    """The client's messages, decoded, until it disconnects; an oversized or non-JSON frame
    is a Frame with a problem (answered without an id), not the end of the stream."""
    while True:
        try:
            message = await ws.receive()
        except WebSocketDisconnect:
            return
        if message["type"] == "websocket.disconnect":
            return
        text = message.get("text")
        if text is None:
            text = (message.get("bytes") or b"").decode("utf-8", "replace")
        if len(text) > MAX_MESSAGE:
            # uvicorn refuses longer frames before buffering them (ws_max_size, close 1009);
            # this holds for servers that do not.
            why = f"messages are limited to {MAX_MESSAGE} bytes"
            yield Frame(problem=Problem(413, "payload-too-large", why))
            continue
        try:
            raw = json.loads(text)
        except ValueError:
            yield Frame(problem=Problem(400, "bad-json", "the message is not valid JSON"))
            continue
        cid = raw.get("id") if isinstance(raw, dict) else None
        if not isinstance(cid, (str, int)) or isinstance(cid, bool):
            cid = None
        yield Frame(raw, cid)


async def _receive(ws: WebSocket, session: Session, client: Client) -> None:
    async for frame in frames(ws):
        if frame.problem is not None:
            client.say(_error(None, frame.problem))
            continue
        raw, cid = frame.raw, frame.cid
        try:
            msg = _parse(raw)
            result = await _command(session, client, msg)
        except Problem as p:
            client.say(_error(cid, p))
            continue
        if result is not None:
            reply = _reply(cid, msg.op, result)
            if client.queue:
                client.say(reply)
            else:
                # Nothing queued before it: send at once (one frame per write, so a send
                # the sender task has in flight is never interleaved).
                await ws.send_text(compact_json({"seq": None, **reply}))


def _parse(raw: Any) -> Message:
    """The message as its model, or a 422 problem naming the first field that fails."""
    if not isinstance(raw, dict):
        raise Problem(422, "validation-error", "a message is a JSON object")
    try:
        return MESSAGE.validate_python(raw)
    except ValidationError as e:
        first = e.errors(include_url=False)[0]
        if first["type"] in ("union_tag_invalid", "union_tag_not_found"):
            raise Problem(422, "validation-error", f"op is one of {', '.join(OPS)}",
                          field="op") from None  # fmt: skip
        loc = [str(x) for x in first["loc"][1:]]  # [0] is the op (the union's tag)
        field = ".".join(x for x in loc if not x.isdigit()) or None
        detail = f"{'.'.join(loc)}: {first['msg']}" if loc else first["msg"]
        raise Problem(422, "validation-error", detail, field=field) from None


def _reply(cid: Any, op: Any, result: dict[str, Any]) -> dict[str, Any]:
    return {"type": "reply", "vcpu": None, "id": cid, "op": op, "ok": True, **result}


def _error(cid: Any, p: Problem) -> dict[str, Any]:
    return {"type": "error", "vcpu": None, "id": cid, "problem": p.body("websocket")}


async def _command(s: Session, client: Client, msg: Message) -> dict[str, Any] | None:
    """The command's reply fields; None when it has replied itself."""
    if isinstance(msg, Subscribe):
        _subscribe(s, client, msg)
        return None
    if isinstance(msg, Step):
        s.check_vcpu(msg.vcpu)
        ev = await s.step(msg.vcpu, msg.count, msg.mode)
        return {"stop": stop_dict(ev)}
    if isinstance(msg, Continue):
        until = [s.resolve(u, "until", code=True) for u in msg.until] if msg.until else None
        s.start_continue(msg.vcpus, until, msg.budget)
        return {"state": "running"}
    if isinstance(msg, ConsoleInput):
        return {"queued": s.console_input(msg.data)}
    await s.halt()
    return {"state": s.state}


def _subscribe(s: Session, client: Client, msg: Subscribe) -> None:
    """Validate what the model cannot (names, vCPU count), reply, then subscribe: the reply
    precedes replayed events."""
    types = msg.types
    if types is not None:
        unknown = sorted(set(types) - EVENT_TYPES)
        if unknown:
            raise Problem(422, "validation-error", f"unknown event types: {', '.join(unknown)}",
                          field="types")  # fmt: skip
    vcpus: list[int] | None = None
    registers: list[str] | None = None
    if msg.trace is not None:
        n = s.ctl.vcpu_count
        vcpus = list(range(n)) if msg.trace.vcpus is None else msg.trace.vcpus
        if not all(0 <= v < n for v in vcpus):
            raise Problem(422, "validation-error", f"trace.vcpus are vCPU indices below {n}",
                          field="trace.vcpus")  # fmt: skip
        if msg.trace.registers is not None:
            try:
                registers = [canonical(r) for r in msg.trace.registers]
            except UnknownRegister as e:
                raise Problem(422, "unknown-register", str(e), field="trace.registers") from None
    shown = (
        sorted(types)
        if types is not None
        else sorted(client.types | ({"trace"} if vcpus is not None else set()))
    )
    client.say(_reply(msg.id, "subscribe", {"types": shown, "trace_vcpus": vcpus,
                                            "since": msg.since}))  # fmt: skip
    s.hub.subscribe(client, types, vcpus, registers, msg.batch, msg.since)
