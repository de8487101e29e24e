"""The store on both databases: rows come back byte for byte (SQLite and a real PostgreSQL),
a database written by the stdlib-sqlite3 store opens and keeps its tables, SQLite connections
are durable (WAL, synchronous=FULL), a database that cannot be used is a clear error, and
ppcdbg copy-database moves every row between the two."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import exc, select

from service.cli import main as cli_main
from service.launch import free_port
from service.store import TABLES, Store, StoreError, database_url
from tests.postgres import PostgresCluster

# The schema exactly as service/store.py created it before SQLAlchemy (stdlib sqlite3, up to
# commit 56c706f), and how it opened a database: what every existing database file holds.
OLD_SCHEMA = """
CREATE TABLE IF NOT EXISTS images (
    id TEXT PRIMARY KEY, owner TEXT NOT NULL, name TEXT NOT NULL, format TEXT NOT NULL,
    data BLOB NOT NULL, created_at TEXT NOT NULL, sources TEXT
);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, owner TEXT NOT NULL, image_id TEXT NOT NULL, config TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS snapshots (
    id TEXT PRIMARY KEY, owner TEXT NOT NULL, session_id TEXT NOT NULL, image_id TEXT NOT NULL,
    config TEXT NOT NULL, name TEXT, time INTEGER NOT NULL, state BLOB NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS images_owner ON images(owner);
CREATE INDEX IF NOT EXISTS snapshots_session ON snapshots(session_id);
"""

BLOB = bytes(range(256)) * 1024 + b"\x00"  # every byte value, a NUL at the end: 256 KiB
TIME = (1 << 40) + 7  # past 32 bits, as any snapshot of a booted kernel is


def _old_store(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.executescript(OLD_SCHEMA)
    return db


def _image(n: int, created: str = "2024-01-01T00:00:00Z") -> dict[str, object]:
    return {"id": f"img-{n}", "owner": "alice", "name": f"{n}.elf", "format": "raw",
            "data": BLOB[n:], "created_at": created, "sources": {"a.S": f"# {n}\n"}}  # fmt: skip


def test_rows_come_back_byte_for_byte_and_after_reopening(database: str) -> None:
    store = Store(database)
    try:
        # Inserted out of order: listings are by creation time, then id.
        store.add_image(_image(2, "2024-01-02T00:00:00Z"))
        store.add_image(_image(1, "2024-01-02T00:00:00Z"))
        store.add_image(_image(0, "2024-01-01T00:00:00Z"))
        store.add_session({"id": "ses-1", "owner": "alice", "image_id": "img-1",
                           "config": {"vcpus": 2, "step_flags": ["a"]},
                           "created_at": "2024-01-03T00:00:00Z"})  # fmt: skip
        store.add_snapshot({"id": "snp-1", "owner": "alice", "session_id": "ses-1",
                            "image_id": "img-1", "config": {"vcpus": 2}, "name": None,
                            "time": TIME, "state": BLOB,
                            "created_at": "2024-01-04T00:00:00Z"})  # fmt: skip
        store.delete_image("img-2")
    finally:
        store.close()
    again = Store(database)
    try:
        rows = again.images()
        assert [r["id"] for r in rows] == ["img-0", "img-1"]
        assert bytes(rows[1]["data"]) == BLOB[1:]
        assert rows[1]["sources"] == '{"a.S": "# 1\\n"}'
        (ses,) = again.sessions()
        assert dict(ses) == {"id": "ses-1", "owner": "alice", "image_id": "img-1",
                             "config": '{"vcpus": 2, "step_flags": ["a"]}',
                             "created_at": "2024-01-03T00:00:00Z"}  # fmt: skip
        (snap,) = again.snapshots()
        assert "state" not in snap and snap["time"] == TIME and snap["name"] is None
        assert again.snapshot_state("snp-1") == BLOB
        assert again.snapshot_state("snp-none") is None
        assert again.ping()
        again.delete_session("ses-1")
        assert list(again.sessions()) == []
    finally:
        again.close()


def test_a_duplicate_id_is_a_programming_error_not_a_storage_fault(database: str) -> None:
    store = Store(database)
    try:
        store.add_image(_image(0))
        with pytest.raises(exc.IntegrityError):
            store.add_image(_image(0))
        assert [r["id"] for r in store.images()] == ["img-0"]  # the failed insert left nothing
    finally:
        store.close()


def test_a_database_written_by_the_sqlite3_store_opens(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    old = _old_store(path)
    at = "2023-01-01T00:00:00Z"
    old.execute("INSERT INTO images VALUES (?,?,?,?,?,?,?)",
                ("img-old", "alice", "old.elf", "elf", BLOB, at, "{}"))  # fmt: skip
    old.execute("INSERT INTO sessions VALUES (?,?,?,?,?)",
                ("ses-old", "alice", "img-old", '{"vcpus": 1}', at))  # fmt: skip
    old.execute("INSERT INTO snapshots VALUES (?,?,?,?,?,?,?,?,?)",
                ("snp-old", "alice", "ses-old", "img-old", '{"vcpus": 1}', "boot", TIME, BLOB,
                 at))  # fmt: skip
    old.close()

    store = Store(str(path))
    try:
        (img,) = store.images()
        assert (img["id"], bytes(img["data"])) == ("img-old", BLOB)
        assert [r["id"] for r in store.sessions()] == ["ses-old"]
        (snap,) = store.snapshots()
        assert (snap["name"], snap["time"]) == ("boot", TIME)
        assert store.snapshot_state("snp-old") == BLOB
        store.add_image(_image(1, "2024-01-01T00:00:00Z"))
    finally:
        store.close()
    # ... and stays a database the old store reads: the new row in the old tables, still WAL.
    old = sqlite3.connect(path)
    assert old.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert old.execute("SELECT id, data FROM images ORDER BY created_at").fetchall() == [
        ("img-old", BLOB), ("img-1", BLOB[1:])]  # fmt: skip
    old.close()


def _layout(path: Path) -> dict[str, object]:
    db = sqlite3.connect(path)
    out: dict[str, object] = {}
    for table in ("images", "sessions", "snapshots"):
        # name, declared type, NOT NULL, primary key (the id's NOT NULL is new: SQLite allowed
        # a NULL primary key, which the store never wrote)
        out[table] = [(name, typ, bool(notnull) or bool(pk), pk) for _, name, typ, notnull, _, pk
                      in db.execute(f"PRAGMA table_info({table})")]  # fmt: skip
        out[table + " indexes"] = sorted(
            (r[1], r[2]) for r in db.execute(f"PRAGMA index_list({table})"))  # fmt: skip
    db.close()
    return out


def test_a_new_sqlite_database_has_the_sqlite3_stores_tables(tmp_path: Path) -> None:
    _old_store(tmp_path / "old.sqlite3").close()
    Store(str(tmp_path / "new.sqlite3")).close()
    assert _layout(tmp_path / "new.sqlite3") == _layout(tmp_path / "old.sqlite3")


def test_sqlite_connections_are_wal_and_synchronous_full(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "db.sqlite3"))
    try:
        # The store's own connection (the pragmas are per connection): 2 is FULL.
        with store._engine.connect() as conn:  # noqa: SLF001
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2
    finally:
        store.close()


def test_a_path_is_sqlite_and_a_url_names_its_database() -> None:
    assert database_url("/var/lib/ppcdbg/db.sqlite3").render_as_string() == (
        "sqlite:////var/lib/ppcdbg/db.sqlite3")  # fmt: skip
    assert database_url("rel/db").database == "rel/db"
    assert database_url("sqlite:///x.db").get_backend_name() == "sqlite"
    pg = database_url("postgresql://u:pw@db.example:5433/ppcdbg")
    assert (pg.drivername, pg.host, pg.port, pg.database) == (
        "postgresql+psycopg", "db.example", 5433, "ppcdbg")  # fmt: skip
    with pytest.raises(ValueError, match="ppcdbg stores in SQLite .* or PostgreSQL"):
        database_url("mysql://u:secret@h/db")
    with pytest.raises(ValueError, match="neither a path nor a database URL"):
        database_url("::://")


def test_an_unreachable_postgres_is_a_503_fault_naming_it_without_its_password() -> None:
    port = free_port()  # nothing listens there
    with pytest.raises(StoreError) as e:
        Store(f"postgresql+psycopg://ppcdbg:hunter2@127.0.0.1:{port}/ppcdbg")
    message = str(e.value)
    assert not e.value.full
    assert message.startswith(f"database postgresql+psycopg://ppcdbg:***@127.0.0.1:{port}/"
                              "ppcdbg: the database server cannot be reached: ")  # fmt: skip
    assert "Connection refused" in message and "hunter2" not in message
    assert "\n" not in message


def _everything(database: str) -> dict[str, list[dict[str, object]]]:
    store = Store(database)
    try:
        out: dict[str, list[dict[str, object]]] = {}
        for table in TABLES:
            rows = store._rows(select(table).order_by(table.c.id))  # noqa: SLF001
            out[table.name] = [{k: bytes(v) if isinstance(v, memoryview) else v
                                for k, v in r.items()} for r in rows]  # fmt: skip
        return out
    finally:
        store.close()


def test_copy_database_moves_every_row_to_postgresql_and_back(
    tmp_path: Path, postgres: PostgresCluster, capsys: pytest.CaptureFixture[str]
) -> None:
    source = str(tmp_path / "source.sqlite3")
    store = Store(source)
    for n in range(40):  # more than one streamed batch
        store.add_image(_image(n, f"2024-01-01T00:00:{n:02}Z"))
    store.add_session({"id": "ses-1", "owner": "bob", "image_id": "img-3", "config": {},
                       "created_at": "2024-01-02T00:00:00Z"})  # fmt: skip
    store.add_snapshot({"id": "snp-1", "owner": "bob", "session_id": "ses-1",
                        "image_id": "img-3", "config": {}, "name": "x", "time": TIME,
                        "state": BLOB, "created_at": "2024-01-03T00:00:00Z"})  # fmt: skip
    store.close()
    pg = postgres.create_database()
    assert cli_main(["copy-database", source, pg]) == 0
    out = capsys.readouterr().out
    assert out.startswith("copied 40 images, 1 sessions, 1 snapshots from ") and "\n" == out[-1]
    assert _everything(pg) == _everything(source)
    back = str(tmp_path / "back.sqlite3")
    assert cli_main(["copy-database", pg, back]) == 0
    assert _everything(back) == _everything(source)

    # Into a database that holds rows: refused, and nothing is added to it.
    assert cli_main(["copy-database", source, pg]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("ppcdbg copy-database: database ") and "is not empty (40 images" in err
    assert len(_everything(pg)["images"]) == 40
    missing = str(tmp_path / "typo.sqlite3")
    assert cli_main(["copy-database", missing, str(tmp_path / "x.sqlite3")]) == 2
    assert (
        capsys.readouterr().err.strip() == f"ppcdbg copy-database: database {missing}: no such file"
    )
    assert not Path(missing).exists()
