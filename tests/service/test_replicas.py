"""Two API replicas on one PostgreSQL database and one Redis (real servers the tests start):
a session made on A is seen and driven through B (forwarded to A), a WebSocket client on B
gets its events from the Redis Stream, and one that leaves B resumes on A with ``?since=``
without a gap."""

from __future__ import annotations

import asyncio
import json
import time
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
    yield from _two(postgres, redis_server, tmp_path)


LEASE = 3.0  # seconds: long enough to see the 503 after a kill, short for the test


@pytest.fixture
def leased_replicas(
    postgres: PostgresCluster, redis_server: RedisServer, tmp_path: Any
) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    yield from _two(postgres, redis_server, tmp_path, ("--replica-lease", str(LEASE)))


def _two(postgres: PostgresCluster, redis_server: RedisServer, tmp_path: Any,
         extra: tuple[str, ...] = ()) -> Iterator[tuple[ServerProcess, ServerProcess]]:  # fmt: skip
    db = postgres.create_database()
    args = ("--redis", redis_server.url, *extra)
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

    sid = _session_on(a, b, vcpus=2)
    with httpx.Client(timeout=30) as http:
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


def test_a_replica_that_is_gone_has_its_sessions_taken_over_and_their_snapshots_restore(
    leased_replicas: Any,
) -> None:
    """A killed for good: B answers 503 while A's lease lasts, then takes the session over
    (re-created from its definition, recovered), announces it on the same event stream with
    the next seq and the latest snapshot, and that snapshot restores A's state on B. A coming
    back later does not take it back."""
    a, b = leased_replicas
    sid = _session_on(a, b, vcpus=2)
    http = httpx.Client(timeout=30)
    base = f"/v1/sessions/{sid}"
    for _ in range(5):
        assert http.post(f"{b.url}{base}/vcpus/0/step", headers=ALICE, json={}).is_success
    r = http.post(f"{b.url}{base}/snapshots", headers=ALICE, json={"name": "five"})
    assert r.status_code == 201, r.text
    snap = r.json()["id"]
    at_snapshot = http.get(f"{b.url}{base}/vcpus/0/registers", headers=ALICE).json()
    r = http.post(f"{b.url}{base}/vcpus/0/step", headers=ALICE, json={"count": 3})
    last = http.get(f"{b.url}{base}", headers=ALICE).json()["event_seq"]
    assert http.get(f"{b.url}{base}", headers=ALICE).json()["time"] > 5

    a.kill()
    r = http.get(f"{b.url}{base}", headers=ALICE)
    assert r.status_code == 503, r.text  # A's lease still holds: it may come back
    assert "lease" in r.json()["detail"]
    deadline = time.monotonic() + LEASE * 4
    while True:
        r = http.get(f"{b.url}{base}", headers=ALICE)
        if r.status_code == 200:
            break
        assert r.status_code == 503 and time.monotonic() < deadline, r.text
        time.sleep(0.2)
    s = r.json()
    assert s["recovered"] is True and s["time"] == 0 and s["state"] == "stopped"

    async def announced() -> list[dict[str, Any]]:
        url = f"{b.ws_url}/v1/sessions/{sid}/events?token=tok-alice&since=0"
        async with websockets.connect(url) as ws:
            return await _events(ws, last + 1)

    # From the start: A's events (B's ring holds them, from the stream), then B's.
    evs = asyncio.run(announced())
    assert [e["seq"] for e in evs] == list(range(1, len(evs) + 1))
    ev = evs[-1]
    assert (ev["type"], ev["state"]) == ("session-state", "recovered")
    assert [e["type"] for e in evs[:-1]].count("stop") == 6  # A's steps
    assert ev["snapshot_id"] == snap and ev["replica"] == "b" and "a" in ev["reason"]

    r = http.post(f"{b.url}{base}/snapshots/{snap}/restore", headers=ALICE)
    assert r.is_success, r.text
    assert http.get(f"{b.url}{base}/vcpus/0/registers", headers=ALICE).json() == at_snapshot
    assert http.get(f"{b.url}{base}", headers=ALICE).json()["time"] == 5

    a.start()  # back under its id, after the take-over: the session stays B's
    r = http.get(f"{a.url}{base}", headers=ALICE)
    assert r.status_code == 200 and r.json()["time"] == 5, r.text  # forwarded to B
    assert http.post(f"{a.url}{base}/vcpus/0/step", headers=ALICE, json={}).is_success
    assert http.get(f"{b.url}{base}", headers=ALICE).json()["time"] == 6
    http.close()


