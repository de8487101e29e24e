from __future__ import annotations

import base64
import shutil

import pytest

from tests.conftest import require_tool
from tests.service.conftest import ALICE, BOB, SMP, upload


def test_multipart_upload_gives_entry_symbols_segments(client):
    r = client.post(
        "/v1/images",
        headers=ALICE,
        files={"file": ("smp.elf", SMP.read_bytes())},
        data={"name": "demo"},
    )
    assert r.status_code == 201
    body = r.json()
    assert body["name"] == "demo"
    assert body["format"] == "elf"
    assert body["entry"] == "0x0000000000001000"
    assert body["symbols"]["done"].startswith("0x")
    assert body["segments"] and body["links"]["self"] == f"/v1/images/{body['id']}"


def test_base64_json_upload(client):
    data = base64.b64encode(SMP.read_bytes()).decode()
    r = client.post("/v1/images", headers=ALICE, json={"name": "x", "data_base64": data})
    assert r.status_code == 201
    assert r.json()["format"] == "elf"


def test_raw_upload_starts_at_0x10(client):
    r = client.post(
        "/v1/images",
        headers=ALICE,
        json={"format": "raw", "data_base64": base64.b64encode(b"\0" * 64).decode()},
    )
    assert r.status_code == 201
    assert r.json()["entry"] == "0x0000000000000010"


def test_malformed_elf_is_422_invalid_image(client):
    r = client.post("/v1/images", headers=ALICE, files={"file": ("x.elf", b"\x7fELF\x01junk")})
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"] == "/problems/invalid-image"


def test_bad_base64_is_422(client):
    r = client.post("/v1/images", headers=ALICE, json={"data_base64": "not base64!"})
    assert r.status_code == 422
    assert r.json()["field"] == "data_base64"


def test_both_data_and_source_is_422(client):
    r = client.post("/v1/images", headers=ALICE, json={"data_base64": "AA==", "source": "nop"})
    assert r.status_code == 422
    assert r.json()["type"] == "/problems/validation-error"


def test_unsupported_media_type_is_415(client):
    r = client.post("/v1/images", headers={**ALICE, "content-type": "text/plain"}, content=b"x")
    assert r.status_code == 415


@pytest.mark.binutils
def test_assembly_source_gives_symbols(client):
    require_tool("powerpc64-linux-gnu-as")
    src = ".globl _start\n_start:\n    li 3, 7\n    .globl done\ndone:\n    b done\n"
    r = client.post("/v1/images", headers=ALICE, json={"name": "asm", "source": src})
    assert r.status_code == 201
    assert r.json()["symbols"]["done"] == "0x0000000000000004"


@pytest.mark.binutils
def test_assembly_error_is_422_with_message(client):
    require_tool("powerpc64-linux-gnu-as")
    r = client.post("/v1/images", headers=ALICE, json={"source": "    frobnicate 1, 2\n"})
    assert r.status_code == 422
    assert r.json()["type"] == "/problems/assembly-failed"
    assert "frobnicate" in r.json()["detail"]


def test_assembly_may_not_include_host_files(client):
    r = client.post("/v1/images", headers=ALICE, json={"source": '.incbin "/etc/passwd"\n'})
    assert r.status_code == 422
    assert r.json()["type"] in ("/problems/assembly-failed", "/problems/assembler-unavailable")
    if shutil.which("powerpc64-linux-gnu-as"):
        assert r.json()["type"] == "/problems/assembly-failed"


def test_get_list_delete(client, image):
    r = client.get(f"/v1/images/{image['id']}", headers=ALICE)
    assert r.status_code == 200
    assert r.json()["sha256"] == image["sha256"]
    r = client.get("/v1/images", headers=ALICE)
    assert r.status_code == 200
    assert r.json()["count"] == 1
    r = client.delete(f"/v1/images/{image['id']}", headers=ALICE)
    assert r.status_code == 204
    r = client.get(f"/v1/images/{image['id']}", headers=ALICE)
    assert r.status_code == 404


def test_image_in_use_cannot_be_deleted(client, image, session):
    r = client.delete(f"/v1/images/{image['id']}", headers=ALICE)
    assert r.status_code == 409


def test_another_owners_image_is_404(client, image):
    r = client.get(f"/v1/images/{image['id']}", headers=BOB)
    assert r.status_code == 404
    r = client.get("/v1/images", headers=BOB)
    assert r.status_code == 200
    assert r.json()["count"] == 0


