from __future__ import annotations

from tests.service.conftest import ALICE


def test_list_vcpus(client, sid):
    r = client.get(f"/v1/sessions/{sid}/vcpus", headers=ALICE)
    assert r.status_code == 200
    assert r.json()["count"] == 4


def test_missing_vcpu_is_404(client, sid):
    r = client.get(f"/v1/sessions/{sid}/vcpus/9", headers=ALICE)
    assert r.status_code == 404
    r = client.post(f"/v1/sessions/{sid}/vcpus/9/step", headers=ALICE)
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


def test_a_step_that_runs_long_leaves_the_api_responsive(server):
    """Stepping a lwarx with atomic sequences whole runs to the sequence's end: with the
    lock held by a vCPU that does not run (scheduler locking "step"), that is the run-to
    budget (millions of instructions). Such a step runs on the session's worker, never
    on the event loop: the server answers meanwhile, and halt ends it."""
    import threading
    import time

    import httpx

    from tests.service.conftest import SMP

    h = {"Authorization": "Bearer tok-alice"}
    with httpx.Client(base_url=server.url, headers=h, timeout=30) as c:
        img = c.post("/v1/images", files={"file": ("smp.elf", SMP.read_bytes())}).json()
        sid = c.post("/v1/sessions", json={
            "image_id": img["id"], "vcpus": 2, "atomic_sequences": "whole",
            "scheduler_locking": "step", "history": False}).json()["id"]  # fmt: skip

        def step_until(vcpu: int, pc: int) -> None:
            for _ in range(40):
                regs = c.get(f"/v1/sessions/{sid}/vcpus/{vcpu}/registers",
                             params={"names": "pc"}).json()["registers"]  # fmt: skip
                if int(regs["pc"], 16) == pc:
                    return
                assert c.post(f"/v1/sessions/{sid}/vcpus/{vcpu}/step").status_code == 200
            raise AssertionError(f"vCPU {vcpu} never reached {pc:#x}")

        step_until(1, 0x1040)  # in the critical section: vCPU 1 holds the lock
        step_until(0, 0x1028)  # vCPU 0 at `acquire: lwarx`
        result: dict[str, httpx.Response] = {}
        with httpx.Client(base_url=server.url, headers=h, timeout=60) as c2:
            t = threading.Thread(target=lambda: result.update(
                r=c2.post(f"/v1/sessions/{sid}/vcpus/0/step")))  # fmt: skip
            t.start()
            try:
                time.sleep(0.5)
                t0 = time.perf_counter()
                assert c.get("/healthz").status_code == 200
                state = c.get(f"/v1/sessions/{sid}").json()["state"]
                took = time.perf_counter() - t0
            finally:
                r = c.post(f"/v1/sessions/{sid}/halt")
                t.join(30)
        assert took < 1.0 and state == "running"
        assert r.status_code == 200
        assert result["r"].status_code == 200
        assert result["r"].json()["last_stop"]["reason"] == "halt"
