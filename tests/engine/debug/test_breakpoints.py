"""Breakpoints through the controller: conditions, ignore counts, temporary, enable,
per-vCPU, hardware limits, catchpoints, and invisibility to memory reads."""

from __future__ import annotations

import pytest

from engine.debug.breakpoints import BreakpointError
from tests.conformance.conftest import session

LOOP = 0x1014  # `1: addi 13,13,1` in basic.S's counted loop (three iterations)


def loop_address(ctl: object) -> int:
    # the address of `addi 13,13,1` in basic.S: found by scanning its words
    for line in ctl.disassemble(0x1000, 80):  # type: ignore[attr-defined]
        if line.text == "addi r13, r13, 1":
            return int(line.address)
    raise AssertionError("loop not found")


@pytest.mark.parametrize("backend", ["native", "trace-intercept", "trace-vector"])
def test_a_software_breakpoint_stops_each_time_it_is_reached(backend: str) -> None:
    ctl = session("basic", backend)
    at = loop_address(ctl)
    bp = ctl.add_breakpoint("software", address=at)
    hits = [ctl.cont() for _ in range(3)]
    assert [(e.reason, e.pc, e.breakpoint_id) for e in hits] == [("breakpoint", at, bp.id)] * 3
    assert [ctl.registers(0, ["r13"])["r13"] for _ in range(1)] == [2]
    assert bp.hit_count == 3


@pytest.mark.parametrize("backend", ["native", "trace-vector"])
def test_a_condition_and_an_ignore_count_decide_which_hit_stops(backend: str) -> None:
    ctl = session("basic", backend)
    at = loop_address(ctl)
    bp = ctl.add_breakpoint("software", address=at, condition="r13 >= 1", ignore_count=1)
    ev = ctl.cont()
    assert ev.reason == "breakpoint" and ctl.registers(0, ["r13"])["r13"] == 2
    assert bp.hit_count == 2  # r13=0 did not count (condition false), r13=1 was ignored


def test_a_temporary_breakpoint_disappears_after_its_hit() -> None:
    ctl = session("basic", "native")
    bp = ctl.add_breakpoint("software", address=loop_address(ctl), temporary=True)
    assert ctl.cont().reason == "breakpoint"
    assert bp.id not in ctl.breakpoints.by_id
    assert ctl.cont(until=[ctl.symbol("done")]).reason == "step"


def test_a_disabled_breakpoint_does_not_stop() -> None:
    ctl = session("basic", "native")
    bp = ctl.add_breakpoint("software", address=loop_address(ctl))
    ctl.update_breakpoint(bp.id, enabled=False)
    assert ctl.cont(until=[ctl.symbol("done")]).reason == "step"


def test_a_breakpoint_for_one_vcpu_lets_the_other_pass() -> None:
    ctl = session("race", "trace-vector", vcpus=2)
    bp = ctl.add_breakpoint("software", address=0xD00, vcpus=frozenset({0}))
    ev = ctl.cont(budget=2000)
    assert ev.reason == "limit"  # only vCPU 1 passes 0xd00
    assert bp.hit_count == 0 and ctl.stats()["foreign_hits"] > 0
    ctl.update_breakpoint(bp.id, vcpus=frozenset({1}))
    ev = ctl.cont(budget=2000)
    assert (ev.reason, ev.vcpu, ev.pc) == ("breakpoint", 1, 0xD00)


def test_planted_words_are_invisible_to_memory_reads() -> None:
    ctl = session("race", "trace-vector", vcpus=2)
    original = ctl.read_memory(0xD00, 4)
    ctl.add_breakpoint("software", address=0xD00)
    seen: list[bytes] = []
    ctl.subscribe(lambda e: seen.append(ctl.read_memory(0xD00, 4)) if e.type == "stop" else None)
    ev = ctl.cont(budget=5000)
    assert ev.reason == "breakpoint"
    assert seen == [original]


def test_hardware_breakpoints_follow_power9_limits_on_trace_backends() -> None:
    ctl = session("basic", "trace-vector")
    ctl.add_breakpoint("hardware", address=0x1000)
    with pytest.raises(BreakpointError, match="CIABR"):
        ctl.add_breakpoint("hardware", address=0x1004)
    with pytest.raises(BreakpointError, match="512"):
        ctl.add_breakpoint("watchpoint", address=0x3000, length=1024)
    native = session("basic", "native")
    for i in range(8):
        native.add_breakpoint("hardware", address=0x1000 + 4 * i)


@pytest.mark.parametrize("backend", ["native", "trace-vector"])
def test_a_catchpoint_stops_at_the_interrupt_vector(backend: str) -> None:
    ctl = session("basic", backend)
    bp = ctl.add_breakpoint("catchpoint", vector=0xC00)
    ev = ctl.cont()
    assert (ev.reason, ev.pc, ev.vector, ev.breakpoint_id) == ("catch", 0xC00, 0xC00, bp.id)


def test_a_hypercall_catchpoint_stops_after_the_hypercall() -> None:
    ctl = session("basic", "native")
    ctl.add_breakpoint("catchpoint", hypercall=0x58)
    ev = ctl.cont()
    assert ev.reason == "catch"
    assert bytes(ctl.machine.host.console_out) == b"A"  # type: ignore[union-attr]


def test_bad_breakpoints_are_refused_with_a_reason() -> None:
    ctl = session("basic", "native")
    with pytest.raises(BreakpointError, match="needs an address"):
        ctl.add_breakpoint("software")
    with pytest.raises(ValueError, match="column"):
        ctl.add_breakpoint("software", address=0x1000, condition="r33 == 1")


def test_watchpoints_are_bounded_even_without_a_dawr() -> None:
    ctl = session("basic", "native")  # virtual watchpoints: no DAWR length limit
    with pytest.raises(BreakpointError, match="at most 1048576 bytes"):
        ctl.add_breakpoint("watchpoint", address=0x1000, length=1 << 48)
    with pytest.raises(BreakpointError, match="wrap past the top"):
        ctl.add_breakpoint("watchpoint", address=(1 << 64) - 8, length=16)
    assert ctl.add_breakpoint("watchpoint", address=0x1000, length=1 << 20).length == 1 << 20


@pytest.mark.parametrize("backend", ["native", "trace-vector"])
def test_a_watchpoint_reports_a_little_endian_guest_s_values_as_it_reads_them(
    backend: str,
) -> None:
    ctl = session("le_guest", backend)
    ctl.add_breakpoint("watchpoint", address=0x3000, length=4, access="write")
    ev = ctl.cont()
    assert ev.reason == "watchpoint" and ev.watch is not None
    assert (ev.watch.size, ev.watch.old, ev.watch.new) == (4, 0, 0x1235)  # stw 0x1235, in LE
    assert ctl.read_memory(0x3000, 4) == (0x1235).to_bytes(4, "little")
