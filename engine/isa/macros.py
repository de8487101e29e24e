"""Status updates shared by the fixed-point families, as macros (specialize.macro).

A semantics function calls ``cr0(c, r, sf)`` as a statement; the specializer
pastes this body in its place with ``sf`` folded, so the Rc forms cost no
call in the closure or in a translated block.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..bits import M32
from .specialize import macro

if TYPE_CHECKING:
    from ..state import CPUState

CR0_CLEAR = 0x0FFF_FFFF


@macro
def cr0(c: CPUState, r: int, sf: bool) -> None:
    """CR0 <- LT, GT, EQ of ``r`` against 0 (signed), and SO. In 32-bit mode only
    the low word is compared (ISA 3.0B 3.3.8)."""
    if sf:
        c.cr = (c.cr & CR0_CLEAR) | (((2 if r == 0 else 8 if r >> 63 else 4) | c.so) << 28)
    else:
        w = r & M32
        c.cr = (c.cr & CR0_CLEAR) | (((2 if w == 0 else 8 if w >> 31 else 4) | c.so) << 28)


@macro
def set_ov(c: CPUState, ov: int, ov32: int) -> None:
    """XER[OV], XER[OV32] <- ov, ov32; SO is sticky."""
    c.ov = ov
    c.ov32 = ov32
    if ov:
        c.so = 1