def test_a_replica_cut_off_from_its_lease_gives_its_session_up_to_the_one_that_took_it(
    leased_replicas: Any, redis_server: RedisServer
) -> None:
    """A still runs but its lease is gone (as when it is cut off from Redis): B takes the
    session over, and A, finding the directory gives it to B, closes its own copy and
    forwards to B from then on: one engine per session, one numbering of its events."""
    import redis

    a, b = leased_replicas
    sid = _session_on(a, b, vcpus=1)
    http = httpx.Client(timeout=30)
    base = f"/v1/sessions/{sid}"
    assert http.post(f"{a.url}{base}/vcpus/0/step", headers=ALICE, json={}).is_success
    assert http.get(f"{a.url}{base}", headers=ALICE).json()["recovered"] is False
    with redis.Redis.from_url(redis_server.url) as red:
        deadline = time.monotonic() + LEASE * 4
        # Held off A's renewals until B's next round finds no lease.
        while not http.get(f"{b.url}{base}", headers=ALICE).json()["recovered"]:
            assert time.monotonic() < deadline
            red.delete("ppcdbg:replica:a")
            time.sleep(0.05)
    # A's next round: its copy is closed, and A forwards to B (the re-created session).
    deadline = time.monotonic() + LEASE * 4
    while not http.get(f"{a.url}{base}", headers=ALICE).json()["recovered"]:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert http.post(f"{a.url}{base}/vcpus/0/step", headers=ALICE, json={}).is_success
    assert http.get(f"{b.url}{base}", headers=ALICE).json()["time"] == 1
    http.close()


TRACE = {"op": "subscribe", "trace": {"vcpus": [0, 1]}, "batch": True}


async def _subscribed(ws: Any, message: dict[str, Any]) -> dict[str, Any]:
    """Send a subscribe and return its reply (nothing runs yet: no event comes first)."""
    await ws.send(json.dumps(message))
    reply: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert reply["type"] == "reply" and reply["id"] == message.get("id"), reply
    return reply


async def _until_stop(ws: Any) -> tuple[list[dict[str, Any]], int]:
    """Numbered events (batches flattened) until a stop, and how many batches came."""
    got: list[dict[str, Any]] = []
    batches = 0
    while True:
        msg = json.loads(await asyncio.wait_for(ws.recv(), 20))
        if isinstance(msg, list):
            batches += 1
            got += msg
        elif msg.get("seq") is not None:
            got.append(msg)
            if msg["type"] == "stop":
                return got, batches


def _session_on(a: ServerProcess, b: ServerProcess, vcpus: int = 2) -> str:
    with httpx.Client(timeout=30) as http:
        r = http.post(f"{b.url}/v1/images", headers=ALICE,
                      files={"file": (SMP.name, SMP.read_bytes())})  # fmt: skip
        r = http.post(f"{a.url}/v1/sessions", headers=ALICE,
                      json={"image_id": r.json()["id"], "vcpus": vcpus})  # fmt: skip
        assert r.status_code == 201, r.text
        sid: str = r.json()["id"]
        return sid


