"""Environment faults are problems, not 500s: a write that meets a file-size limit (EFBIG,
what a full disk looks like to the server) is a 507 that keeps nothing, the server goes on
serving, and a database that cannot be opened stops start-up with one line naming it."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import httpx

from service.launch import ROOT, ServerProcess
from tests.service.conftest import SMP, TOKENS

H = {"Authorization": "Bearer tok-alice"}


def test_a_write_past_the_file_size_limit_is_507_and_keeps_nothing(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    log = tmp_path / "server.log"
    with ServerProcess(str(db), TOKENS, log=str(log)) as server, \
            httpx.Client(base_url=server.url, headers=H, timeout=30) as c:  # fmt: skip
        kept = c.post("/v1/images", files={"file": ("smp.elf", SMP.read_bytes())})
        assert kept.status_code == 201
        assert server.proc is not None
        # CPython ignores SIGXFSZ, so writes past RLIMIT_FSIZE fail with EFBIG.
        _, hard = resource.prlimit(server.proc.pid, resource.RLIMIT_FSIZE)
        resource.prlimit(server.proc.pid, resource.RLIMIT_FSIZE, (64 << 10, hard))
        big = os.urandom(1 << 20)  # > 64 KiB of WAL, and spooled to a temporary file
        for files in ({"file": ("big.bin", big)}, {"file": ("small.bin", big[: 200 << 10])}):
            r = c.post("/v1/images", files=files, data={"format": "raw"})
            assert r.status_code == 507, r.text
            assert r.headers["content-type"] == "application/problem+json"
            assert r.json()["type"] == "/problems/insufficient-storage"
        resource.prlimit(server.proc.pid, resource.RLIMIT_FSIZE, (hard, hard))
        names = [i["name"] for i in c.get("/v1/images").json()["data"]]
        assert names == ["smp.elf"]
        assert c.post("/v1/images", files={"file": ("again.elf", SMP.read_bytes())}
                      ).status_code == 201  # fmt: skip
    text = log.read_text()
    assert "Traceback" not in text and "storage fault" in text


def _serve(db: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PPCDBG_")}
    return subprocess.run(
        [sys.executable, "-m", "service.cli", "serve", "--port", "0", "--database", str(db),
         "--token", "a:b"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_a_corrupt_or_truncated_database_stops_start_up_with_one_line(tmp_path: Path) -> None:
    good = tmp_path / "good.sqlite3"
    with ServerProcess(str(good), TOKENS) as server, \
            httpx.Client(base_url=server.url, headers=H, timeout=30) as c:  # fmt: skip
        for n in range(3):
            c.post("/v1/images", files={"file": (f"{n}.elf", SMP.read_bytes())})
    truncated = tmp_path / "truncated.sqlite3"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"not a database, really" * 100)
    for db, why in ((truncated, "malformed"), (garbage, "not a database")):
        run = _serve(db)
        assert run.returncode == 1
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1, run.stderr
        assert lines[0].startswith(f"ppcdbg serve: database {db}:") and why in lines[0]
