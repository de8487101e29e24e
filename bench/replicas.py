"""Two API replicas on one PostgreSQL and one Redis (issue 18: "the same through two API
replicas"; docs/deployment.md "Several replicas", docs/capacity.md).

    python -m bench.replicas [--isolation process] [--steps 2000] [--repeat 3]

Starts what tests/service/test_replicas.py starts, in temporary directories: a PostgreSQL
cluster (Debian's initdb and pg_ctl, tests/postgres.py) and a redis-server
(tests/redis_server.py), both on Unix sockets, and two ``ppcdbg serve`` replicas, A and B,
sharing them. Measured:

- session create latency on each replica (B creates from the image A stored);
- REST and WebSocket 1-step round trips on the holder (A) and through B, which forwards
  each command to A;
- event delivery through Redis Streams: a client on B gets the events of a session on A
  while a client on A steps it (live: events/s and the lag of the last), then the same
  events replayed with ``?since=`` from B (the stream) and from A (its ring); and the
  stream's Redis memory per event;
- trace events a replica puts into Redis: a traced run on A to a batching client there, and
  when the stream holds its last event;
- trace events through B: the same traced run of a session A holds, to a batching client on
  B (B relays A's WebSocket), against a client on A in the same run;
- aggregate instructions/s of 1, 2 and 4 CPU-bound sessions spread over both replicas;
- each replica's RSS, idle and while holding its sessions.

Without PostgreSQL or redis-server it reports ``{"skipped": reason}`` and says so in one
line on stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from service.launch import ServerProcess

from .memory import pss_mib, rss_mib, session_workers
from .service import (
    SMP,
    TOKEN,
    BlockingClient,
    H,
    _best,
    _session,
    _ws_steps_blocking,
    cpu_bound_rates,
    rest_step_rates,
    traced_run,
)

WARMUP = 50  # the 1-steps _ws_steps_blocking makes before it times (stops too)
NOTE = (
    "2-core machine shared with other jobs: best of runs, still noisy; A holds the "
    "stepped session, B forwards to it; both replicas, PostgreSQL and Redis share the "
    "machine's cores"
)


def missing_tools() -> str | None:
    """Why the bench cannot run here (None: it can)."""
    from tests.postgres import bin_path

    missing = [
        name
        for name, path in (("initdb", bin_path()), ("pg_ctl", bin_path()), ("redis-server", None))
        if not shutil.which(name, path=path)
    ]
    if missing:
        return f"{', '.join(missing)} not installed (Debian packages postgresql and redis-server)"
    return None


def _backends(stack: contextlib.ExitStack) -> tuple[str, Any]:
    """A new PostgreSQL database's URL and a started RedisServer, both ended with the stack."""
    from tests.postgres import PostgresCluster, bin_path
    from tests.redis_server import RedisServer

    path = bin_path()
    initdb, pg_ctl = shutil.which("initdb", path=path), shutil.which("pg_ctl", path=path)
    redis_program = shutil.which("redis-server")
    assert initdb and pg_ctl and redis_program
    cluster = PostgresCluster(initdb, pg_ctl)
    stack.callback(cluster.remove)
    cluster.init().start()
    stack.callback(cluster.stop, "immediate")  # thrown away: no checkpoint
    redis_server = RedisServer(redis_program).start()
    stack.callback(redis_server.stop)
    return cluster.create_database(), redis_server


def _ms(times: list[float]) -> dict[str, Any]:
    return {
        "first": round(times[0] * 1000, 1),
        "median": round(statistics.median(times) * 1000, 1),
        "max": round(max(times) * 1000, 1),
    }


def create_latency(a: ServerProcess, b: ServerProcess, image: str, n: int) -> dict[str, Any]:
    """Milliseconds per POST /v1/sessions on each replica (the image was stored through A, so
    B reads it from the database first), then per DELETE."""
    out: dict[str, Any] = {}
    for name, server in (("a", a), ("b", b)):
        with httpx.Client(base_url=server.url, headers=H, timeout=60) as c:
            creates, deletes, sids = [], [], []
            for _ in range(n):
                t0 = time.perf_counter()
                r = c.post("/v1/sessions", json={"image_id": image, "history": False})
                creates.append(time.perf_counter() - t0)
                if r.status_code != 201:
                    raise RuntimeError(r.text[:200])
                sids.append(r.json()["id"])
            for sid in sids:
                t0 = time.perf_counter()
                c.delete(f"/v1/sessions/{sid}").raise_for_status()
                deletes.append(time.perf_counter() - t0)
        out[f"on_{name}"] = {"create_ms": _ms(creates), "delete_ms": _ms(deletes)}
    out["sessions_each"] = n
    return out


def _ratio(forwarded: dict[str, Any], holder: dict[str, Any]) -> float:
    return round(forwarded["best"] / holder["best"], 2)


