from __future__ import annotations

from tests.service.conftest import ALICE, BOB


def _pc(client, sid, n=0):
    r = client.get(f"/v1/sessions/{sid}/vcpus/{n}/registers", headers=ALICE, params={"names": "pc"})
    return r.json()["registers"]["pc"]


def test_create_list_restore(client, sid):
    client.post(f"/v1/sessions/{sid}/vcpus/0/step", headers=ALICE, json={"count": 5})
    r = client.post(f"/v1/sessions/{sid}/snapshots", headers=ALICE, json={"name": "five"})
    assert r.status_code == 201
    snap = r.json()
    assert snap["time"] == 5
    pc5 = _pc(client, sid)
    client.post(f"/v1/sessions/{sid}/vcpus/0/step", headers=ALICE, json={"count": 5})
    assert _pc(client, sid) != pc5
    r = client.get(f"/v1/sessions/{sid}/snapshots", headers=ALICE)
    assert r.status_code == 200
    assert [s["id"] for s in r.json()["data"]] == [snap["id"]]
    r = client.post(f"/v1/sessions/{sid}/snapshots/{snap['id']}/restore", headers=ALICE)
    assert r.status_code == 200
    assert r.json()["time"] == 5
    assert _pc(client, sid) == pc5


def test_new_session_from_snapshot(client, sid):
    client.post(f"/v1/sessions/{sid}/vcpus/1/step", headers=ALICE, json={"count": 7})
    snap = client.post(f"/v1/sessions/{sid}/snapshots", headers=ALICE).json()
    r = client.post("/v1/sessions", headers=ALICE, json={"snapshot_id": snap["id"]})
    assert r.status_code == 201
    assert r.json()["time"] == 7
    assert r.json()["vcpus"][1]["pc"] == "0x000000000000101c"


def test_another_owners_snapshot_is_404(client, sid):
    snap = client.post(f"/v1/sessions/{sid}/snapshots", headers=ALICE).json()
    assert client.get(f"/v1/snapshots/{snap['id']}", headers=BOB).status_code == 404
    r = client.post("/v1/sessions", headers=BOB, json={"snapshot_id": snap["id"]})
    assert r.status_code == 404
    assert client.get(f"/v1/snapshots/{snap['id']}", headers=ALICE).status_code == 200
    assert client.get("/v1/snapshots", headers=ALICE).json()["count"] == 1
