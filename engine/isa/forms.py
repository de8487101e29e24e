"""What every instruction's closure is built from: the decode context, ``Exec``, field
extractors for closure makers, and ``inline`` for a closure's own block lines.

A closure (``Exec``) executes one instruction at one address and returns the next
instruction address; the table lines (engine/isa/insn.py) build them, from a
specialised semantics function or, for ``closure=True`` lines, a closure maker that
receives the word and the decode context (``Ctx``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..bits import M32, M64

if TYPE_CHECKING:
    from ..state import CPUState

Exec = Callable[["CPUState"], int]


def inline(fn: Exec, *lines: str) -> Exec:
    """Attach ``fn``'s effect as straight-line Python for translated blocks (engine/blocks.py).

    The lines are the closure's body with its operands as literals, so a block
    runs them in its own frame instead of calling ``fn``. Names they may use:
    ``c`` (the vCPU), ``g`` (its GPR list), ``tl``/``ts`` (its load/store TLB
    maps), ``M64``, ``M32``, and temporaries starting with ``_``; a branch
    assigns ``pc``. tests/engine/test_inline.py runs every line of the table
    both ways on random words and states and demands identical results.
    """
    fn.src = lines  # type: ignore[attr-defined]
    return fn


@dataclass(frozen=True, slots=True)
class Ctx:
    """Decode context: where the word sits and the machine mode it runs in."""

    pc: int
    msr: int  # the MSR decode-context bits (msr.MSR_DECODE_CONTEXT)
    sf: bool
    order: str  # "big" or "little": data byte order (MSR[LE])

    @property
    def amask(self) -> int:
        """Mask applied to effective addresses and NIA (32-bit mode truncates)."""
        return M64 if self.sf else M32

    @property
    def npc(self) -> int:
        return (self.pc + 4) & self.amask

    @property
    def le(self) -> bool:
        return self.order == "little"

    @property
    def hv(self) -> bool:
        return bool(self.msr & 0x1000_0000_0000_0000)  # MSR[HV]

    @property
    def pr(self) -> bool:
        return bool(self.msr & 0x4000)  # MSR[PR]


# -- field extractors (IBM bit numbering within the 32-bit word) -------------
def f_rt(w: int) -> int:
    return (w >> 21) & 31


def f_ra(w: int) -> int:
    return (w >> 16) & 31


def f_rb(w: int) -> int:
    return (w >> 11) & 31


def f_rc_field(w: int) -> int:
    """The C register field (bits 21:25) of A/VA forms."""
    return (w >> 6) & 31


def f_si(w: int) -> int:
    v = w & 0xFFFF
    return v - 0x10000 if v & 0x8000 else v


def f_ui(w: int) -> int:
    return w & 0xFFFF


def f_ds(w: int) -> int:
    v = w & 0xFFFC
    return v - 0x10000 if v & 0x8000 else v


def f_bf(w: int) -> int:
    return (w >> 23) & 7


def f_rc(w: int) -> bool:
    return bool(w & 1)


def f_oe(w: int) -> bool:
    return bool(w & 0x400)


def f_spr(w: int) -> int:
    """The SPR number: its two 5-bit halves are swapped in the word."""
    return ((w >> 16) & 31) | (((w >> 11) & 31) << 5)


def f_sh64(w: int) -> int:
    """The 6-bit shift of MD/XS forms (sh5 in bit 30 or 1)."""
    return ((w >> 11) & 31) | ((w >> 1) & 1) << 5


def f_mb64(w: int) -> int:
    """The 6-bit mb/me of MD/MDS forms (rotated: the high bit sits at bit 26)."""
    v = (w >> 5) & 63
    return ((v & 1) << 5) | (v >> 1)
