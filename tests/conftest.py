"""Shared fixtures: tool requirements (QEMU, binutils, PostgreSQL) and small machines."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.postgres import PostgresCluster
    from tests.redis_server import RedisServer

REQUIRE_TOOLS = os.environ.get("PPCDBG_REQUIRE_TOOLS") == "1"


def require_tool(name: str, path: str | None = None) -> str:
    """The path of an external tool (looked up on ``path``, PATH by default); skip without
    it, fail when CI demands tools."""
    found = shutil.which(name, path=path)
    if found is None:
        msg = f"{name} is not installed"
        if REQUIRE_TOOLS:
            pytest.fail(msg + " (PPCDBG_REQUIRE_TOOLS=1)")
        pytest.skip(msg)
    return found


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A Redis server for the whole run (Debian's redis-server), started on first use."""
    from tests.redis_server import RedisServer

    server = RedisServer(require_tool("redis-server")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    """A PostgreSQL server for the whole run (Debian's postgresql package), started on first
    use; ``postgres.create_database()`` gives a test its own empty database."""
    from tests.postgres import PostgresCluster, bin_path

    initdb = require_tool("initdb", bin_path())
    pg_ctl = require_tool("pg_ctl", bin_path())
    cluster = PostgresCluster(initdb, pg_ctl)
    try:
        cluster.init().start()
        yield cluster
        cluster.stop("immediate")
    finally:
        cluster.remove()


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[str]:
    """A local Ray cluster for the whole run (``ray start --head``, 2 CPUs), started on first
    use and joined by this process (isolation ``ray``): its address."""
    from tests.ray_cluster import RayCluster

    try:
        import ray
    except ImportError:
        msg = "ray is not installed (the dev extra has it)"
        if REQUIRE_TOOLS:
            pytest.fail(msg + " (PPCDBG_REQUIRE_TOOLS=1)")
        pytest.skip(msg)
    from engine.target import connect_ray

    # The ray command beside this interpreter (a venv's bin is not always on PATH).
    cli = shutil.which("ray", path=str(Path(sys.executable).parent)) or require_tool("ray")
    cluster = RayCluster(cli).start()
    try:
        connect_ray(cluster.address)
        yield cluster.address
    finally:
        ray.shutdown()
        cluster.stop()
