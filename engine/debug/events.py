"""Typed events the controller emits (docs/stepping.md stops, docs/api.md event types).

``time`` is virtual: the machine's instruction-slot count when the event happened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import compress
from operator import ne

from ..cpu import TRACE_REG_NAMES, TraceRecord, trace_xer


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


_INDICES = range(len(TRACE_REG_NAMES))


class ChangedIndices:
    """Which TRACE_REG_NAMES entries differ between two trace_regs() tuples.

    Comparing 42 pairs one by one costs about a microsecond; comparing two tuples
    whole is a C loop twenty times faster. An instruction changes the same few
    registers each time it runs, so this remembers, per instruction (a caller's
    key: pc and word), every index it has changed so far, and first checks that
    nothing outside them differs: the tuples with those entries patched compare
    equal. Exact either way: when the check fails, every pair is compared and the
    new index joins the instruction's set.
    """

    def __init__(self, limit: int = 65_536) -> None:
        self.limit = limit
        self.known: dict[int, tuple[int, ...]] = {}

    def __call__(self, key: int, before: tuple[int, ...], after: tuple[int, ...]
                 ) -> tuple[int, ...] | list[int]:  # fmt: skip
        if after == before:
            return ()
        known = self.known.get(key)
        if known is not None:
            patched = list(before)
            for i in known:
                patched[i] = after[i]
            if tuple(patched) == after:
                if len(known) == 1:
                    return known  # something changed, and only this can have
                return [i for i in known if before[i] != after[i]]
        found = list(compress(_INDICES, map(ne, before, after)))
        if len(self.known) >= self.limit:
            self.known.clear()
        self.known[key] = tuple(sorted({*found, *(known or ())}))
        return found


def changed_registers(
    before: tuple[int, ...], after: tuple[int, ...], indices: tuple[int, ...] | list[int]
) -> dict[str, int]:
    """The registers an instruction changed: {name: value} for ``indices`` (from
    ChangedIndices) in TRACE_REG_NAMES order. XER's fields share the name "xer": one
    key, in XER's place, with the composed value."""
    changed = {TRACE_REG_NAMES[i]: after[i] for i in indices}
    if "xer" in changed:
        changed["xer"] = trace_xer(after)
    return changed


@dataclass(slots=True)
class TraceBatch:
    """Consecutive trace events of one vCPU, as its run recorded them, for listeners
    that take them so (``Controller.subscribe(..., batches=True)``): one object per
    run of instructions instead of one per instruction.

    Event i ran the instruction ``records[i]`` = (pc, trace_regs() before, word) at
    ``time + i``; its registers after are the next record's before (``after`` for the
    last). ``events()`` gives the TraceEvents every other listener gets.
    """

    vcpu: int
    time: int
    records: list[TraceRecord]
    after: tuple[int, ...]
    type: str = field(default="trace-batch", init=False)

    def __len__(self) -> int:
        return len(self.records)

    def split(self, n: int) -> tuple[TraceBatch, TraceBatch]:
        """The first ``n`` events and the rest, as two batches (0 < n < len(self))."""
        records = self.records
        return (TraceBatch(self.vcpu, self.time, records[:n], records[n][1]),
                TraceBatch(self.vcpu, self.time + n, records[n:], self.after))  # fmt: skip

    def afters(self) -> list[tuple[int, ...]]:
        """Each event's registers after (the next record's before)."""
        afters = [r[1] for r in self.records]
        del afters[0]
        afters.append(self.after)
        return afters

    def events(self, diff: ChangedIndices | None = None) -> list[TraceEvent]:
        diff = diff or _DIFF
        vcpu, t = self.vcpu, self.time
        return [
            TraceEvent(vcpu, pc, word, changed_registers(
                regs, new, diff(instruction_key(pc, word), regs, new)), t + i)
            for i, ((pc, regs, word), new) in enumerate(
                zip(self.records, self.afters(), strict=True))
        ]  # fmt: skip


def instruction_key(pc: int, word: int | None) -> int:
    """One integer for (pc, word) (bit 32: no word), as ChangedIndices's key."""
    return (pc << 33) | (0x1_0000_0000 if word is None else word)


_DIFF = ChangedIndices()


Event = StopEvent | ResumeEvent | InterruptEvent | ConsoleEvent | TraceEvent


@dataclass(frozen=True, slots=True)
class VCPUView:
    """What a client sees of one vCPU without asking for registers."""

    index: int
    pc: int
    msr: int  # as the guest reads it (mfmsr): a debugger's hidden MSR[SE] is not in it
    halted: bool
    halt_reason: str | None
    sleeping: bool
    retired: int  # instructions executed (or replaced by an interrupt)