def test_trace_on_the_non_holder_is_relayed_seq_for_seq_as_the_holder_sends_it(
    replicas: Any,
) -> None:
    a, b = replicas
    sid = _session_on(a, b)

    async def scenario() -> None:
        on = {r: f"{r.ws_url}/v1/sessions/{sid}/events" for r in (a, b)}
        auth = {"Authorization": "Bearer tok-alice"}  # the relay forwards the header's token
        to_a = websockets.connect(on[a], additional_headers=auth)
        to_b = websockets.connect(on[b], additional_headers=auth, max_size=None)
        async with to_a as wa, to_b as wb:
            ra = await _subscribed(wa, {**TRACE, "id": "a"})
            rb = await _subscribed(wb, {**TRACE, "id": "b"})  # the holder's reply, relayed
            assert {**rb, "id": "a"} == ra and rb["trace_vcpus"] == [0, 1]
            # Continued through B's WebSocket: the command goes to A over the relay too.
            await wb.send(json.dumps({"op": "continue", "id": 7, "budget": 4000}))
            (on_b, batches_b), (on_a, _) = await asyncio.gather(_until_stop(wb), _until_stop(wa))
        assert on_b == on_a  # the same events, object for object
        seqs = [e["seq"] for e in on_b]
        assert seqs == list(range(seqs[0], seqs[-1] + 1)), "trace and stop seqs interleave"
        kinds = [e["type"] for e in on_b]
        assert kinds[:2] == ["session-state", "resume"] and kinds[-1] == "stop"
        assert kinds.count("trace") >= 4000
        assert {e["vcpu"] for e in on_b if e["type"] == "trace"} == {0, 1}
        assert batches_b < kinds.count("trace")  # trace events came in arrays

        # Resume on the other replica: from B with since=, the holder's ring replays the rest.
        k = seqs[len(seqs) // 2]
        async with websockets.connect(f"{on[b]}?token=tok-alice") as ws:
            await _subscribed(ws, {**TRACE, "since": k})
            tail, _ = await _until_stop(ws)
        assert tail == [e for e in on_a if e["seq"] > k]
        # A stream B's Redis reader has begun goes on without a gap or a repeat when trace is
        # subscribed on it (the relay starts after the last seq the reader gave): the
        # replay of the untraced events, wherever the subscribe lands in it.
        async with websockets.connect(f"{on[b]}?token=tok-alice&since={seqs[0] - 1}") as ws:
            await ws.send(json.dumps({**TRACE, "id": 1}))
            got = []
            while not got or got[-1]["type"] != "stop":
                msg = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if msg.get("seq") is not None:
                    got.append(msg)
                else:
                    assert msg["type"] == "reply" and msg["id"] == 1, msg
        assert got == [e for e in on_a if e["type"] != "trace"]

    asyncio.run(scenario())
    # The clients have gone: so have the relays, and A traces for nobody.
    with httpx.Client(timeout=30) as http:
        for _ in range(50):
            text = http.get(f"{a.url}/metrics").text
            if "ppcdbg_websocket_clients 0.0" in text:
                break
            time.sleep(0.1)
        assert "ppcdbg_websocket_clients 0.0" in text


def test_a_holder_killed_mid_trace_ends_the_relayed_stream_with_an_error(replicas: Any) -> None:
    a, b = replicas
    sid = _session_on(a, b)

    async def scenario() -> None:
        url = f"{b.ws_url}/v1/sessions/{sid}/events?token=tok-alice"
        async with websockets.connect(url, max_size=None) as ws:
            await _subscribed(ws, TRACE)
            await ws.send(json.dumps({"op": "continue", "id": 1, "budget": 500_000_000}))
            last = 0
            while last < 2000:  # tracing
                msg = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if isinstance(msg, list):
                    last = msg[-1]["seq"]
            a.kill()
            while True:
                msg = json.loads(await asyncio.wait_for(ws.recv(), 10))  # not a hang
                if isinstance(msg, dict) and msg["type"] == "error":
                    break
                if isinstance(msg, list):
                    last = msg[-1]["seq"]
            problem = msg["problem"]
            assert problem["type"] == "/problems/replica-unavailable"
            assert problem["last_seq"] == last and f"since={last}" in problem["detail"]
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 10)
            assert ws.close_code == 1014

    asyncio.run(scenario())
