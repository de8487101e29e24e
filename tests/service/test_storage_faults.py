"""Environment faults are problems, not 500s: a write that meets a file-size limit (EFBIG,
what a full disk looks like to the server) is a 507 that keeps nothing, the server goes on
serving, and a database that cannot be opened stops start-up with one line naming it. A
PostgreSQL server that goes away is a 503 until it is back, then the server serves again."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from service.launch import ROOT, ServerProcess, free_port
from tests.conftest import require_tool
from tests.postgres import PostgresCluster, bin_path
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


def _serve(db: Path | str) -> subprocess.CompletedProcess[str]:
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


def test_an_unusable_database_url_stops_start_up_with_one_line() -> None:
    port = free_port()  # nothing listens there
    url = f"postgresql+psycopg://ppcdbg:hunter2@127.0.0.1:{port}/ppcdbg"
    run = _serve(url)
    assert run.returncode == 1
    (line,) = run.stderr.strip().splitlines()
    assert line.startswith(f"ppcdbg serve: database postgresql+psycopg://ppcdbg:***@127.0.0.1:"
                           f"{port}/ppcdbg: the database server cannot be reached")  # fmt: skip
    assert "hunter2" not in line
    run = _serve("mysql://u@h/db")
    assert run.returncode == 2
    (line,) = run.stderr.strip().splitlines()
    assert line.startswith("ppcdbg serve: database mysql://u@h/db: ppcdbg stores in SQLite")


@pytest.fixture
def own_postgres() -> Iterator[PostgresCluster]:
    """A PostgreSQL server of the test's own, which it may stop and start."""
    cluster = PostgresCluster(
        require_tool("initdb", bin_path()), require_tool("pg_ctl", bin_path())
    )
    try:
        cluster.init().start()
        yield cluster
        cluster.stop("immediate")
    finally:
        cluster.remove()


def test_postgres_going_away_is_503_until_it_is_back(
    tmp_path: Path, own_postgres: PostgresCluster
) -> None:
    log = tmp_path / "server.log"
    url = own_postgres.create_database()
    with ServerProcess(url, TOKENS, log=str(log)) as server, \
            httpx.Client(base_url=server.url, headers=H, timeout=30) as c:  # fmt: skip
        assert c.post("/v1/images", files={"file": ("a.elf", SMP.read_bytes())}).status_code == 201
        own_postgres.stop()
        r = c.post("/v1/images", files={"file": ("b.elf", SMP.read_bytes())})
        assert r.status_code == 503, r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["type"] == "/problems/storage-unavailable"
        assert c.get("/readyz").status_code == 503
        # What the server holds in memory is still served.
        assert [i["name"] for i in c.get("/v1/images").json()["data"]] == ["a.elf"]
        own_postgres.start()
        # The pool's connections died with the server: each is replaced at checkout.
        assert c.get("/readyz").status_code == 200
        r = c.post("/v1/images", files={"file": ("c.elf", SMP.read_bytes())})
        assert r.status_code == 201, r.text
        # A crash of the database server between two requests (no failed request in between
        # to tell the pool): the next write still lands, on a fresh connection; and what was
        # acknowledged before the crash is there (it was committed, so on disk).
        own_postgres.stop("immediate")
        own_postgres.start()
        r = c.post("/v1/images", files={"file": ("d.elf", SMP.read_bytes())})
        assert r.status_code == 201, r.text
    with ServerProcess(url, TOKENS, log=str(log)) as server, \
            httpx.Client(base_url=server.url, headers=H, timeout=30) as c:  # fmt: skip
        assert [i["name"] for i in c.get("/v1/images").json()["data"]] == [
            "a.elf",
            "c.elf",
            "d.elf",
        ]
    text = log.read_text()
    assert "Traceback" not in text and "storage fault" in text and "cannot be reached" in text


@pytest.fixture
def small_postgres(own_postgres: PostgresCluster) -> Iterator[str]:
    """A database whose tables live on a 2 MiB file system of their own (a tmpfs tablespace,
    the database's default): a full disk, as PostgreSQL meets it (SQLSTATE 53100)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root")
    small = own_postgres.dir / "small"
    small.mkdir()
    uid, gid = own_postgres.owner
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size=2m,uid={uid},gid={gid},mode=0700",
                    "tmpfs", str(small)], check=True, timeout=30)  # fmt: skip
    try:
        url = own_postgres.create_database()
        name = make_url(url).database
        own_postgres.sql(f"CREATE TABLESPACE small LOCATION '{small}'")
        own_postgres.sql(f'ALTER DATABASE "{name}" SET default_tablespace = small')
        yield url
    finally:
        # Lazily: the server still holds the tablespace's files open until it stops.
        subprocess.run(["umount", "-l", str(small)], timeout=30)


def test_a_full_postgres_disk_is_507_and_keeps_nothing(tmp_path: Path, small_postgres: str) -> None:
    log = tmp_path / "server.log"
    with ServerProcess(small_postgres, TOKENS, log=str(log)) as server, \
            httpx.Client(base_url=server.url, headers=H, timeout=30) as c:  # fmt: skip
        assert c.post("/v1/images", files={"file": ("a.elf", SMP.read_bytes())}).status_code == 201
        big = os.urandom(3 << 20)  # incompressible: TOAST cannot shrink it under 2 MiB
        r = c.post("/v1/images", files={"file": ("big.bin", big)}, data={"format": "raw"})
        assert r.status_code == 507, r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["type"] == "/problems/insufficient-storage"
        assert c.get("/readyz").status_code == 200  # the server is there, only full
        assert [i["name"] for i in c.get("/v1/images").json()["data"]] == ["a.elf"]
    with ServerProcess(small_postgres, TOKENS, log=str(log)) as server, \
            httpx.Client(base_url=server.url, headers=H, timeout=30) as c:  # fmt: skip
        assert [i["name"] for i in c.get("/v1/images").json()["data"]] == ["a.elf"]
    text = log.read_text()
    assert "Traceback" not in text and "storage fault" in text and "No space left" in text
    assert "cannot be reached" not in text