def test_image_quota_is_429(tmp_path):
    from tests.service.conftest import make_client

    with make_client(tmp_path, max_images_per_owner=1) as c:
        upload(c)
        r = c.post("/v1/images", headers=ALICE, files={"file": ("smp.elf", SMP.read_bytes())})
        assert r.status_code == 429
        assert r.json()["type"] == "/problems/quota-exceeded"


def test_a_number_is_not_a_name(client):
    r = client.post(
        "/v1/images",
        headers=ALICE,
        json={"name": 7, "data_base64": base64.b64encode(b"\0" * 16).decode()},
    )
    assert r.status_code == 422
    assert r.json()["field"] == "name"


def _elf(entry: int, phdrs: list[tuple[int, int, int, int, int]]) -> bytes:
    from tests.engine.test_loader import make_elf

    return make_elf(entry=entry, phdrs=phdrs)


@pytest.mark.parametrize("data, why", [
    (_elf(1 << 63, [(1, 120, 1 << 63, 8, 8)]), "outside RAM"),
    (_elf(0xFFFF_FFFF_FFFF_F000, [(1, 120, 0xFFFF_FFFF_FFFF_F000, 8, 0x2000)]), "wraps past"),
    (_elf(0x1000, [(1, 176, 0x1000, 8, 8), (1, 176, 0x1004, 8, 8)]), "overlap"),
    (_elf(0xFFFF_FFFF_FFFF_FFFF, [(1, 120, 0x1000, 8, 8)]), "entry 0xffffffffffffffff"),
    (b"just a text file here.\n\n", "the file is text"),
], ids=["segment-at-2^63", "wraps", "overlap", "entry-all-ones", "text"])  # fmt: skip
def test_an_image_no_session_could_run_is_refused_at_upload(client, data, why):
    r = client.post("/v1/images", headers=ALICE, files={"file": ("x", data)})
    assert r.status_code == 422, r.text
    assert r.json()["type"] == "/problems/invalid-image"
    assert why in r.json()["detail"]
    assert client.get("/v1/images", headers=ALICE).json()["count"] == 0


def test_text_uploads_as_raw_when_asked(client):
    r = client.post("/v1/images", headers=ALICE, data={"format": "raw"},
                    files={"file": ("x", b"just a text file here.\n\n")})  # fmt: skip
    assert r.status_code == 201 and r.json()["format"] == "raw"


@pytest.mark.binutils
def test_assembled_source_has_a_source_view(client):
    require_tool("powerpc64-linux-gnu-as")
    src = ".globl _start\n_start:\n    li 3, 1\nloop:\n    addi 3, 3, 1\n    b loop\n"
    img = client.post("/v1/images", headers=ALICE, json={"source": src}).json()
    assert img["source"] == ["prog.S"] and img["lines"] == 3
    r = client.get(f"/v1/images/{img['id']}/source", headers=ALICE)
    assert r.status_code == 200
    body = r.json()
    assert body["files"] == {"prog.S": src}
    start = int(img["symbols"]["_start"], 16)
    assert [(int(x["address"], 16) - start, x["file"], x["line"]) for x in body["lines"]] == [
        (0, "prog.S", 3), (4, "prog.S", 5), (8, "prog.S", 6)]  # fmt: skip


def test_source_files_travel_with_an_uploaded_image(client):
    files = [("file", ("smp.elf", SMP.read_bytes())),
             ("source", ("smp_spinlock.S", b"# the source\n")),
             ("source", ("extra.inc", b"# more\n"))]  # fmt: skip
    img = client.post("/v1/images", headers=ALICE, files=files).json()
    assert img["source"] == ["extra.inc", "smp_spinlock.S"]
    body = client.get(f"/v1/images/{img['id']}/source", headers=ALICE).json()
    assert body["files"]["smp_spinlock.S"] == "# the source\n"


def test_a_source_file_that_is_not_utf8_is_read_as_latin1(client):
    files = [("file", ("smp.elf", SMP.read_bytes())),
             ("source", ("old.S", "# M\u00fcller's loop\n".encode("latin-1")))]  # fmt: skip
    img = client.post("/v1/images", headers=ALICE, files=files)
    assert img.status_code == 201
    body = client.get(f"/v1/images/{img.json()['id']}/source", headers=ALICE).json()
    assert body["files"]["old.S"] == "# M\u00fcller's loop\n"


def test_an_image_without_source_says_so(client, image):
    r = client.get(f"/v1/images/{image['id']}/source", headers=ALICE)
    assert r.status_code == 404 and "no source" in r.json()["detail"]
