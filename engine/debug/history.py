"""Execution history for reverse execution: periodic checkpoints plus a log of operations.

Every operation that changes the machine goes into the log as one entry:
a scheduler run of N instruction slots, one step of a vCPU, or an edit
(a register or memory write by the client). The machine is deterministic,
so restoring a checkpoint and replaying the entries after it reproduces
the machine bit for bit; a run entry can also be replayed partially, up to
just before a given vCPU's n-th slot, which is what reverse-step needs.
Replays use the reference (native) step, which every backend must equal
(STEPPING.md "Guest transparency").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..machine import Checkpoint, Machine


@dataclass
class RunEntry:
    used: int
    vcpus: frozenset[int] | None
    slots: dict[int, int]  # slots each vCPU used in this run


@dataclass
class StepEntry:
    vcpu: int
    replay: Callable[[], None]  # performs the step again (reference semantics)
    slots: dict[int, int]


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
    pages: int  # pages the checkpoint holds that the previous one did not share


class History:
    def __init__(
        self, machine: Machine, interval: int, budget_pages: int, enabled: bool = True
    ) -> None:
        self.machine = machine
        self.enabled = enabled
        self.interval = interval
        self.budget_pages = budget_pages
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
        self.marks = [Mark(0, self.machine.checkpoint(), 0)]
        self._since = 0

    @property
    def position(self) -> int:
        return self.base + len(self.entries)

    def record(self, entry: Entry, slots: int) -> None:
        if self.replaying or not self.enabled:
            return
        self.entries.append(entry)
        self._since += slots
        if self._since >= self.interval:
            self._checkpoint()

    def _checkpoint(self) -> None:
        self._since = 0
        before = len(self.machine.mem.pages)
        cp = self.machine.checkpoint()
        self.marks.append(Mark(self.position, cp, max(1, len(cp.memory.pages) - before // 2)))
        # Keep within the memory budget: drop the oldest checkpoints (and the
        # log before the new oldest), never the newest.
        while len(self.marks) > 2 and sum(m.pages for m in self.marks) > self.budget_pages:
            self.marks.pop(0)
            drop = self.marks[0].index - self.base
            del self.entries[:drop]
            self.base = self.marks[0].index

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
            e.replay()
        else:
            e.apply()

    def truncate(self, index: int) -> None:
        """Forget the log from ``index`` on (the machine is now at that point)."""
        del self.entries[index - self.base :]
        self.marks = [m for m in self.marks if m.index <= index]
        self._since = 0
