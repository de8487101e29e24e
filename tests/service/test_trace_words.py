"""Trace events' instruction words (the service's trace source, the controller): the word
is remembered per decoded instruction, so these check it follows code the debugger
rewrites, and that a breakpoint set on an instruction leaves its word as it was."""

from __future__ import annotations

from engine.debug.config import SessionConfig
from engine.debug.controller import Controller
from engine.debug.events import TraceEvent
from engine.loader import RAW_ENTRY, load_image

ADDI_1 = 0x38630001  # addi r3, r3, 1
ADDI_2 = 0x38630002  # addi r3, r3, 2
BACK = 0x4BFFFFFC  # b .-4


def _traced() -> tuple[Controller, list[TraceEvent]]:
    code = bytearray(RAW_ENTRY + 8)
    code[RAW_ENTRY:] = ADDI_1.to_bytes(4, "big") + BACK.to_bytes(4, "big")
    ctl = Controller(load_image(bytes(code), "raw"), SessionConfig(vcpus=1, history=False))
    events: list[TraceEvent] = []
    ctl.subscribe(lambda e: events.append(e) if isinstance(e, TraceEvent) else None)
    ctl.set_trace([0])
    return ctl, events


def _words(events: list[TraceEvent]) -> list[tuple[int, int | None]]:
    return [(e.pc, e.insn) for e in events]


def test_trace_words_follow_code_the_debugger_rewrites() -> None:
    ctl, events = _traced()
    r3 = ctl.registers(0, ["r3"])["r3"]
    assert r3 is not None
    ctl.cont(budget=6)
    assert _words(events) == [(RAW_ENTRY, ADDI_1), (RAW_ENTRY + 4, BACK)] * 3
    assert [e.changed for e in events] == [{"r3": r3 + 1}, {}, {"r3": r3 + 2}, {},
                                           {"r3": r3 + 3}, {}]  # fmt: skip
    events.clear()
    ctl.write_memory(RAW_ENTRY, ADDI_2.to_bytes(4, "big"))
    ctl.cont(budget=4)
    assert _words(events) == [(RAW_ENTRY, ADDI_2), (RAW_ENTRY + 4, BACK)] * 2
    assert [e.changed for e in events[::2]] == [{"r3": r3 + 5}, {"r3": r3 + 7}]


def test_trace_words_are_the_original_where_a_breakpoint_is_set() -> None:
    ctl, events = _traced()
    r3 = ctl.registers(0, ["r3"])["r3"]
    assert r3 is not None
    ctl.cont(budget=4)
    bp = ctl.add_breakpoint("software", address=RAW_ENTRY + 4, condition=f"r3 == {r3 + 10}")
    events.clear()
    stop = ctl.cont(budget=200)
    assert stop.reason == "breakpoint" and stop.breakpoint_id == bp.id
    assert set(_words(events)) == {(RAW_ENTRY, ADDI_1), (RAW_ENTRY + 4, BACK)}
    ctl.remove_breakpoint(bp.id)
    events.clear()
    ctl.cont(budget=4)
    assert _words(events) == [(RAW_ENTRY + 4, BACK), (RAW_ENTRY, ADDI_1)] * 2
