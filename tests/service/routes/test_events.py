"""The WebSocket event stream, in-process (TestClient) and against a real uvicorn server."""

from __future__ import annotations

import json

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.service.conftest import ALICE, BOB, SMP

TIMEOUT = 30


def _recv(ws):
    return json.loads(ws.receive_text())


def test_stop_event_fixed_shape_and_gap_free_seq(client, sid, image):
    bp = client.post(
        f"/v1/sessions/{sid}/breakpoints", headers=ALICE, json={"symbol": "done"}
    ).json()
    with client.websocket_connect(f"/v1/sessions/{sid}/events?since=0", headers=ALICE) as ws:
        client.post(f"/v1/sessions/{sid}/continue", headers=ALICE)
        events = []
        while not any(e.get("type") == "stop" for e in events):
            events.append(_recv(ws))
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert events[0]["type"] == "breakpoint-changed"
    stop = events[-1]
    assert stop["type"] == "stop"
    assert stop["reason"] == "breakpoint"
    assert stop["vcpu"] == 0
    assert stop["pc"] == image["symbols"]["done"]
    assert stop["breakpoint_id"] == bp["id"]
    assert "resume" in [e["type"] for e in events]


def test_commands_over_the_socket_echo_ids(client, sid):
    with client.websocket_connect(f"/v1/sessions/{sid}/events", headers=ALICE) as ws:
        ws.send_text(json.dumps({"op": "subscribe", "types": ["session-state"]}))
        assert _recv(ws)["type"] == "reply"
        ws.send_text(json.dumps({"op": "step", "id": "s1", "vcpu": 0, "count": 2}))
        reply = _recv(ws)
        assert reply["id"] == "s1"
        assert reply["ok"] is True
        assert reply["stop"]["reason"] == "step"
        assert reply["stop"]["pc"] == "0x0000000000001008"
        ws.send_text(json.dumps({"op": "step", "id": 7, "vcpu": 9}))
        err = _recv(ws)
        assert err["type"] == "error"
        assert err["id"] == 7
        assert err["problem"]["status"] == 422
        ws.send_text("{not json")
        assert _recv(ws)["problem"]["type"] == "/problems/bad-json"
        ws.send_text(json.dumps({"op": "continue", "id": "c", "vcpus": [1]}))
        replies = [_recv(ws) for _ in range(2)]  # the reply and session-state running
        assert {"reply", "session-state"} == {r["type"] for r in replies}
        ws.send_text(json.dumps({"op": "halt", "id": "h"}))
        while True:
            m = _recv(ws)
            if m["type"] == "reply" and m["id"] == "h":
                break
        assert m["state"] == "stopped"


def test_messages_are_checked_by_their_op_and_the_failing_field_is_named(client, sid):
    cases = [
        ({"op": "step", "id": 1, "vcpu": False}, "vcpu"),  # a boolean is not a vCPU
        ({"op": "step", "id": 2, "count": 0}, "count"),
        ({"op": "step", "id": 3, "mode": "sideways"}, "mode"),
        ({"op": "continue", "id": 4, "vcpus": [True]}, "vcpus"),
        ({"op": "continue", "id": 5, "budget": "10"}, "budget"),
        ({"op": "subscribe", "id": 6, "trace": {"vcpus": "all"}}, "trace.vcpus"),
        ({"op": "subscribe", "id": 7, "batch": 1}, "batch"),
        ({"op": "halt", "id": 8, "now": True}, "now"),  # unknown keys are refused
        ({"op": "jump", "id": 9}, "op"),
        ({"id": 10}, "op"),
    ]
    with client.websocket_connect(f"/v1/sessions/{sid}/events", headers=ALICE) as ws:
        for msg, field in cases:
            ws.send_text(json.dumps(msg))
            err = _recv(ws)
            assert (err["type"], err["id"]) == ("error", msg["id"]), err
            assert err["problem"]["status"] == 422
            assert err["problem"]["field"] == field, (msg, err["problem"])
        ws.send_text(json.dumps([1, 2]))
        assert _recv(ws)["problem"]["detail"] == "a message is a JSON object"
        ws.send_text(json.dumps({"op": "step", "id": "ok"}))
        assert _recv(ws)["stop"]["reason"] == "step"  # the session carried on