def step_round_trips(
    a: ServerProcess, b: ServerProcess, sid: str, n: int, repeat: int
) -> dict[str, Any]:
    """1-step round trips per second on the session's holder (A) and through B."""
    path = f"/v1/sessions/{sid}/vcpus/0/step"
    rest = {
        "holder": _best(rest_step_rates(a.port, path, n, repeat)),
        "forwarded": _best(rest_step_rates(b.port, path, n, repeat)),
    }
    ws_path = f"/v1/sessions/{sid}/events?token={TOKEN}"
    ws = {
        "holder": _best(_ws_steps_blocking(a.ws_url + ws_path, n, repeat)),
        "forwarded": _best(_ws_steps_blocking(b.ws_url + ws_path, n, repeat)),
    }
    return {
        "steps": n,
        "rest_steps_per_second": rest,
        "rest_forwarded_over_holder": _ratio(rest["forwarded"], rest["holder"]),
        "websocket_steps_per_second": ws,
        "websocket_forwarded_over_holder": _ratio(ws["forwarded"], ws["holder"]),
        "client": "http.client / websockets sans-I/O, blocking sockets",
    }


class _Receiver(threading.Thread):
    """A client reading a session's numbered events until ``stops`` stop events have come,
    checking that the seqs follow one another (no gap, nothing twice)."""

    def __init__(self, url: str, stops: int) -> None:
        super().__init__(daemon=True)
        self.ws = BlockingClient(url)
        self.ws.send(json.dumps({"op": "subscribe", "id": 0}))  # the default types
        self.ws.recv()
        self.stops = stops
        self.first_seq = self.last_seq = 0
        self.events = 0
        self.t_last = 0.0
        self.error: str | None = None

    def run(self) -> None:
        stops = 0
        try:
            while stops < self.stops:
                msg = json.loads(self.ws.recv())
                seq = msg.get("seq") if isinstance(msg, dict) else None
                if seq is None:
                    if msg.get("type") == "overflow":
                        raise RuntimeError(f"overflow: {msg}")
                    continue
                if self.last_seq and seq != self.last_seq + 1:
                    raise RuntimeError(f"seq {seq} after {self.last_seq}")
                self.first_seq = self.first_seq or seq
                self.last_seq = seq
                self.events += 1
                stops += msg.get("type") == "stop"
            self.t_last = time.perf_counter()
        except Exception as e:  # reported by the caller, not lost in a thread
            self.error = str(e)
        finally:
            with contextlib.suppress(OSError):
                self.ws.close()


def _replay(url: str, since: int, last: int) -> float:
    """Seconds to receive every numbered event after ``since`` up to ``last``."""
    ws = BlockingClient(f"{url}&since={since}")
    try:
        t0 = time.perf_counter()
        seq = since
        while seq < last:
            msg = json.loads(ws.recv())
            if isinstance(msg, dict) and msg.get("seq") is not None:
                if msg["seq"] != seq + 1:
                    raise RuntimeError(f"replay: seq {msg['seq']} after {seq}")
                seq = msg["seq"]
        return time.perf_counter() - t0
    finally:
        ws.close()


def event_delivery(
    a: ServerProcess, b: ServerProcess, redis_url: str, sid: str, n: int, repeat: int
) -> dict[str, Any]:
    """A client on A steps the session ``n`` times as fast as it can (WebSocket, events
    unsubscribed) while a client on B receives its events through the Redis Stream: events/s
    from the first step to the last event on B, and how long after A's last step reply B had
    it. Then the last run's events replayed with ``?since=`` from B (read from the stream)
    and from A (its ring)."""
    import redis

    ws_path = f"/v1/sessions/{sid}/events?token={TOKEN}"
    live, lags = [], []
    events = first = last = 0
    for _ in range(repeat):
        rx = _Receiver(b.ws_url + ws_path, n + WARMUP)
        rx.start()
        t0 = time.perf_counter()
        _ws_steps_blocking(a.ws_url + ws_path, n, 1)  # its 50 warm-up steps are stops too
        t_sent = time.perf_counter()
        rx.join(120)
        if rx.is_alive() or rx.error:
            raise RuntimeError(f"events on B: {rx.error or 'not all came'}")
        live.append(rx.events / (rx.t_last - t0))
        lags.append(max(0.0, rx.t_last - t_sent))
        events, first, last = rx.events, rx.first_seq, rx.last_seq
    replay = {}
    for name, server in (("via_redis_on_b", b), ("holder_ring_on_a", a)):
        rates = [
            (last - first + 1) / _replay(server.ws_url + ws_path, first - 1, last)
            for _ in range(repeat)
        ]
        replay[name] = _best(rates)
    with redis.Redis.from_url(redis_url) as r:
        key = f"ppcdbg:events:{sid}"
        stream_bytes = r.memory_usage(key, samples=0) or 0
        held = r.xrevrange(key, count=1)[0][0].split(b"-")[0]
        oldest = r.xrange(key, count=1)[0][1][b"first"]
        stream_events = int(held) - int(oldest) + 1
    return {
        "steps": n,
        "events_per_run": events,
        "live_on_b_events_per_second": _best(live),
        "live_lag_ms": {
            "max": round(max(lags) * 1000, 1),
            "median": round(statistics.median(lags) * 1000, 1),
        },
        "replay_events_per_second": replay,
        "replay_via_redis_over_holder": _ratio(
            replay["via_redis_on_b"], replay["holder_ring_on_a"]
        ),
        "redis_stream": {
            "events": stream_events,
            "bytes": stream_bytes,
            "bytes_per_event": round(stream_bytes / stream_events),
        },
        "events": "each 1-step's stop event, gap-free seqs checked on every client",
    }


