"""SQLite persistence for images, session definitions and snapshots (stdlib ``sqlite3``).

WAL with ``synchronous=FULL``: a commit is on disk (fsync'd) before the request that made
it is answered, so a SIGKILL loses nothing acknowledged. One connection, serialised by a
lock; callers on the event loop run these methods in a thread (``asyncio.to_thread``).
"""

from __future__ import annotations

import errno
import json
import os
import resource
import sqlite3
import threading
from pathlib import Path
from typing import Any

SCHEMA = """
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


# What the host says when it has no room: a full disk, a quota, a file-size limit (EFBIG).
FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT})


class StoreError(Exception):
    """The database could not do what was asked: an environment fault, never the client's.
    ``full`` says the host is out of room (507 Insufficient Storage); anything else (a
    read-only or vanished file, an I/O error, a corrupt page) is 503."""

    def __init__(self, message: str, *, full: bool = False) -> None:
        super().__init__(message)
        self.full = full


def _out_of_room(path: str) -> bool:
    """SQLite reports a write that failed with ENOSPC or EFBIG as a plain I/O error (the errno
    is not exposed to Python), so look at the host: no free blocks on the database's file
    system, or a file-size limit (RLIMIT_FSIZE) that the database or its WAL has reached."""
    if path == ":memory:":
        return False
    try:
        st = os.statvfs(Path(path).parent)
        if st.f_bavail * st.f_frsize < (1 << 20):
            return True
        soft, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
        if soft == resource.RLIM_INFINITY:
            return False
        sizes = [os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p)]
        return any(size + (64 << 10) >= soft for size in sizes) or soft < (1 << 20)
    except OSError:
        return False


def _fault(path: str, e: BaseException) -> StoreError:
    if isinstance(e, OSError):
        full = e.errno in FULL_ERRNOS
    else:
        code = getattr(e, "sqlite_errorname", "")
        full = code == "SQLITE_FULL" or (code.startswith("SQLITE_IOERR") and _out_of_room(path))
    return StoreError(f"database {path}: {e}", full=full)


def _migrate(db: sqlite3.Connection) -> None:
    """Columns added since the first schema, for databases made before them."""
    have = {r[1] for r in db.execute("PRAGMA table_info(images)")}
    if "sources" not in have:
        db.execute("ALTER TABLE images ADD COLUMN sources TEXT")


class Store:
    def __init__(self, path: str) -> None:
        """Open (or create) the database and check it, so that a truncated, corrupt or
        unwritable file is one StoreError naming it here, not a traceback later."""
        self.path = path
        self._lock = threading.Lock()
        try:
            if path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        except (sqlite3.Error, OSError) as e:
            raise _fault(path, e) from None
        try:
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(SCHEMA)
            _migrate(self._db)
            (verdict,) = self._db.execute("PRAGMA quick_check").fetchone()
            if verdict != "ok":
                raise sqlite3.DatabaseError(f"integrity check failed: {verdict}")
        except (sqlite3.Error, OSError) as e:
            self._db.close()
            raise _fault(path, e) from None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def ping(self) -> bool:
        try:
            with self._lock:
                self._db.execute("SELECT 1").fetchone()
            return True
        except sqlite3.Error:
            return False

    def _write(self, sql: str, args: tuple[Any, ...]) -> None:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    self._db.execute(sql, args)
                    self._db.execute("COMMIT")
                except BaseException:
                    if self._db.in_transaction:
                        self._db.execute("ROLLBACK")
                    raise
            except sqlite3.IntegrityError:
                raise  # a programming error (a duplicate id), not the environment's
            except (sqlite3.DatabaseError, OSError) as e:
                raise _fault(self.path, e) from None

    def _rows(self, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return list(self._db.execute(sql, args).fetchall())
            except (sqlite3.DatabaseError, OSError) as e:
                raise _fault(self.path, e) from None

    # -- images -------------------------------------------------------------------
    def add_image(self, row: dict[str, Any]) -> None:
        self._write(
            "INSERT INTO images (id, owner, name, format, data, created_at, sources) "
            "VALUES (?,?,?,?,?,?,?)",
            (
                row["id"],
                row["owner"],
                row["name"],
                row["format"],
                row["data"],
                row["created_at"],
                json.dumps(row.get("sources") or {}),
            ),  # fmt: skip
        )

    def images(self) -> list[sqlite3.Row]:
        return self._rows("SELECT * FROM images ORDER BY created_at, id")

    def delete_image(self, image_id: str) -> None:
        self._write("DELETE FROM images WHERE id = ?", (image_id,))

    # -- sessions -------------------------------------------------------------------
    def add_session(self, row: dict[str, Any]) -> None:
        self._write(
            "INSERT INTO sessions (id, owner, image_id, config, created_at) VALUES (?,?,?,?,?)",
            (row["id"], row["owner"], row["image_id"], json.dumps(row["config"]),
             row["created_at"]),
        )  # fmt: skip

    def sessions(self) -> list[sqlite3.Row]:
        return self._rows("SELECT * FROM sessions ORDER BY created_at, id")

    def delete_session(self, session_id: str) -> None:
        self._write("DELETE FROM sessions WHERE id = ?", (session_id,))

    # -- snapshots --------------------------------------------------------------------
    def add_snapshot(self, row: dict[str, Any]) -> None:
        self._write(
            "INSERT INTO snapshots (id, owner, session_id, image_id, config, name, time, state, "
            "created_at) VALUES (?,?,?,?,?,?,?,?,?)",
            (row["id"], row["owner"], row["session_id"], row["image_id"],
             json.dumps(row["config"]), row["name"], row["time"], row["state"],
             row["created_at"]),
        )  # fmt: skip

    def snapshots(self) -> list[sqlite3.Row]:
        """Snapshot metadata (no state blobs)."""
        return self._rows(
            "SELECT id, owner, session_id, image_id, config, name, time, created_at "
            "FROM snapshots ORDER BY created_at, id"
        )

    def snapshot_state(self, snapshot_id: str) -> bytes | None:
        rows = self._rows("SELECT state FROM snapshots WHERE id = ?", (snapshot_id,))
        return bytes(rows[0]["state"]) if rows else None
