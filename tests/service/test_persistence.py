"""SIGKILL mid-session loses nothing acknowledged; a restart finds images, snapshots and
session definitions, and re-creates a session from a snapshot: on SQLite and on PostgreSQL."""

from __future__ import annotations

import httpx

from service.launch import ServerProcess
from tests.service.conftest import SMP, TOKENS

H = {"Authorization": "Bearer tok-alice"}


def test_kill_and_restart_keeps_images_snapshots_and_sessions(tmp_path, database):
    db = database
    first = ServerProcess(db, TOKENS, log=str(tmp_path / "a.log")).start()
    try:
        with httpx.Client(base_url=first.url, headers=H, timeout=30) as c:
            image = c.post("/v1/images", files={"file": ("smp.elf", SMP.read_bytes())}).json()
            s = c.post("/v1/sessions", json={"image_id": image["id"], "vcpus": 2}).json()
            c.post(f"/v1/sessions/{s['id']}/vcpus/1/step", json={"count": 9})
            r = c.post(f"/v1/sessions/{s['id']}/snapshots", json={"name": "nine"})
            assert r.status_code == 201
            snap = r.json()
            regs = c.get(f"/v1/sessions/{s['id']}/vcpus/1/registers").json()["registers"]
            # Mid-session: a continue is running when the server dies.
            assert (
                c.post(f"/v1/sessions/{s['id']}/continue", json={"vcpus": [1]}).status_code == 202
            )
    finally:
        first.kill()
    assert first.proc is not None and first.proc.returncode == -9

    with (
        ServerProcess(db, TOKENS, log=str(tmp_path / "b.log")) as second,
        httpx.Client(base_url=second.url, headers=H, timeout=30) as c,
    ):
        r = c.get(f"/v1/images/{image['id']}")
        assert r.status_code == 200
        assert r.json()["sha256"] == image["sha256"]
        r = c.get(f"/v1/snapshots/{snap['id']}")
        assert r.status_code == 200
        assert r.json()["name"] == "nine"
        r = c.get(f"/v1/sessions/{s['id']}")
        assert r.status_code == 200
        assert r.json()["recovered"] is True
        r = c.post("/v1/sessions", json={"snapshot_id": snap["id"]})
        assert r.status_code == 201
        new = r.json()
        assert new["time"] == 9
        again = c.get(f"/v1/sessions/{new['id']}/vcpus/1/registers").json()["registers"]
        assert again == regs
        r = c.post(f"/v1/sessions/{s['id']}/snapshots/{snap['id']}/restore")
        assert r.status_code == 200
        assert r.json()["time"] == 9


def test_demo_restarts_reuse_the_demo_session(database):
    # `make run` restarts with a freshly generated token each time, owned by "demo": the
    # demo image and session are found again, not added once per start.
    db = database
    seen = []
    for _ in range(3):
        with ServerProcess(db, "", args=("--demo",)) as server:
            banner = "\n".join(server.banner)
            token = next(line.split()[1] for line in server.banner
                         if line.strip().startswith("token:"))  # fmt: skip
            with httpx.Client(base_url=server.url, timeout=30,
                              headers={"Authorization": f"Bearer {token}"}) as c:  # fmt: skip
                sessions = c.get("/v1/sessions").json()["data"]
                images = c.get("/v1/images").json()["data"]
            assert len(sessions) == 1 and len(images) == 1, banner
            assert sessions[0]["id"] in banner
            seen.append(sessions[0]["id"])
    assert len(set(seen)) == 1


def test_source_files_survive_a_restart_and_old_databases_gain_the_column(tmp_path):
    import sqlite3

    db = tmp_path / "old.sqlite3"
    # A database from before the source view: its images table has no sources column.
    old = sqlite3.connect(db)
    old.execute(
        "CREATE TABLE images (id TEXT PRIMARY KEY, owner TEXT NOT NULL, name TEXT NOT "
        "NULL, format TEXT NOT NULL, data BLOB NOT NULL, created_at TEXT NOT NULL)"
    )
    old.commit()
    old.close()
    files = [("file", ("smp.elf", SMP.read_bytes())), ("source", ("smp.S", b"# src\n"))]
    with ServerProcess(str(db), TOKENS) as server, \
            httpx.Client(base_url=server.url, headers=H, timeout=30) as c:  # fmt: skip
        image = c.post("/v1/images", files=files).json()
    with ServerProcess(str(db), TOKENS) as server, \
            httpx.Client(base_url=server.url, headers=H, timeout=30) as c:  # fmt: skip
        body = c.get(f"/v1/images/{image['id']}/source").json()
    assert body["files"] == {"smp.S": "# src\n"}