def trace_to_stream(a: ServerProcess, redis_url: str, n: int, repeat: int) -> dict[str, Any]:
    """What one replica puts into Redis at most: the first ``n`` instructions of a 4-vCPU
    session on A traced to a batching client on A (as bench/service.py's trace_batched),
    each of whose numbered events A also appends to the session's stream. Events/s to the
    client, and until the stream holds the run's last seq; the stream's bytes per trace
    event (it keeps the last ``event_ring`` seqs)."""
    import redis
    from websockets.sync.client import connect

    to_client, to_stream = [], []
    stream_bytes = stream_events = events = 0
    with (
        httpx.Client(base_url=a.url, headers=H, timeout=60) as c,
        redis.Redis.from_url(redis_url) as r,
    ):
        for _ in range(repeat):
            sid = _session(c, vcpus=4)
            key = f"ppcdbg:events:{sid}"
            url = f"{a.ws_url}/v1/sessions/{sid}/events?token={TOKEN}"
            with connect(url, max_size=None) as ws:
                sub = {"op": "subscribe", "types": ["trace", "stop"], "batch": True,
                       "trace": {"vcpus": [0, 1, 2, 3]}}  # fmt: skip
                ws.send(json.dumps(sub))
                ws.recv(timeout=30)
                t0 = time.perf_counter()
                resp = c.post(f"/v1/sessions/{sid}/continue", json={"budget": n})
                if resp.status_code != 202:
                    raise RuntimeError(resp.text[:200])
                while True:
                    m = json.loads(ws.recv(timeout=60))
                    if isinstance(m, dict) and m.get("type") == "stop":
                        last = int(m["seq"])
                        break
                t_client = time.perf_counter()
            deadline = time.monotonic() + 60
            while True:
                got: Any = r.xrevrange(key, count=1)
                if got and int(got[0][0].split(b"-")[0]) >= last:
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError("the stream did not get the run's last event")
                time.sleep(0.002)
            t_stream = time.perf_counter()
            to_client.append(last / (t_client - t0))
            to_stream.append(last / (t_stream - t0))
            events = last
            stream_bytes = r.memory_usage(key, samples=0) or 0
            oldest = int(r.xrange(key, count=1)[0][1][b"first"])
            stream_events = last - oldest + 1
            c.delete(f"/v1/sessions/{sid}")
    return {
        "events": events,
        "to_client_on_a_events_per_second": _best(to_client),
        "into_redis_events_per_second": _best(to_stream),
        "redis_stream": {
            "events": stream_events,
            "bytes": stream_bytes,
            "bytes_per_event": round(stream_bytes / stream_events),
        },  # fmt: skip
    }


def trace_through_b(a: ServerProcess, b: ServerProcess, n: int, repeat: int) -> dict[str, Any]:
    """A traced run of a session A holds, to a batching client on A, then (a new session,
    the same run) to one on B, which relays A's WebSocket; ``repeat`` times each,
    alternating, so both see the same machine."""
    on_a: list[float] = []
    on_b: list[float] = []
    counts = set()
    with httpx.Client(base_url=a.url, headers=H, timeout=60) as c:
        for _ in range(repeat):
            for ws_url, rates in ((a.ws_url, on_a), (b.ws_url, on_b)):
                sid = _session(c, vcpus=4)
                run = traced_run(ws_url, c, sid, n)
                rates.append(run["rate"])
                counts.add(run["events"])
                c.delete(f"/v1/sessions/{sid}")
    if len(counts) != 1:  # the same deterministic run: every client gets every event
        raise RuntimeError(f"the clients got different numbers of trace events: {counts}")
    best_a, best_b = _best(on_a), _best(on_b)
    return {"events": counts.pop(), "client_on_a": best_a, "client_on_b": best_b,
            "b_over_a": round(best_b["best"] / best_a["best"], 2)}  # fmt: skip


