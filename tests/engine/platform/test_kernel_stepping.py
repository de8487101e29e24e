"""Stepping inside Debian's stock kernel: the three stepping backends give the same trace over
the first 1,000 steps after start_kernel (radix translation on, AIL=3, Linux's own trace
vector in place: the trace-vector backend plants its word at the AIL-relocated vector the
kernel installed), each from the same snapshot of the kernel at start_kernel. Sequences of
larx/stcx. are stepped whole, as gdb steps them, so that the native backend takes the same
steps as the two that trace."""

from __future__ import annotations

import pytest

from engine.target import BACKENDS

from .kernel import session_at_start_kernel

STEPS = 1000
REGS = ("r1", "r2", "r3", "r4", "lr", "ctr", "cr", "xer", "msr", "srr0", "srr1")


def _trace(backend: str) -> list[tuple[object, ...]]:
    ctl = session_at_start_kernel(backend=backend, atomic_sequences="whole")
    assert ctl.register_values(0, ("pc",))[0] == ctl.symbol("start_kernel") + 8
    out: list[tuple[object, ...]] = []
    for _ in range(STEPS):
        e = ctl.step(0)
        out.append((e.reason, e.pc, ctl.time, *ctl.register_values(0, REGS)))
    return out


@pytest.mark.slow
def test_every_backend_steps_the_kernel_identically_after_start_kernel() -> None:
    native = _trace("native")
    assert {t[0] for t in native} == {"step"}
    assert len({t[1] for t in native}) > 200  # it goes somewhere: calls, returns, loops
    for backend in BACKENDS:
        if backend != "native":
            other = _trace(backend)
            first = next(
                (i for i, (a, b) in enumerate(zip(native, other, strict=True)) if a != b), None
            )
            assert first is None, (backend, first, native[first], other[first])
