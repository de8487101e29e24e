"""Fixed-point logical instructions (ISA 3.0B 3.3.13): boolean operations,
sign extension, counts, population and parity, bpermd and cmpb.

X-form operands are RS (bits 6:10), RA (the target, bits 11:15) and RB.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..bits import M32, M64
from .fields import D, X
from .insn import Insn, table
from .macros import cr0

if TYPE_CHECKING:
    from ..state import CPUState

Binary = Callable[[int, int], int]
Unary = Callable[[int], int]


def boolean(c: CPUState, rs: int, ra: int, rb: int, *, op: str, rc: int, sf: bool) -> None:
    """and/andc/or/orc/xor/nand/nor/eqv[.]: RA <- RS op RB (64-bit results)."""
    g = c.gpr
    if op == "or" and rs == rb:
        g[ra] = g[rs]  # mr (or RA,RS,RS), the commonest move
    elif op == "and":
        g[ra] = g[rs] & g[rb]
    elif op == "andc":
        g[ra] = g[rs] & ~g[rb] & M64
    elif op == "or":
        g[ra] = g[rs] | g[rb]
    elif op == "orc":
        g[ra] = (g[rs] | ~g[rb]) & M64
    elif op == "xor":
        g[ra] = g[rs] ^ g[rb]
    elif op == "nand":
        g[ra] = ~(g[rs] & g[rb]) & M64
    elif op == "nor":
        g[ra] = ~(g[rs] | g[rb]) & M64
    else:  # eqv
        g[ra] = ~(g[rs] ^ g[rb]) & M64
    if rc:
        cr0(c, g[ra], sf)


def immediate(c: CPUState, rs: int, ra: int, ui: int, *, op: str, shift: int = 0, sf: bool) -> None:
    """andi./andis./ori/oris/xori/xoris: RA <- RS op (UI << shift); the and forms set CR0."""
    g = c.gpr
    if op == "and":
        g[ra] = g[rs] & (ui << shift)
        cr0(c, g[ra], sf)
    elif op == "or":
        g[ra] = g[rs] | (ui << shift)
    else:
        g[ra] = g[rs] ^ (ui << shift)


# -- one-operand operations --------------------------------------------------------
def _exts(bits: int) -> Unary:
    sign, top = 1 << (bits - 1), 1 << bits
    mask = top - 1

    def f(v: int) -> int:
        v &= mask
        return (v - top) & M64 if v & sign else v

    return f


def _cntlzw(v: int) -> int:
    return 32 - (v & M32).bit_length()


def _cntlzd(v: int) -> int:
    return 64 - v.bit_length()


def _cnttz(width: int) -> Unary:
    mask = (1 << width) - 1

    def f(v: int) -> int:
        v &= mask
        return (v & -v).bit_length() - 1 if v else width

    return f


def _popcnt(width: int) -> Unary:
    """Population count of each ``width``-bit element, in that element."""
    mask = (1 << width) - 1

    def f(v: int) -> int:
        r = 0
        for sh in range(0, 64, width):
            r |= ((v >> sh) & mask).bit_count() << sh
        return r

    return f


def _prtyw(v: int) -> int:
    """Parity of the low bits of the bytes of each word, in bit 63 of that word."""
    lsb = v & 0x0101_0101_0101_0101
    return ((lsb & M32).bit_count() & 1) | (((lsb >> 32).bit_count() & 1) << 32)


def _prtyd(v: int) -> int:
    return (v & 0x0101_0101_0101_0101).bit_count() & 1


UNARY_OPS: dict[str, Unary] = {
    "extsb": _exts(8), "extsh": _exts(16), "extsw": _exts(32),
    "cntlzw": _cntlzw, "cntlzd": _cntlzd, "cnttzw": _cnttz(32), "cnttzd": _cnttz(64),
    "popcntb": _popcnt(8), "popcntw": _popcnt(32), "popcntd": _popcnt(64),
    "prtyw": _prtyw, "prtyd": _prtyd,
}  # fmt: skip


# -- bpermd and cmpb -----------------------------------------------------------------
def _bpermd(rs: int, rb: int) -> int:
    """Each byte of RS indexes a bit of RB (IBM numbering); indexes >= 64 give 0."""
    r = 0
    for i in range(8):
        idx = (rs >> (56 - 8 * i)) & 0xFF
        bit = (rb >> (63 - idx)) & 1 if idx < 64 else 0
        r |= bit << (7 - i)
    return r


def _cmpb(a: int, b: int) -> int:
    r = 0
    for sh in range(0, 64, 8):
        if (a >> sh) & 0xFF == (b >> sh) & 0xFF:
            r |= 0xFF << sh
    return r


def unary(c: CPUState, rs: int, ra: int, *, fn: Unary, rc: int = 0, sf: bool) -> None:
    """RA <- fn(RS); Rc sets CR0 where the form has an Rc bit."""
    g = c.gpr
    g[ra] = fn(g[rs])
    if rc:
        cr0(c, g[ra], sf)


def byte_op(c: CPUState, rs: int, ra: int, rb: int, *, fn: Binary) -> None:
    """bpermd/cmpb: RA <- fn(RS, RB); no Rc."""
    g = c.gpr
    g[ra] = fn(g[rs], g[rb])


def _b(name: str, xo: int) -> Insn:
    return Insn(name, X(31, xo), boolean, {"op": name})


def _u(name: str, xo: int, rc: bool = True) -> Insn:
    if rc:
        # QEMU 7.2 ignores RB of exts*/cntlz*/cnttz* (measured), so we do too.
        return Insn(name, X(31, xo), unary, {"fn": UNARY_OPS[name]})
    # popcnt*/prty*: RB and bit 31 must be 0 (QEMU 7.2 raises HEAI otherwise).
    return Insn(name, X(31, xo, rb=0, rc=0), unary, {"fn": UNARY_OPS[name]})


OPS: list[Insn] = table(
    _b("and", 28),
    _b("andc", 60),
    _b("or", 444),
    _b("orc", 412),
    _b("xor", 316),
    _b("nand", 476),
    _b("nor", 124),
    _b("eqv", 284),
    Insn("andi.", D(28), immediate, {"op": "and"}),
    Insn("andis.", D(29), immediate, {"op": "and", "shift": 16}),
    Insn("ori", D(24), immediate, {"op": "or"}),
    Insn("oris", D(25), immediate, {"op": "or", "shift": 16}),
    Insn("xori", D(26), immediate, {"op": "xor"}),
    Insn("xoris", D(27), immediate, {"op": "xor", "shift": 16}),
    _u("extsb", 954),
    _u("extsh", 922),
    _u("extsw", 986),
    _u("cntlzw", 26),
    _u("cntlzd", 58),
    _u("cnttzw", 538),
    _u("cnttzd", 570),
    _u("popcntb", 122, rc=False),
    _u("popcntw", 378, rc=False),
    _u("popcntd", 506, rc=False),
    _u("prtyw", 154, rc=False),
    _u("prtyd", 186, rc=False),
    # Bit 31 of bpermd and cmpb is reserved: QEMU 7.2 raises HEAI when it is set.
    Insn("bpermd", X(31, 252, rc=0), byte_op, {"fn": _bpermd}),
    Insn("cmpb", X(31, 508, rc=0), byte_op, {"fn": _cmpb}),
)
