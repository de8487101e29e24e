"""Single steps per second through the GDB remote protocol: ppcdbg against QEMU's gdbstub.

Both are driven by the same client (``tests/differential/rsp.py``: ack mode,
``TCP_NODELAY``, one raw ``vCont;s:p1.1`` per step, as docs/qemu-reference.md
describes) on the same program (``bench/programs/loop.bin`` with a count that
never runs out). ppcdbg runs as ``ppcdbg gdbserver`` in its own process, as QEMU
does; the in-process figure (server on a thread of the client's process, as the
tests run it) and the controller's own ``step()`` cost are reported alongside,
to show where the time goes.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from engine.debug.config import SessionConfig
from engine.debug.controller import Controller
from engine.loader import load_image

ROOT = Path(__file__).resolve().parent.parent
PROGRAM = ROOT / "bench" / "programs" / "loop.bin"
COUNT_ADDR = 0x1000


def _image() -> bytes:
    b = bytearray(PROGRAM.read_bytes())
    b[COUNT_ADDR : COUNT_ADDR + 8] = (10**12).to_bytes(8, "big")  # never reaches done
    return bytes(b)


def _client_rate(port: int, steps: int, repeat: int) -> float:
    from tests.differential.rsp import RspClient, measure_step_rate

    with RspClient("127.0.0.1", port) as c:
        c.handshake()
        tid = c.thread_ids()[0]
        measure_step_rate(c, tid, 200)  # warm up: decode caches, TCP
        return max(measure_step_rate(c, tid, steps) for _ in range(repeat))


def ppcdbg_rate(image: Path, steps: int, repeat: int) -> float:
    """``ppcdbg gdbserver`` as a child process, as QEMU is."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "gdbserver", str(image), "--port", "0", "--once"],
        cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        m = re.search(r"listening on [\d.]+:(\d+)", line)
        if m is None:
            raise RuntimeError(f"ppcdbg gdbserver did not start: {line!r}")
        return _client_rate(int(m.group(1)), steps, repeat)
    finally:
        proc.kill()
        proc.wait(timeout=10)
        if proc.stderr is not None:
            proc.stderr.close()


def in_process_rate(data: bytes, steps: int, repeat: int) -> float:
    from service.gdb import start_gdb_server

    with start_gdb_server(Controller(load_image(data), SessionConfig())) as h:
        return _client_rate(h.port, steps, repeat)


def controller_step_us(data: bytes, steps: int) -> float:
    """The controller's own cost of one step, without any protocol."""
    ctl = Controller(load_image(data), SessionConfig())
    for _ in range(200):
        ctl.step(0)
    t0 = time.perf_counter()
    for _ in range(steps):
        ctl.step(0)
    return (time.perf_counter() - t0) / steps * 1e6


def qemu_rate(data: bytes, steps: int, repeat: int) -> float | None:
    if shutil.which("qemu-system-ppc64") is None:
        return None
    from tests.differential.qemu import QemuMachine
    from tests.differential.rsp import measure_step_rate

    with QemuMachine(data) as q:
        tid = q.tids[0]
        measure_step_rate(q.rsp, tid, 200)
        return max(measure_step_rate(q.rsp, tid, steps) for _ in range(repeat))


def run(steps: int = 5000, repeat: int = 3, qemu: bool = True) -> dict[str, Any]:
    data = _image()
    with tempfile.TemporaryDirectory(prefix="ppcdbg-bench-") as d:
        path = Path(d) / "loop.bin"
        path.write_bytes(data)
        ours = ppcdbg_rate(path, steps, repeat)
    entry: dict[str, Any] = {
        "steps": steps,
        "ppcdbg_steps_per_second": round(ours),
        "ppcdbg_in_process_steps_per_second": round(in_process_rate(data, steps, repeat)),
        "controller_step_microseconds": round(controller_step_us(data, steps), 1),
        "rsp_round_trip_microseconds": round(1e6 / ours, 1),
    }
    q = qemu_rate(data, steps, repeat) if qemu else None
    entry["qemu_steps_per_second"] = round(q) if q else None
    if q:
        entry["ppcdbg_over_qemu"] = round(ours / q, 2)
        entry["meets_target"] = ours >= q
    return {"gdb_rsp_single_steps": entry}


if __name__ == "__main__":
    import json

    print(json.dumps(run(qemu="--no-qemu" not in sys.argv), indent=2))
