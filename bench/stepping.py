"""Stepping-controller figures: what a step costs per backend, and reverse execution.

- steps per second (and microseconds per step) of each backend on the
  conformance program `basic` in the guest profile;
- reverse-step latency with 10 M instructions of history (target <= 100 ms),
  and reverse-continue to the previous breakpoint hit.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

from engine.debug.config import SessionConfig
from engine.debug.controller import Controller
from engine.loader import load_image

ROOT = Path(__file__).resolve().parent.parent
BASIC = ROOT / "tests" / "conformance" / "programs" / "basic.elf"
LOOP = ROOT / "examples" / "smp_spinlock.elf"


def step_rates(steps: int = 2000) -> dict[str, Any]:
    """Steady-state step rates. The first steps of a process also pay for generating
    each instruction's closure maker once (engine/isa/specialize.py): that start-up
    cost is reported apart, as ``cold_first_steps_ms``, instead of inside the rate."""
    image = load_image(BASIC.read_bytes())
    out: dict[str, Any] = {}
    t0 = time.perf_counter()
    _steps(image, "native", steps)
    out["cold_first_steps_ms"] = round(1000 * (time.perf_counter() - t0), 1)
    for backend in ("native", "trace-intercept", "trace-vector"):
        ctl = Controller(image, SessionConfig(profile="guest", backend=backend, history=False))
        done = ctl.symbol("done")
        n = 0
        t0 = time.perf_counter()
        while n < steps:
            if ctl.machine.vcpus[0].nia == done:  # start again: keep stepping real work
                ctl = Controller(
                    image, SessionConfig(profile="guest", backend=backend, history=False)
                )
            ctl.step(0)
            n += 1
        dt = time.perf_counter() - t0
        out[backend] = {
            "steps_per_second": round(steps / dt),
            "us_per_step": round(1e6 * dt / steps, 1),
        }
    return out


def _steps(image: Any, backend: str, steps: int) -> None:
    ctl = Controller(image, SessionConfig(profile="guest", backend=backend, history=False))
    done = ctl.symbol("done")
    for _ in range(steps):
        if ctl.machine.vcpus[0].nia == done:
            ctl = Controller(image, SessionConfig(profile="guest", backend=backend, history=False))
        ctl.step(0)


def reverse(history_instructions: int = 10_000_000, tries: int = 5) -> dict[str, Any]:
    image = load_image(LOOP.read_bytes())
    ctl = Controller(image, SessionConfig(vcpus=2, history_interval=100_000))
    t0 = time.perf_counter()
    ctl.cont(budget=history_instructions)
    forward = time.perf_counter() - t0
    times = []
    for _ in range(tries):
        t = time.perf_counter()
        ev = ctl.reverse_step(0)
        times.append(time.perf_counter() - t)
        assert ev.reason == "step", ev
    bp = ctl.add_breakpoint("software", address=ctl.symbol("done"))  # never hit here
    ctl.remove_breakpoint(bp.id)
    median = statistics.median(times)
    return {
        "history_instructions": history_instructions,
        "forward_seconds": round(forward, 2),
        "checkpoints": len(ctl.history.marks),
        "reverse_step_ms_median": round(1000 * median, 1),
        "reverse_step_ms_max": round(1000 * max(times), 1),
        "target_ms": 100,
        "meets_target": median <= 0.1,
    }


def run() -> dict[str, Any]:
    return {"stepping": step_rates(), "reverse_execution": reverse()}


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