def spread_cpu_bound(
    a: ServerProcess, b: ServerProcess, image: str, budget: int, repeat: int
) -> dict[str, Any]:
    """1, 2 and 4 CPU-bound 2-vCPU sessions, made alternately on A and B (2 sessions: one
    each), each continued through its holder; and each replica's RSS holding them."""
    sessions: list[tuple[str, str]] = []
    for i in range(4):
        server = (a, b)[i % 2]
        with httpx.Client(base_url=server.url, headers=H, timeout=60) as c:
            r = c.post("/v1/sessions", json={"image_id": image, "vcpus": 2, "history": False})
            if r.status_code != 201:
                raise RuntimeError(r.text[:200])
            sessions.append((server.url, r.json()["id"]))
    out = cpu_bound_rates(sessions, (1, 2, 4), budget, repeat)
    # A also holds the stepped session, and its hub's ring the events of the runs above.
    out["replica_rss_mib_holding_2_each"] = {"a": _rss(a), "b": _rss(b)}
    # With isolation process each session's engine is a worker process of its replica.
    out["workers_mib"] = {"a": _workers_mib(a), "b": _workers_mib(b)}
    for url, sid in sessions:
        httpx.delete(f"{url}/v1/sessions/{sid}", headers=H, timeout=60).raise_for_status()
    return out


def _rss(server: ServerProcess) -> float:
    assert server.proc is not None
    return rss_mib(server.proc.pid)


def _workers_mib(server: ServerProcess) -> dict[str, list[float]]:
    """RSS and PSS of each of the replica's session workers (isolation process)."""
    assert server.proc is not None
    workers, _ = session_workers(server.proc.pid)
    return {"rss": sorted(rss_mib(w) for w in workers),
            "pss": sorted(pss_mib(w) for w in workers)}  # fmt: skip


def run(args: argparse.Namespace) -> dict[str, Any]:
    why = missing_tools()
    if why is not None:
        print(f"bench.replicas: skipped: {why}", file=sys.stderr)
        return {"skipped": why}
    with contextlib.ExitStack() as stack:
        database, redis_server = _backends(stack)
        d = stack.enter_context(tempfile.TemporaryDirectory(prefix="ppcdbg-bench-replicas-"))
        env = {"PPCDBG_ISOLATION": args.isolation, "PPCDBG_MAX_SESSIONS_PER_OWNER": "100"}
        a, b = (
            stack.enter_context(
                ServerProcess(
                    database,
                    f"bench:{TOKEN}",
                    args=("--redis", redis_server.url, "--replica-id", name),
                    env=env,
                    log=str(Path(d) / f"{name}.log"),
                )
            )
            for name in ("a", "b")
        )
        out: dict[str, Any] = {
            "isolation": args.isolation,
            "replica_rss_mib_idle": {"a": _rss(a), "b": _rss(b)},
        }
        with httpx.Client(base_url=a.url, headers=H, timeout=60) as c:
            image = c.post("/v1/images", files={"file": ("smp.elf", SMP.read_bytes())}).json()
            out["create"] = create_latency(a, b, image["id"], args.creates)
            sid = _session(c)
        out["step"] = step_round_trips(a, b, sid, args.steps, args.repeat)
        out["events"] = event_delivery(a, b, redis_server.url, sid, args.event_steps, args.repeat)
        out["trace_into_redis"] = trace_to_stream(a, redis_server.url, args.trace_events,
                                                  args.repeat)  # fmt: skip
        out["trace_through_b"] = trace_through_b(a, b, args.trace_events, args.repeat)
        out["cpu_bound"] = spread_cpu_bound(a, b, image["id"], args.cpu_budget, args.repeat)
    out["note"] = NOTE
    return out


def add_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument(
        "--isolation",
        default="process",
        choices=("thread", "process"),
        help="each replica's session isolation (deploy/compose.yaml: process)",
    )
    ap.add_argument("--creates", type=int, default=10, help="sessions created on each replica")
    ap.add_argument("--steps", type=int, default=2000, help="1-steps per round-trip run")
    ap.add_argument(
        "--event-steps",
        type=int,
        default=2000,
        help="1-steps whose events a client on the other replica receives",
    )
    ap.add_argument(
        "--trace-events",
        type=int,
        default=200_000,
        help="instructions traced on A (its events go to the client and into Redis)",
    )
    ap.add_argument(
        "--cpu-budget", type=int, default=2_000_000, help="instructions each CPU-bound session runs"
    )
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per figure (the best counts)")


def run_default() -> dict[str, Any]:
    ap = argparse.ArgumentParser()
    add_arguments(ap)
    return run(ap.parse_args([]))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.replicas", description=__doc__)
    add_arguments(ap)
    print(json.dumps(run(ap.parse_args(argv)), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
