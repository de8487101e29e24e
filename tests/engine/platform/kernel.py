"""Debian's stock kernel stopped at start_kernel, shared by the tests that debug it: the boot
there (20.9 M instructions, ~9 s) runs once per test process and is kept as a snapshot, which
each test restores into a session of its own (restoring is itself under test: a snapshot of a
booted kernel must replay exactly)."""

from __future__ import annotations

import functools

from engine.target import PseriesBoot, SessionConfig, Target, open_pseries_session

from .test_firmware import kernel_files

CMDLINE = "console=hvc0 cryptomgr.notests"


def boot_config() -> PseriesBoot:
    vmlinux, initrd = kernel_files()
    return PseriesBoot(kernel=vmlinux.read_bytes(), initrd=initrd.read_bytes(), cmdline=CMDLINE,
                       kernel_base=0, rng_seed=bytes(32))  # fmt: skip


@functools.cache
def _at_start_kernel() -> tuple[bytes, int]:
    ctl = open_pseries_session(boot_config(), SessionConfig(profile="pseries", history=False))
    local = ctl.symbol("start_kernel") + 8  # its local entry: the kernel calls it with bl
    ev = ctl.cont(until=[local], budget=60_000_000)
    assert (ev.reason, ev.pc) == ("step", local), ev
    snaps = ctl.support_snapshots()
    assert snaps is not None
    return snaps.take_snapshot("start_kernel")


def session_at_start_kernel(**config: object) -> Target:
    """A new session (``config`` as SessionConfig's) whose kernel stands at start_kernel."""
    state, time = _at_start_kernel()
    config.setdefault("history", False)
    ctl = open_pseries_session(boot_config(), SessionConfig(profile="pseries", **config))  # type: ignore[arg-type]
    snaps = ctl.support_snapshots()
    assert snaps is not None
    snaps.load_snapshot("start_kernel", state, time)
    snaps.restore_snapshot("start_kernel")
    return ctl
