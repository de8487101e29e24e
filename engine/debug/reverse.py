"""Snapshots and reverse execution: the controller's history job (docs/stepping.md "Stops and
history"). A mixin of Controller: the state it works on is the controller's (declared below
for the type checker); the log and its checkpoints are history.py's."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..machine import Checkpoint, Machine
from ..serialize import dump_checkpoint, load_checkpoint
from .errors import ControllerError
from .events import StopEvent
from .history import History, RunEntry, StepEntry

if TYPE_CHECKING:
    from ..cpu import VCPU
    from .breakpoints import Breakpoint, BreakpointTable
    from .config import SessionConfig


@dataclass
class Snapshot:
    id: str
    checkpoint: Checkpoint
    time: int


class ReverseExecution:
    if TYPE_CHECKING:
        machine: Machine
        config: SessionConfig
        history: History
        breakpoints: BreakpointTable
        snapshots: dict[str, Snapshot]
        last_stop: StopEvent | None
        _snap_ids: int

        @property
        def time(self) -> int: ...
        def _op(self) -> AbstractContextManager[None]: ...
        def vcpu(self, n: int) -> VCPU: ...
        def _stop(self, vcpu: int, reason: str, **extra: object) -> StopEvent: ...
        def _clock_slots(self) -> dict[int, int]: ...
        def _slots_since(self, before: dict[int, int]) -> dict[int, int]: ...
        def _condition_holds(self, bp: Breakpoint, cpu: VCPU) -> bool: ...

    # -- capabilities (engine/target.py's support_* methods) ----------------------------
    def support_reverse(self) -> ReverseExecution | None:
        return self if self.config.history else None

    def support_snapshots(self) -> ReverseExecution | None:
        return self

    # -- snapshots -----------------------------------------------------------------------
    def take_snapshot(self, snap_id: str) -> tuple[bytes, int]:
        """A snapshot kept as ``snap_id``, and its state serialised (to persist) with its time."""
        with self._op():
            snap = Snapshot(snap_id, self.machine.checkpoint(), self.time)
            self.snapshots[snap_id] = snap
            return dump_checkpoint(snap.checkpoint, self.machine), snap.time

    def load_snapshot(self, snap_id: str, state: bytes, time: int) -> None:
        """Keep a serialised snapshot (from ``take_snapshot``, perhaps of an earlier process)
        as ``snap_id``, ready for ``restore_snapshot``."""
        with self._op():
            self.snapshots[snap_id] = Snapshot(snap_id, load_checkpoint(state, self.machine), time)

    def has_snapshot(self, snap_id: str) -> bool:
        return snap_id in self.snapshots

    def create_snapshot(self) -> Snapshot:
        with self._op():
            self._snap_ids += 1
            snap = Snapshot(f"snap{self._snap_ids}", self.machine.checkpoint(), self.time)
            self.snapshots[snap.id] = snap
            return snap

    def restore_snapshot(self, snap_id: str) -> None:
        with self._op():
            snap = self.snapshots.get(snap_id)
            if snap is None:
                raise ControllerError(f"no snapshot {snap_id}")
            self.machine.restore(snap.checkpoint)
            self.history.reset()

    def reverse_step(self, vcpu: int) -> StopEvent:
        """Go back to just before vCPU ``vcpu``'s last instruction slot."""
        self.vcpu(vcpu)
        with self._op():
            h = self.history
            for index in range(h.position - 1, h.start - 1, -1):
                e = h.entry(index)
                k = e.slots.get(vcpu, 0)
                if k <= 0:
                    continue
                if isinstance(e, RunEntry):

                    def partial(entry: object, k: int = k, index: int = index) -> None:
                        assert isinstance(entry, RunEntry)
                        before = self._clock_slots()
                        used, _ = self.machine.run(
                            entry.used, vcpus=entry.vcpus, vcpu_limit=(vcpu, k - 1)
                        )
                        replacement = RunEntry(used, entry.vcpus, self._slots_since(before))
                        h.entries[index - h.base] = replacement

                    h.goto(index, partial)
                    h.truncate(index + 1)
                elif isinstance(e, StepEntry) and e.count > 1:
                    # Merged steps of this vCPU: all but the last one again.
                    def steps(entry: object, index: int = index) -> None:
                        assert isinstance(entry, StepEntry)
                        before = self._clock_slots()
                        for _ in range(entry.count - 1):
                            entry.replay(entry.vcpu)
                        slots = self._slots_since(before)
                        slots[entry.vcpu] = max(slots[entry.vcpu], entry.count - 1)
                        h.entries[index - h.base] = StepEntry(
                            entry.vcpu, entry.replay, slots, entry.count - 1
                        )

                    h.goto(index, steps)
                    h.truncate(index + 1)
                else:
                    h.goto(index)
                    h.truncate(index)
                return self._stop(vcpu, "step")
            h.goto(h.start)
            h.truncate(h.start)
            return self._stop(vcpu, "history-start")

    def reverse_continue(self) -> StopEvent:
        """Go back to the most recent breakpoint or watchpoint hit."""
        with self._op():
            h = self.history
            target = h.position
            marks = sorted(h.marks, key=lambda mk: mk.index)
            for i in range(len(marks) - 1, -1, -1):
                lo = marks[i].index
                hi = marks[i + 1].index if i + 1 < len(marks) else target
                hit = self._last_hit_between(lo, min(hi, target), target)
                if hit is not None:
                    index, offset, ev_vcpu, bp_id = hit
                    self._goto_offset(index, offset)
                    return self._stop(ev_vcpu, "breakpoint", breakpoint_id=bp_id)
            h.goto(h.start)
            h.truncate(h.start)
            return self._stop(self.last_stop.vcpu if self.last_stop else 0, "history-start")

    def _last_hit_between(self, lo: int, hi: int, target: int) -> tuple[int, int, int, str] | None:
        """Replay entries [lo, hi) and return the last breakpoint hit (entry, slots into it)."""
        h = self.history
        h.goto(lo)
        code = self.breakpoints.code()
        stop_at = frozenset(bp.address for bp in code if bp.address is not None)
        last = None
        h.replaying = True
        try:
            for index in range(lo, hi):
                e = h.entry(index)
                if not isinstance(e, RunEntry) or not stop_at:
                    h.replay(e)
                    continue
                done = 0
                while done < e.used:
                    used, who = self.machine.run(e.used - done, stop_at, vcpus=e.vcpus)
                    done += used
                    if who is None:
                        break
                    cpu = self.machine.vcpus[who]
                    cpu.exit_reason = None
                    for bp in code:
                        if (
                            bp.address == cpu.nia
                            and bp.applies_to(who)
                            and self._condition_holds(bp, cpu)
                        ):
                            at_current = index == target - 1 and done >= e.used
                            if not at_current:  # strictly before where we are now
                                last = (index, done, who, bp.id)
                            break
        finally:
            h.replaying = False
        return last

    def _goto_offset(self, index: int, offset: int) -> None:
        h = self.history

        def partial(entry: object) -> None:
            assert isinstance(entry, RunEntry)
            before = self._clock_slots()
            used, _ = self.machine.run(offset, vcpus=entry.vcpus)
            h.entries[index - h.base] = RunEntry(used, entry.vcpus, self._slots_since(before))

        h.goto(index, partial)
        h.truncate(index + 1)
