"""Debugging Debian's stock kernel past start_kernel: a watchpoint on kernel data under radix
translation, and a snapshot of the booted kernel that restores and replays exactly (the same
console output, instruction count and registers), in its own session and in a new one."""

from __future__ import annotations

import pytest

from engine.target import ConsoleEvent, Target

from .kernel import session_at_start_kernel

REGS = ("pc", "msr", "r1", "r2", "r3", "lr", "ctr", "cr", "srr0", "srr1", "dec")


def _run(ctl: Target, budget: int) -> tuple[str, int, int, list[int]]:
    """Run ``budget`` instructions: the console written meanwhile, the time, the instructions
    retired and the registers at the end."""
    console: list[str] = []
    unsubscribe = ctl.subscribe(lambda e: console.append(e.text) if isinstance(e, ConsoleEvent)
                                else None)  # fmt: skip
    ev = ctl.cont(budget=budget)
    unsubscribe()
    assert ev.reason == "limit", ev
    retired = sum(v.retired for v in ctl.vcpu_views())
    return "".join(console), ctl.time, retired, ctl.register_values(0, REGS)


@pytest.mark.slow
def test_a_watchpoint_on_kernel_data_stops_where_the_kernel_writes_it() -> None:
    ctl = session_at_start_kernel()
    nr_cpu_ids = ctl.symbol("nr_cpu_ids")  # 0xc000...: the kernel's linear map, radix on
    assert nr_cpu_ids >> 60 == 0xC
    bp = ctl.add_breakpoint("watchpoint", address=nr_cpu_ids, length=4, access="write")
    ev = ctl.cont(budget=10_000_000)
    assert (ev.reason, ev.breakpoint_id) == ("watchpoint", bp.id), ev
    assert ev.watch is not None and ev.watch.address == nr_cpu_ids
    # NR_CPUS (2048) until setup_nr_cpu_ids counts the one possible CPU; the values are the
    # little-endian kernel's, not its bytes.
    assert (ev.watch.size, ev.watch.old, ev.watch.new) == (4, 2048, 1)
    setup = ctl.symbol("setup_nr_cpu_ids")
    assert setup < ev.pc < setup + 0x100, hex(ev.pc)
    assert ctl.read_memory(nr_cpu_ids, 4, "effective") == (1).to_bytes(4, "little")


@pytest.mark.slow
def test_a_snapshot_of_the_booted_kernel_restores_and_replays_exactly() -> None:
    ctl = session_at_start_kernel()
    snaps = ctl.support_snapshots()
    assert snaps is not None
    state, time = snaps.take_snapshot("here")
    first = _run(ctl, 1_000_000)
    assert "Linux version 6.1" in first[0]  # the replayed stretch prints the banner
    snaps.restore_snapshot("here")
    assert _run(ctl, 1_000_000) == first
    elsewhere = session_at_start_kernel()
    other = elsewhere.support_snapshots()
    assert other is not None
    other.load_snapshot("here", state, time)
    other.restore_snapshot("here")
    assert _run(elsewhere, 1_000_000) == first
