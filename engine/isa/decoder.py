"""The decoder, generated from the instruction table.

For each primary opcode the table's entries are grouped by the mask that
identifies them (form XO field plus any extra fixed bits); a lookup tries the
most specific mask first. Decoding happens once per address (the vCPU caches
the closures), so this only has to be correct and reasonably quick.
"""

from __future__ import annotations

from collections.abc import Iterable

from .insn import Insn


class Decoder:
    def __init__(self, ops: Iterable[Insn]) -> None:
        groups: dict[int, dict[int, dict[int, Insn]]] = {}
        for o in ops:
            by_mask = groups.setdefault(o.opcd, {})
            slot = by_mask.setdefault(o.mask, {})
            if o.match in slot:
                raise ValueError(f"{o.mnemonic} collides with {slot[o.match].mnemonic}")
            slot[o.match] = o
        self._groups: dict[int, tuple[tuple[int, dict[int, Insn]], ...]] = {
            opcd: tuple(sorted(by_mask.items(), key=lambda kv: -kv[0].bit_count()))
            for opcd, by_mask in groups.items()
        }

    def decode(self, word: int) -> Insn | None:
        for mask, table in self._groups.get(word >> 26, ()):
            o = table.get(word & mask)
            if o is not None:
                return o
        return None
