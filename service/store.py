"""SQLite persistence for images, session definitions and snapshots (stdlib ``sqlite3``).

WAL with ``synchronous=FULL``: a commit is on disk (fsync'd) before the request that made
it is answered, so a SIGKILL loses nothing acknowledged. One connection, serialised by a
lock; callers on the event loop run these methods in a thread (``asyncio.to_thread``).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS images (
    id TEXT PRIMARY KEY, owner TEXT NOT NULL, name TEXT NOT NULL, format TEXT NOT NULL,
    data BLOB NOT NULL, created_at TEXT NOT NULL
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


class Store:
    def __init__(self, path: str) -> None:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)

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
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(sql, args)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _rows(self, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return list(self._db.execute(sql, args).fetchall())

    # -- images -------------------------------------------------------------------
    def add_image(self, row: dict[str, Any]) -> None:
        self._write(
            "INSERT INTO images (id, owner, name, format, data, created_at) VALUES (?,?,?,?,?,?)",
            (row["id"], row["owner"], row["name"], row["format"], row["data"], row["created_at"]),
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
