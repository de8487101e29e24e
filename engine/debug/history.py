"""Execution history for reverse execution: periodic checkpoints plus a log of operations.

Every operation that changes the machine goes into the log as one entry:
a scheduler run of N instruction slots, one step of a vCPU, or an edit
(a register or memory write by the client). The machine is deterministic,
so restoring a checkpoint and replaying the entries after it reproduces
the machine bit for bit; a run entry can also be replayed partially, up to
just before a given vCPU's n-th slot, which is what reverse-step needs.
Replays use the reference (native) step, which every backend must equal
(docs/stepping.md "Guest transparency").

Memory is bounded by a budget in bytes: what the checkpoints alone keep alive (memory pages
are shared copy-on-write, so a checkpoint holds only the pages written after it and before
the next one), the vCPU states they hold, and the log. Over the budget, older checkpoints
are thinned (the one whose removal leaves the shortest gap goes, so the survivors spread
evenly over the history and reverse execution still reaches back as far, replaying more);
when the log itself is what outgrows the budget, the oldest checkpoint and the log before
the next one go.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..machine import Checkpoint, Machine
from ..memory import PAGE_SIZE

# Estimates of what Python holds for a log entry (a dataclass, its dict of slots and, for a
# step, a closure) and for one vCPU's saved state (registers as ints: 64 VSRs of 128 bits,
# GPRs, SPRs): measured with tracemalloc, rounded up.
ENTRY_BYTES = 600
VCPU_STATE_BYTES = 8 << 10


@dataclass
class RunEntry:
    used: int
    vcpus: frozenset[int] | None
    slots: dict[int, int]  # slots each vCPU used in this run


@dataclass
class StepEntry:
    """``count`` consecutive steps of one vCPU: a step call of a million instructions is one
    entry, not a million (each would hold a closure and a dict: ~600 bytes)."""

    vcpu: int
    replay: Callable[[int], None]  # performs one step of the vCPU again (reference semantics)
    slots: dict[int, int]
    count: int = 1


@dataclass
class EditEntry:
    apply: Callable[[], None]
    slots: dict[int, int] = field(default_factory=dict)


Entry = RunEntry | StepEntry | EditEntry


@dataclass
class Mark:
    """A checkpoint taken before entry ``index`` of the log."""

    index: int
    checkpoint: Checkpoint
    # The pages only this checkpoint keeps alive (not shared with the next one), by number.
    held: set[int] = field(default_factory=set)


def _held(older: Checkpoint, newer: Checkpoint) -> set[int]:
    """Pages of ``older`` that ``newer`` does not share: written between the two.

    When ``newer`` was the first snapshot after ``older`` was taken (or restored), memory
    counted them as it copied them (``MemorySnapshot.replaced``): no page is compared.
    """
    base, copied = newer.memory.replaced
    if base == older.memory.serial and base > 0:
        return copied
    theirs = newer.memory.pages
    return {pn for pn, page in older.memory.pages.items() if theirs.get(pn) is not page}


class History:
    def __init__(self, machine: Machine, interval: int, budget: int, enabled: bool = True) -> None:
        self.machine = machine
        self.enabled = enabled
        self.interval = interval
        self.budget = budget
        self._log_limit = max(1, budget // (4 * ENTRY_BYTES))  # entries between checkpoints
        self.entries: list[Entry] = []
        self.base = 0  # log index of entries[0] (older entries were evicted)
        self.marks: list[Mark] = []
        self._since = 0
        self.replaying = False
        self.reset()

    def reset(self) -> None:
        """Start history afresh at the machine's current state."""
        self.entries.clear()
        self.base = 0
        self.marks = [Mark(0, self.machine.checkpoint())]
        self.held_pages = 0  # the marks' held pages, counted as they change
        self._since = 0

    @property
    def position(self) -> int:
        return self.base + len(self.entries)

    def record(self, entry: Entry, slots: int) -> None:
        if self.replaying or not self.enabled:
            return
        self.entries.append(entry)
        self._tick(slots)

    def record_step(self, vcpu: int, replay: Callable[[int], None], slots: dict[int, int]) -> None:
        """One step of ``vcpu`` (``slots``: the slots each vCPU used in it). Merged into the
        last entry when that is steps of the same vCPU with no checkpoint after it and
        neither used another vCPU's slots (so nothing is lost of who ran when). This runs
        once per stepped instruction: kept to a few dict and attribute reads."""
        if self.replaying or not self.enabled:
            return
        entries = self.entries
        last = entries[-1] if entries else None
        mine = slots[vcpu]
        if (
            type(last) is StepEntry
            and last.vcpu == vcpu
            and self.marks[-1].index < self.base + len(entries)
            and sum(slots.values()) == mine
            and sum(last.slots.values()) == last.slots[vcpu]
        ):
            last.count += 1
            last.slots[vcpu] += mine
        else:
            entries.append(StepEntry(vcpu, replay, slots))
        self._tick(1)

    def _tick(self, slots: int) -> None:
        self._since += slots
        # A checkpoint every interval slots, or sooner when the log since the last one
        # reaches a quarter of the budget (steps of alternating vCPUs are not merged): the
        # budget can only be kept at checkpoints.
        if self._since >= self.interval or (
            self.base + len(self.entries) - self.marks[-1].index >= self._log_limit
        ):
            self._checkpoint()

    def _checkpoint(self) -> None:
        self._since = 0
        cp = self.machine.checkpoint()
        last = self.marks[-1]
        self.held_pages -= len(last.held)
        last.held = _held(last.checkpoint, cp)
        self.held_pages += len(last.held)
        self.marks.append(Mark(self.position, cp))
        while len(self.marks) > 2 and self.size() > self.budget:
            if len(self.entries) * ENTRY_BYTES > self.budget // 2 or len(self.marks) == 3:
                self._drop_oldest()
            else:
                self._thin()

    def size(self) -> int:
        """Bytes the history holds (an estimate for the log and vCPU states, pages exact)."""
        states = len(self.machine.vcpus) * VCPU_STATE_BYTES
        # Counted as the marks change, not summed here: this runs at every checkpoint, and
        # a long run's history holds thousands of them.
        pages = self.held_pages
        return pages * PAGE_SIZE + len(self.marks) * states + len(self.entries) * ENTRY_BYTES

    def _drop_oldest(self) -> None:
        """The oldest checkpoint goes, and the log before the next one."""
        self.held_pages -= len(self.marks.pop(0).held)
        drop = self.marks[0].index - self.base
        del self.entries[:drop]
        self.base = self.marks[0].index

    def _thin(self) -> None:
        """Remove the inner checkpoint whose neighbours are closest (never the first or the
        last two): the log between stays, so every position can still be reached."""
        marks = self.marks
        i = min(range(1, len(marks) - 2), key=lambda k: marks[k + 1].index - marks[k - 1].index)
        gone = marks.pop(i)
        before = marks[i - 1]
        # What the removed checkpoint shared with its predecessor is now held for the next:
        # the predecessor's pages written before either the removed one or the next.
        mine = before.checkpoint.memory.pages
        self.held_pages -= len(gone.held) + len(before.held)
        before.held = before.held | {pn for pn in gone.held if pn in mine}
        self.held_pages += len(before.held)

    @property
    def start(self) -> int:
        return self.marks[0].index

    def entry(self, index: int) -> Entry:
        return self.entries[index - self.base]

    def goto(self, index: int, partial: Callable[[Entry], None] | None = None) -> None:
        """Put the machine in the state before entry ``index`` (then ``partial`` of it)."""
        mark = max((m for m in self.marks if m.index <= index), key=lambda m: m.index)
        self.machine.restore(mark.checkpoint)
        self.replaying = True
        try:
            for i in range(mark.index, index):
                self.replay(self.entry(i))
            if partial is not None:
                partial(self.entry(index))
        finally:
            self.replaying = False

    def replay(self, e: Entry) -> None:
        if isinstance(e, RunEntry):
            self.machine.run(e.used, vcpus=e.vcpus)
        elif isinstance(e, StepEntry):
            for _ in range(e.count):
                e.replay(e.vcpu)
        else:
            e.apply()

    def truncate(self, index: int) -> None:
        """Forget the log from ``index`` on (the machine is now at that point)."""
        del self.entries[index - self.base :]
        self.marks = [m for m in self.marks if m.index <= index]
        self.marks[-1].held = set()  # its successor is gone; the live memory shares it again
        self.held_pages = sum(len(m.held) for m in self.marks)
        self._since = 0
