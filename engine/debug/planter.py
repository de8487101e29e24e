"""Debug instructions planted in guest memory, reference-counted per address.

Planted words live in memory every vCPU shares (docs/stepping.md, trace-vector
rules 3 and 11). The planter remembers each original word, so memory reads
through the API show the original bytes and writes through the API land
under the planted word instead of erasing it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..memory import PhysicalMemory

DEBUG_INSTRUCTION = 0x00DDDD00


@dataclass
class PlantedWord:
    original: bytes
    order: str
    refs: int


class Planter:
    def __init__(self, mem: PhysicalMemory) -> None:
        self.mem = mem
        self.words: dict[int, PlantedWord] = {}
        self.planted = 0  # words written into memory (stats)
        self.restored = 0  # originals written back (stats)

    def plant(self, pa: int, order: str) -> None:
        """Plant the debug instruction at physical ``pa`` in byte order ``order``."""
        w = self.words.get(pa)
        if w is not None:
            w.refs += 1
            return
        original = self.mem.read_bytes(pa, 4)
        self.words[pa] = PlantedWord(original, order, 1)
        self.mem.write_bytes(pa, DEBUG_INSTRUCTION.to_bytes(4, order), None)  # type: ignore[arg-type]
        self.planted += 1

    def unplant(self, pa: int) -> None:
        w = self.words.get(pa)
        if w is None:
            return
        w.refs -= 1
        if w.refs <= 0:
            del self.words[pa]
            self.mem.write_bytes(pa, w.original, None)
            self.restored += 1

    def is_planted(self, pa: int) -> bool:
        return pa in self.words

    def overlay(self, pa: int, data: bytes) -> bytes:
        """``data`` read from ``pa`` with every planted word replaced by its original."""
        if not self.words:
            return data
        out = bytearray(data)
        end = pa + len(data)
        for wpa, w in self.words.items():
            if wpa < end and wpa + 4 > pa:
                for i in range(4):
                    j = wpa + i - pa
                    if 0 <= j < len(out):
                        out[j] = w.original[i]
        return bytes(out)

    def write_through(self, pa: int, data: bytes) -> None:
        """Store ``data`` as the guest's memory; planted words stay, over the new originals."""
        self.mem.write_bytes(pa, data, None)
        end = pa + len(data)
        for wpa, w in self.words.items():
            if wpa < end and wpa + 4 > pa:
                w.original = self.mem.read_bytes(wpa, 4)
                self.mem.write_bytes(wpa, DEBUG_INSTRUCTION.to_bytes(4, w.order), None)  # type: ignore[arg-type]

    def clear(self) -> None:
        for pa in list(self.words):
            w = self.words.pop(pa)
            self.mem.write_bytes(pa, w.original, None)
            self.restored += 1
