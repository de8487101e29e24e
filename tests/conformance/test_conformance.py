"""Every backend steps exactly like the reference (docs/stepping.md "Guest transparency").

Each program is stepped under each backend that supports its profile, with
one and several vCPUs and every scheduler-locking mode; after every step the
whole guest-visible state must equal what the `native` backend produced.
"""

from __future__ import annotations

import pytest

from engine.debug.controller import Controller

from .conftest import describe_difference, guest_state, session

GUEST_BACKENDS = ("trace-intercept", "trace-vector")
CASES = [
    # program, profile, vcpus, steps, vCPU stepped (None: round-robin), locking
    ("basic", "guest", 1, 70, 0, "step"),
    ("selfstep", "guest", 1, 60, 0, "step"),
    ("race", "guest", 2, 60, 0, "off"),
    ("race", "guest", 2, 60, 0, "step"),
    ("race", "guest", 2, 60, None, "step"),
    ("basic", "powernv", 1, 70, 0, "step"),
    ("le_guest", "guest", 1, 70, 0, "step"),
    ("examples/radix_ail", "guest", 1, 150, 0, "step"),
    ("examples/guest_console", "guest", 1, 150, 0, "step"),
    ("examples/smp_spinlock", "powernv", 2, 120, None, "off"),
    ("examples/smp_spinlock", "powernv", 4, 120, 0, "off"),
    ("examples/smp_spinlock", "guest", 4, 120, 0, "off"),
    ("examples/smp_spinlock", "guest", 3, 90, None, "off"),
]


def run_steps(ctl: Controller, steps: int, vcpu: int | None) -> list[tuple[object, ...]]:
    out = [guest_state(ctl)]
    n = len(ctl.machine.vcpus)
    for i in range(steps):
        v = vcpu if vcpu is not None else i % n
        ev = ctl.step(v)
        assert ev.reason in ("step", "watchpoint"), f"step {i + 1}: {ev}"
        out.append(guest_state(ctl))
    return out


# trace-vector needs the guest profile (KVM HV): it is not paired with powernv programs.
MATRIX = [
    (backend, *case)
    for case in CASES
    for backend in GUEST_BACKENDS
    if backend != "trace-vector" or case[1] == "guest"
]


@pytest.mark.parametrize(
    ("backend", "program", "profile", "vcpus", "steps", "vcpu", "locking"), MATRIX
)
def test_backend_equals_native_at_every_step(
    backend: str,
    program: str,
    profile: str,
    vcpus: int,
    steps: int,
    vcpu: int | None,
    locking: str,
) -> None:
    ref = run_steps(session(program, "native", profile, vcpus, locking), steps, vcpu)
    ctl = session(program, backend, profile, vcpus, locking)
    got = run_steps(ctl, steps, vcpu)
    for i, (a, b) in enumerate(zip(ref, got, strict=True)):
        assert a == b, f"step {i}: {describe_difference(a, b)}"
    if backend == "trace-vector":
        stats = ctl.stats()
        assert stats["planted"] > 0 and stats["planted"] == stats["restored"]
        if program == "race" and locking == "off":
            assert stats["foreign_hits"] > 0
