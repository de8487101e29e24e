from __future__ import annotations

from tests.service.conftest import ALICE


def test_list_vcpus(client, sid):
    r = client.get(f"/v1/sessions/{sid}/vcpus", headers=ALICE)
    assert r.status_code == 200
    assert r.json()["count"] == 4


def test_missing_vcpu_is_404(client, sid):
    r = client.get(f"/v1/sessions/{sid}/vcpus/9", headers=ALICE)
    assert r.status_code == 404


def test_registers_fixed_shape(client, sid):
    r = client.get(f"/v1/sessions/{sid}/vcpus/0/registers", headers=ALICE)
    assert r.status_code == 200
    body = r.json()
    assert body["vcpu"] == 0
    regs = body["registers"]
    assert regs["pc"] == "0x0000000000001000"
    assert regs["msr"] == "0x9000000000000000"
    assert regs["r3"] == "0x0000000001000000"
    assert len(regs["cr"]) == 10 and len(regs["xer"]) == 10
    for name in ("lr", "ctr", "srr0", "srr1", "f0", "fpscr", "lpcr"):
        assert name in regs


def test_registers_by_name(client, sid):
    r = client.get(f"/v1/sessions/{sid}/vcpus/0/registers", headers=ALICE,
                   params={"names": "nia,r1"})
    assert r.status_code == 200
    assert set(r.json()["registers"]) == {"nia", "r1"}


def test_unknown_register_in_names_is_422(client, sid):
    r = client.get(f"/v1/sessions/{sid}/vcpus/0/registers", headers=ALICE,
                   params={"names": "r99"})
    assert r.status_code == 422
    assert r.json()["type"] == "/problems/unknown-register"


def test_write_accepts_hex_decimal_and_int(client, sid):
    r = client.patch(f"/v1/sessions/{sid}/vcpus/1/registers", headers=ALICE,
                     json={"registers": {"r3": "0x10", "r4": "20", "r5": 30, "cr": "0x80000000"}})
    assert r.status_code == 200
    regs = r.json()["registers"]
    assert regs["r3"] == "0x0000000000000010"
    assert regs["r4"] == "0x0000000000000014"
    assert regs["r5"] == "0x000000000000001e"
    assert regs["cr"] == "0x80000000"


def test_write_unknown_register_is_422_with_field(client, sid):
    r = client.patch(f"/v1/sessions/{sid}/vcpus/0/registers", headers=ALICE,
                     json={"registers": {"r3": 1, "bogus": 1}})
    assert r.status_code == 422
    assert r.json()["type"] == "/problems/unknown-register"
    assert r.json()["field"] == "registers.bogus"
    r = client.get(f"/v1/sessions/{sid}/vcpus/0/registers", headers=ALICE, params={"names": "r3"})
    assert r.json()["registers"]["r3"] == "0x0000000001000000"  # nothing was written


def test_out_of_range_values_are_422(client, sid):
    for regs in ({"r3": "0x10000000000000000"}, {"cr": 1 << 32}, {"r3": -1}, {"r3": "zz"},
                 {"r3": True}):
        r = client.patch(f"/v1/sessions/{sid}/vcpus/0/registers", headers=ALICE,
                         json={"registers": regs})
        assert r.status_code == 422, regs
        assert r.json()["type"] == "/problems/invalid-value"


def test_step_fixed_shape(client, sid):
    r = client.post(f"/v1/sessions/{sid}/vcpus/0/step", headers=ALICE, json={"count": 1})
    assert r.status_code == 200
    body = r.json()
    assert body["last_stop"]["reason"] == "step"
    assert body["last_stop"]["vcpu"] == 0
    assert body["vcpus"][0]["pc"] == "0x0000000000001004"


def test_step_count_and_modes(client, sid):
    r = client.post(f"/v1/sessions/{sid}/vcpus/2/step", headers=ALICE, json={"count": 5})
    assert r.status_code == 200
    assert r.json()["vcpus"][2]["pc"] == "0x0000000000001014"
    r = client.post(f"/v1/sessions/{sid}/vcpus/2/step", headers=ALICE,
                    json={"count": 1, "mode": "over"})
    assert r.status_code == 200
    assert r.json()["last_stop"]["reason"] == "step"


def test_huge_count_is_422(client, sid):
    r = client.post(f"/v1/sessions/{sid}/vcpus/0/step", headers=ALICE, json={"count": 10**30})
    assert r.status_code == 422
    r = client.post(f"/v1/sessions/{sid}/vcpus/0/step", headers=ALICE, json={"count": 10**7})
    assert r.status_code == 422
    assert r.json()["type"] == "/problems/limit-exceeded"


def test_bad_mode_is_422(client, sid):
    r = client.post(f"/v1/sessions/{sid}/vcpus/0/step", headers=ALICE, json={"mode": "sideways"})
    assert r.status_code == 422
    assert r.json()["field"] == "mode"
