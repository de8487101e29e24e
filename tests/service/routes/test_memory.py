from __future__ import annotations

from tests.service.conftest import ALICE


def test_read_hex_json(client, sid, image):
    r = client.get(
        f"/v1/sessions/{sid}/memory", headers=ALICE, params={"addr": "0x1000", "length": 4}
    )
    assert r.status_code == 200
    assert r.json() == {
        "address": "0x0000000000001000",
        "length": 4,
        "space": "physical",
        "data": "3a802000",
    }


def test_read_by_symbol_and_octet_stream(client, sid):
    r = client.get(
        f"/v1/sessions/{sid}/memory",
        headers={**ALICE, "Accept": "application/octet-stream"},
        params={"addr": "_start", "length": 4},
    )
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.content == bytes.fromhex("3a802000")


def test_reads_show_original_bytes_under_breakpoints(client, sid):
    client.post(
        f"/v1/sessions/{sid}/breakpoints",
        headers=ALICE,
        json={"kind": "software", "address": "0x1000"},
    )
    r = client.get(
        f"/v1/sessions/{sid}/memory", headers=ALICE, params={"addr": "0x1000", "length": 4}
    )
    assert r.json()["data"] == "3a802000"


def test_write_then_read(client, sid):
    r = client.put(
        f"/v1/sessions/{sid}/memory", headers=ALICE, json={"address": "0x3000", "data": "deadbeef"}
    )
    assert r.status_code == 200
    r = client.get(
        f"/v1/sessions/{sid}/memory",
        headers=ALICE,
        params={"addr": 0x3000, "length": 4, "space": "effective"},
    )
    assert r.json()["data"] == "deadbeef"


def test_unmapped_memory_is_422_with_address(client, sid):
    r = client.get(
        f"/v1/sessions/{sid}/memory", headers=ALICE, params={"addr": "0x80000000", "length": 16}
    )
    assert r.status_code == 422
    assert r.json()["type"] == "/problems/unmapped-memory"
    assert r.json()["address"] == "0x0000000080000000"
    r = client.put(
        f"/v1/sessions/{sid}/memory", headers=ALICE, json={"address": "0x3fffffff", "data": "0000"}
    )
    assert r.status_code == 422
    assert r.json()["type"] == "/problems/unmapped-memory"


def test_read_over_limit_is_422(client, sid):
    r = client.get(
        f"/v1/sessions/{sid}/memory", headers=ALICE, params={"addr": 0, "length": 1 << 24}
    )
    assert r.status_code == 422
    assert r.json()["field"] == "length"


def test_unknown_symbol_is_422(client, sid):
    r = client.get(f"/v1/sessions/{sid}/memory", headers=ALICE, params={"addr": "nosuch"})
    assert r.status_code == 422
    assert r.json()["type"] == "/problems/unknown-symbol"


def test_disassembly_with_symbols(client, sid):
    r = client.get(
        f"/v1/sessions/{sid}/disassembly", headers=ALICE, params={"addr": "done", "count": 1}
    )
    assert r.status_code == 200
    line = r.json()["data"][0]
    assert line["symbol"] == "done"
    assert line["mnemonic"] == "b"
    assert "<done>" in line["text"]


def test_disassembly_defaults_to_pc(client, sid):
    r = client.get(f"/v1/sessions/{sid}/disassembly", headers=ALICE, params={"count": 2})
    assert r.status_code == 200
    assert r.json()["data"][0]["address"] == "0x0000000000001000"
    assert r.json()["data"][0]["symbol"] == "_start"
