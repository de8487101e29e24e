"""Fixed-point logical instructions (ISA 3.0B 3.3.13): boolean operations,
sign extension, counts, population and parity, bpermd and cmpb.

X-form operands are RS (bits 6:10), RA (the target, bits 11:15) and RB.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..bits import M32, M64
from .common import cr0_for, cr0_src
from .forms import Ctx, Exec, Form, Op, f_ra, f_rb, f_rt, f_ui, inline, op

if TYPE_CHECKING:
    from ..cpu import VCPU

Binary = Callable[[int, int], int]
Unary = Callable[[int], int]

# The boolean operations on 64-bit values; results stay within 64 bits.
BOOL_OPS: dict[str, Binary] = {
    "and": lambda a, b: a & b,
    "andc": lambda a, b: a & ~b & M64,
    "or": lambda a, b: a | b,
    "orc": lambda a, b: (a | ~b) & M64,
    "xor": lambda a, b: a ^ b,
    "nand": lambda a, b: ~(a & b) & M64,
    "nor": lambda a, b: ~(a | b) & M64,
    "eqv": lambda a, b: ~(a ^ b) & M64,
}


def boolean(w: int, x: Ctx, *, fn: str) -> Exec:
    """and/andc/or/orc/xor/nand/nor/eqv[.]: RA <- RS op RB."""
    rs, ra, rb = f_rt(w), f_ra(w), f_rb(w)
    npc = x.npc
    rc = bool(w & 1)
    f = BOOL_OPS[fn]
    # The hot ones (mr, and, xor) get closures without a call.
    if not rc and fn == "or":
        if rs == rb:

            def mr(c: VCPU) -> int:
                g = c.gpr
                g[ra] = g[rs]
                return npc

            return inline(mr, f"g[{ra}] = g[{rs}]")

        def or_(c: VCPU) -> int:
            g = c.gpr
            g[ra] = g[rs] | g[rb]
            return npc

        return inline(or_, f"g[{ra}] = g[{rs}] | g[{rb}]")
    if not rc and fn == "and":

        def and_(c: VCPU) -> int:
            g = c.gpr
            g[ra] = g[rs] & g[rb]
            return npc

        return inline(and_, f"g[{ra}] = g[{rs}] & g[{rb}]")
    if not rc and fn == "xor":

        def xor(c: VCPU) -> int:
            g = c.gpr
            g[ra] = g[rs] ^ g[rb]
            return npc

        return inline(xor, f"g[{ra}] = g[{rs}] ^ g[{rb}]")
    cr0 = cr0_for(x.sf)

    def ex(c: VCPU) -> int:
        g = c.gpr
        r = g[ra] = f(g[rs], g[rb])
        if rc:
            cr0(c, r)
        return npc

    return ex


def immediate(w: int, x: Ctx, *, fn: str, shift: int = 0) -> Exec:
    """andi./andis./ori/oris/xori/xoris: RA <- RS op (UI << shift); the and forms set CR0."""
    rs, ra = f_rt(w), f_ra(w)
    imm = f_ui(w) << shift
    npc = x.npc
    if fn == "and":
        cr0 = cr0_for(x.sf)

        def andi(c: VCPU) -> int:
            g = c.gpr
            r = g[ra] = g[rs] & imm
            cr0(c, r)
            return npc

        return inline(andi, f"_r = g[{ra}] = g[{rs}] & {imm}", *cr0_src("_r", x.sf))
    if fn == "or":

        def ori(c: VCPU) -> int:
            g = c.gpr
            g[ra] = g[rs] | imm
            return npc

        return inline(ori, f"g[{ra}] = g[{rs}] | {imm}")

    def xori(c: VCPU) -> int:
        g = c.gpr
        g[ra] = g[rs] ^ imm
        return npc

    return inline(xori, f"g[{ra}] = g[{rs}] ^ {imm}")


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


def unary(w: int, x: Ctx, *, fn: str, rc: bool = True) -> Exec:
    """RA <- fn(RS); ``rc`` says whether the form has an Rc bit."""
    rs, ra = f_rt(w), f_ra(w)
    npc = x.npc
    f = UNARY_OPS[fn]
    if rc and w & 1:
        cr0 = cr0_for(x.sf)

        def dot(c: VCPU) -> int:
            g = c.gpr
            r = g[ra] = f(g[rs])
            cr0(c, r)
            return npc

        return dot

    def ex(c: VCPU) -> int:
        g = c.gpr
        g[ra] = f(g[rs])
        return npc

    return ex


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


def byte_op(w: int, x: Ctx, *, fn: Binary) -> Exec:
    """bpermd/cmpb: RA <- fn(RS, RB); no Rc."""
    rs, ra, rb = f_rt(w), f_ra(w), f_rb(w)
    npc = x.npc

    def ex(c: VCPU) -> int:
        g = c.gpr
        g[ra] = fn(g[rs], g[rb])
        return npc

    return ex


def _b(name: str, xo: int) -> Op:
    return op(name, Form.X, 31, xo, boolean, fn=name, suffixes=("rc",))


def _u(name: str, xo: int, rc: bool = True) -> Op:
    if rc:
        # QEMU 7.2 ignores RB of exts*/cntlz*/cnttz* (measured), so we do too.
        return op(name, Form.X, 31, xo, unary, fn=name, suffixes=("rc",))
    # popcnt*/prty*: RB and bit 31 must be 0 (QEMU 7.2 raises HEAI otherwise).
    return op(name, Form.X, 31, xo, unary, fn=name, rc=False, fixed=(0xF801, 0))


OPS: list[Op] = [
    _b("and", 28),
    _b("andc", 60),
    _b("or", 444),
    _b("orc", 412),
    _b("xor", 316),
    _b("nand", 476),
    _b("nor", 124),
    _b("eqv", 284),
    op("andi.", Form.D, 28, None, immediate, fn="and"),
    op("andis.", Form.D, 29, None, immediate, fn="and", shift=16),
    op("ori", Form.D, 24, None, immediate, fn="or"),
    op("oris", Form.D, 25, None, immediate, fn="or", shift=16),
    op("xori", Form.D, 26, None, immediate, fn="xor"),
    op("xoris", Form.D, 27, None, immediate, fn="xor", shift=16),
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
    op("bpermd", Form.X, 31, 252, byte_op, fn=_bpermd, fixed=(1, 0)),
    op("cmpb", Form.X, 31, 508, byte_op, fn=_cmpb, fixed=(1, 0)),
]
