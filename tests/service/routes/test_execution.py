from __future__ import annotations

import time

from tests.service.conftest import ALICE, new_session


def test_continue_with_wait_stops_at_breakpoint(client, sid, image):
    bp = client.post(
        f"/v1/sessions/{sid}/breakpoints",
        headers=ALICE,
        json={"kind": "software", "symbol": "done"},
    ).json()
    r = client.post(f"/v1/sessions/{sid}/continue?wait=30", headers=ALICE)
    assert r.status_code == 200
    body = r.json()
    assert body["state"] == "stopped"
    assert body["last_stop"]["reason"] == "breakpoint"
    assert body["last_stop"]["pc"] == image["symbols"]["done"]
    assert body["last_stop"]["breakpoint_id"] == bp["id"]
    r = client.get(
        f"/v1/sessions/{sid}/memory", headers=ALICE, params={"addr": "counter", "length": 8}
    )
    assert int(r.json()["data"], 16) == 4000


def test_continue_without_wait_is_202_running_then_halt(client, sid):
    r = client.post(
        f"/v1/sessions/{sid}/continue", headers=ALICE, json={"vcpus": [1]}
    )  # vCPU 1 parks: runs until the budget or a halt
    assert r.status_code == 202
    assert r.json()["state"] == "running"
    r = client.get(f"/v1/sessions/{sid}/vcpus/0/registers", headers=ALICE)
    assert r.status_code == 409
    assert r.json()["type"] == "/problems/session-running"
    t0 = time.perf_counter()
    r = client.post(f"/v1/sessions/{sid}/halt", headers=ALICE)
    took = time.perf_counter() - t0
    assert r.status_code == 200
    assert r.json()["state"] == "stopped"
    assert r.json()["last_stop"]["reason"] == "halt"
    assert took < 0.5


def test_wait_timeout_gives_202(client, sid):
    r = client.post(f"/v1/sessions/{sid}/continue?wait=0.05", headers=ALICE, json={"vcpus": [2]})
    assert r.status_code == 202
    assert r.json()["state"] == "running"
    client.post(f"/v1/sessions/{sid}/halt", headers=ALICE)


def test_budget_gives_limit_stop(client, sid):
    r = client.post(f"/v1/sessions/{sid}/continue?wait=30", headers=ALICE, json={"budget": 100})
    assert r.status_code == 200
    assert r.json()["last_stop"]["reason"] == "limit"
    assert r.json()["time"] == 100


def test_budget_over_limit_is_422(client, sid):
    r = client.post(f"/v1/sessions/{sid}/continue", headers=ALICE, json={"budget": 10**12})
    assert r.status_code == 422
    assert r.json()["field"] == "budget"


def test_until_and_run_to(client, sid, image):
    r = client.post(
        f"/v1/sessions/{sid}/run-to?wait=30", headers=ALICE, json={"symbol": "loop", "vcpu": 0}
    )
    assert r.status_code == 200
    assert r.json()["vcpus"][0]["pc"] == image["symbols"]["loop"]
    r = client.post(f"/v1/sessions/{sid}/continue?wait=30", headers=ALICE, json={"until": ["done"]})
    assert r.status_code == 200
    assert r.json()["last_stop"]["pc"] == image["symbols"]["done"]


def test_reverse_step_and_reverse_continue(client, sid, image):
    client.post(f"/v1/sessions/{sid}/breakpoints", headers=ALICE, json={"symbol": "loop"})
    r = client.post(f"/v1/sessions/{sid}/continue?wait=30", headers=ALICE)
    first = r.json()["last_stop"]
    r = client.post(f"/v1/sessions/{sid}/continue?wait=30", headers=ALICE)
    assert r.json()["last_stop"]["reason"] == "breakpoint"
    r = client.post(f"/v1/sessions/{sid}/vcpus/0/step", headers=ALICE, json={"count": 3})
    pc_before = r.json()["vcpus"][0]["pc"]
    r = client.post(f"/v1/sessions/{sid}/vcpus/0/step", headers=ALICE, json={"count": 1})
    r = client.post(f"/v1/sessions/{sid}/reverse-step", headers=ALICE, json={"vcpu": 0})
    assert r.status_code == 200
    assert r.json()["vcpus"][0]["pc"] == pc_before
    r = client.post(f"/v1/sessions/{sid}/reverse-continue?wait=30", headers=ALICE)
    assert r.status_code == 200
    assert r.json()["last_stop"]["reason"] in ("breakpoint", "history-start")
    assert r.json()["time"] <= first["time"] + 20000


