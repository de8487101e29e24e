"""The WebSocket event stream, ``/v1/sessions/{id}/events`` (API.md "WebSocket")."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect

from engine.registers import UnknownRegister, canonical

from ...events import EVENT_TYPES, Client, compact_json, stop_dict
from ...problems import Problem
from ...sessions import Manager, Session
from ..deps import Auth

router = APIRouter(tags=["events"])
log = logging.getLogger("ppcdbg.ws")
MAX_MESSAGE = 64 << 10


def _token(ws: WebSocket, query_token: str | None) -> str | None:
    header = ws.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return query_token


@router.websocket("/v1/sessions/{session_id}/events", name="stream")
async def stream(ws: WebSocket, session_id: str, since: int | None = None,
                 token: str | None = None) -> None:  # fmt: skip
    auth: Auth = ws.app.state.auth
    manager: Manager = ws.app.state.manager
    try:
        owner = auth.owner(_token(ws, token), ws.client.host if ws.client else None)
        session = manager.session(owner, session_id)
    except Problem as p:
        # Before accept: the handshake is refused (HTTP 403); 4401/4404 say why.
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


async def _receive(ws: WebSocket, session: Session, client: Client) -> None:
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
            client.say(_error(None, Problem(413, "payload-too-large", "messages are limited to "
                                                                      f"{MAX_MESSAGE} bytes")))
            continue
        try:
            msg = json.loads(text)
        except ValueError:
            client.say(_error(None, Problem(400, "bad-json", "the message is not valid JSON")))
            continue
        cid = msg.get("id") if isinstance(msg, dict) else None
        if not isinstance(cid, (str, int)) or isinstance(cid, bool):
            cid = None
        try:
            if not isinstance(msg, dict):
                raise Problem(422, "validation-error", "a message is a JSON object")
            result = await _command(session, client, msg, cid)
        except Problem as p:
            client.say(_error(cid, p))
            continue
        if result is not None:
            reply = _reply(cid, msg.get("op"), result)
            if client.queue:
                client.say(reply)
            else:
                # Nothing queued before it: send at once (one frame per write, so a send
                # the sender task has in flight is never interleaved).
                await ws.send_text(compact_json({"seq": None, **reply}))


def _reply(cid: Any, op: Any, result: dict[str, Any]) -> dict[str, Any]:
    return {"type": "reply", "vcpu": None, "id": cid, "op": op, "ok": True, **result}


def _error(cid: Any, p: Problem) -> dict[str, Any]:
    return {"type": "error", "vcpu": None, "id": cid, "problem": p.body("websocket")}


def _int(msg: dict[str, Any], key: str, default: int, lo: int, hi: int) -> int:
    v = msg.get(key, default)
    if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
        raise Problem(422, "validation-error", f"{key} is an integer from {lo} to {hi}", field=key)
    return v


async def _command(
    s: Session, client: Client, msg: dict[str, Any], cid: Any
) -> dict[str, Any] | None:
    """The command's reply fields; None when it has replied itself."""
    op = msg.get("op")
    if op == "subscribe":
        _subscribe(s, client, msg, cid)
        return None
    if op == "step":
        v = _int(msg, "vcpu", 0, 0, 63)
        s.check_vcpu(v)
        count = _int(msg, "count", 1, 1, 1 << 62)
        mode = msg.get("mode", "into")
        if mode not in ("into", "over", "out"):
            raise Problem(422, "validation-error", "mode is into, over or out", field="mode")
        ev = await s.step(v, count, mode)
        return {"stop": stop_dict(ev)}
    if op == "continue":
        vcpus = msg.get("vcpus")
        if vcpus is not None and (not isinstance(vcpus, list) or not all(
                isinstance(x, int) and not isinstance(x, bool) for x in vcpus)):
            raise Problem(422, "validation-error", "vcpus is a list of integers", field="vcpus")
        until_raw = msg.get("until")
        if until_raw is not None and not isinstance(until_raw, list):
            raise Problem(422, "validation-error", "until is a list", field="until")
        until = [s.resolve(u, "until") for u in until_raw] if until_raw else None
        budget = msg.get("budget")
        if budget is not None:
            budget = _int(msg, "budget", 1, 1, 1 << 62)
        s.start_continue(vcpus, until, budget)
        return {"state": "running"}
    if op == "halt":
        await s.halt()
        return {"state": s.state}
    raise Problem(422, "validation-error", "op is subscribe, step, continue or halt", field="op")


def _subscribe(s: Session, client: Client, msg: dict[str, Any], cid: Any) -> None:
    """Validate everything, reply, then subscribe: the reply precedes replayed events."""
    types = msg.get("types")
    if types is not None:
        if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
            raise Problem(422, "validation-error", "types is a list of strings", field="types")
        unknown = sorted(set(types) - EVENT_TYPES)
        if unknown:
            raise Problem(422, "validation-error", f"unknown event types: {', '.join(unknown)}",
                          field="types")  # fmt: skip
    trace = msg.get("trace")
    vcpus: list[int] | None = None
    registers: list[str] | None = None
    if trace is not None:
        if not isinstance(trace, dict):
            raise Problem(422, "validation-error", "trace is an object", field="trace")
        vcpus = trace.get("vcpus")
        n = len(s.ctl.machine.vcpus)
        if vcpus is None:
            vcpus = list(range(n))
        if not isinstance(vcpus, list) or not all(
                isinstance(v, int) and not isinstance(v, bool) and 0 <= v < n for v in vcpus):
            raise Problem(422, "validation-error", f"trace.vcpus are vCPU indices below {n}",
                          field="trace.vcpus")  # fmt: skip
        registers = trace.get("registers")
        if registers is not None:
            if not isinstance(registers, list) or not all(isinstance(r, str) for r in registers):
                raise Problem(422, "validation-error", "trace.registers is a list of names",
                              field="trace.registers")  # fmt: skip
            try:
                registers = [canonical(r) for r in registers]
            except UnknownRegister as e:
                raise Problem(422, "unknown-register", str(e), field="trace.registers") from None
    batch = msg.get("batch", False)
    if not isinstance(batch, bool):
        raise Problem(422, "validation-error", "batch is a boolean", field="batch")
    since = msg.get("since")
    if since is not None and (not isinstance(since, int) or isinstance(since, bool) or since < 0):
        raise Problem(422, "validation-error", "since is a seq (an integer >= 0)", field="since")
    shown = sorted(types) if types is not None else sorted(
        client.types | ({"trace"} if vcpus is not None else set()))
    client.say(_reply(cid, "subscribe", {"types": shown, "trace_vcpus": vcpus, "since": since}))
    s.hub.subscribe(client, types, vcpus, registers, batch, since)
