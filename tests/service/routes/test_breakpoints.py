from __future__ import annotations

from tests.service.conftest import ALICE, make_client, new_session, upload


def test_create_by_address_and_symbol(client, sid, image):
    r = client.post(
        f"/v1/sessions/{sid}/breakpoints",
        headers=ALICE,
        json={"kind": "software", "address": "0x1000"},
    )
    assert r.status_code == 201
    assert r.json()["address"] == "0x0000000000001000"
    r = client.post(
        f"/v1/sessions/{sid}/breakpoints",
        headers=ALICE,
        json={"kind": "software", "symbol": "done"},
    )
    assert r.status_code == 201
    assert r.json()["address"] == image["symbols"]["done"]
    assert r.json()["symbol"] == "done"


def test_every_kind(client, sid):
    for body in (
        {"kind": "hardware", "address": 4100, "vcpus": [1]},
        {"kind": "watchpoint", "symbol": "counter", "length": 8, "access": "write"},
        {"kind": "catchpoint", "vector": "0x700"},
    ):
        r = client.post(f"/v1/sessions/{sid}/breakpoints", headers=ALICE, json=body)
        assert r.status_code == 201, r.text
        assert r.json()["kind"] == body["kind"]


def test_condition_error_is_422_with_column(client, sid):
    r = client.post(
        f"/v1/sessions/{sid}/breakpoints",
        headers=ALICE,
        json={"address": "0x1000", "condition": "r3 == == 1"},
    )
    assert r.status_code == 422
    assert r.json()["field"] == "condition"
    assert r.json()["column"] >= 1


def test_missing_address_and_unknown_symbol_are_422(client, sid):
    r = client.post(f"/v1/sessions/{sid}/breakpoints", headers=ALICE, json={"kind": "software"})
    assert r.status_code == 422
    r = client.post(f"/v1/sessions/{sid}/breakpoints", headers=ALICE, json={"symbol": "nope"})
    assert r.status_code == 422
    assert r.json()["type"] == "/problems/unknown-symbol"


def test_update_get_list_delete(client, sid):
    bp = client.post(
        f"/v1/sessions/{sid}/breakpoints", headers=ALICE, json={"address": "0x1000"}
    ).json()
    r = client.patch(
        f"/v1/sessions/{sid}/breakpoints/{bp['id']}",
        headers=ALICE,
        json={"enabled": False, "condition": "vcpu == 1", "ignore_count": 2, "vcpus": [1, 2]},
    )
    assert r.status_code == 200
    body = r.json()
    assert (body["enabled"], body["condition"], body["ignore_count"], body["vcpus"]) == (
        False,
        "vcpu == 1",
        2,
        [1, 2],
    )
    r = client.get(f"/v1/sessions/{sid}/breakpoints/{bp['id']}", headers=ALICE)
    assert r.status_code == 200
    r = client.get(f"/v1/sessions/{sid}/breakpoints", headers=ALICE)
    assert r.json()["count"] == 1
    r = client.delete(f"/v1/sessions/{sid}/breakpoints/{bp['id']}", headers=ALICE)
    assert r.status_code == 204
    r = client.get(f"/v1/sessions/{sid}/breakpoints/{bp['id']}", headers=ALICE)
    assert r.status_code == 404


def test_hit_count_and_temporary(client, sid, image):
    bp = client.post(
        f"/v1/sessions/{sid}/breakpoints",
        headers=ALICE,
        json={"symbol": "loop", "ignore_count": 1, "vcpus": [0]},
    ).json()
    r = client.post(f"/v1/sessions/{sid}/continue?wait=30", headers=ALICE)
    assert r.status_code == 200
    assert r.json()["last_stop"]["breakpoint_id"] == bp["id"]
    r = client.get(f"/v1/sessions/{sid}/breakpoints/{bp['id']}", headers=ALICE)
    assert r.json()["hit_count"] == 2


def test_breakpoint_limit_is_429(tmp_path):
    with make_client(tmp_path, max_breakpoints=1) as c:
        s = new_session(c, upload(c)["id"])
        r = c.post(f"/v1/sessions/{s['id']}/breakpoints", headers=ALICE, json={"address": 4096})
        assert r.status_code == 201
        r = c.post(f"/v1/sessions/{s['id']}/breakpoints", headers=ALICE, json={"address": 4100})
        assert r.status_code == 429


def test_a_breakpoint_on_an_elfv2_function_stops_a_local_call_at_its_local_entry(client):
    from tests.asm import assemble_elf
    from tests.engine.test_loader import ELFV2_CALLS

    # Big-endian ELFv2 (.abiversion 2): the vCPU starts big-endian at _start.
    data = assemble_elf(ELFV2_CALLS)
    img = client.post("/v1/images", headers=ALICE, files={"file": ("v2.elf", data)}).json()
    func = int(str(img["symbols"]["func"]), 0)
    sid = client.post("/v1/sessions", headers=ALICE, json={"image_id": img["id"]}).json()["id"]
    r = client.post(f"/v1/sessions/{sid}/breakpoints", headers=ALICE, json={"symbol": "func"})
    assert r.status_code == 201, r.text
    assert int(r.json()["address"], 16) == func + 8  # past the global entry's TOC set-up
    r = client.post(f"/v1/sessions/{sid}/continue?wait=10", headers=ALICE)
    stop = r.json()["last_stop"]
    assert stop["reason"] == "breakpoint" and int(stop["pc"], 16) == func + 8, stop
    # A watchpoint by the same name keeps the symbol's own address (data, not code).
    w = client.post(f"/v1/sessions/{sid}/breakpoints", headers=ALICE,
                    json={"kind": "watchpoint", "symbol": "func", "length": 4})  # fmt: skip
    assert w.status_code == 201, w.text
    assert int(w.json()["address"], 16) == func
