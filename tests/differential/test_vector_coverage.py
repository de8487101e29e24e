"""Every vector line of the table (facility vec/vsx) runs on QEMU somewhere.

A line is covered when a differential program's golden trace executes it
(the ``insn`` of every step but the last) or when the random vector corpus
(random_vector.sweep) contains it. Lines the corpus leaves out
(random_vector.EXCLUDED) or cannot build a word for need a hand-written
program; the failure names every uncovered line.
"""

from __future__ import annotations

import json

from engine.isa.table import decode

from .build import programs
from .random_vector import VECTOR_OPS, sweep


def golden_lines() -> set[int]:
    """ids of the table lines the committed goldens execute."""
    seen: set[int] = set()
    for prog in programs():
        if not prog.golden.exists():
            continue
        lines = [json.loads(s) for s in prog.golden.read_text().splitlines() if s.strip()]
        for d in lines[:-1]:
            insn = d.get("insn")
            if isinstance(insn, str):
                o = decode(int(insn, 16))
                if o is not None:
                    seen.add(id(o))
    return seen


def corpus_lines() -> set[int]:
    return {id(o) for prog, _ in sweep() for o in map(decode, prog) if o is not None}


def test_every_vector_line_is_covered() -> None:
    assert VECTOR_OPS, "no vector lines in the table"
    covered = golden_lines() | corpus_lines()
    missing = [f"{o.mnemonic} ({o.opcd}/{o.xo})" for o in VECTOR_OPS if id(o) not in covered]
    assert not missing, f"{len(missing)} vector lines run nowhere on QEMU: {', '.join(missing)}"
