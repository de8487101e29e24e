"""Reading and changing a session's state: registers, memory, symbols, disassembly.

What a debugger shows of a stopped machine, and the edits it makes (each one
recorded in the history, so reverse execution replays it). A mixin of the
Controller (engine/debug/controller.py), which owns the machine.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from ..bits import M64
from ..cpu import VCPU
from ..disasm import Line, disassemble
from ..loader import Image
from ..machine import Machine
from ..memory import MemoryFault
from ..msr import MSR_LE
from ..registers import ARCHITECTED, canonical, read_register, write_register
from ..trace_format import Reader, register_reader
from .errors import ControllerError, MemoryAccessError
from .events import VCPUView
from .history import EditEntry, History
from .planter import Planter


class Inspection:
    if TYPE_CHECKING:
        machine: Machine
        image: Image
        planter: Planter
        history: History
        _readers: dict[tuple[str, ...], list[Reader]]

        def _op(self) -> AbstractContextManager[None]: ...

    def vcpu(self, n: int) -> VCPU:
        if not 0 <= n < len(self.machine.vcpus):
            raise ControllerError(f"no vCPU {n} (the session has {len(self.machine.vcpus)})")
        return self.machine.vcpus[n]

    def registers(self, vcpu: int, names: list[str] | None = None) -> dict[str, int | None]:
        cpu = self.vcpu(vcpu)
        out: dict[str, int | None] = {}
        for name in names or ARCHITECTED:
            try:
                out[name] = read_register(cpu, name)
            except MemoryFault:
                out[name] = None
        return out

    def register_values(self, vcpu: int, names: tuple[str, ...]) -> list[int]:
        """Many registers at once, each name resolved once per tuple.

        gdb asks for the whole register file (a ``g``, ~140 registers) at every
        stop; resolving the names each time cost ten times the reads.
        """
        readers = self._readers.get(names)
        if readers is None:
            for name in names:
                canonical(name)  # an unknown name is a KeyError here, not a reader that raises
            readers = self._readers[names] = [register_reader(n) for n in names]
        cpu = self.vcpu(vcpu)
        return [read(cpu) for read in readers]

    def write_registers(self, vcpu: int, values: dict[str, int]) -> None:
        cpu = self.vcpu(vcpu)
        for name in values:
            read_register(cpu, name)  # validates every name before anything is written
        with self._op():
            items = dict(values)

            def apply() -> None:
                for name, value in items.items():
                    write_register(cpu, name, value)

            apply()
            self.history.record(EditEntry(apply), 0)

    def _physical(self, address: int, length: int, space: str, vcpu: int) -> list[tuple[int, int]]:
        """(physical address, length) runs for an access, page by page."""
        if space == "physical":
            return [(address, length)]
        cpu = self.vcpu(vcpu)
        runs = []
        ea, left = address, length
        while left > 0:
            n = min(left, 0x1000 - (ea & 0xFFF))
            pa = cpu.probe(ea)
            if pa is None:
                raise MemoryAccessError(ea, f"effective address 0x{ea:x} is not mapped")
            runs.append((pa, n))
            ea, left = (ea + n) & M64, left - n
        return runs

    def read_memory(
        self, address: int, length: int, space: str = "physical", vcpu: int = 0
    ) -> bytes:
        out = bytearray()
        for pa, n in self._physical(address, length, space, vcpu):
            try:
                data = self.machine.mem.read_bytes(pa, n)
            except MemoryFault as e:
                raise MemoryAccessError(e.address, str(e)) from None
            out += self.planter.overlay(pa, data)
        return bytes(out)

    def write_memory(
        self, address: int, data: bytes, space: str = "physical", vcpu: int = 0
    ) -> None:
        runs = self._physical(address, len(data), space, vcpu)
        for pa, n in runs:
            if pa < 0 or pa + n > self.machine.mem.size:
                raise MemoryAccessError(max(pa, self.machine.mem.size), f"0x{pa:x} is outside RAM")
        with self._op():
            chunks = []
            pos = 0
            for pa, n in runs:
                chunks.append((pa, bytes(data[pos : pos + n])))
                pos += n

            def apply() -> None:
                for pa, chunk in chunks:
                    self.planter.write_through(pa, chunk)
                self.machine.mem.watch_hits.clear()

            apply()
            self.history.record(EditEntry(apply), 0)

    def symbol(self, name: str) -> int:
        try:
            return self.image.symbols[name]
        except KeyError:
            raise ControllerError(f"symbol {name!r} not found") from None

    def disassemble(self, address: int, count: int, vcpu: int = 0) -> list[Line]:
        """``count`` instructions from effective ``address`` as vCPU ``vcpu`` sees them."""
        cpu = self.vcpu(vcpu)
        data = self.read_memory(address, 4 * count, "effective", vcpu)
        return disassemble(
            data, address, count, little=bool(cpu.msr & MSR_LE), symbols=self.image.symbols
        )

    @property
    def vcpu_count(self) -> int:
        return len(self.machine.vcpus)

    def vcpu_views(self) -> list[VCPUView]:
        return [
            VCPUView(
                c.index,
                c.nia,
                read_register(c, "msr"),
                bool(c.halted),
                c.halt_reason,
                bool(c.sleeping),
                c.retired,
            )  # fmt: skip
            for c in self.machine.vcpus
        ]
