"""Fixtures of the differential suite: the programs and their goldens."""

from __future__ import annotations

from engine.debug.config import SessionConfig
from engine.debug.controller import Controller
from engine.loader import load_image
from engine.trace import TraceOptions, run_trace

from .build import Program


def engine_trace(image: bytes, prog: Program) -> list[str]:
    """``ppcdbg trace --steps N --vcpus V --regs R`` in-process (engine.trace.run_trace)."""
    flags = prog.step_flags
    config = SessionConfig(
        vcpus=prog.vcpus, history=False, noirq="noirq" in flags, notimer="notimer" in flags
    )
    ctl = Controller(load_image(image), config)
    return list(run_trace(ctl, TraceOptions(steps=prog.steps, regs=prog.regs)))
