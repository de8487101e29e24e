"""Process isolation (PPCDBG_ISOLATION=process): a session's engine in a worker process of
its own. A worker killed with SIGKILL leaves its session lost (state, event, 409 problems)
while the API and the other sessions carry on, and the session comes back from its
snapshot; the worker's limits are problems. The rest of tests/service runs under either
isolation (PPCDBG_ISOLATION=process in the environment)."""

from __future__ import annotations

import argparse
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from engine.target import WorkerLost
from service import serve
from service.settings import Settings
from tests.service.conftest import ALICE, make_client, new_session, upload


@pytest.fixture
def pclient(tmp_path: Path) -> Iterator[TestClient]:
    with make_client(tmp_path, isolation="process") as c:
        yield c


def _worker_pid(c: TestClient, sid: str) -> int:
    pid: int = c.app.state.manager.sessions[sid].ctl.process.pid  # type: ignore[attr-defined]
    return pid


def _step(c: TestClient, sid: str, count: int = 1) -> Any:
    return c.post(f"/v1/sessions/{sid}/vcpus/0/step", headers=ALICE, json={"count": count})


def test_a_killed_worker_loses_its_session_only_and_it_restores_from_its_snapshot(pclient):
    c = pclient
    img = upload(c)
    a, b = new_session(c, img["id"])["id"], new_session(c, img["id"])["id"]
    assert _worker_pid(c, a) != _worker_pid(c, b) != os.getpid()
    assert _step(c, a, 10).status_code == 200
    r = c.post(f"/v1/sessions/{a}/snapshots", headers=ALICE, json={"name": "ten"})
    assert r.status_code == 201
    snap = r.json()
    assert snap["time"] == 10
    regs = c.get(f"/v1/sessions/{a}/vcpus/0/registers", headers=ALICE).json()["registers"]
    assert _step(c, a, 5).json()["time"] == 15
    with c.websocket_connect(f"/v1/sessions/{a}/events", headers=ALICE) as ws:
        os.kill(_worker_pid(c, a), signal.SIGKILL)
        while (ev := ws.receive_json())["type"] != "session-state" or ev["state"] != "lost":
            pass
    assert ev["reason"] == "killed by SIGKILL"
    assert ev["snapshot_id"] == snap["id"]
    assert ev["time"] == 15
    r = c.get(f"/v1/sessions/{a}", headers=ALICE)
    assert r.status_code == 200
    assert (r.json()["state"], r.json()["time"]) == ("lost", 15)
    for r in (_step(c, a), c.get(f"/v1/sessions/{a}/breakpoints", headers=ALICE),
              c.post(f"/v1/sessions/{a}/continue", headers=ALICE)):  # fmt: skip
        assert r.status_code == 409, r.text
        assert r.json()["type"] == "/problems/session-lost"
        assert "SIGKILL" in r.json()["detail"]
    # The other session and the API carry on.
    assert _step(c, b, 3).json()["time"] == 3
    assert c.get("/v1/sessions", headers=ALICE).status_code == 200
    # Back from the snapshot, in a new worker.
    r = c.post(f"/v1/sessions/{a}/snapshots/{snap['id']}/restore", headers=ALICE)
    assert r.status_code == 200, r.text
    assert (r.json()["state"], r.json()["time"]) == ("stopped", 10)
    again = c.get(f"/v1/sessions/{a}/vcpus/0/registers", headers=ALICE).json()["registers"]
    assert again == regs
    assert _step(c, a, 5).json()["time"] == 15
    assert _step(c, b).json()["time"] == 4


def test_a_lost_running_session_answers_its_waiting_request(pclient):
    c = pclient
    sid = new_session(c, upload(c)["id"])["id"]
    r = c.post(f"/v1/sessions/{sid}/continue", headers=ALICE, json={"vcpus": [1]})
    assert r.status_code == 202  # vCPU 1 parks: runs until a halt
    os.kill(_worker_pid(c, sid), signal.SIGKILL)
    deadline = time.monotonic() + 10
    while c.get(f"/v1/sessions/{sid}", headers=ALICE).json()["state"] != "lost":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    r = c.post(f"/v1/sessions/{sid}/halt", headers=ALICE)
    assert r.status_code == 200
    assert r.json()["state"] == "lost"
    assert c.delete(f"/v1/sessions/{sid}", headers=ALICE).status_code == 204


def test_the_instruction_limit_is_a_problem(tmp_path):
    with make_client(tmp_path, isolation="process", max_instructions_per_session=5000) as c:
        sid = new_session(c, upload(c)["id"])["id"]
        r = c.post(f"/v1/sessions/{sid}/continue?wait=30", headers=ALICE, json={"vcpus": [1]})
        assert r.status_code == 200
        assert (r.json()["last_stop"]["reason"], r.json()["time"]) == ("limit", 5000)
        r = c.post(f"/v1/sessions/{sid}/continue?wait=30", headers=ALICE)
        assert r.status_code == 422
        assert r.json()["type"] == "/problems/limit-exceeded"
        assert r.json()["limit"] == "instructions"
        assert _step(c, sid).json()["type"] == "/problems/limit-exceeded"


def test_the_memory_limit_is_a_problem_then_the_session_is_lost(tmp_path):
    with make_client(tmp_path, isolation="process", worker_memory_mb=400,
                     max_memory_read=1 << 20) as c:  # fmt: skip
        sid = new_session(c, upload(c)["id"])["id"]
        data = "5a" * (1 << 20)
        for i in range(1, 1000):
            r = c.put(f"/v1/sessions/{sid}/memory", headers=ALICE,
                      json={"address": i << 20, "data": data})  # fmt: skip
            if r.status_code >= 400:
                break
        assert r.status_code == 422, r.text[:200]
        assert r.json()["limit"] == "memory"
        assert "400 MiB memory limit" in r.json()["detail"]
        deadline = time.monotonic() + 10
        while c.get(f"/v1/sessions/{sid}", headers=ALICE).json()["state"] != "lost":
            assert time.monotonic() < deadline
            time.sleep(0.02)


def test_a_worker_memory_limit_below_a_workers_baseline_is_refused():
    with pytest.raises(ValueError, match="at least 384"):
        Settings(worker_memory_mb=200)
    assert Settings(worker_memory_mb=0).worker_memory_mb == 0


def test_serve_takes_the_isolation_option():
    parser = argparse.ArgumentParser()
    serve.add_parser(parser.add_subparsers())
    args = parser.parse_args(["serve", "--isolation", "process", "--worker-memory-mb", "2048",
                              "--max-instructions-per-session", "10"])  # fmt: skip
    settings, _ = serve.settings_from(args)
    assert (settings.isolation, settings.worker_memory_mb) == ("process", 2048)
    assert settings.max_instructions_per_session == 10
    with pytest.raises(SystemExit):
        parser.parse_args(["serve", "--isolation", "fork"])


def test_worker_lost_is_no_controller_error():
    # translate() must not take a dead worker for a bad request (a 422).
    from engine.target import ControllerError

    assert not issubclass(WorkerLost, ControllerError)
