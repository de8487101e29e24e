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
    r = client.get(
        f"/v1/sessions/{sid}/vcpus/0/registers", headers=ALICE, params={"names": "nia,r1"}
    )
    assert r.status_code == 200
    assert set(r.json()["registers"]) == {"nia", "r1"}


def test_unknown_register_in_names_is_422(client, sid):
    r = client.get(f"/v1/sessions/{sid}/vcpus/0/registers", headers=ALICE, params={"names": "r99"})
    assert r.status_code == 422
    assert r.json()["type"] == "/problems/unknown-register"


def test_write_accepts_hex_decimal_and_int(client, sid):
    r = client.patch(
        f"/v1/sessions/{sid}/vcpus/1/registers",
        headers=ALICE,
        json={"registers": {"r3": "0x10", "r4": "20", "r5": 30, "cr": "0x80000000"}},
    )
    assert r.status_code == 200
    regs = r.json()["registers"]
    assert regs["r3"] == "0x0000000000000010"
    assert regs["r4"] == "0x0000000000000014"
    assert regs["r5"] == "0x000000000000001e"
    assert regs["cr"] == "0x80000000"


def test_write_unknown_register_is_422_with_field(client, sid):
    r = client.patch(
        f"/v1/sessions/{sid}/vcpus/0/registers",
        headers=ALICE,
        json={"registers": {"r3": 1, "bogus": 1}},
    )
    assert r.status_code == 422
    assert r.json()["type"] == "/problems/unknown-register"
    assert r.json()["field"] == "registers.bogus"
    r = client.get(f"/v1/sessions/{sid}/vcpus/0/registers", headers=ALICE, params={"names": "r3"})
    assert r.json()["registers"]["r3"] == "0x0000000001000000"  # nothing was written


def test_out_of_range_values_are_422(client, sid):
    for regs in (
        {"r3": "0x10000000000000000"},
        {"cr": 1 << 32},
        {"r3": -1},
        {"r3": "zz"},
        {"r3": True},
    ):
        r = client.patch(
            f"/v1/sessions/{sid}/vcpus/0/registers", headers=ALICE, json={"registers": regs}
        )
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
    r = client.post(
        f"/v1/sessions/{sid}/vcpus/2/step", headers=ALICE, json={"count": 1, "mode": "over"}
    )
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


# -- the vector facility's registers (128-bit values as 0x%032x, byte 0 first) -----------------
VR2 = "0x00112233445566778899aabbccddeeff"
VECTOR_SOURCE = """
    .globl _start
_start:
    lis     3, 0x9000
    sldi    3, 3, 32
    oris    3, 3, 0x0280
    ori     3, 3, 0x2000
    mtmsrd  3                   # MSR[FP|VEC|VSX] = 1
    li      4, 1
    li      5, 2
    mtvsrdd 34, 4, 5            # vr2 = 1 || 2
    vor     3, 2, 2             # vr3 = vr2
done:
    b       done
"""


def _get(client, sid, **params):
    return client.get(f"/v1/sessions/{sid}/vcpus/0/registers", headers=ALICE, params=params)


def _patch(client, sid, regs):
    return client.patch(f"/v1/sessions/{sid}/vcpus/0/registers", headers=ALICE,
                        json={"registers": regs})  # fmt: skip


def test_the_default_view_has_no_vector_registers_but_vrsave(client, sid):
    r = _get(client, sid)
    assert r.status_code == 200
    regs = r.json()["registers"]
    assert [k for k in regs if k.startswith(("vr", "vs"))] == ["vrsave"]
    assert "vscr" not in regs and regs["vrsave"] == "0x0000000000000000"


def test_group_vector_is_the_vector_facility(client, sid):
    r = _get(client, sid, group="vector")
    assert r.status_code == 200
    regs = r.json()["registers"]
    assert list(regs) == ([f"vr{i}" for i in range(32)] + [f"vs{i}" for i in range(64)]
                          + ["vscr", "vrsave"])  # fmt: skip
    assert regs["vr0"] == "0x" + "0" * 32 and regs["vs63"] == "0x" + "0" * 32
    assert regs["vscr"] == "0x00010000"  # NJ at reset


def test_group_all_is_architected_then_vector(client, sid):
    r = _get(client, sid, group="all")
    assert r.status_code == 200
    regs = list(r.json()["registers"])
    assert regs[:2] == ["r0", "r1"] and "lpcr" in regs and regs.count("vrsave") == 1
    assert regs[-1] == "vscr" and len([k for k in regs if k[:2] in ("vr", "vs")]) == 98