def test_trace_events_with_disassembly_and_batching(client, sid):
    with client.websocket_connect(f"/v1/sessions/{sid}/events", headers=ALICE) as ws:
        ws.send_text(
            json.dumps(
                {
                    "op": "subscribe",
                    "types": ["trace"],
                    "trace": {"vcpus": [0], "registers": ["r20"]},
                    "batch": True,
                }
            )
        )
        assert _recv(ws)["ok"] is True
        ws.send_text(json.dumps({"op": "step", "id": 1, "vcpu": 0, "count": 3}))
        got = []
        while len(got) < 3:
            m = _recv(ws)
            if isinstance(m, list):
                got += m
        assert got[0]["type"] == "trace"
        assert got[0]["pc"] == "0x0000000000001000"
        assert got[0]["insn"] == "0x3a802000"
        assert got[0]["disassembly"].startswith("li")
        assert got[0]["changed"] == {"r20": "0x0000000000002000"}
        assert [g["seq"] for g in got] == sorted(g["seq"] for g in got)


def test_since_older_than_ring_says_overflow(tmp_path):
    from tests.service.conftest import make_client, new_session, upload

    with make_client(tmp_path, event_ring=4) as c:
        s = new_session(c, upload(c)["id"])
        for _ in range(6):
            c.post(f"/v1/sessions/{s['id']}/vcpus/0/step", headers=ALICE)
        with c.websocket_connect(f"/v1/sessions/{s['id']}/events?since=0", headers=ALICE) as ws:
            first = _recv(ws)
            assert first["type"] == "overflow"
            assert first["oldest_seq"] == 3
            assert [_recv(ws)["seq"] for _ in range(4)] == [3, 4, 5, 6]


def test_websocket_needs_a_token_and_is_refused_with_a_problem(client, sid):
    from starlette.testclient import WebSocketDenialResponse

    for suffix, status, slug in (("", 401, "unauthorized"), ("?token=tok-bob", 404, "not-found")):
        with pytest.raises(WebSocketDenialResponse) as e, client.websocket_connect(
                f"/v1/sessions/{sid}/events{suffix}"):  # fmt: skip
            pass
        assert e.value.status_code == status
        assert e.value.headers["content-type"] == "application/problem+json"
        assert e.value.json()["type"] == f"/problems/{slug}"


# -- the real server ---------------------------------------------------------------------
def _real_session(server):
    h = {"Authorization": "Bearer tok-alice"}
    with httpx.Client(base_url=server.url, headers=h, timeout=TIMEOUT) as c:
        img = c.post("/v1/images", files={"file": ("smp.elf", SMP.read_bytes())}).json()
        s = c.post("/v1/sessions", json={"image_id": img["id"], "vcpus": 2}).json()
        return img, s


def test_real_server_query_token_and_header(server):
    img, s = _real_session(server)
    url = f"{server.ws_url}/v1/sessions/{s['id']}/events"
    with connect(url + "?token=tok-alice", open_timeout=TIMEOUT) as ws:
        ws.send(json.dumps({"op": "step", "id": "a", "vcpu": 1}))
        while (m := json.loads(ws.recv(timeout=TIMEOUT)))["type"] != "reply":
            pass
        assert m["stop"]["vcpu"] == 1
    with connect(
        url, additional_headers={"Authorization": "Bearer tok-alice"}, open_timeout=TIMEOUT
    ) as ws:
        ws.send(json.dumps({"op": "halt", "id": "b"}))
        while (m := json.loads(ws.recv(timeout=TIMEOUT)))["type"] != "reply":
            pass
        assert m["id"] == "b"


def test_real_server_refuses_bad_tokens_with_a_problem(server):
    img, s = _real_session(server)
    url = f"{server.ws_url}/v1/sessions/{s['id']}/events"
    for suffix, status in (("", 401), ("?token=wrong", 401), ("?token=tok-bob", 404)):
        with pytest.raises(InvalidStatus) as e:
            connect(url + suffix, open_timeout=TIMEOUT)
        response = e.value.response
        assert response.status_code == status
        assert response.headers["Content-Type"] == "application/problem+json"
        assert json.loads(response.body)["status"] == status


