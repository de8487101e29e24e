"""Trace events: every instruction a traced vCPU executes, to the controller's listeners
as TraceBatch runs (batch listeners) or one TraceEvent each. A mixin of Controller."""

from __future__ import annotations

from collections.abc import Callable
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from ..memory import MemoryFault
from ..msr import MSR_LE
from .events import TraceBatch

if TYPE_CHECKING:
    from ..cpu import VCPU, TraceRecord
    from ..machine import Machine
    from .history import History
    from .planter import Planter

_WORD = itemgetter(2)  # a TraceRecord's word


class TraceEmission:
    if TYPE_CHECKING:
        machine: Machine
        history: History
        planter: Planter
        trace_vcpus: frozenset[int] | None
        _batch_listeners: tuple[Callable[[Any], None], ...]
        _event_listeners: tuple[Callable[[Any], None], ...]

        @property
        def time(self) -> int: ...
        def vcpu(self, n: int) -> VCPU: ...

    def set_trace(self, vcpus: list[int] | None) -> None:
        """Emit a trace event for every instruction the given vCPUs execute (None: off)."""
        for v in vcpus or ():
            self.vcpu(v)
        self.trace_vcpus = frozenset(vcpus) if vcpus is not None else None
        self._trace_words: dict[int, tuple[object, int | None]] = {}
        # Traced vCPUs run one instruction at a time and report each through a
        # hook; the others keep their fast path. Runs split exactly, so the
        # interleaving does not change.
        for c in self.machine.vcpus:
            traced = self.trace_vcpus is not None and c.index in self.trace_vcpus
            c.trace_hook = self._trace_hook if traced else None

    def _trace_hook(self, cpu: VCPU, records: list[TraceRecord], after: tuple[int, ...]) -> None:
        if not self.history.replaying:
            self._emit_traces(cpu, records, after)

    def _emit_traces(self, cpu: VCPU, records: list[TraceRecord], after: tuple[int, ...]) -> None:
        """The records as one TraceBatch to batch listeners and as a TraceEvent each to
        the others, in order: each record's registers after are the next record's
        before (``after`` for the last), and its time counts back from now by the
        records after it (each retired one slot of ``cpu``)."""
        if self.planter.words or not all(map(_WORD, records)):
            # A word not passed (a fetch fault, a page that dropped itself) or possibly
            # a planted one: read it now, with the original bytes under planted ones.
            # (A word 0 is read again too: harmless.)
            planted = self.planter.words
            records = [(pc, regs, word if word and not planted else self._word_at(cpu, pc))
                       for pc, regs, word in records]  # fmt: skip
        batch = TraceBatch(cpu.index, self.time - len(records) + 1, records, after)
        for listener in self._batch_listeners:
            listener(batch)
        listeners = self._event_listeners
        if listeners:
            # One listener (the usual case) is called directly: a loop over the tuple
            # is an iterator per traced instruction.
            if len(listeners) == 1:
                emit = listeners[0]
                for ev in batch.events():
                    emit(ev)
            else:
                for ev in batch.events():
                    for listener in listeners:
                        listener(ev)

    def _word_at(self, cpu: VCPU, pc: int) -> int | None:
        """The word at ``pc`` for a trace event when the run loop did not pass the one it
        executed (or planted words may hide it)."""
        # The vCPU's decoded closure for pc is replaced whenever its page is written
        # or its decoding context changes; while it is the same object, so is the
        # word: a look-up instead of a translation and a memory read per event.
        fn = cpu.icache.get(pc)
        hit = self._trace_words.get(pc)
        if hit is not None and fn is not None and hit[0] is fn:
            return hit[1]
        word = self.instruction_word(cpu, pc)
        if fn is not None:
            self._trace_words[pc] = (fn, word)
        return word

    def instruction_word(self, cpu: VCPU, pc: int) -> int | None:
        """The word at ``pc`` as ``cpu`` fetches it, original bytes under planted
        breakpoints (None when it cannot be fetched)."""
        pa = cpu.probe(pc, fetch=True)
        if pa is None:
            return None
        try:
            data = self.machine.mem.read_bytes(pa, 4)
        except MemoryFault:
            return None
        if self.planter.words:
            data = self.planter.overlay(pa, data)
        return int.from_bytes(data, "little" if cpu.msr & MSR_LE else "big")
