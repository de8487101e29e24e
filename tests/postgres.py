"""A real PostgreSQL server for the tests: Debian's binaries, a cluster made by ``initdb`` in a
temporary directory and served by ``pg_ctl`` on a Unix socket only (no TCP port to collide
with another run), as an unprivileged user when the tests run as root (postgres refuses
root). Each test that wants a database gets a new, empty one."""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import psycopg

# Debian installs the server programs outside PATH, one directory per major version.
DEBIAN_BINS = "/usr/lib/postgresql/*/bin"
SUPERUSER = "ppcdbg"


def bin_path() -> str:
    """A PATH to find initdb and pg_ctl on: Debian's newest version first, then PATH."""
    dirs = sorted(glob.glob(DEBIAN_BINS), key=lambda d: int(Path(d).parent.name), reverse=True)
    return os.pathsep.join([*dirs, os.environ.get("PATH", "")])


class PostgresCluster:
    def __init__(self, initdb: str, pg_ctl: str) -> None:
        self.initdb = initdb
        self.pg_ctl = pg_ctl
        self.dir = Path(tempfile.mkdtemp(prefix="ppcdbg-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self._names = itertools.count()
        self._as: dict[str, Any] = {}
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            os.chown(self.dir, nobody.pw_uid, nobody.pw_gid)
            self._as = {"user": nobody.pw_uid, "group": nobody.pw_gid, "extra_groups": []}

    def _run(self, *argv: str) -> None:
        # cwd: the server's user must be able to stand in it (a root-only work tree is not).
        run = subprocess.run(argv, cwd=self.dir, capture_output=True, text=True, timeout=60,
                             env={**os.environ, "LC_ALL": "C"}, **self._as)  # fmt: skip
        if run.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(argv)}: {run.stderr.strip()}\n{log}")

    def init(self) -> PostgresCluster:
        # --no-sync: the cluster is thrown away after the run; what the tests check is
        # ppcdbg's commits, which the server makes durable as always (fsync stays on).
        self._run(self.initdb, "-D", str(self.data), "-U", SUPERUSER, "--auth=trust",
                  "--encoding=UTF8", "--locale=C", "--no-sync")  # fmt: skip
        return self

    def start(self) -> None:
        opts = f"-c listen_addresses='' -c unix_socket_directories='{self.dir}'"
        self._run(self.pg_ctl, "start", "-w", "-D", str(self.data), "-l", str(self.log),
                  "-o", opts)  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: ``fast`` checkpoints first (seconds with fsync on), ``immediate``
        does not (the next start recovers from the WAL), for a cluster about to be removed."""
        self._run(self.pg_ctl, "stop", "-w", "-m", mode, "-D", str(self.data))

    def sql(self, statement: str, database: str = "postgres") -> None:
        """One statement as the superuser, outside a transaction (CREATE DATABASE needs it)."""
        with psycopg.connect(host=str(self.dir), user=SUPERUSER, dbname=database,
                             autocommit=True) as conn:  # fmt: skip
            conn.execute(statement.encode())

    @property
    def owner(self) -> tuple[int, int]:
        """The uid and gid the server runs as (whatever it writes must be theirs)."""
        if self._as:
            return self._as["user"], self._as["group"]
        return os.geteuid(), os.getegid()

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@/{database}?host={self.dir}"

    def create_database(self) -> str:
        """A new empty database's URL."""
        name = f"t{os.getpid()}_{next(self._names)}"
        self.sql(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
