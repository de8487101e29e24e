"""Fixtures of the differential suite: the programs and their goldens."""

from __future__ import annotations

from engine.loader import load_image
from engine.machine import Machine, MachineConfig
from engine.trace import TraceOptions, run_trace

from .build import Program


def engine_trace(image: bytes, prog: Program) -> list[str]:
    """``ppcdbg trace --steps N --vcpus V --regs R`` in-process (engine.trace.run_trace)."""
    m = Machine(load_image(image), MachineConfig(vcpus=prog.vcpus))
    return list(run_trace(m, TraceOptions(steps=prog.steps, regs=prog.regs)))
