"""The debugger's instruction classes come from the table lines' metadata.

The stepping backends and the controller ask a line where execution may go (flow),
where a new MSR comes from (msr_write), whether it reads MSR, starts or ends a
reservation sequence (atomic) or writes an SPR; none of them compares mnemonics.
"""

from __future__ import annotations

import re
from pathlib import Path

from engine.isa.table import ALL_OPS, decode

ROOT = Path(__file__).resolve().parents[2]
FLOWS = {None, "li", "bd", "lr", "ctr", "tar", "srr0", "hsrr0", "syscall", "scv"}


def _lines(name: str) -> list[object]:
    return [o for o in ALL_OPS if o.mnemonic == name]


def test_every_branch_says_where_it_goes() -> None:
    for o in ALL_OPS:
        assert o.flow in FLOWS, o.mnemonic
        if o.branch:
            assert o.flow in {"li", "bd", "lr", "ctr", "tar"}, o.mnemonic


def test_msr_writers_resync_and_interrupt_returns_name_their_save_registers() -> None:
    writers = {o.mnemonic: o.msr_write for o in ALL_OPS if o.msr_write}
    assert writers == {"mtmsr": "rs", "mtmsrd": "rs", "rfid": "srr1", "hrfid": "hsrr1",
                       "scv": "scv", "rfscv": "ctr"}  # fmt: skip
    for o in ALL_OPS:
        if o.msr_write:
            assert o.resyncs, o.mnemonic
        if o.flow in ("srr0", "hsrr0"):
            assert o.msr_write == {"srr0": "srr1", "hsrr0": "hsrr1"}[o.flow]


def test_reservation_lines_are_storage_of_their_direction() -> None:
    atomics = [o for o in ALL_OPS if o.atomic]
    assert {o.mnemonic for o in atomics if o.atomic == "larx"} == {
        "lbarx", "lharx", "lwarx", "ldarx"
    }  # fmt: skip
    for o in atomics:
        assert o.access == {"larx": "load", "stcx": "store"}[o.atomic], o.mnemonic


def test_decoded_words_carry_the_metadata() -> None:
    assert decode(0x7C6000A6).msr_read  # mfmsr r3
    assert decode(0x7C7A03A6).spr_write  # mtspr SRR0, r3
    assert decode(0x44000002).flow == "syscall"  # sc
    assert decode(0x4C000024).flow == "srr0"  # rfid
    assert decode(0x7C6018A8).atomic == "larx"  # ldarx r3, 0, r3
    assert decode(0x7C6019AD).atomic == "stcx"  # stdcx. r3, 0, r3


def test_nothing_outside_the_isa_classifies_by_mnemonic() -> None:
    pattern = re.compile(r"\.mnemonic\s*(==|!=|in\b|not in\b)|mnemonic\.startswith")
    offenders = [
        f"{p.relative_to(ROOT)}:{n}"
        for p in sorted((ROOT / "engine").rglob("*.py"))
        if "isa" not in p.relative_to(ROOT / "engine").parts
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert not offenders, offenders
