"""Generated code compiled once per machine, not once per run.

Blocks and regions (engine/blocks.py) and specialised instructions
(engine/isa/specialize.py) are Python source generated at run time and
compiled with ``compile``; a process keeps what it compiled by source text,
but every new process (a ``ppcdbg boot``, a session's worker) compiled the
same kernel's blocks again: about 7% of a boot's host time. This cache keeps
the compiled code objects (``marshal``) in one SQLite file, keyed by a hash
of the bytecode format, the code's label and its source text, as CPython
keeps a module's bytecode in ``__pycache__``.

It is exact by construction: ``compile`` is a pure function of (source,
label, bytecode format), so a code object found under that key is the one
compiling would make. The guest sees nothing of it; only host time changes.

Where: ``PPCDBG_CODE_CACHE`` names the file, or ``off`` disables it; by
default ``$XDG_CACHE_HOME/ppcdbg/code-<implementation>.sqlite`` (``~/.cache``
without XDG). Any failure to open, read or write the file (read-only home,
a locked or corrupt file) turns the cache off for the process and compiling
goes on as before: it is an optimisation, never a requirement. A file grown
past ``LIMIT`` starts over when it is next opened. New entries
are written in batches, at most one transaction per ``BATCH`` codes and at
exit; losing a batch (a killed worker) loses only time.
"""

from __future__ import annotations

import atexit
import hashlib
import importlib.util
import marshal
import os
import sqlite3
import sys
from pathlib import Path
from types import CodeType

BATCH = 256  # new code objects per write transaction
# A file past this size starts over when opened (one stock kernel boot writes about 48 MB):
# a cache of every kernel ever booted is not worth a disk.
LIMIT = 1 << 30
# Bytecode and marshal formats change between interpreter versions: part of every key.
_FORMAT = importlib.util.MAGIC_NUMBER + sys.implementation.cache_tag.encode()


def default_path() -> Path | None:
    """Where the cache lives (``PPCDBG_CODE_CACHE``), None when it is off."""
    where = os.environ.get("PPCDBG_CODE_CACHE")
    if where is not None:
        return None if where.lower() in ("", "0", "off", "no") else Path(where)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ppcdbg" / f"code-{sys.implementation.cache_tag}.sqlite"


class CodeCache:
    """Code objects by (label, source) in a file, across processes (each process keeps what
    it made itself: engine/blocks.py's makers by text, the specialiser's variants)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.loaded = 0  # code objects read from the file
        self.compiled = 0  # code objects compiled here (and queued for the file)
        self.error: str | None = None  # why the file was given up, if it was
        self._unopened()

    def _unopened(self) -> None:
        """This process has not opened the file yet (a new cache, or a forked worker's)."""
        self._pid = os.getpid()
        self._db: sqlite3.Connection | None = None
        self._opened = self.path is None  # nothing to open when off
        self._pending: list[tuple[bytes, bytes]] = []

    def compile(self, source: str, label: str) -> CodeType:
        """``compile(source, label, "exec")``, from the file when it has it."""
        if self._pid != os.getpid():
            self._forked()
        db = self._db if self._opened else self._open()
        key = None  # hashed only when there is a file to look in
        if db is not None:
            text = b"%b\0%b\0%b" % (_FORMAT, label.encode(), source.encode())
            key = hashlib.sha256(text).digest()
            try:
                row = db.execute("SELECT code FROM code WHERE key = ?", (key,)).fetchone()
            except sqlite3.Error as e:
                row = None
                self._give_up(e)
            if row is not None:
                try:
                    code = marshal.loads(row[0])
                except (EOFError, ValueError, TypeError):
                    code = None  # a damaged entry: compiled again and not rewritten
                if isinstance(code, CodeType) and code.co_filename == label:
                    self.loaded += 1
                    return code
        code = compile(source, label, "exec")
        self.compiled += 1
        if key is not None and self._db is not None:  # not given up by the read
            self._pending.append((key, marshal.dumps(code)))
            if len(self._pending) >= BATCH:
                self.flush()
        return code

    def flush(self) -> None:
        """Write the queued code objects (a lost race with another process loses nothing)."""
        db, pending = self._db, self._pending
        if db is None or not pending or self._pid != os.getpid():
            return
        self._pending = []
        try:
            with db:
                db.executemany("INSERT OR IGNORE INTO code (key, code) VALUES (?, ?)", pending)
        except sqlite3.Error as e:
            self._give_up(e)

    def _open(self) -> sqlite3.Connection | None:
        self._opened = True
        assert self.path is not None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Another process writing: wait a little, then carry on without the file.
            db = sqlite3.connect(self.path, timeout=2.0, isolation_level=None,
                                 check_same_thread=False)  # fmt: skip
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=OFF")  # a torn batch costs only recompiling
            db.execute("CREATE TABLE IF NOT EXISTS code (key BLOB PRIMARY KEY, code BLOB)")
            if self.path.stat().st_size > LIMIT:
                db.execute("DELETE FROM code")
                db.execute("VACUUM")
        except (OSError, sqlite3.Error) as e:
            self._give_up(e)
            return None
        self._db = db
        return db

    def _forked(self) -> None:
        # SQLite connections must not cross fork(): a forked worker opens its own, and the
        # parent's (kept referenced, never closed here) and its queue stay the parent's.
        if self._db is not None:
            _INHERITED.append(self._db)
        self._unopened()

    def _give_up(self, e: Exception) -> None:
        self.error = f"{self.path}: {e}"
        self._pending = []
        db, self._db = self._db, None
        if db is not None:
            try:
                db.close()
            except sqlite3.Error:
                pass


_INHERITED: list[sqlite3.Connection] = []
CACHE = CodeCache(default_path())
atexit.register(CACHE.flush)


def compile_code(source: str, label: str) -> CodeType:
    """The process-wide cache's ``compile`` (the file ``default_path`` names)."""
    return CACHE.compile(source, label)
