"""``python -m bench``: interpreter speed as JSON, and QEMU TCG on the same programs.

Programs (``bench/programs/*.S``, prebuilt ``.bin`` committed; ``build.sh`` rebuilds):
(a) ``loop``: an ``addi``/``bdnz`` loop, 2 instructions per iteration;
(b) ``memmix``: ``ld``/``add``/``std``/``addi``/``cmpd``/``bne``, 6 per iteration.
Each reads its iteration count from the doubleword at 0x1000, which is patched here.

Native: a fixed instruction count, best of ``--repeat`` runs (a fresh machine each run,
so decoding is included once, as it is for a real program).

QEMU (when ``qemu-system-ppc64`` is installed): ``tests/differential/qemu.run_until``
times a free run to ``done`` through the gdbstub; the same program is run with two
iteration counts and the times subtracted, which cancels QEMU's start-up, translation
and breakpoint round trips, leaving the steady-state TCG rate.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from engine.loader import load_image
from engine.machine import Machine, MachineConfig

PROGRAMS = Path(__file__).resolve().parent / "programs"
COUNT_ADDR = 0x1000


class Program:
    def __init__(self, name: str, per_iteration: int, done: int) -> None:
        self.name = name
        self.per_iteration = per_iteration
        self.done = done
        self.image = (PROGRAMS / f"{name}.bin").read_bytes()

    def with_count(self, n: int) -> bytes:
        b = bytearray(self.image)
        b[COUNT_ADDR : COUNT_ADDR + 8] = n.to_bytes(8, "big")
        return bytes(b)

    def instructions(self, n: int) -> int:
        """Instructions from _start to arriving at ``done`` (not executing it)."""
        return self.per_iteration * n + 3


LOOP = Program("loop", 2, 0x24)
MEMMIX = Program("memmix", 6, 0x34)


def native_rate(p: Program, iterations: int, repeat: int) -> dict[str, Any]:
    count = p.instructions(iterations)
    best = float("inf")
    for _ in range(repeat):
        m = Machine(load_image(p.with_count(iterations)), MachineConfig(memory=64 << 20))
        cpu = m.vcpus[0]
        t0 = time.perf_counter()
        done = cpu.run(count)
        elapsed = time.perf_counter() - t0
        if done != count or cpu.nia != p.done:
            raise RuntimeError(f"{p.name}: ran {done} to 0x{cpu.nia:x}, expected {count} to done")
        best = min(best, elapsed)
    return {"instructions": count, "best_seconds": round(best, 4),
            "instructions_per_second": round(count / best)}  # fmt: skip


def qemu_rate(p: Program, iterations: int, repeat: int) -> dict[str, Any] | None:
    if shutil.which("qemu-system-ppc64") is None:
        return None
    try:
        from tests.differential.qemu import run_until
    except ImportError:
        return None
    small = max(1, iterations // 10)
    best_small = best_big = float("inf")
    for _ in range(repeat):
        t_small, pc_small = run_until(p.with_count(small), [p.done])
        t_big, pc_big = run_until(p.with_count(iterations), [p.done])
        if pc_small != p.done or pc_big != p.done:
            raise RuntimeError(f"{p.name}: QEMU stopped at 0x{pc_big:x}, not done")
        best_small, best_big = min(best_small, t_small), min(best_big, t_big)
    extra = p.instructions(iterations) - p.instructions(small)
    delta = best_big - best_small
    return {
        "instructions": p.instructions(iterations),
        "seconds_small": round(best_small, 4),
        "seconds_big": round(best_big, 4),
        "instructions_per_second": round(extra / delta) if delta > 0 else None,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    ap.add_argument("--loop-iterations", type=int, default=1_500_000)
    ap.add_argument("--memmix-iterations", type=int, default=300_000)
    ap.add_argument("--qemu-iterations", type=int, default=50_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-qemu", action="store_true")
    ap.add_argument(
        "--no-service",
        action="store_true",
        help="skip bench/service.py, bench/memory.py and bench/replicas.py",
    )
    ap.add_argument(
        "--no-replicas",
        action="store_true",
        help="skip bench/replicas.py (two replicas on PostgreSQL and Redis, which it starts)",
    )
    ap.add_argument(
        "--memory-instructions",
        type=int,
        default=100_000_000,
        help="instructions a session runs in bench/memory.py",
    )
    ap.add_argument(
        "--no-boot", action="store_true", help="skip bench/pseries_boot.py (minutes: a kernel boot)"
    )
    ap.add_argument(
        "--no-crypto",
        action="store_true",
        help="skip the kernel boot with the crypto self-tests (about 1 G instructions)",
    )
    args = ap.parse_args(argv)
    targets = {"loop": 2_000_000, "memmix": 1_000_000}
    report: dict[str, Any] = {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "machine": platform.machine(),
        "processor": platform.processor() or None,
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "benchmarks": {},
    }
    for p, iters in ((LOOP, args.loop_iterations), (MEMMIX, args.memmix_iterations)):
        entry: dict[str, Any] = {"native": native_rate(p, iters, args.repeat)}
        rate = entry["native"]["instructions_per_second"]
        entry["target_instructions_per_second"] = targets[p.name]
        entry["meets_target"] = rate >= targets[p.name]
        if not args.no_qemu:
            q = qemu_rate(p, args.qemu_iterations, max(1, args.repeat - 1))
            entry["qemu_tcg"] = q
            if q is not None and q["instructions_per_second"]:
                entry["qemu_over_native"] = round(q["instructions_per_second"] / rate, 1)
        report["benchmarks"][p.name] = entry
    from . import stepping

    report["benchmarks"].update(stepping.run())
    report["benchmarks"].update(__import__("bench.gdb").gdb.run(qemu=not args.no_qemu))
    from . import speed  # issue 6: blocks vs interpreter, (a)-(g) with targets and QEMU ratios

    report["benchmarks"].update(speed.run(qemu=not args.no_qemu, repeat=args.repeat))
    report["benchmarks"].update(__import__("bench.checkpoint").checkpoint.run())  # issue 3
    if not args.no_service:  # issue 5: REST/WebSocket round trips, trace events, sessions
        report["benchmarks"]["service"] = __import__("bench.service").service.run_default(
            qemu=not args.no_qemu
        )
        # issue 15: server RSS after long runs, history on and off, and after a delete
        report["benchmarks"].update(__import__("bench.memory").memory.run(args.memory_instructions))
        if not args.no_replicas:  # issue 18: the same through two replicas, Redis, PostgreSQL
            report["benchmarks"]["replicas"] = __import__("bench.replicas").replicas.run_default()
    if not args.no_boot:  # issues 16 and 17: Debian's kernel to power-off, QEMU beside it
        report["benchmarks"].update(
            __import__("bench.pseries_boot").pseries_boot.run(
                qemu=not args.no_qemu, crypto=not args.no_crypto
            )
        )
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
