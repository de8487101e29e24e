"""The guest console over the API: typing reaches the guest, its output comes back as events."""

from __future__ import annotations

import json
from typing import Any

from tests.service.conftest import ALICE, BOB, ROOT, new_session, upload

ECHO = ROOT / "examples" / "guest_echo.elf"


def _echo_session(client: Any) -> str:
    image = upload(client, ECHO)
    return str(new_session(client, image["id"], vcpus=1, profile="guest")["id"])


def _console_text(ws: Any, until: str) -> str:
    text = ""
    while until not in text:
        e = json.loads(ws.receive_text())
        if e.get("type") == "console":
            text += e["text"]
    return text


def test_typed_text_is_echoed_by_a_running_guest(client):
    sid = _echo_session(client)
    with client.websocket_connect(f"/v1/sessions/{sid}/events", headers=ALICE) as ws:
        r = client.post(f"/v1/sessions/{sid}/continue", headers=ALICE)
        assert r.status_code == 202
        assert _console_text(ws, "echo> ") == "echo> "
        r = client.post(f"/v1/sessions/{sid}/console", headers=ALICE, json={"data": "echo hi\r"})
        assert r.status_code == 200, r.text
        assert 0 <= r.json()["queued"] <= 8
        assert _console_text(ws, "echo hi\r") == "echo hi\r"
    assert client.post(f"/v1/sessions/{sid}/halt", headers=ALICE).json()["state"] == "stopped"


def test_console_input_over_the_socket_replies_with_the_bytes_queued(client):
    sid = _echo_session(client)
    with client.websocket_connect(f"/v1/sessions/{sid}/events", headers=ALICE) as ws:
        ws.send_text(json.dumps({"op": "console-input", "id": "k", "data": "é!"}))
        reply = json.loads(ws.receive_text())
        assert reply["type"] == "reply" and reply["id"] == "k" and reply["op"] == "console-input"
        assert reply["queued"] == 3  # UTF-8: two bytes for é, the session has not run
        ws.send_text(json.dumps({"op": "console-input", "data": ""}))
        err = json.loads(ws.receive_text())
        assert err["type"] == "error" and err["problem"]["field"] == "data"


def test_a_profile_without_a_console_refuses_input(client, sid):
    r = client.post(f"/v1/sessions/{sid}/console", headers=ALICE, json={"data": "x"})
    assert r.status_code == 409
    body = r.json()
    assert body["type"] == "/problems/not-supported"
    assert "powernv profile has no console" in body["detail"]


def test_malformed_console_input_is_a_422_naming_the_field(client):
    sid = _echo_session(client)
    for body in ({}, {"data": ""}, {"data": "x" * 4097}, {"data": 5}, {"data": "x", "more": 1}):
        r = client.post(f"/v1/sessions/{sid}/console", headers=ALICE, json=body)
        assert r.status_code == 422, body
    r = client.post(f"/v1/sessions/{sid}/console", headers=ALICE, json={"data": "x" * 4096})
    assert r.status_code == 200 and r.json()["queued"] == 4096


def test_another_owner_cannot_type_at_the_console(client):
    sid = _echo_session(client)
    r = client.post(f"/v1/sessions/{sid}/console", headers=BOB, json={"data": "x"})
    assert r.status_code == 404
