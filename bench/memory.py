"""Server memory under long runs (issue 15): RSS of a real ``ppcdbg serve`` after a session
has run ``instructions`` (continues, plus four 1 M-instruction step calls, which is what
grew the reverse-execution log by ~635 MiB each before its entries were merged and its
budget counted in bytes), with history on and off, and after the session is deleted.

Also memory per session (docs/capacity.md): a server's RSS before and after ``count`` small
sessions are made and stepped, under thread and under process isolation (each worker's RSS
and PSS too: workers fork from one fork server, so RSS counts the pages they share).

    python -m bench.memory [--instructions 100000000] [--sessions 20]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from service.launch import ROOT, ServerProcess

SMP = ROOT / "examples" / "smp_spinlock.elf"
H = {"Authorization": "Bearer tok"}
STEP_CALLS = 4
STEP_COUNT = 1_000_000
CONTINUE = 20_000_000  # instructions per continue


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError("no VmRSS")


def pss_mib(pid: int) -> float:
    """Proportional set size: shared pages split between the processes sharing them."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError("no Pss")


def children(pid: int) -> list[int]:
    return [int(k) for t in Path(f"/proc/{pid}/task").glob("*/children")
            for k in t.read_text().split()]  # fmt: skip


def session_workers(pid: int) -> tuple[list[int], list[int]]:
    """A server's session worker processes (isolation process: multiprocessing's fork
    server forks them, so they are its children) and its own children (the fork server and
    multiprocessing's resource tracker: once per server, not per session)."""
    helpers = children(pid)
    return [w for h in helpers for w in children(h)], helpers


def per_session(isolation: str, count: int) -> dict[str, Any]:
    """Memory of ``count`` small sessions (the SMP demo, 1 vCPU, history off, 1,000
    instructions stepped each) on one server: the server's RSS growth per session, and
    under process isolation each session's worker (the fork server, made before the first
    session, is counted once, apart)."""
    with tempfile.TemporaryDirectory() as d, ServerProcess(
        str(Path(d) / "db.sqlite3"), "bench:tok",
        env={"PPCDBG_ISOLATION": isolation, "PPCDBG_MAX_SESSIONS_PER_OWNER": str(count)},
    ) as server, httpx.Client(base_url=server.url, headers=H, timeout=120) as c:  # fmt: skip
        assert server.proc is not None
        pid = server.proc.pid
        image = c.post("/v1/images", files={"file": ("smp.elf", SMP.read_bytes())}).json()
        time.sleep(0.5)
        before = rss_mib(pid)
        for _ in range(count):
            r = c.post("/v1/sessions", json={"image_id": image["id"], "history": False})
            r.raise_for_status()
            sid = r.json()["id"]
            c.post(f"/v1/sessions/{sid}/vcpus/0/step", json={"count": 1000}).raise_for_status()
        time.sleep(0.5)
        after = rss_mib(pid)
        out: dict[str, Any] = {
            "isolation": isolation, "sessions": count, "server_rss_mib_before": before,
            "server_rss_mib_after": after,
            "server_mib_per_session": round((after - before) / count, 2),
        }  # fmt: skip
        workers, helpers = session_workers(pid)
        if workers:
            rss = sorted(rss_mib(w) for w in workers)
            pss = sorted(pss_mib(w) for w in workers)
            out.update(workers=len(workers), worker_rss_mib_median=rss[len(rss) // 2],
                       worker_pss_mib_median=pss[len(pss) // 2],
                       mib_per_session_pss=round((after - before + sum(pss)) / count, 1),
                       helpers_rss_mib=[rss_mib(h) for h in helpers])  # fmt: skip
        return out


def one(history: bool, instructions: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as d, ServerProcess(
        str(Path(d) / "db.sqlite3"), "bench:tok",
        env={"PPCDBG_MAX_STEP_COUNT": str(STEP_COUNT)},
    ) as server, httpx.Client(base_url=server.url, headers=H, timeout=600) as c:  # fmt: skip
        assert server.proc is not None
        pid = server.proc.pid
        image = c.post("/v1/images", files={"file": ("smp.elf", SMP.read_bytes())}).json()
        start = rss_mib(pid)
        sid = c.post("/v1/sessions", json={"image_id": image["id"], "vcpus": 2,
                                           "history": history}).json()["id"]  # fmt: skip
        t0 = time.perf_counter()
        step_times = []
        for _ in range(STEP_CALLS):
            t = time.perf_counter()
            r = c.post(f"/v1/sessions/{sid}/vcpus/0/step", json={"count": STEP_COUNT})
            r.raise_for_status()
            step_times.append(round(time.perf_counter() - t, 2))
        after_steps = rss_mib(pid)
        left = instructions - STEP_CALLS * STEP_COUNT
        while left > 0:
            n = min(CONTINUE, left)
            r = c.post(f"/v1/sessions/{sid}/continue?wait=600", json={"budget": n})
            r.raise_for_status()
            left -= n
        elapsed = time.perf_counter() - t0
        ran = c.get(f"/v1/sessions/{sid}").json()["time"]
        after_run = rss_mib(pid)
        c.delete(f"/v1/sessions/{sid}").raise_for_status()
        time.sleep(0.5)
        return {
            "history": history, "instructions": ran, "seconds": round(elapsed, 2),
            "step_call_seconds": step_times, "rss_mib_start": start,
            "rss_mib_after_step_calls": after_steps, "rss_mib_after_run": after_run,
            "rss_mib_after_delete": rss_mib(pid),
        }  # fmt: skip


def run(instructions: int = 100_000_000, sessions: int = 20) -> dict[str, Any]:
    return {"server_memory": {"history_on": one(True, instructions),
                              "history_off": one(False, instructions),
                              "per_session": [per_session("thread", sessions),
                                              per_session("process", sessions)]}}  # fmt: skip


if __name__ == "__main__":
    ap = argparse.ArgumentParser(prog="python -m bench.memory")
    ap.add_argument("--instructions", type=int, default=100_000_000)
    ap.add_argument("--sessions", type=int, default=20, help="sessions per_session makes")
    ap.add_argument("--per-session-only", action="store_true")
    a = ap.parse_args()
    if a.per_session_only:
        out = {"per_session": [per_session("thread", a.sessions),
                               per_session("process", a.sessions)]}  # fmt: skip
    else:
        out = run(a.instructions, a.sessions)
    print(json.dumps(out, indent=2))