def test_real_server_refuses_an_oversized_message_before_buffering_it(server):
    from websockets.exceptions import ConnectionClosedError

    img, s = _real_session(server)
    url = f"{server.ws_url}/v1/sessions/{s['id']}/events?token=tok-alice"
    with connect(url, open_timeout=TIMEOUT) as ws:
        ws.send(json.dumps({"op": "halt", "pad": "x" * (64 << 10)}))
        with pytest.raises(ConnectionClosedError) as e:
            ws.recv(timeout=TIMEOUT)
        assert e.value.rcvd is not None and e.value.rcvd.code == 1009  # message too big
    with connect(url, open_timeout=TIMEOUT) as ws:  # the session carries on
        ws.send(json.dumps({"op": "halt", "id": 1}))
        assert json.loads(ws.recv(timeout=TIMEOUT))["state"] == "stopped"


def test_real_server_declines_compression_by_default(server):
    # The client offers permessage-deflate; the server (PPCDBG_WS_DEFLATE unset) says no.
    img, s = _real_session(server)
    url = f"{server.ws_url}/v1/sessions/{s['id']}/events?token=tok-alice"
    with connect(url, open_timeout=TIMEOUT) as ws:
        assert "permessage-deflate" in ws.request.headers.get("Sec-WebSocket-Extensions", "")
        assert "Sec-WebSocket-Extensions" not in ws.response.headers


def test_real_server_batches_are_the_unbatched_stream(server):
    """A batched and an unbatched client of one traced run get the same events."""
    img, s = _real_session(server)
    url = f"{server.ws_url}/v1/sessions/{s['id']}/events?token=tok-alice"
    streams = []
    with connect(url, open_timeout=TIMEOUT, max_size=None) as plain, connect(
            url, open_timeout=TIMEOUT, max_size=None) as batched:  # fmt: skip
        for ws, batch in ((plain, False), (batched, True)):
            ws.send(json.dumps({"op": "subscribe", "types": ["trace", "stop"],
                                "trace": {"vcpus": [0, 1]}, "batch": batch}))  # fmt: skip
            assert json.loads(ws.recv(timeout=TIMEOUT))["type"] == "reply"
        h = {"Authorization": "Bearer tok-alice"}
        r = httpx.post(f"{server.url}/v1/sessions/{s['id']}/continue", headers=h,
                       json={"budget": 3000}, timeout=TIMEOUT)  # fmt: skip
        assert r.status_code == 202
        for ws in (plain, batched):
            got, messages = [], 0
            while not got or got[-1]["type"] != "stop":
                m = json.loads(ws.recv(timeout=TIMEOUT))
                messages += 1
                got += m if isinstance(m, list) else [m]
            streams.append((got, messages))
    (plain_events, plain_messages), (batched_events, batched_messages) = streams
    traces = [e for e in plain_events if e["type"] == "trace"]
    assert len(traces) == 3000
    assert batched_events == plain_events
    assert batched_messages < plain_messages


def test_a_plain_get_of_the_event_stream_says_it_is_a_websocket(client, sid):
    link = client.get(f"/v1/sessions/{sid}", headers=ALICE).json()["links"]["events"]
    r = client.get(link, headers=ALICE)
    assert r.status_code == 426
    assert r.headers["upgrade"] == "websocket"
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"] == "/problems/upgrade-required"
    assert client.get(link, headers=BOB).status_code == 404
    assert client.get(link).status_code == 401


def test_a_long_step_reports_progress_before_its_stop(tmp_path):
    from tests.service.conftest import make_client, upload

    with make_client(tmp_path, progress_interval=0) as c:
        img = upload(c)
        sid = c.post("/v1/sessions", headers=ALICE, json={"image_id": img["id"]}).json()["id"]
        with c.websocket_connect(f"/v1/sessions/{sid}/events", headers=ALICE) as ws:
            ws.send_text(json.dumps({"op": "subscribe", "types": ["progress", "stop"]}))
            assert _recv(ws)["type"] == "reply"
            r = c.post(f"/v1/sessions/{sid}/vcpus/0/step", headers=ALICE,
                       json={"count": 200_000})  # fmt: skip
            assert r.status_code == 200
            events = []
            while not events or events[-1]["type"] != "stop":
                events.append(_recv(ws))
    progress = [e for e in events if e["type"] == "progress"]
    assert [e["done"] for e in progress] == [65536, 131072, 196608]
    assert all(e["count"] == 200_000 and e["op"] == "step" for e in progress)
    assert events[-1]["time"] == 200_000 and events[-1]["seq"] > progress[-1]["seq"]
