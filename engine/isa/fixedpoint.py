"""Fixed-point arithmetic, logical, compare, rotate, shift and count instructions.

Families share one parameterised factory each (QEMU's TRANS() style); a
table line binds a mnemonic to a factory and its parameters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..bits import M32, M64
from .common import cr0_for
from .forms import Ctx, Exec, Form, Op, f_ra, f_rb, f_rt, f_si, op

if TYPE_CHECKING:
    from ..cpu import VCPU


# -- add/subtract family --------------------------------------------------------
def addi(w: int, x: Ctx, shift: int = 0) -> Exec:
    """addi/addis: RT <- (RA|0) + SI (shifted)."""
    rt, ra = f_rt(w), f_ra(w)
    imm = (f_si(w) << shift) & M64
    npc = x.npc
    if ra == 0:
        def ex(c: VCPU) -> int:
            c.gpr[rt] = imm
            return npc
    else:
        def ex(c: VCPU) -> int:
            g = c.gpr
            g[rt] = (g[ra] + imm) & M64
            return npc
    return ex


def add_family(
    w: int, x: Ctx, *, invert_a: bool, b: str, cin: str, set_ca: bool, rc: str = "bit",
) -> Exec:
    """The add/subtract-from family: RT <- (~)RA + B + carry-in.

    ``b`` is "rb", "imm", "zero" or "ones"; ``cin`` is "0", "1" or "ca";
    ``rc`` is "bit" (the Rc bit decides), "always" (addic.) or "never".
    OE (bit 21) applies to XO forms only.
    """
    rt, ra, rb = f_rt(w), f_ra(w), f_rb(w)
    imm = f_si(w) & M64
    npc = x.npc
    oe = x is not None and b != "imm" and bool(w & 0x400)
    do_rc = (rc == "always") or (rc == "bit" and bool(w & 1))
    sf = x.sf
    cr0 = cr0_for(sf)
    const_b = {"zero": 0, "ones": M64, "imm": imm}.get(b)
    const_c = {"0": 0, "1": 1}.get(cin)

    # Common forms without carry or flags get a straight-line closure.
    if not (oe or do_rc or set_ca) and b == "rb" and cin == "0" and not invert_a:
        def add(c: VCPU) -> int:
            g = c.gpr
            g[rt] = (g[ra] + g[rb]) & M64
            return npc
        return add
    if not (oe or do_rc or set_ca) and b == "rb" and cin == "1" and invert_a:
        def subf(c: VCPU) -> int:
            g = c.gpr
            g[rt] = (g[rb] - g[ra]) & M64
            return npc
        return subf

    def ex(c: VCPU) -> int:
        g = c.gpr
        a = g[ra] ^ M64 if invert_a else g[ra]
        bv = g[rb] if const_b is None else const_b
        ci = c.ca if const_c is None else const_c
        full = a + bv + ci
        r = full & M64
        if set_ca:
            c.ca32 = ((a & M32) + (bv & M32) + ci) >> 32
            # In 32-bit mode CA is the carry out of the low word (ISA 3.0B 3.3.9).
            c.ca = (full >> 64) if sf else c.ca32
        if oe:
            ov64 = ((a ^ r) & (bv ^ r)) >> 63 & 1
            ov32 = ((a ^ r) & (bv ^ r)) >> 31 & 1
            c.ov32 = ov32
            c.ov = ov64 if sf else ov32
            if c.ov:
                c.so = 1
        g[rt] = r
        if do_rc:
            cr0(c, r)
        return npc

    return ex


def _xo(name: str, xo: int, **kw: object) -> Op:
    return op(name, Form.XO, 31, xo, add_family, suffixes=("oe", "rc"), **kw)


OPS: list[Op] = [
    op("addi", Form.D, 14, None, addi),
    op("addis", Form.D, 15, None, addi, shift=16),
    op("addic", Form.D, 12, None, add_family, invert_a=False, b="imm", cin="0", set_ca=True, rc="never"),
    op("addic.", Form.D, 13, None, add_family, invert_a=False, b="imm", cin="0", set_ca=True, rc="always"),
    op("subfic", Form.D, 8, None, add_family, invert_a=True, b="imm", cin="1", set_ca=True, rc="never"),
    _xo("add", 266, invert_a=False, b="rb", cin="0", set_ca=False),
    _xo("addc", 10, invert_a=False, b="rb", cin="0", set_ca=True),
    _xo("adde", 138, invert_a=False, b="rb", cin="ca", set_ca=True),
    _xo("addme", 234, invert_a=False, b="ones", cin="ca", set_ca=True),
    _xo("addze", 202, invert_a=False, b="zero", cin="ca", set_ca=True),
    _xo("subf", 40, invert_a=True, b="rb", cin="1", set_ca=False),
    _xo("subfc", 8, invert_a=True, b="rb", cin="1", set_ca=True),
    _xo("subfe", 136, invert_a=True, b="rb", cin="ca", set_ca=True),
    _xo("subfme", 232, invert_a=True, b="ones", cin="ca", set_ca=True),
    _xo("subfze", 200, invert_a=True, b="zero", cin="ca", set_ca=True),
    _xo("neg", 104, invert_a=True, b="zero", cin="1", set_ca=False),
]
