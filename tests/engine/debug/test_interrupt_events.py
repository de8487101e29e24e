"""Interrupt events carry the save registers the delivery wrote: SRR0/1 or HSRR0/1.

The controller used to pick HSRR for a hard-coded range (0xe00-0xf80 and
0x980), so events for 0xf00, 0xf20 (vector unavailable), 0xf40 (VSX
unavailable) and 0xf60 (facility unavailable) reported stale HSRR values.
Which pair an interrupt uses is the interrupt's own description
(interrupts.save_registers), the one delivery uses too.
"""

from __future__ import annotations

import pytest

from engine.debug.config import SessionConfig
from engine.debug.controller import Controller
from engine.debug.events import InterruptEvent
from engine.interrupts import EXCP_VPU, EXCP_VSXU, deliver_vector
from engine.loader import load_image
from engine.sprs import SPR_HSRR0, SPR_HSRR1, SPR_SRR0, SPR_SRR1

STALE = {SPR_SRR0: 0x5150, SPR_SRR1: 0x5151, SPR_HSRR0: 0x4150, SPR_HSRR1: 0x4151}
# Every vector of docs/machine.md "Interrupts", and whether it saves into HSRR0/HSRR1.
VECTORS = {
    0x100: False, 0x200: False, 0x300: False, 0x380: False, 0x400: False, 0x480: False,
    0x500: False, 0x600: False, 0x700: False, 0x800: False, 0x900: False, 0x980: True,
    0xA00: False, 0xC00: False, 0xD00: False, 0xE00: True, 0xE20: True, 0xE40: True,
    0xE60: True, 0xE80: True, 0xF00: False, 0xF20: False, 0xF40: False, 0xF60: False,
    0xF80: True,
}  # fmt: skip

VAND = 0x10000404  # vand v0,v0,v0
MTVSRDD = 0x7C042B66  # mtvsrdd vs0,r4,r5


def _controller(words: list[int]) -> tuple[Controller, list[InterruptEvent]]:
    image = bytearray(0x2000)
    for i, w in enumerate(words):
        image[0x10 + 4 * i : 0x14 + 4 * i] = w.to_bytes(4, "big")
    ctl = Controller(load_image(bytes(image)), SessionConfig(history=False))
    events: list[InterruptEvent] = []
    ctl.subscribe(lambda e: events.append(e) if isinstance(e, InterruptEvent) else None)
    ctl.machine.vcpus[0].spr.update(STALE)
    return ctl, events


@pytest.mark.parametrize("vector", sorted(VECTORS), ids=hex)
def test_event_reports_the_registers_delivery_wrote(vector: int) -> None:
    ctl, events = _controller([])
    cpu = ctl.machine.vcpus[0]
    deliver_vector(cpu, vector, 0, 0x1230)
    ctl._on_interrupt(cpu, vector, 0x1230)
    (ev,) = events
    hv = VECTORS[vector]
    assert (ev.srr0, ev.srr1) == (
        (cpu.spr[SPR_HSRR0], cpu.spr[SPR_HSRR1]) if hv else (cpu.spr[SPR_SRR0], cpu.spr[SPR_SRR1])
    )
    assert ev.srr0 == 0x1230
    # the other pair keeps its stale value: delivery wrote one pair only
    assert cpu.spr[SPR_SRR0 if hv else SPR_HSRR0] == STALE[SPR_SRR0 if hv else SPR_HSRR0]


@pytest.mark.parametrize(
    ("word", "vector"), [(VAND, EXCP_VPU), (MTVSRDD, EXCP_VSXU)], ids=["vec-0xf20", "vsx-0xf40"]
)
def test_facility_unavailable_event_carries_srr0_srr1(word: int, vector: int) -> None:
    # MSR = SF|HV: FP, VEC and VSX off, so the vector instruction at 0x10 raises.
    ctl, events = _controller([word])
    ctl.step(0)
    cpu = ctl.machine.vcpus[0]
    assert cpu.nia == vector
    (ev,) = events
    assert ev.vector == vector
    assert ev.srr0 == 0x10 == cpu.spr[SPR_SRR0]
    assert ev.srr1 == cpu.spr[SPR_SRR1] == 0x9000_0000_0000_0000
    assert cpu.spr[SPR_HSRR0] == STALE[SPR_HSRR0]
