"""Ray isolation (ppcdbg serve --ray ADDRESS): each session's engine a Ray actor on a real
local cluster (ray start --head). Two sessions step and continue as under thread isolation;
an actor killed with ray.kill leaves its session lost (state, event, 409 problems) while the
other steps on, and the session comes back from its snapshot in a new actor."""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from service import serve
from service.settings import Settings
from tests.service.conftest import ALICE, ROOT, make_client, new_session, upload


def _step(c: Any, sid: str, count: int = 1) -> Any:
    return c.post(f"/v1/sessions/{sid}/vcpus/0/step", headers=ALICE, json={"count": count})


def _run(c: Any) -> list[Any]:
    """Two sessions stepped and continued to the breakpoint at done: what they answer."""
    img = upload(c)
    a, b = new_session(c, img["id"])["id"], new_session(c, img["id"])["id"]
    out: list[Any] = []
    for sid in (a, b):
        r = c.post(f"/v1/sessions/{sid}/breakpoints", headers=ALICE,
                   json={"kind": "software", "symbol": "done"})  # fmt: skip
        assert r.status_code == 201, r.text
        out.append(_step(c, sid, 7).json()["last_stop"])
    for sid in (a, b):
        r = c.post(f"/v1/sessions/{sid}/continue?wait=60", headers=ALICE)
        assert r.status_code == 200, r.text
        out += [r.json()["last_stop"], r.json()["time"]]
        r = c.get(f"/v1/sessions/{sid}/memory?addr=counter&length=8", headers=ALICE)
        out.append(r.json()["data"])
        regs = c.get(f"/v1/sessions/{sid}/vcpus/0/registers", headers=ALICE).json()
        out.append(regs["registers"])
    return out


def test_two_sessions_on_ray_answer_as_thread_isolation(tmp_path: Path, ray_cluster: str):
    with make_client(tmp_path / "t") as c:
        want = _run(c)
    with make_client(tmp_path / "r", ray_address=ray_cluster) as c:
        assert c.app.state.manager.settings.isolation == "ray"
        got = _run(c)
    assert got == want
    assert want[2]["reason"] == "breakpoint"


def test_a_killed_actor_loses_its_session_only_and_it_restores(tmp_path, ray_cluster):
    import ray

    with make_client(tmp_path, ray_address=ray_cluster) as c:
        img = upload(c)
        a, b = new_session(c, img["id"])["id"], new_session(c, img["id"])["id"]
        assert _step(c, a, 10).status_code == 200
        r = c.post(f"/v1/sessions/{a}/snapshots", headers=ALICE, json={"name": "ten"})
        assert r.status_code == 201
        snap = r.json()
        regs = c.get(f"/v1/sessions/{a}/vcpus/0/registers", headers=ALICE).json()["registers"]
        assert _step(c, a, 5).json()["time"] == 15
        with c.websocket_connect(f"/v1/sessions/{a}/events", headers=ALICE) as ws:
            ray.kill(c.app.state.manager.sessions[a].ctl.transport.actor)
            while (ev := ws.receive_json())["type"] != "session-state" or ev["state"] != "lost":
                pass
        assert ev["reason"] == "its Ray actor was killed (ray.kill)"
        assert (ev["snapshot_id"], ev["time"]) == (snap["id"], 15)
        r = c.get(f"/v1/sessions/{a}", headers=ALICE)
        assert (r.json()["state"], r.json()["time"]) == ("lost", 15)
        r = _step(c, a)
        assert r.status_code == 409
        assert r.json()["type"] == "/problems/session-lost"
        assert _step(c, b, 3).json()["time"] == 3  # the other session steps on
        r = c.post(f"/v1/sessions/{a}/snapshots/{snap['id']}/restore", headers=ALICE)
        assert r.status_code == 200, r.text
        assert (r.json()["state"], r.json()["time"]) == ("stopped", 10)
        again = c.get(f"/v1/sessions/{a}/vcpus/0/registers", headers=ALICE).json()["registers"]
        assert again == regs
        assert _step(c, a, 5).json()["time"] == 15
        assert _step(c, b).json()["time"] == 4


def test_serve_takes_a_ray_address():
    parser = argparse.ArgumentParser()
    serve.add_parser(parser.add_subparsers())
    settings, _ = serve.settings_from(parser.parse_args(["serve", "--ray", "10.0.0.5:6379"]))
    assert (settings.isolation, settings.ray_address) == ("ray", "10.0.0.5:6379")
    with pytest.raises(ValueError, match="needs a Ray cluster's address"):
        Settings(isolation="ray")
    with pytest.raises(ValueError, match="means isolation ray, not process"):
        Settings(isolation="process", ray_address="auto")


def test_serve_says_in_one_line_that_a_cluster_cannot_be_joined(tmp_path):
    # In a process of its own: this one may have joined the test cluster already.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed: nothing listens there
    r = subprocess.run([sys.executable, "-m", "service.cli", "serve", "--ray", f"127.0.0.1:{port}",
                        "--database", str(tmp_path / "db.sqlite3")],
                       capture_output=True, text=True, timeout=60, cwd=ROOT)  # fmt: skip
    assert r.returncode == 1
    assert r.stderr.strip() == (f"ppcdbg serve: cannot join the Ray cluster at 127.0.0.1:{port}: "
                                "Connection refused")  # fmt: skip