def test_reverse_execution_without_history_is_not_supported(client, image):
    sid = new_session(client, image["id"], history=False)["id"]
    client.post(f"/v1/sessions/{sid}/vcpus/0/step", headers=ALICE, json={"count": 3})
    for path, body in (("reverse-step", {"vcpu": 0}), ("reverse-continue", None)):
        r = client.post(f"/v1/sessions/{sid}/{path}", headers=ALICE, json=body)
        assert r.status_code == 409, r.text
        assert r.json()["type"].endswith("/not-supported")
        assert "history: false" in r.json()["detail"]
    assert client.get(f"/v1/sessions/{sid}", headers=ALICE).json()["time"] > 0


def test_halt_answers_stopped_during_a_traced_run(server):
    """The halt's answer comes after the session has counted its command out: "stopped",
    never "running" with the run already over (the race needs a busy loop: every vCPU
    traced to a client that reads)."""
    import json
    import threading

    import httpx
    from websockets.sync.client import connect

    from tests.service.conftest import SMP

    h = {"Authorization": "Bearer tok-alice"}
    with httpx.Client(base_url=server.url, headers=h, timeout=30) as c:
        img = c.post("/v1/images", files={"file": ("smp.elf", SMP.read_bytes())}).json()
        sid = c.post("/v1/sessions", json={"image_id": img["id"], "vcpus": 4,
                                           "history": False}).json()["id"]  # fmt: skip
        url = f"{server.ws_url}/v1/sessions/{sid}/events?token=tok-alice"
        with connect(url, max_size=None) as ws:
            ws.send(
                json.dumps(
                    {
                        "op": "subscribe",
                        "types": ["trace"],
                        "trace": {"vcpus": [0, 1, 2, 3]},
                        "batch": True,
                    }
                )
            )
            ws.recv(timeout=30)

            def read() -> None:
                try:
                    while True:
                        ws.recv(timeout=30)
                except Exception:  # noqa: BLE001 - the socket closes at the end
                    return

            threading.Thread(target=read, daemon=True).start()
            for _ in range(5):
                assert c.post(f"/v1/sessions/{sid}/continue").status_code == 202
                time.sleep(0.1)
                r = c.post(f"/v1/sessions/{sid}/halt")
                assert r.status_code == 200
                assert r.json()["state"] == "stopped"
                assert r.json()["last_stop"]["reason"] == "halt"


def test_json_booleans_are_not_integers(client, sid):
    # pydantic's lax mode reads false as 0: the schema says integer, so a boolean is a 422.
    for path, body, field in [
        ("continue", {"vcpus": [False]}, "vcpus"),
        ("continue", {"budget": True}, "budget"),
        ("reverse-step", {"vcpu": False}, "vcpu"),
        ("vcpus/0/step", {"count": True}, "count"),
    ]:
        r = client.post(f"/v1/sessions/{sid}/{path}", headers=ALICE, json=body)
        assert r.status_code == 422, (path, body, r.text)
        assert r.json()["field"].startswith(field), r.json()
    r = client.get(f"/v1/sessions/{sid}", headers=ALICE)
    assert r.json()["state"] == "stopped" and r.json()["time"] == 0


def test_integral_numbers_are_integers_as_json_schema_says(client, sid):
    # JSON Schema's integer includes 2.0; 2.5 is not one.
    r = client.post(f"/v1/sessions/{sid}/vcpus/0/step", headers=ALICE, json={"count": 2.0})
    assert r.status_code == 200 and r.json()["time"] == 2
    r = client.post(f"/v1/sessions/{sid}/vcpus/0/step", headers=ALICE, json={"count": 2.5})
    assert r.status_code == 422 and r.json()["field"] == "count"
    r = client.post(f"/v1/sessions/{sid}/run-to", headers=ALICE,
                    json={"address": 4104.0, "vcpu": 0.0})  # fmt: skip
    assert r.status_code in (200, 202), r.text
    client.post(f"/v1/sessions/{sid}/halt", headers=ALICE)
