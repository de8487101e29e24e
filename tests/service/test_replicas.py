"""Two API replicas on one PostgreSQL database and one Redis (real servers the tests start):
a session made on A is seen and driven through B (forwarded to A), a WebSocket client on B
gets its events from the Redis Stream, and one that leaves B resumes on A with ``?since=``
without a gap."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import websockets

from service.launch import ServerProcess
from tests.postgres import PostgresCluster
from tests.redis_server import RedisServer

from .conftest import ALICE, BOB, SMP, TOKENS


@pytest.fixture
def replicas(
    postgres: PostgresCluster, redis_server: RedisServer, tmp_path: Any
) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    db = postgres.create_database()
    args = ("--redis", redis_server.url)
    a = ServerProcess(db, TOKENS, args=(*args, "--replica-id", "a"), log=str(tmp_path / "a.log"))
    b = ServerProcess(db, TOKENS, args=(*args, "--replica-id", "b"), log=str(tmp_path / "b.log"))
    with a, b:
        yield a, b


async def _events(ws: Any, until_seq: int, got: list[dict[str, Any]] | None = None
                  ) -> list[dict[str, Any]]:  # fmt: skip
    """Numbered events from ``ws`` (after ``got``) until one with seq ``until_seq`` has come."""
    got = [] if got is None else got
    while not got or got[-1]["seq"] < until_seq:
        msg = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if isinstance(msg, dict) and msg.get("seq") is not None:
            got.append(msg)
    return got


def test_a_session_on_a_is_driven_through_b_and_its_events_resume_on_a(replicas: Any) -> None:
    a, b = replicas
    with httpx.Client(timeout=30) as http:
        r = http.post(f"{a.url}/v1/images", headers=ALICE,
                      files={"file": (SMP.name, SMP.read_bytes())})  # fmt: skip
        assert r.status_code == 201, r.text
        image = r.json()["id"]
        # B reads the directory through the database: A's image is there at once.
        assert image in [i["id"] for i in http.get(f"{b.url}/v1/images", headers=ALICE).json()[
            "data"]]  # fmt: skip
        r = http.post(f"{a.url}/v1/sessions", headers=ALICE, json={"image_id": image, "vcpus": 4})
        assert r.status_code == 201, r.text
        sid = r.json()["id"]
        # Listed and described by B as A describes it; another owner's token finds nothing.
        assert [s["id"] for s in http.get(f"{b.url}/v1/sessions", headers=ALICE).json()[
            "data"]] == [sid]  # fmt: skip
        assert http.get(f"{b.url}/v1/sessions/{sid}", headers=ALICE).json()["id"] == sid
        assert http.get(f"{b.url}/v1/sessions/{sid}", headers=BOB).status_code == 404

    async def scenario() -> None:
        async with httpx.AsyncClient(timeout=30) as http:

            async def step(via: ServerProcess, n: int) -> int:
                for _ in range(n):
                    r = await http.post(f"{via.url}/v1/sessions/{sid}/vcpus/0/step",
                                        headers=ALICE, json={"count": 1})  # fmt: skip
                    assert r.status_code == 200, r.text
                seq: int = r.json()["event_seq"]
                return seq

            url_b = f"{b.ws_url}/v1/sessions/{sid}/events?token=tok-alice"
            async with websockets.connect(url_b) as ws:
                # A command on B's WebSocket runs on A; its reply comes back here.
                await ws.send(json.dumps({"op": "step", "id": 1, "count": 2}))
                on_b: list[dict[str, Any]] = []
                while True:
                    msg = json.loads(await asyncio.wait_for(ws.recv(), 10))
                    if msg.get("type") == "reply":
                        break
                    on_b.append(msg)  # the step's stop may come before the reply
                assert msg["id"] == 1 and msg["stop"]["reason"] == "step"
                last = await step(b, 5)  # REST through B, forwarded to A
                on_b = await _events(ws, last, on_b)
            # Away from B, the session goes on (steps through B and a breakpoint on A).
            await step(b, 3)
            r = await http.post(f"{a.url}/v1/sessions/{sid}/breakpoints", headers=ALICE,
                                json={"kind": "software", "symbol": "done"})  # fmt: skip
            assert r.status_code == 201, r.text
            end = await step(a, 2)
            seen = on_b[-1]["seq"]
            url_a = f"{a.ws_url}/v1/sessions/{sid}/events?token=tok-alice&since={seen}"
            async with websockets.connect(url_a) as ws:
                on_a = await _events(ws, end)
            # ... and back on B from the start: the stream replays what A's ring holds.
            async with websockets.connect(url_b + "&since=0") as ws:
                replay = await _events(ws, end)

        seqs = [e["seq"] for e in on_b + on_a]
        assert seqs == list(range(1, end + 1)), seqs
        assert {e["type"] for e in on_a} >= {"stop", "breakpoint-changed"}
        # The same events, byte for byte the same objects, from either replica.
        assert replay == on_b + on_a

    asyncio.run(scenario())


def test_a_holder_that_starts_again_takes_its_session_back_and_numbering_goes_on(
    replicas: Any,
) -> None:
    a, b = replicas

    async def events(since: int, until: int) -> list[dict[str, Any]]:
        url = f"{b.ws_url}/v1/sessions/{sid}/events?token=tok-alice&since={since}"
        async with websockets.connect(url) as ws:
            return await _events(ws, until)

    with httpx.Client(timeout=30) as http:
        r = http.post(f"{b.url}/v1/images", headers=ALICE,
                      files={"file": (SMP.name, SMP.read_bytes())})  # fmt: skip
        r = http.post(f"{a.url}/v1/sessions", headers=ALICE,
                      json={"image_id": r.json()["id"], "vcpus": 2})  # fmt: skip
        assert r.status_code == 201, r.text
        sid = r.json()["id"]
        for _ in range(3):  # a stop event each
            r = http.post(f"{b.url}/v1/sessions/{sid}/vcpus/0/step", headers=ALICE, json={})
            assert r.status_code == 200, r.text
        assert [e["seq"] for e in asyncio.run(events(0, 3))] == [1, 2, 3]
        a.kill()
        # The holder is away: B says so rather than pretending the session is gone.
        r = http.get(f"{b.url}/v1/sessions/{sid}", headers=ALICE)
        assert r.status_code == 503 and r.json()["type"] == "/problems/replica-unavailable"
        a.start()  # the same replica id, on another port: the directory gets its new URL
        r = http.post(f"{b.url}/v1/sessions/{sid}/vcpus/0/step", headers=ALICE, json={})
        assert r.status_code == 200, r.text
        assert r.json()["recovered"] is True
    # The re-created session's first event follows the last its stream held.
    (after,) = asyncio.run(events(3, 4))
    assert (after["seq"], after["type"]) == (4, "stop")
