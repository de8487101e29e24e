"""Authentication, owner isolation and limits: each a 4xx problem, never a crash."""

from __future__ import annotations

import base64

import httpx

from tests.service.conftest import ALICE, BOB, SMP, make_client


def test_no_token_is_401_problem(client):
    r = client.get("/v1/sessions")
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.json()["type"] == "/problems/unauthorized"


def test_wrong_token_is_401(client):
    r = client.get("/v1/images", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401


def test_another_owners_ids_are_404(client, sid, image):
    for path in (
        f"/v1/images/{image['id']}",
        f"/v1/sessions/{sid}",
        f"/v1/sessions/{sid}/memory?addr=0",
        f"/v1/sessions/{sid}/disassembly",
    ):
        r = client.get(path, headers=BOB)
        assert r.status_code == 404, path
    r = client.post(f"/v1/sessions/{sid}/vcpus/0/step", headers=BOB, json={})
    assert r.status_code == 404


def test_oversized_upload_is_413(tmp_path):
    with make_client(tmp_path, max_upload_bytes=1000) as c:
        r = c.post("/v1/images", headers=ALICE, files={"file": ("smp.elf", SMP.read_bytes())})
        assert r.status_code == 413
        assert r.json()["type"] == "/problems/payload-too-large"
        data = base64.b64encode(SMP.read_bytes()).decode()
        r = c.post("/v1/images", headers=ALICE, json={"data_base64": data})
        assert r.status_code == 413


def test_oversized_body_is_413(tmp_path):
    with make_client(tmp_path, max_body_bytes=2000) as c:
        r = c.post("/v1/images", headers=ALICE, json={"data_base64": "A" * 4000})
        assert r.status_code == 413


def test_malformed_elf_is_422(client):
    r = client.post(
        "/v1/images",
        headers=ALICE,
        files={"file": ("bad.elf", b"\x7fELF\x02\x02\x01" + b"\xff" * 100)},
    )
    assert r.status_code == 422
    assert r.json()["type"] == "/problems/invalid-image"


def test_bad_json_is_400_problem(client, sid):
    r = client.post(
        f"/v1/sessions/{sid}/vcpus/0/step",
        headers={**ALICE, "content-type": "application/json"},
        content=b"{nope",
    )
    assert r.status_code == 400
    assert r.json()["type"] == "/problems/bad-json"


def test_validation_errors_are_problems_with_field(client):
    r = client.post("/v1/sessions", headers=ALICE, json={"image_id": "x", "vcpus": "many"})
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["field"] == "vcpus"
    assert r.json()["errors"]


def test_404_and_405_are_problems(client):
    r = client.get("/v1/nowhere", headers=ALICE)
    assert r.status_code == 404
    assert r.json()["type"] == "/problems/not-found"
    r = client.put("/v1/sessions", headers=ALICE)
    assert r.status_code == 405
    assert r.json()["type"] == "/problems/method-not-allowed"


def test_huge_count_unknown_register_unmapped_memory(client, sid):
    r = client.post(f"/v1/sessions/{sid}/vcpus/0/step", headers=ALICE, json={"count": 2**70})
    assert r.status_code == 422
    r = client.get(f"/v1/sessions/{sid}/vcpus/0/registers?names=zz9", headers=ALICE)
    assert r.status_code == 422
    assert r.json()["type"] == "/problems/unknown-register"
    r = client.get(
        f"/v1/sessions/{sid}/memory?addr=0xffffffffffffff00&length=4&space=effective", headers=ALICE
    )
    assert r.status_code == 422
    assert r.json()["type"] == "/problems/unmapped-memory"
    assert "address" in r.json()


def test_anonymous_only_when_allowed(server, tmp_path):
    r = httpx.get(f"{server.url}/v1/sessions")
    assert r.status_code == 401
    from service.launch import ServerProcess

    with ServerProcess(str(tmp_path / "anon.sqlite3"), env={"PPCDBG_ALLOW_ANONYMOUS": "1"}) as anon:
        r = httpx.get(f"{anon.url}/v1/sessions")
        assert r.status_code == 200


def test_a_broken_invariant_ends_only_that_session(client, image):
    from tests.service.conftest import new_session

    a = new_session(client, image["id"])
    b = new_session(client, image["id"])
    manager = client.app.state.manager  # type: ignore[attr-defined]
    ctl = manager.sessions[a["id"]].ctl

    def broken(*args, **kw):
        raise RuntimeError("invariant")

    ctl.step = broken
    r = client.post(f"/v1/sessions/{a['id']}/vcpus/0/step", headers=ALICE, json={})
    assert r.status_code == 500
    assert r.json()["type"] == "/problems/session-failed"
    assert "Traceback" not in r.text
    assert client.get(f"/v1/sessions/{a['id']}", headers=ALICE).status_code == 404
    r = client.post(f"/v1/sessions/{b['id']}/vcpus/0/step", headers=ALICE, json={})
    assert r.status_code == 200


def test_cors_preflight(tmp_path):
    with make_client(tmp_path, cors_origins="http://dash.example") as c:
        r = c.options(
            "/v1/sessions",
            headers={"Origin": "http://dash.example", "Access-Control-Request-Method": "GET"},
        )
        assert r.status_code == 200
        assert r.headers["access-control-allow-origin"] == "http://dash.example"


def test_logs_are_json_with_request_id_and_no_secrets(client, sid, caplog):
    import json
    import logging

    from service.logs import JSONFormatter

    with caplog.at_level(logging.INFO, logger="ppcdbg.http"):
        client.get(f"/v1/sessions/{sid}?token=secret-in-query", headers=ALICE)
    recs = [r for r in caplog.records if r.name == "ppcdbg.http"]
    line = JSONFormatter().format(recs[-1])
    entry = json.loads(line)
    assert entry["status"] == 200
    assert len(entry["request_id"]) == 16
    assert "tok-alice" not in line and "secret-in-query" not in line
