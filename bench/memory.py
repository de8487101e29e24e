"""Server memory under long runs (issue 15): RSS of a real ``ppcdbg serve`` after a session
has run ``instructions`` (continues, plus four 1 M-instruction step calls, which is what
grew the reverse-execution log by ~635 MiB each before its entries were merged and its
budget counted in bytes), with history on and off, and after the session is deleted.

    python -m bench.memory [--instructions 100000000]
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


def run(instructions: int = 100_000_000) -> dict[str, Any]:
    return {"server_memory": {"history_on": one(True, instructions),
                              "history_off": one(False, instructions)}}  # fmt: skip


if __name__ == "__main__":
    ap = argparse.ArgumentParser(prog="python -m bench.memory")
    ap.add_argument("--instructions", type=int, default=100_000_000)
    print(json.dumps(run(ap.parse_args().instructions), indent=2))
