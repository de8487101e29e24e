"""pseries sessions over the API: a kernel image (and an initrd) boot in a partition, the
console comes as events and takes input, the run ends with reason poweroff; bad bodies are
422 problems naming the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.asm import assemble_elf
from tests.engine.platform.test_boot import PROGRAM as SMP_PROGRAM
from tests.service.conftest import ALICE, BOB
from tests.service.test_boot_cli import ECHO

ROOT = Path(__file__).resolve().parents[3]


def _upload(client: Any, data: bytes, name: str, fmt: str = "auto") -> str:
    r = client.post("/v1/images", headers=ALICE, files={"file": (name, data)},
                    data={"format": fmt})  # fmt: skip
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _pseries(client: Any, kernel: str, **kw: Any) -> Any:
    return client.post("/v1/sessions", headers=ALICE,
                       json={"profile": "pseries", "kernel": kernel, **kw})  # fmt: skip


def test_a_pseries_session_boots_its_kernel_to_power_off(client):
    kernel = _upload(client, assemble_elf(SMP_PROGRAM), "smp.elf")
    r = _pseries(client, kernel, vcpus=2, cmdline="console=hvc0 quiet")
    assert r.status_code == 201, r.text
    s = r.json()
    assert s["config"]["kernel"] == kernel and s["config"]["cmdline"] == "console=hvc0 quiet"
    assert s["image_id"] == kernel and s["config"]["initrd"] is None
    sid = s["id"]
    with client.websocket_connect(f"/v1/sessions/{sid}/events", headers=ALICE) as ws:
        r = client.post(f"/v1/sessions/{sid}/continue?wait=60", headers=ALICE)
        assert r.status_code == 200, r.text
        assert r.json()["last_stop"]["reason"] == "poweroff"
        text = ""
        while True:
            e = json.loads(ws.receive_text())
            if e["type"] == "console":
                text += e["text"]
            if e["type"] == "stop":
                break
    assert text == "ABC\n"


def test_console_input_reaches_a_pseries_guest(client):
    kernel = _upload(client, assemble_elf(ECHO), "echo.elf")
    sid = _pseries(client, kernel).json()["id"]
    assert client.post(f"/v1/sessions/{sid}/console", headers=ALICE,
                       json={"data": "hi q"}).status_code == 200  # fmt: skip
    r = client.post(f"/v1/sessions/{sid}/continue?wait=60", headers=ALICE)
    assert r.json()["last_stop"]["reason"] == "poweroff", r.text


def test_an_initrd_is_an_uploaded_raw_image_and_cannot_be_deleted_while_used(client):
    kernel = _upload(client, assemble_elf(SMP_PROGRAM), "smp.elf")
    initrd = _upload(client, b"070701" + bytes(4090), "initrd.cpio", fmt="raw")
    r = _pseries(client, kernel, initrd=initrd)
    assert r.status_code == 201, r.text
    assert r.json()["config"]["initrd"] == initrd
    r = client.delete(f"/v1/images/{initrd}", headers=ALICE)
    assert r.status_code == 409 and "is used by session" in r.json()["detail"]


def test_a_bios_session_enters_the_firmware_and_runs_the_program_at_0x400000(client):
    hello = ROOT / "examples" / "pseries_hello"
    kernel = _upload(client, (hello / "hello.elf").read_bytes(), "hello.elf")
    rom = _upload(client, (hello / "rom.bin").read_bytes(), "rom.bin", fmt="raw")
    r = _pseries(client, kernel, bios=rom, cmdline="from the api")
    assert r.status_code == 201, r.text
    s = r.json()
    assert s["config"]["bios"] == rom
    v = client.get(f"/v1/sessions/{s['id']}/vcpus/0", headers=ALICE).json()
    assert int(v["pc"], 16) == 0x100 and int(v["msr"], 16) == 0
    sid = s["id"]
    with client.websocket_connect(f"/v1/sessions/{sid}/events", headers=ALICE) as ws:
        r = client.post(f"/v1/sessions/{sid}/continue?wait=60", headers=ALICE)
        assert r.json()["last_stop"]["reason"] == "poweroff", r.text
        text = ""
        while (e := json.loads(ws.receive_text()))["type"] != "stop":
            text += e["text"] if e["type"] == "console" else ""
    assert "r3=0x3fe00000" in text and "bootargs: from the api\n" in text
    r = client.delete(f"/v1/images/{rom}", headers=ALICE)
    assert r.status_code == 409 and "is used by session" in r.json()["detail"]


def test_a_bios_must_be_a_raw_image_of_at_most_4_mib_for_a_pseries_session(client):
    kernel = _upload(client, assemble_elf(SMP_PROGRAM), "smp.elf")
    r = _pseries(client, kernel, bios=kernel)
    assert r.status_code == 422 and r.json()["field"] == "bios"
    assert "-bios takes a raw image" in r.json()["detail"]
    big = _upload(client, b"\x48\x00\x00\x00" * 0x100001, "big.bin", fmt="raw")
    r = _pseries(client, kernel, bios=big)
    assert r.status_code == 422 and r.json()["type"] == "/problems/invalid-session-config"
    assert "at most 4,194,304" in r.json()["detail"]
    r = client.post("/v1/sessions", headers=ALICE, json={"image_id": kernel, "bios": big})
    assert r.status_code == 422 and "for profile pseries" in r.text
    r = _pseries(client, kernel, bios="img-0000000000000000")
    assert r.status_code == 404


def test_bad_pseries_bodies_are_422_or_404(client):
    kernel = _upload(client, assemble_elf(SMP_PROGRAM), "smp.elf")
    raw = _upload(client, b"\x48\x00\x00\x00" * 64, "raw.bin", fmt="raw")
    r = client.post("/v1/sessions", headers=ALICE, json={"profile": "pseries"})
    assert r.status_code == 422 and "give kernel" in r.text
    r = client.post("/v1/sessions", headers=ALICE,
                    json={"profile": "pseries", "image_id": kernel, "kernel": kernel})  # fmt: skip
    assert r.status_code == 422 and "not image_id" in r.text
    r = client.post("/v1/sessions", headers=ALICE, json={"image_id": kernel, "kernel": kernel})
    assert r.status_code == 422 and "for profile pseries" in r.text
    r = _pseries(client, raw)
    assert r.status_code == 422 and r.json()["type"] == "/problems/invalid-image"
    assert "64-bit PowerPC ELF" in r.json()["detail"]
    r = _pseries(client, kernel, cmdline="x" * 2049)
    assert r.status_code == 422
    r = _pseries(client, "img-0000000000000000")
    assert r.status_code == 404
    r = client.post("/v1/sessions", headers=BOB, json={"profile": "pseries", "kernel": kernel})
    assert r.status_code == 404  # another owner's image


def test_a_pseries_session_and_its_snapshot_survive_a_restart(tmp_path):
    from tests.service.conftest import make_client

    kernel_elf = assemble_elf(SMP_PROGRAM)
    with make_client(tmp_path) as c:
        kernel = _upload(c, kernel_elf, "smp.elf")
        sid = _pseries(c, kernel, vcpus=2, cmdline="console=hvc0").json()["id"]
        c.post(f"/v1/sessions/{sid}/vcpus/0/step", headers=ALICE, json={"count": 7})
        snap = c.post(f"/v1/sessions/{sid}/snapshots", headers=ALICE, json={}).json()
    with make_client(tmp_path) as c:
        s = c.get(f"/v1/sessions/{sid}", headers=ALICE).json()
        assert s["recovered"] and s["config"]["kernel"] == kernel and s["time"] == 0
        r = c.post("/v1/sessions", headers=ALICE, json={"snapshot_id": snap["id"]})
        assert r.status_code == 201, r.text
        again = r.json()
        assert again["config"]["profile"] == "pseries" and again["time"] == snap["time"]
        r = c.post(f"/v1/sessions/{again['id']}/continue?wait=60", headers=ALICE)
        assert r.json()["last_stop"]["reason"] == "poweroff"
