from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.main import create_app
from service.settings import Settings
from tests.service.conftest import ALICE, BOB, TOKENS, make_client, new_session, upload


def test_create_gives_stopped_session_with_vcpus(client, image):
    r = client.post(
        "/v1/sessions",
        headers=ALICE,
        json={"image_id": image["id"], "vcpus": 2, "profile": "powernv", "backend": "native"},
    )
    assert r.status_code == 201
    body = r.json()
    assert body["state"] == "stopped"
    assert [v["index"] for v in body["vcpus"]] == [0, 1]
    assert body["vcpus"][0]["pc"] == "0x0000000000001000"
    assert body["config"]["vcpus"] == 2
    assert body["links"]["events"] == f"/v1/sessions/{body['id']}/events"


def test_only_image_id_is_needed(client, image):
    r = client.post("/v1/sessions", headers=ALICE, json={"image_id": image["id"]})
    assert r.status_code == 201
    assert len(r.json()["vcpus"]) == 1


def test_every_controller_option(client, image):
    r = client.post(
        "/v1/sessions",
        headers=ALICE,
        json={
            "image_id": image["id"],
            "profile": "guest",
            "vcpus": 2,
            "memory_mb": 64,
            "backend": "trace-vector",
            "scheduler_locking": "on",
            "step_flags": ["noirq"],
            "atomic_sequences": "whole",
            "quantum": 5,
            "history": False,
        },
    )
    assert r.status_code == 201
    cfg = r.json()["config"]
    assert cfg["backend"] == "trace-vector"
    assert cfg["step_flags"] == ["noirq"]
    assert cfg["memory_mb"] == 64


def test_backend_needing_guest_profile_is_422(client, image):
    r = client.post(
        "/v1/sessions", headers=ALICE, json={"image_id": image["id"], "backend": "trace-vector"}
    )
    assert r.status_code == 422


def test_unknown_image_is_404(client):
    r = client.post("/v1/sessions", headers=ALICE, json={"image_id": "img-nope"})
    assert r.status_code == 404


def test_vcpus_over_limit_is_422(client, image):
    r = client.post("/v1/sessions", headers=ALICE, json={"image_id": image["id"], "vcpus": 40})
    assert r.status_code == 422
    assert r.json()["field"] == "vcpus"


def test_memory_over_limit_is_422(client, image):
    r = client.post(
        "/v1/sessions", headers=ALICE, json={"image_id": image["id"], "memory_mb": 4096}
    )
    assert r.status_code == 422
    assert r.json()["field"] == "memory_mb"


def test_list_get_delete(client, sid):
    r = client.get("/v1/sessions", headers=ALICE)
    assert r.status_code == 200
    assert r.json()["count"] == 1
    r = client.get(f"/v1/sessions/{sid}", headers=ALICE)
    assert r.status_code == 200
    assert r.json()["id"] == sid
    r = client.delete(f"/v1/sessions/{sid}", headers=ALICE)
    assert r.status_code == 204
    r = client.get(f"/v1/sessions/{sid}", headers=ALICE)
    assert r.status_code == 404


def test_another_owners_session_is_404_everywhere(client, sid):
    for method, path in (
        ("GET", ""),
        ("DELETE", ""),
        ("GET", "/vcpus"),
        ("GET", "/stats"),
        ("GET", "/vcpus/0/registers"),
        ("POST", "/halt"),
        ("GET", "/breakpoints"),
        ("GET", "/snapshots"),
    ):
        r = client.request(method, f"/v1/sessions/{sid}{path}", headers=BOB)
        assert r.status_code == 404, path
        assert r.json()["type"] == "/problems/not-found"


def test_session_quota_is_429(tmp_path):
    with make_client(tmp_path, max_sessions_per_owner=1) as c:
        img = upload(c)
        new_session(c, img["id"])
        r = c.post("/v1/sessions", headers=ALICE, json={"image_id": img["id"]})
        assert r.status_code == 429


def test_stats_counts_steps(client, sid):
    client.post(f"/v1/sessions/{sid}/vcpus/0/step", headers=ALICE, json={"count": 3})
    r = client.get(f"/v1/sessions/{sid}/stats", headers=ALICE)
    assert r.status_code == 200
    assert r.json()["steps"] == 3
    assert r.json()["time"] == 3


def test_a_stray_value_error_while_creating_a_session_is_a_500_not_a_bad_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the engine's domain errors are 4xx: a ValueError from a bug must show as one."""
    import service.sessions

    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("a bug, not the client's fault")

    monkeypatch.setattr(service.sessions, "open_session", broken)
    settings = Settings(database=str(tmp_path / "db.sqlite3"), api_tokens=TOKENS)
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        img = upload(c)
        r = c.post("/v1/sessions", headers=ALICE, json={"image_id": img["id"]})
    assert r.status_code == 500, r.text


def test_a_configuration_the_engine_refuses_is_a_422_naming_why(client: TestClient) -> None:
    img = upload(client)
    cfg = {"image_id": img["id"], "backend": "trace-vector", "profile": "powernv"}
    r = client.post("/v1/sessions", headers=ALICE, json=cfg)
    assert r.status_code == 422, r.text
    assert "guest" in r.json()["detail"], r.text


def test_controller_errors_are_not_value_errors() -> None:
    from engine.debug.controller import ConfigError, ControllerError

    assert not issubclass(ControllerError, ValueError)
    assert not issubclass(ConfigError, ValueError)


def test_a_deleted_session_leaves_nothing_behind(client: TestClient, image) -> None:
    import gc
    import weakref

    sid = client.post("/v1/sessions", headers=ALICE, json={"image_id": image["id"]}).json()["id"]
    r = client.post(f"/v1/sessions/{sid}/vcpus/0/step", headers=ALICE, json={"count": 3000})
    assert r.status_code == 200
    with client.websocket_connect(f"/v1/sessions/{sid}/events", headers=ALICE) as ws:
        ws.send_text('{"op": "step", "count": 10}')
        ws.receive_text()
    ctl = weakref.ref(client.app.state.manager.sessions[sid].ctl)  # type: ignore[attr-defined]
    assert client.delete(f"/v1/sessions/{sid}", headers=ALICE).status_code == 204
    gc.collect()
    assert ctl() is None, gc.get_referrers(ctl())
