"""Typed events the controller emits (STEPPING.md stops, API.md event types).

``time`` is virtual: the machine's instruction-slot count when the event happened.
"""

from __future__ import annotations

from dataclasses import dataclass, field

STOP_REASONS = (
    "step", "breakpoint", "watchpoint", "catch", "halt", "exit", "checkstop", "limit",
    "history-start", "error",
)  # fmt: skip


@dataclass(frozen=True)
class WatchHit:
    address: int
    size: int
    kind: str  # "read" or "write"
    old: int | None
    new: int | None


# Not frozen (see TraceEvent): every step makes one, and building a frozen one
# costs a third of a plain step through the controller.
@dataclass(slots=True)
class StopEvent:
    vcpu: int
    reason: str
    pc: int
    time: int
    breakpoint_id: str | None = None
    watch: WatchHit | None = None
    vector: int | None = None
    message: str | None = None
    type: str = field(default="stop", init=False)


@dataclass(frozen=True)
class ResumeEvent:
    vcpus: tuple[int, ...]
    time: int
    type: str = field(default="resume", init=False)


@dataclass(frozen=True)
class InterruptEvent:
    vcpu: int
    vector: int
    srr0: int
    srr1: int
    time: int
    type: str = field(default="interrupt", init=False)


@dataclass(frozen=True)
class ConsoleEvent:
    vcpu: int
    text: str
    time: int
    type: str = field(default="console", init=False)


# Not frozen, unlike the others but StopEvent: a frozen dataclass's __init__ goes through
# object.__setattr__ per field, and one of these is made per traced instruction
# (slots make the plain one about twice as cheap to build).
@dataclass(slots=True)
class TraceEvent:
    vcpu: int
    pc: int
    insn: int | None
    changed: dict[str, int]
    time: int
    type: str = field(default="trace", init=False)


Event = StopEvent | ResumeEvent | InterruptEvent | ConsoleEvent | TraceEvent
