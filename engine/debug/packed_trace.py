"""A TraceBatch as one flat array of 64-bit words: how a session's worker sends trace.

A TraceBatch holds, per traced instruction, a tuple of the 42 trace registers; pickled,
that is 42 integers per instruction to write in the worker and to build again in the API
process, which then compares each pair of tuples to find what the instruction changed.
The worker finds the changes instead (it has the tuples already) and sends only them:

    data = pc, word key, n, index 1, value 1, ..., index n, value n,   (one run per event)

where the word key is the instruction word, or 1 << 32 when none was fetched (as
``instruction_key``), and the indices are TRACE_REG_NAMES positions in ascending order (as
ChangedIndices gives them). An ``array('Q')`` pickles as its bytes, so the cost per event
on either side of the pipe is a few words, and the API process formats the WebSocket
messages straight from the changes (service/events.py).

PackedTrace has TraceBatch's interface (vcpu, time, len, records, after, split, events):
a listener that wants the registers of every instruction gets them, rebuilt exactly.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field

from .events import ChangedIndices, TraceBatch, TraceEvent

NO_WORD = 0x1_0000_0000  # the word key of an instruction that was not fetched


@dataclass(slots=True)
class PackedTrace:
    vcpu: int
    time: int
    count: int
    before: tuple[int, ...]  # the trace registers before the first event
    data: array[int]
    type: str = field(default="trace-batch", init=False)
    _batch: TraceBatch | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def pack(cls, batch: TraceBatch, diff: ChangedIndices) -> PackedTrace:
        out: list[int] = []
        add, extend = out.append, out.extend
        for (pc, regs, word), new in zip(batch.records, batch.afters(), strict=True):
            w = NO_WORD if word is None else word
            if new == regs:
                extend((pc, w, 0))
                continue
            changed = diff((pc << 33) | w, regs, new)
            extend((pc, w, len(changed)))
            for i in changed:
                add(i)
                add(new[i])
        return cls(batch.vcpu, batch.time, len(batch.records), batch.records[0][1],
                   array("Q", out))  # fmt: skip

    def __len__(self) -> int:
        return self.count

    def __getstate__(self) -> tuple[object, ...]:
        return (self.vcpu, self.time, self.count, self.before, self.data)

    def __setstate__(self, state: tuple[object, ...]) -> None:
        self.vcpu, self.time, self.count, self.before, self.data = state  # type: ignore[assignment]
        self.type = "trace-batch"
        self._batch = None

    def unpack(self) -> TraceBatch:
        """The TraceBatch this was packed from, equal to it record for record."""
        if self._batch is None:
            records = []
            cur = list(self.before)
            data = self.data.tolist()
            pos = 0
            for _ in range(self.count):
                pc, w, n = data[pos], data[pos + 1], data[pos + 2]
                records.append((pc, tuple(cur), None if w == NO_WORD else w))
                end = pos + 3 + 2 * n
                for j in range(pos + 3, end, 2):
                    cur[data[j]] = data[j + 1]
                pos = end
            self._batch = TraceBatch(self.vcpu, self.time, records, tuple(cur))
        return self._batch

    @property
    def records(self) -> list[tuple[int, tuple[int, ...], int | None]]:
        return self.unpack().records

    @property
    def after(self) -> tuple[int, ...]:
        return self.unpack().after

    def split(self, n: int) -> tuple[PackedTrace, PackedTrace]:
        """The first ``n`` events and the rest (0 < n < len(self)), still packed."""
        data = self.data
        cur = list(self.before)
        pos = 0
        for _ in range(n):
            k = data[pos + 2]
            end = pos + 3 + 2 * k
            for j in range(pos + 3, end, 2):
                cur[data[j]] = data[j + 1]
            pos = end
        return (PackedTrace(self.vcpu, self.time, n, self.before, data[:pos]),
                PackedTrace(self.vcpu, self.time + n, self.count - n, tuple(cur),
                            data[pos:]))  # fmt: skip

    def events(self, diff: ChangedIndices | None = None) -> list[TraceEvent]:
        return self.unpack().events(diff)
