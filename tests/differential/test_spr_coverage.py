"""The SPRs of the performance monitor, event-based branches and VTB run on QEMU somewhere.

An SPR is covered when a differential program's golden trace executes an mfspr or mtspr
of its number (the ``insn`` of every step but the last): these SPRs' access rules and
storage are QEMU 7.2's (engine/isa/pmu.py), and only a golden says they still are.
"""

from __future__ import annotations

import re

from engine.sprs import SPR_TABLE, SPR_VTB

from .build import programs

MFSPR, MTSPR = 339, 467
SPR_MOVE = re.compile(
    r"\bm[ft]spr\s+\d+\s*,\s*(?:849|7[6-9]\d|80[0-6])\b|"
    r"\bm[ft]spr\s+(?:849|7[6-9]\d|80[0-6])\s*,"
)
INSN = re.compile(r'"insn": "(0x7[cdef][0-9a-f]{6})"')
# VTB and the PMU/EBB numbers (768-806) in the SPR table.
MEASURED = {s.number: s.name for s in SPR_TABLE if 768 <= s.number <= 806 or s.number == SPR_VTB}


def golden_sprs() -> set[int]:
    """SPR numbers the committed goldens' mfspr/mtspr instructions name."""
    seen: set[int] = set()
    for prog in programs():
        # Only programs whose source moves SPRs by number (the goldens are 160 MB).
        if not prog.golden.exists() or not SPR_MOVE.search(prog.source.read_text()):
            continue
        # The goldens are large: the insn fields by pattern, not every line decoded.
        lines = prog.golden.read_text().splitlines()[:-1]
        for insn in INSN.findall("\n".join(lines)):
            w = int(insn, 16)
            if w >> 26 == 31 and (w >> 1) & 0x3FF in (MFSPR, MTSPR):
                field = (w >> 11) & 0x3FF
                seen.add((field & 0x1F) << 5 | field >> 5)
    return seen


def test_every_pmu_ebb_and_vtb_spr_is_covered() -> None:
    missing = sorted(name for n, name in MEASURED.items() if n not in golden_sprs())
    assert not missing, f"no golden executes mfspr/mtspr of: {', '.join(missing)}"
    assert len(MEASURED) == 1 + 13 + 13 + 7  # VTB, 13 user and 13 supervisor PMU, 7 EBB
