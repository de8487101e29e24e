"""Stepping inside Debian's stock kernel: the three stepping backends give the same trace over
the first 1,000 steps after start_kernel (radix translation on, AIL=3, Linux's own trace
vector in place: the trace-vector backend plants its word at the AIL-relocated vector the
kernel installed). Sequences of larx/stcx. are stepped whole, as gdb steps them, so that the
native backend takes the same steps as the two that trace."""

from __future__ import annotations

import pytest

from engine.target import BACKENDS, PseriesBoot, SessionConfig, open_pseries_session

from .test_firmware import kernel_files

STEPS = 1000
REGS = ("r1", "r2", "r3", "r4", "lr", "ctr", "cr", "xer", "msr", "srr0", "srr1")


def _trace(backend: str) -> list[tuple[object, ...]]:
    vmlinux, initrd = kernel_files()
    boot = PseriesBoot(kernel=vmlinux.read_bytes(), initrd=initrd.read_bytes(),
                       cmdline="console=hvc0 cryptomgr.notests", kernel_base=0)  # fmt: skip
    ctl = open_pseries_session(
        boot, SessionConfig(profile="pseries", backend=backend, history=False,
                            atomic_sequences="whole"),
    )  # fmt: skip
    start = ctl.symbol("start_kernel")
    ev = ctl.cont(until=[start + 8], budget=60_000_000)  # its local entry: bl start_kernel
    assert (ev.reason, ev.pc) == ("step", start + 8), ev
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