def test_names_select_vector_registers_in_any_case(client, sid):
    assert _patch(client, sid, {"vr2": VR2}).status_code == 200
    r = _get(client, sid, names="vr2,VS34,vscr,f2")
    assert r.status_code == 200
    assert r.json()["registers"] == {"vr2": VR2, "VS34": VR2, "vscr": "0x00010000",
                                     "f2": "0x0000000000000000"}  # fmt: skip


def test_group_and_names_combine_without_repeats(client, sid):
    r = _get(client, sid, group="vector", names="pc,VR1,vs3")
    assert r.status_code == 200
    regs = list(r.json()["registers"])
    assert len(regs) == 99 and regs[-1] == "pc" and "VR1" not in regs


def test_unknown_group_is_422_naming_the_field(client, sid):
    r = _get(client, sid, group="simd")
    assert r.status_code == 422
    assert r.json()["field"] == "group"


def test_unknown_vector_name_is_422(client, sid):
    for name in ("vr32", "vs64", "vr01", "vs-1"):
        r = _get(client, sid, names=f"pc,{name}")
        assert r.status_code == 422, name
        assert r.json()["type"] == "/problems/unknown-register"
        assert r.json()["register"] == name


def test_write_128_bit_values_as_hex_decimal_and_int(client, sid):
    r = _patch(client, sid, {"vr2": VR2, "vs3": str(1 << 127), "vs4": (1 << 128) - 1,
                             "vscr": "0x1", "vrsave": "0xffffffff"})  # fmt: skip
    assert r.status_code == 200
    regs = r.json()["registers"]
    # The written vector registers come back with the architected set.
    assert regs["vr2"] == VR2 and regs["vs3"] == "0x8" + "0" * 31 and regs["vs4"] == "0x" + "f" * 32
    assert regs["vscr"] == "0x00000001" and regs["vrsave"] == "0x00000000ffffffff"
    assert regs["f3"] == "0x8000000000000000" and regs["f4"] == "0xffffffffffffffff"
    assert regs["r3"] == "0x0000000001000000"


def test_fpr_write_keeps_the_vsr_low_doubleword(client, sid):
    assert _patch(client, sid, {"vs5": "0x" + "11" * 16}).status_code == 200
    assert _patch(client, sid, {"f5": "0x2222222222222222"}).status_code == 200
    r = _get(client, sid, names="vs5")
    assert r.status_code == 200
    assert r.json()["registers"]["vs5"] == "0x" + "22" * 8 + "11" * 8


def test_vector_values_out_of_range_or_malformed_are_422_naming_the_field(client, sid):
    for name, value in (("vr0", 1 << 128), ("vr0", "0x1" + "0" * 32), ("vs63", str(1 << 128)),
                        ("vr0", "0x"), ("vr0", "0xg"), ("vr0", "0x_1"), ("vr0", "0x+1"),
                        ("vr0", -1), ("vr0", "1.5"), ("vr0", True), ("vr0", None),
                        ("vr0", [1]), ("vr0", "1" * 65), ("vscr", 1 << 32),
                        ("vrsave", 1 << 64), ("f0", 1 << 64)):  # fmt: skip
        r = _patch(client, sid, {"r3": 7, name: value})
        assert r.status_code == 422, (name, value)
        assert r.json()["type"] == "/problems/invalid-value", (name, value)
        assert r.json()["field"] == f"registers.{name}", (name, value)
    r = _get(client, sid, names="r3,vr0")
    assert r.status_code == 200
    assert r.json()["registers"] == {"r3": "0x0000000001000000", "vr0": "0x" + "0" * 32}


def test_a_step_that_writes_a_vr_shows_in_the_vector_group(client):
    r = client.post("/v1/images", headers=ALICE, json={"name": "vec", "source": VECTOR_SOURCE})
    assert r.status_code == 201, r.text
    s = client.post("/v1/sessions", headers=ALICE, json={"image_id": r.json()["id"], "vcpus": 1})
    assert s.status_code == 201
    sid = s.json()["id"]
    r = client.post(f"/v1/sessions/{sid}/vcpus/0/step", headers=ALICE, json={"count": 8})
    assert r.status_code == 200
    assert "registers" not in r.json()["last_stop"]  # stops stay as they are
    r = _get(client, sid, group="vector")
    assert r.status_code == 200
    regs = r.json()["registers"]
    want = "0x0000000000000001" + "0000000000000002"
    assert regs["vr2"] == regs["vs34"] == want
    assert regs["vr3"] == "0x" + "0" * 32
    r = client.post(f"/v1/sessions/{sid}/vcpus/0/step", headers=ALICE, json={"count": 1})
    assert r.status_code == 200
    r = _get(client, sid, names="vr3,vs35")
    assert r.status_code == 200
    assert r.json()["registers"] == {"vr3": want, "vs35": want}
