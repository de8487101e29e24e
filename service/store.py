"""Persistence for images, session definitions and snapshots: SQLAlchemy 2 Core, one code path
for SQLite (the embedded default) and PostgreSQL (chosen by a database URL).

The database is named by ``Settings.database``: a plain path is a SQLite file (as every
version of ppcdbg has written it), ``sqlite:///...`` the same, ``postgresql+psycopg://...`` (or
``postgresql://...``, which means the same driver) a PostgreSQL database. Durability is the
same on both: a commit is on disk before the request that made it is answered, so a SIGKILL
loses nothing acknowledged. SQLite gets it from WAL with ``synchronous=FULL`` (set on every
connection by a connect event); PostgreSQL from its defaults (``fsync`` and
``synchronous_commit`` on). Callers on the event loop run these methods in a thread
(``asyncio.to_thread``).
"""

from __future__ import annotations

import errno
import json
import os
import resource
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    RowMapping,
    Table,
    Text,
    create_engine,
    event,
    exc,
    func,
    inspect,
    pool,
    select,
    text,
)
from sqlalchemy.engine import URL, make_url

# The tables as the stdlib-sqlite3 store created them (TEXT, INTEGER, BLOB on SQLite), so a
# database written by any earlier version opens as it is; on PostgreSQL BLOB is bytea and the
# instruction count a BIGINT (a snapshot's time passes 2^31 within seconds of a boot).
metadata = MetaData()
images = Table(
    "images", metadata,
    Column("id", Text, primary_key=True),
    Column("owner", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("format", Text, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("sources", Text),
    Index("images_owner", "owner"),
)  # fmt: skip
sessions = Table(
    "sessions", metadata,
    Column("id", Text, primary_key=True),
    Column("owner", Text, nullable=False),
    Column("image_id", Text, nullable=False),
    Column("config", Text, nullable=False),
    Column("created_at", Text, nullable=False),
)  # fmt: skip
snapshots = Table(
    "snapshots", metadata,
    Column("id", Text, primary_key=True),
    Column("owner", Text, nullable=False),
    Column("session_id", Text, nullable=False),
    Column("image_id", Text, nullable=False),
    Column("config", Text, nullable=False),
    Column("name", Text),
    Column("time", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
    Column("state", LargeBinary, nullable=False),
    Column("created_at", Text, nullable=False),
    Index("snapshots_session", "session_id"),
)  # fmt: skip

# Which replica holds each session's engine (docs/deployment.md "Several replicas"): a table of
# its own beside ``sessions``, which keeps the five columns every earlier version inserts
# positionally. It says where a session runs now, not what it is, so copy-database leaves it
# out (the target's replicas claim their sessions when they start).
session_owners = Table(
    "session_owners", metadata,
    Column("session_id", Text, primary_key=True),
    Column("replica", Text, nullable=False),
    Column("url", Text, nullable=False),
)  # fmt: skip

TABLES = (images, sessions, snapshots)

# What the host says when it has no room: a full disk, a quota, a file-size limit (EFBIG).
FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT})
# PostgreSQL's SQLSTATE for "could not extend file: No space left on device".
PG_DISK_FULL = "53100"
# A server that does not answer is a 503 after this long, not a request that hangs.
CONNECT_TIMEOUT = 5


class StoreError(Exception):
    """The database could not do what was asked: an environment fault, never the client's.
    ``full`` says the host is out of room (507 Insufficient Storage); anything else (a
    read-only or vanished file, an I/O error, a corrupt page, a database server that refuses
    connections or has gone away) is 503."""

    def __init__(self, message: str, *, full: bool = False) -> None:
        super().__init__(message)
        self.full = full


def database_url(database: str) -> URL:
    """The URL a ``--database`` value names: a plain path is a SQLite file. Raises ValueError
    (a configuration mistake, said before anything is opened) for a URL that is neither."""
    if "://" not in database:
        return URL.create("sqlite", database=database)
    try:
        url = make_url(database)
    except exc.ArgumentError:
        raise ValueError(f"database {database!r}: neither a path nor a database URL") from None
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")  # the driver ppcdbg installs
    if url.drivername not in ("sqlite", "sqlite+pysqlite", "postgresql+psycopg"):
        shown = url.render_as_string(hide_password=True)
        raise ValueError(f"database {shown}: ppcdbg stores in SQLite (a path or sqlite:///"
                         "PATH) or PostgreSQL (postgresql+psycopg://...)")  # fmt: skip
    return url


def _one_line(message: str) -> str:
    # Drivers' messages run over lines (libpq adds "Is the server running...?"); the CLI and
    # the log say a fault on one line.
    return " ".join(message.split())


def _out_of_room(path: str) -> bool:
    """SQLite reports a write that failed with ENOSPC or EFBIG as a plain I/O error (the errno
    is not exposed to Python), so look at the host: no free blocks on the database's file
    system, or a file-size limit (RLIMIT_FSIZE) that the database or its WAL has reached."""
    if path in ("", ":memory:"):
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


def _unreachable(e: exc.DBAPIError) -> bool:
    """A PostgreSQL error that says the server is not there (refused, gone, shutting down),
    not one it answered (a full disk, a constraint): libpq's own failures have no SQLSTATE;
    the server's are class 08 (connection exception) or 57 (operator intervention)."""
    if e.connection_invalidated:
        return True
    state = getattr(e.orig, "sqlstate", None)
    return isinstance(e, (exc.OperationalError, exc.InterfaceError)) and (
        state is None or state[:2] in ("08", "57")
    )


def _sqlite_engine(url: URL) -> Engine:
    path = url.database or ":memory:"
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    # One connection (as the stdlib store had), serialised by Store's lock; it is used from
    # the threads asyncio.to_thread picks, hence check_same_thread off.
    engine = create_engine(url, poolclass=pool.StaticPool,
                           connect_args={"check_same_thread": False})  # fmt: skip

    @event.listens_for(engine, "connect")
    def connect(dbapi: Any, _record: Any) -> None:
        # pysqlite's own transaction handling begins late and never for DDL: turn it off and
        # begin explicitly (the "begin" event), as SQLAlchemy's SQLite notes recommend.
        dbapi.isolation_level = None
        cursor = dbapi.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def begin(conn: Connection) -> None:
        # A write takes the write lock at BEGIN, so it never fails half-way to upgrade a read
        # lock another process holds; reads stay deferred.
        write = conn.get_execution_options().get("ppcdbg_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _postgres_engine(url: URL) -> Engine:
    # pool_pre_ping: a connection the server dropped (a restart, a failover, an idle
    # timeout) is replaced at checkout instead of failing the request that drew it.
    # connect_args win over the URL's query: the timeout is only a default.
    args = {} if "connect_timeout" in url.query else {"connect_timeout": CONNECT_TIMEOUT}
    return create_engine(url, pool_pre_ping=True, pool_size=4, max_overflow=4,
                         connect_args=args)  # fmt: skip


class Store:
    def __init__(self, database: str) -> None:
        """Open (or create) the database and check it, so that a truncated, corrupt or
        unwritable file, or a server that cannot be reached, is one StoreError naming it here,
        not a traceback later. ValueError for a ``database`` that names no database."""
        url = database_url(database)
        self.url = url
        self.sqlite = url.get_backend_name() == "sqlite"
        self.path = (url.database or ":memory:") if self.sqlite else ""
        # What messages call the database: the path for SQLite (as always), the URL without
        # its password otherwise.
        self.name = database if self.sqlite else url.render_as_string(hide_password=True)
        # SQLite has one connection; PostgreSQL's pool serves concurrent threads itself.
        self._lock: threading.Lock | None = threading.Lock() if self.sqlite else None
        try:
            self._engine = _sqlite_engine(url) if self.sqlite else _postgres_engine(url)
        except OSError as e:
            raise self._fault(e) from None
        try:
            with self._begin() as conn:
                metadata.create_all(conn)
                _migrate(conn)
                if self.sqlite:
                    verdict = conn.exec_driver_sql("PRAGMA quick_check").scalar()
                    if verdict != "ok":
                        raise StoreError(f"database {self.name}: integrity check failed: {verdict}")
        except BaseException:
            self._engine.dispose()
            raise

    def _fault(self, e: BaseException) -> StoreError:
        if isinstance(e, exc.DBAPIError) and e.orig is not None:
            orig: BaseException = e.orig
            message = str(orig)
            if not self.sqlite and _unreachable(e):
                message = f"the database server cannot be reached: {message}"
        else:
            orig = e
            message = str(e)
        if isinstance(orig, OSError):
            full = orig.errno in FULL_ERRNOS
        elif self.sqlite:
            code = getattr(orig, "sqlite_errorname", "")
            full = code == "SQLITE_FULL" or (
                code.startswith("SQLITE_IOERR") and _out_of_room(self.path)
            )
        else:
            full = getattr(orig, "sqlstate", None) == PG_DISK_FULL
        return StoreError(f"database {self.name}: {_one_line(message)}", full=full)

    @contextmanager
    def _held(self) -> Iterator[None]:
        if self._lock is None:
            yield
        else:
            with self._lock:
                yield

    @contextmanager
    def _begin(self, *, write: bool = True) -> Iterator[Connection]:
        """One transaction, committed on leaving (rolled back on an exception); driver and OS
        errors become StoreError, except a constraint violation (a duplicate id), which is a
        programming error and stays one."""
        with self._held():
            try:
                with self._engine.connect() as conn:
                    conn = conn.execution_options(ppcdbg_write=write)
                    with conn.begin():
                        yield conn
            except exc.IntegrityError:
                raise
            except (exc.DBAPIError, OSError) as e:
                raise self._fault(e) from None

    def close(self) -> None:
        with self._held():
            self._engine.dispose()

    def ping(self) -> bool:
        try:
            with self._begin(write=False) as conn:
                conn.execute(text("SELECT 1")).scalar()
            return True
        except StoreError:
            return False

    def _rows(self, query: Any) -> Sequence[RowMapping]:
        with self._begin(write=False) as conn:
            return conn.execute(query).mappings().all()

    # -- images -------------------------------------------------------------------
    def add_image(self, row: dict[str, Any]) -> None:
        with self._begin() as conn:
            conn.execute(images.insert().values(
                id=row["id"], owner=row["owner"], name=row["name"], format=row["format"],
                data=row["data"], created_at=row["created_at"],
                sources=json.dumps(row.get("sources") or {}),
            ))  # fmt: skip

    def images(self) -> Sequence[RowMapping]:
        return self._rows(select(images).order_by(images.c.created_at, images.c.id))

    def image_ids(self) -> set[str]:
        """The ids of every image (no data): what a replica checks its copies against."""
        with self._begin(write=False) as conn:
            return set(conn.execute(select(images.c.id)).scalars())

    def image(self, image_id: str) -> RowMapping | None:
        rows = self._rows(select(images).where(images.c.id == image_id))
        return rows[0] if rows else None

    def delete_image(self, image_id: str) -> None:
        with self._begin() as conn:
            conn.execute(images.delete().where(images.c.id == image_id))

    # -- sessions -------------------------------------------------------------------
    def add_session(self, row: dict[str, Any], replica: tuple[str, str] | None = None) -> None:
        """The session's definition; with ``replica`` (its id and URL), its owner too, in the
        same transaction (no replica ever sees a session without an owner)."""
        with self._begin() as conn:
            conn.execute(sessions.insert().values(
                id=row["id"], owner=row["owner"], image_id=row["image_id"],
                config=json.dumps(row["config"]), created_at=row["created_at"],
            ))  # fmt: skip
            if replica is not None:
                conn.execute(session_owners.insert().values(
                    session_id=row["id"], replica=replica[0], url=replica[1]))  # fmt: skip

    def sessions(self) -> Sequence[RowMapping]:
        return self._rows(select(sessions).order_by(sessions.c.created_at, sessions.c.id))

    def delete_session(self, session_id: str) -> None:
        with self._begin() as conn:
            conn.execute(sessions.delete().where(sessions.c.id == session_id))
            conn.execute(session_owners.delete().where(session_owners.c.session_id == session_id))

    def claim_session(self, session_id: str, replica: str, url: str) -> str:
        """Make ``replica`` the session's owner unless another one is: the owner afterwards.
        A replica that starts again under its id takes its sessions back (its URL updated)."""
        o = session_owners.c
        for _ in range(2):  # a second pass after losing an insert race to another replica
            try:
                with self._begin() as conn:
                    held = conn.execute(select(o.replica).where(o.session_id == session_id))
                    current = held.scalar()
                    if current is None:
                        conn.execute(session_owners.insert().values(
                            session_id=session_id, replica=replica, url=url))  # fmt: skip
                        return replica
                    if current == replica:
                        conn.execute(session_owners.update().where(
                            o.session_id == session_id).values(url=url))  # fmt: skip
                    return str(current)
            except exc.IntegrityError:
                continue
        raise StoreError(f"database {self.name}: session {session_id} could not be claimed")

    def take_over(self, session_id: str, gone: str, replica: str, url: str) -> bool:
        """Make ``replica`` the session's holder if ``gone`` still is: True for the one
        replica (of any that try) whose update found it so."""
        o = session_owners.c
        with self._begin() as conn:
            done = conn.execute(session_owners.update()
                                .where(o.session_id == session_id, o.replica == gone)
                                .values(replica=replica, url=url))  # fmt: skip
            return bool(done.rowcount == 1)

    def session_owner(self, session_id: str) -> RowMapping | None:
        """The session's owner (the user) and the replica holding it: ``owner``,
        ``replica``, ``url``; None for no such session (a session no replica holds has
        ``replica`` None)."""
        s, o = sessions.c, session_owners.c
        query = (select(s.owner, o.replica, o.url)
                 .select_from(sessions.outerjoin(session_owners, o.session_id == s.id))
                 .where(s.id == session_id))  # fmt: skip
        rows = self._rows(query)
        return rows[0] if rows else None

    def directory(self) -> Sequence[RowMapping]:
        """Every session with its replica (``replica``, ``url``; None when none holds it)."""
        s, o = sessions.c, session_owners.c
        return self._rows(
            select(s.id, s.owner, s.image_id, s.config, s.created_at, o.replica, o.url)
            .select_from(sessions.outerjoin(session_owners, o.session_id == s.id))
            .order_by(s.created_at, s.id)
        )  # fmt: skip

    # -- snapshots --------------------------------------------------------------------
    def add_snapshot(self, row: dict[str, Any]) -> None:
        with self._begin() as conn:
            conn.execute(snapshots.insert().values(
                id=row["id"], owner=row["owner"], session_id=row["session_id"],
                image_id=row["image_id"], config=json.dumps(row["config"]), name=row["name"],
                time=row["time"], state=row["state"], created_at=row["created_at"],
            ))  # fmt: skip

    def snapshots(self) -> Sequence[RowMapping]:
        """Snapshot metadata (no state blobs)."""
        c = snapshots.c
        return self._rows(
            select(c.id, c.owner, c.session_id, c.image_id, c.config, c.name, c.time,
                   c.created_at).order_by(c.created_at, c.id)
        )  # fmt: skip

    def snapshot_state(self, snapshot_id: str) -> bytes | None:
        with self._begin(write=False) as conn:
            state = conn.execute(
                select(snapshots.c.state).where(snapshots.c.id == snapshot_id)
            ).scalar()
        return None if state is None else bytes(state)


def copy_database(source: Store, target: Store) -> dict[str, int]:
    """Every row of ``source`` into ``target``, which must be empty (moving from SQLite to
    PostgreSQL, or back); one transaction on the target, so a copy that fails leaves it empty.
    Rows are streamed, not all held at once (images and snapshots run to megabytes each).
    Returns the rows copied per table."""
    copied: dict[str, int] = {}
    with source._begin(write=False) as src, target._begin() as dst:
        held = {t.name: dst.execute(select(func.count()).select_from(t)).scalar_one()
                for t in TABLES}  # fmt: skip
        if any(held.values()):
            what = ", ".join(f"{n} {name}" for name, n in held.items() if n)
            raise ValueError(f"database {target.name} is not empty ({what}): copy into an "
                             "empty database")  # fmt: skip
        for table in TABLES:
            copied[table.name] = 0
            rows = src.execution_options(yield_per=16).execute(select(table))
            for part in rows.mappings().partitions():
                dst.execute(table.insert(), [dict(r) for r in part])
                copied[table.name] += len(part)
    return copied


def _migrate(conn: Connection) -> None:
    """Columns added since the first schema, for databases made before them."""
    have = {c["name"] for c in inspect(conn).get_columns("images")}
    if "sources" not in have:
        conn.exec_driver_sql("ALTER TABLE images ADD COLUMN sources TEXT")
