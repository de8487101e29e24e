"""Helpers shared by the instruction families: CR0, overflow, carries."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..bits import M32, M64
from ..interrupts import EXCP_HV_EMU, Interrupt

if TYPE_CHECKING:
    from ..state import CPUState

CR0_CLEAR = 0x0FFF_FFFF


def cr0_64(c: CPUState, r: int) -> None:
    """Set CR0 from a 64-bit result: LT, GT, EQ by signed comparison with 0, and SO."""
    if r == 0:
        f = 2
    elif r >> 63:
        f = 8
    else:
        f = 4
    c.cr = (c.cr & CR0_CLEAR) | ((f | c.so) << 28)


def cr0_32(c: CPUState, r: int) -> None:
    """CR0 in 32-bit mode: the low word is compared (ISA 3.0B 3.3.8)."""
    r &= M32
    if r == 0:
        f = 2
    elif r >> 31:
        f = 8
    else:
        f = 4
    c.cr = (c.cr & CR0_CLEAR) | ((f | c.so) << 28)


def cr0_src(r: str, sf: bool) -> tuple[str, ...]:
    """``cr0_64``/``cr0_32`` of the expression ``r`` as inline lines (forms.inline)."""
    if sf:
        return (
            f"c.cr = (c.cr & {CR0_CLEAR}) | (((2 if {r} == 0 else 8 if {r} >> 63 else 4)"
            " | c.so) << 28)",
        )
    return (
        f"_w = {r} & M32",
        f"c.cr = (c.cr & {CR0_CLEAR}) | (((2 if _w == 0 else 8 if _w >> 31 else 4) | c.so) << 28)",
    )


def cr0_for(sf: bool):  # type: ignore[no-untyped-def]
    return cr0_64 if sf else cr0_32


def set_ov(c: CPUState, ov: int, ov32: int) -> None:
    c.ov = ov
    c.ov32 = ov32
    if ov:
        c.so = 1


class Resync(Exception):
    """Raised after an instruction that changed MSR, translation or timer state.

    Run loops cache mode-dependent things; this makes them look again.
    """

    __slots__ = ("npc",)

    def __init__(self, npc: int) -> None:
        super().__init__(npc)
        self.npc = npc


class Stop(Exception):
    """Raised by an instruction that stops its vCPU: `stop` (sleep) or `attn` (halt)."""

    def __init__(self, reason: str, npc: int | None, halt: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.npc = npc
        self.halt = halt


class ClockSync(Exception):
    """Raised, before it does anything, by an instruction that reads or writes time
    (mftb, DEC, HDEC, TB writes) when the run loop's clock is not exact.

    Fast run loops count retired instructions per chunk, not per instruction;
    the loop accounts the instructions before this one and executes it with
    ``VCPU.step`` (whose clock is exact), so time reads the same whichever
    loop runs the program.
    """


def illegal(c: CPUState) -> int:
    """The closure for an invalid form: the illegal-instruction path (HEAI on POWER9)."""
    raise Interrupt(EXCP_HV_EMU)


__all__ = [
    "M32",
    "M64",
    "cr0_64",
    "cr0_32",
    "cr0_for",
    "set_ov",
    "illegal",
    "Resync",
    "Stop",
    "ClockSync",
]
