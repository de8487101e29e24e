"""Fixed-point arithmetic, logical, compare, rotate, shift and count instructions.

Families share one parameterised factory each (QEMU's TRANS() style); a
table line binds a mnemonic to a factory and its parameters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..bits import M32, M64, s32, s64
from .fields import DX, VA, XDARN, XO, D, X
from .insn import Insn, table
from .macros import cr0, set_ov

if TYPE_CHECKING:
    from ..state import CPUState


# -- add/subtract family --------------------------------------------------------
def addi(c: CPUState, rt: int, ra: int, si: int, *, shift: int = 0) -> None:
    """addi/addis: RT <- (RA|0) + SI (shifted)."""
    g = c.gpr
    g[rt] = ((g[ra] if ra else 0) + (si << shift)) & M64


def add_imm(c: CPUState, rt: int, ra: int, si: int, *, invert_a: bool, rc: int, sf: bool) -> None:
    """addic/addic./subfic: RT <- (~)RA + EXTS(SI) (+ 1 for subfic), setting CA and CA32.

    In 32-bit mode CA is the carry out of the low word (ISA 3.0B 3.3.9).
    """
    g = c.gpr
    a = g[ra] ^ M64 if invert_a else g[ra]
    full = a + (si & M64) + (1 if invert_a else 0)
    r = full & M64
    c.ca32 = ((a & M32) + (si & M32) + (1 if invert_a else 0)) >> 32
    c.ca = full >> 64 if sf else c.ca32
    g[rt] = r
    if rc:
        cr0(c, r, sf)


def add_xo(c: CPUState, rt: int, ra: int, rb: int, *, invert_a: bool, b: str, cin: str,
           set_ca: bool, oe: int, rc: int, sf: bool) -> None:  # fmt: skip
    """The XO add/subtract-from family: RT <- (~)RA + B + carry-in.

    ``b`` is "rb", "zero" or "ones" (addme/addze...: RB is 0 in the word); ``cin``
    is "0", "1" or "ca". OE sets OV/OV32 (SO sticky), Rc sets CR0.
    """
    g = c.gpr
    if b == "rb" and cin == "0" and not (invert_a or set_ca or oe or rc):
        g[rt] = (g[ra] + g[rb]) & M64  # add: the hot form, no temporaries
    elif b == "rb" and cin == "1" and invert_a and not (set_ca or oe or rc):
        g[rt] = (g[rb] - g[ra]) & M64  # subf
    else:
        a = g[ra] ^ M64 if invert_a else g[ra]
        bv = g[rb] if b == "rb" else (M64 if b == "ones" else 0)
        ci = c.ca if cin == "ca" else (1 if cin == "1" else 0)
        full = a + bv + ci
        r = full & M64
        if set_ca:
            c.ca32 = ((a & M32) + (bv & M32) + ci) >> 32
            c.ca = full >> 64 if sf else c.ca32
        if oe:
            ov = (a ^ r) & (bv ^ r)
            c.ov32 = (ov >> 31) & 1
            c.ov = (ov >> 63) & 1 if sf else c.ov32
            if c.ov:
                c.so = 1
        g[rt] = r
        if rc:
            cr0(c, r, sf)


# -- multiply, divide and modulo ------------------------------------------------
# Each operation is a pure function (a, b) -> (result, overflow); one factory
# wraps it with the OE/Rc bookkeeping. Where the ISA leaves a result undefined
# (divide by zero, overflow, the high word of mulhw), QEMU 7.2's value is used,
# because QEMU is the reference the differential tests compare against.
INT32_MIN = -(1 << 31)
INT64_MIN = -(1 << 63)


def _tdiv(n: int, d: int) -> int:
    """C-style division truncating toward zero (d != 0)."""
    q = abs(n) // abs(d)
    return -q if (n < 0) != (d < 0) else q


def _mullw(a: int, b: int) -> tuple[int, int]:
    p = s32(a) * s32(b)  # the full 64-bit product of the low words
    return p & M64, int(p != s32(p))


def _mulld(a: int, b: int) -> tuple[int, int]:
    p = s64(a) * s64(b)
    return p & M64, int(p != s64(p & M64))


def _mulhw(a: int, b: int) -> tuple[int, int]:
    # QEMU zero-extends the high word (ISA: bits 0:31 undefined).
    return ((s32(a) * s32(b)) >> 32) & M32, 0


def _mulhwu(a: int, b: int) -> tuple[int, int]:
    return ((a & M32) * (b & M32)) >> 32, 0


def _mulhd(a: int, b: int) -> tuple[int, int]:
    return ((s64(a) * s64(b)) >> 64) & M64, 0


def _mulhdu(a: int, b: int) -> tuple[int, int]:
    return (a * b) >> 64, 0


def _divw(a: int, b: int) -> tuple[int, int]:
    n, d = s32(a), s32(b)
    if d == 0 or (n == INT32_MIN and d == -1):
        # QEMU divides by 1 instead: RT = the dividend's low word, zero-extended.
        return a & M32, 1
    return _tdiv(n, d) & M32, 0  # QEMU zero-extends the quotient


def _divwu(a: int, b: int) -> tuple[int, int]:
    n, d = a & M32, b & M32
    if d == 0:
        return n, 1
    return n // d, 0


def _divd(a: int, b: int) -> tuple[int, int]:
    n, d = s64(a), s64(b)
    if d == 0 or (n == INT64_MIN and d == -1):
        return a, 1
    return _tdiv(n, d) & M64, 0


def _divdu(a: int, b: int) -> tuple[int, int]:
    if b == 0:
        return a, 1
    return a // b, 0


def _divwe(a: int, b: int) -> tuple[int, int]:
    # QEMU helper_divwe: RT = 0 on any overflow.
    n, d = s64((a & M32) << 32), s32(b)
    if d == 0 or (d == -1 and n == INT64_MIN):
        return 0, 1
    q = _tdiv(n, d)
    if q != s32(q):
        return 0, 1
    return q & M64, 0


def _divweu(a: int, b: int) -> tuple[int, int]:
    n, d = (a & M32) << 32, b & M32
    if d == 0:
        return 0, 1
    q = n // d
    if q > M32:
        return 0, 1
    return q, 0


def _divde(a: int, b: int) -> tuple[int, int]:
    # QEMU 7.2 helper_divde flags overflow when |RA| >= |RB|; a quotient of
    # exactly 2**63 (e.g. 1/2) slips through and is returned truncated.
    n, d = s64(a), s64(b)
    if d == 0 or abs(n) >= abs(d):
        return 0, 1
    return _tdiv(n << 64, d) & M64, 0


def _divdeu(a: int, b: int) -> tuple[int, int]:
    if b == 0 or a >= b:
        return 0, 1
    return (a << 64) // b, 0


def _modsw(a: int, b: int) -> tuple[int, int]:
    n, d = s32(a), s32(b)
    if d == 0 or (n == INT32_MIN and d == -1):
        return 0, 0  # QEMU takes the remainder modulo 1
    return (n - d * _tdiv(n, d)) & M64, 0


def _moduw(a: int, b: int) -> tuple[int, int]:
    d = b & M32
    return ((a & M32) % d if d else 0), 0


def _modsd(a: int, b: int) -> tuple[int, int]:
    n, d = s64(a), s64(b)
    if d == 0 or (n == INT64_MIN and d == -1):
        return 0, 0
    return (n - d * _tdiv(n, d)) & M64, 0


def _modud(a: int, b: int) -> tuple[int, int]:
    return (a % b if b else 0), 0


def muldiv(c: CPUState, rt: int, ra: int, rb: int, *, fn: Callable[[int, int], tuple[int, int]],
           oe: int = 0, rc: int = 0, sf: bool) -> None:  # fmt: skip
    """RT <- fn(RA, RB), with OE (OV, OV32 = OV, SO) and Rc for the XO forms.

    QEMU sets OV32 to OV for every multiply and divide (ISA 3.0B leaves OV32
    of the doubleword forms to the implementation).
    """
    g = c.gpr
    r, ov = fn(g[ra], g[rb])
    g[rt] = r
    if oe:
        set_ov(c, ov, ov)
    if rc:
        cr0(c, r, sf)


def mulli(c: CPUState, rt: int, ra: int, si: int) -> None:
    """mulli: RT <- low 64 bits of RA * SI."""
    g = c.gpr
    g[rt] = (g[ra] * si) & M64


def madd(c: CPUState, rt: int, ra: int, rb: int, rc_va: int, *, kind: str) -> None:
    """maddhd/maddhdu/maddld (VA form): RT <- (RA * RB + RC), high or low doubleword."""
    g = c.gpr
    if kind == "hd":
        g[rt] = ((s64(g[ra]) * s64(g[rb]) + s64(g[rc_va])) >> 64) & M64
    elif kind == "hdu":
        g[rt] = (g[ra] * g[rb] + g[rc_va]) >> 64
    else:
        g[rt] = (g[ra] * g[rb] + g[rc_va]) & M64


def addpcis(c: CPUState, rt: int, d: int, npc: int) -> None:
    """addpcis (DX form): RT <- NIA + EXTS(d || 0x0000), NIA being the next instruction."""
    c.gpr[rt] = (npc + (d << 16)) & M64


# -- darn ------------------------------------------------------------------------
DARN_ERROR = M64  # the ISA's "no random number available" value


def darn_next(c: CPUState) -> int:
    """The next value of the vCPU's deterministic generator (splitmix64).

    Real hardware and QEMU return entropy; ppcdbg runs must replay bit for bit,
    so darn draws from per-vCPU state that checkpoints capture. Differential
    tests must not compare darn's value with QEMU's.
    """
    s = (c.darn_state + 0x9E37_79B9_7F4A_7C15) & M64
    c.darn_state = s
    z = ((s ^ (s >> 30)) * 0xBF58_476D_1CE4_E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D0_49BB_1331_11EB) & M64
    return z ^ (z >> 31)


def darn(c: CPUState, rt: int, l: int) -> None:  # noqa: E741
    """darn RT,L: L=0 a 32-bit value, L=1/2 a 64-bit one, L=3 (reserved) the error value."""
    if l == 3:
        v = DARN_ERROR  # as QEMU
    elif l == 0:
        v = darn_next(c) & M32
    else:
        v = darn_next(c)
        while v == DARN_ERROR:  # never hand out the error value as a number
            v = darn_next(c)
    c.gpr[rt] = v


def _md(name: str, xo: int, fn: Callable[[int, int], tuple[int, int]], oe: bool = True) -> Insn:
    """A multiply/divide XO line; the mulh* forms have no OE bit (QEMU: bit 21 must be 0)."""
    return Insn(name, XO(31, xo) if oe else XO(31, xo, oe=0), muldiv, {"fn": fn})


def _mod(name: str, xo: int, fn: Callable[[int, int], tuple[int, int]]) -> Insn:
    # QEMU treats bit 31 of the modulo forms as reserved (invalid when set).
    return Insn(name, X(31, xo, rc=0), muldiv, {"fn": fn})


def _xo(name: str, xo: int, b: str, invert_a: bool, cin: str, set_ca: bool) -> Insn:
    # addme/addze/subfme/subfze/neg have no RB: bits 16:20 must be 0.
    enc = XO(31, xo) if b == "rb" else XO(31, xo, rb=0)
    return Insn(name, enc, add_xo, {"invert_a": invert_a, "b": b, "cin": cin, "set_ca": set_ca})


OPS: list[Insn] = table(
    Insn("addi", D(14), addi),
    Insn("addis", D(15), addi, {"shift": 16}),
    Insn("addic", D(12), add_imm, {"invert_a": False, "rc": 0}),
    Insn("addic.", D(13), add_imm, {"invert_a": False, "rc": 1}),
    Insn("subfic", D(8), add_imm, {"invert_a": True, "rc": 0}),
    _xo("add", 266, "rb", False, "0", False),
    _xo("addc", 10, "rb", False, "0", True),
    _xo("adde", 138, "rb", False, "ca", True),
    _xo("addme", 234, "ones", False, "ca", True),
    _xo("addze", 202, "zero", False, "ca", True),
    _xo("subf", 40, "rb", True, "1", False),
    _xo("subfc", 8, "rb", True, "1", True),
    _xo("subfe", 136, "rb", True, "ca", True),
    _xo("subfme", 232, "ones", True, "ca", True),
    _xo("subfze", 200, "zero", True, "ca", True),
    _xo("neg", 104, "zero", True, "1", False),
    Insn("addpcis", DX(19, 2), addpcis),
    Insn("mulli", D(7), mulli),
    _md("mullw", 235, _mullw),
    _md("mulhw", 75, _mulhw, oe=False),
    _md("mulhwu", 11, _mulhwu, oe=False),
    _md("mulld", 233, _mulld),
    _md("mulhd", 73, _mulhd, oe=False),
    _md("mulhdu", 9, _mulhdu, oe=False),
    _md("divw", 491, _divw),
    _md("divwu", 459, _divwu),
    _md("divd", 489, _divd),
    _md("divdu", 457, _divdu),
    _md("divwe", 427, _divwe),
    _md("divweu", 395, _divweu),
    _md("divde", 425, _divde),
    _md("divdeu", 393, _divdeu),
    _mod("modsw", 779, _modsw),
    _mod("moduw", 267, _moduw),
    _mod("modsd", 777, _modsd),
    _mod("modud", 265, _modud),
    Insn("maddhd", VA(4, 48), madd, {"kind": "hd"}),
    Insn("maddhdu", VA(4, 49), madd, {"kind": "hdu"}),
    Insn("maddld", VA(4, 51), madd, {"kind": "ld"}),
    # darn's bits 11:13, 16:20 and 31 are reserved (QEMU 7.2: HEAI when set).
    Insn("darn", XDARN(31, 755, res=0, rb=0, rc=0), darn),
)
