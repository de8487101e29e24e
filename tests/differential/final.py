"""Final-state comparison, for programs QEMU 7.2's gdbstub cannot single-step.

After an FP instruction that sets FPSCR[FEX] (an enabled exception with
MSR[FE0|FE1] = 0, or one that raises the program interrupt), QEMU 7.2's
single step does not stop, not even at breakpoints on the fall-through or on
the vectors: it runs until it is interrupted. Such programs declare
``# compare: final``: both machines run from reset to the program's
``done: b done`` (the first ``b .`` word in the image) and the state there,
registers and a declared memory range, is compared instead of every step.
The instruction-level exactness of those instructions rests on the
per-instruction tests, which were checked against QEMU by memory dumps.
"""

from __future__ import annotations

import json

from engine.debug.config import SessionConfig
from engine.debug.controller import Controller
from engine.loader import load_image
from engine.trace import state

from .build import Program
from .qemu import QemuMachine, line

B_DOT = 0x48000000
ENTRY = 0x10


def done_address(image: bytes) -> int:
    """The first ``b .`` of the image, in either byte order (compiled programs run LE)."""
    for a in range(ENTRY, len(image) - 3, 4):
        if B_DOT in (
            int.from_bytes(image[a : a + 4], "big"),
            int.from_bytes(image[a : a + 4], "little"),
        ):
            return a
    raise ValueError("the program has no `done: b done`")


def qemu_final(image: bytes, prog: Program) -> list[str]:
    done = done_address(image)
    with QemuMachine(image, prog.vcpus) as q:
        q.rsp.insert_breakpoint(done)
        q.rsp.sock.settimeout(120)
        q.rsp.cont()
        d = {"final": True, **q.state(0, prog.regs)}
        if prog.mem is not None:
            d["mem"] = q.read_memory(*prog.mem).hex()
        return [line(d)]


def engine_final(image: bytes, prog: Program) -> list[str]:
    done = done_address(image)
    ctl = Controller(load_image(image), SessionConfig(vcpus=prog.vcpus, history=False))
    ev = ctl.cont(until=[done], budget=prog.steps * 10)
    if ev.pc != done:
        raise AssertionError(
            f"{prog.name}: the engine stopped at {ev.pc:#x} ({ev.reason}), not done"
        )
    d = {"final": True, **state(ctl, ctl.machine.vcpus[0], prog.regs)}
    if prog.mem is not None:
        d["mem"] = ctl.read_memory(*prog.mem).hex()
    return [json.dumps(d, separators=(", ", ": "))]
