"""Service fixtures: the app in-process (httpx-based TestClient, lifespan run), and a real
uvicorn server in a subprocess on a free loopback port."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from service.launch import ServerProcess
from service.main import create_app
from service.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SMP = ROOT / "examples" / "smp_spinlock.elf"
TOKENS = "alice:tok-alice,bob:tok-bob"
ALICE = {"Authorization": "Bearer tok-alice"}
BOB = {"Authorization": "Bearer tok-bob"}


def make_client(tmp_path: Path, **limits: Any) -> TestClient:
    settings = Settings(database=str(tmp_path / "db.sqlite3"), api_tokens=TOKENS, **limits)
    return TestClient(create_app(settings))


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with make_client(tmp_path) as c:
        yield c


def upload(c: Any, path: Path = SMP, headers: dict[str, str] = ALICE) -> dict[str, Any]:
    r = c.post("/v1/images", headers=headers, files={"file": (path.name, path.read_bytes())})
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def new_session(c: Any, image_id: str, headers: dict[str, str] = ALICE,
                **cfg: Any) -> dict[str, Any]:  # fmt: skip
    r = c.post("/v1/sessions", headers=headers, json={"image_id": image_id, "vcpus": 4, **cfg})
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


@pytest.fixture
def image(client: TestClient) -> dict[str, Any]:
    return upload(client)


@pytest.fixture
def session(client: TestClient, image: dict[str, Any]) -> dict[str, Any]:
    return new_session(client, image["id"])


@pytest.fixture
def sid(session: dict[str, Any]) -> str:
    return str(session["id"])


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a server keeps its state, once per store: a SQLite file, and a new empty database
    on the run's PostgreSQL server (started on first use)."""
    if request.param == "sqlite":
        return str(tmp_path / "db.sqlite3")
    url: str = request.getfixturevalue("postgres").create_database()
    return url


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    d = tmp_path_factory.mktemp("server")
    with ServerProcess(str(d / "db.sqlite3"), TOKENS, log=str(d / "server.log")) as s:
        yield s
