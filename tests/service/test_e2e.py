"""A scripted debugging session end to end over HTTP and WebSocket against real uvicorn."""

from __future__ import annotations

import json

import httpx
from websockets.sync.client import connect

from tests.service.conftest import SMP

TIMEOUT = 30


def test_upload_session_breakpoint_continue_stop_registers_step_reverse(server):
    h = {"Authorization": "Bearer tok-alice"}
    with httpx.Client(base_url=server.url, headers=h, timeout=TIMEOUT) as c:
        r = c.post("/v1/images", files={"file": ("smp_spinlock.elf", SMP.read_bytes())})
        assert r.status_code == 201
        image = r.json()
        r = c.post("/v1/sessions", json={"image_id": image["id"], "vcpus": 4})
        assert r.status_code == 201
        sid = r.json()["id"]
        r = c.post(f"/v1/sessions/{sid}/breakpoints", json={"kind": "software", "symbol": "done"})
        assert r.status_code == 201
        bp = r.json()
        with connect(
            f"{server.ws_url}/v1/sessions/{sid}/events", open_timeout=TIMEOUT, additional_headers=h
        ) as ws:
            r = c.post(f"/v1/sessions/{sid}/continue")
            assert r.status_code == 202
            while True:
                ev = json.loads(ws.recv(timeout=TIMEOUT))
                if ev["type"] == "stop":
                    break
        assert ev["reason"] == "breakpoint"
        assert ev["breakpoint_id"] == bp["id"]
        assert ev["pc"] == image["symbols"]["done"]
        r = c.get(f"/v1/sessions/{sid}")
        assert r.status_code == 200
        assert r.json()["state"] == "stopped"
        assert r.json()["last_stop"]["pc"] == ev["pc"]
        r = c.get(f"/v1/sessions/{sid}/vcpus/0/registers")
        assert r.status_code == 200
        regs = r.json()["registers"]
        assert regs["pc"] == image["symbols"]["done"]
        assert regs["r21"] == image["symbols"]["counter"]
        r = c.get(f"/v1/sessions/{sid}/memory", params={"addr": "counter", "length": 8})
        assert int(r.json()["data"], 16) == 4000
        t = c.get(f"/v1/sessions/{sid}").json()["time"]
        r = c.post(f"/v1/sessions/{sid}/vcpus/0/step", json={"count": 1})
        assert r.status_code == 200
        assert r.json()["last_stop"]["reason"] == "step"
        assert r.json()["time"] == t + 1
        r = c.post(f"/v1/sessions/{sid}/reverse-step", json={"vcpu": 0})
        assert r.status_code == 200
        assert r.json()["time"] == t
        assert r.json()["vcpus"][0]["pc"] == image["symbols"]["done"]
