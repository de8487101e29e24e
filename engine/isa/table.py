"""The instruction table: every family module's lines, gathered once."""

from __future__ import annotations

from . import branch, fixedpoint, loadstore, system
from .decoder import Decoder
from .forms import Op

ALL_OPS: tuple[Op, ...] = (
    *fixedpoint.OPS,
    *loadstore.OPS,
    *branch.OPS,
    *system.OPS,
)

DECODER = Decoder(ALL_OPS)
decode = DECODER.decode
