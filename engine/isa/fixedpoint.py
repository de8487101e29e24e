"""Fixed-point arithmetic, logical, compare, rotate, shift and count instructions.

Families share one parameterised factory each (QEMU's TRANS() style); a
table line binds a mnemonic to a factory and its parameters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..bits import M32, M64, s32, s64, sext
from .common import cr0_for, cr0_src, set_ov
from .forms import Ctx, Exec, Form, Op, f_ra, f_rb, f_rc_field, f_rt, f_si, inline, op

if TYPE_CHECKING:
    from ..cpu import VCPU


# -- add/subtract family --------------------------------------------------------
def addi(w: int, x: Ctx, shift: int = 0) -> Exec:
    """addi/addis: RT <- (RA|0) + SI (shifted)."""
    rt, ra = f_rt(w), f_ra(w)
    imm = (f_si(w) << shift) & M64
    npc = x.npc
    if ra == 0:

        def li(c: VCPU) -> int:
            c.gpr[rt] = imm
            return npc

        return inline(li, f"g[{rt}] = {imm}")

    def ex(c: VCPU) -> int:
        g = c.gpr
        g[rt] = (g[ra] + imm) & M64
        return npc

    return inline(ex, f"g[{rt}] = (g[{ra}] + {imm}) & M64")


def add_family(
    w: int,
    x: Ctx,
    *,
    invert_a: bool,
    b: str,
    cin: str,
    set_ca: bool,
    rc: str = "bit",
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

        return inline(add, f"g[{rt}] = (g[{ra}] + g[{rb}]) & M64")
    if not (oe or do_rc or set_ca) and b == "rb" and cin == "1" and invert_a:

        def subf(c: VCPU) -> int:
            g = c.gpr
            g[rt] = (g[rb] - g[ra]) & M64
            return npc

        return inline(subf, f"g[{rt}] = (g[{rb}] - g[{ra}]) & M64")

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

    if oe:
        return ex
    lines = [
        f"_a = g[{ra}]" + (" ^ M64" if invert_a else ""),
        "_f = _a + " + (f"g[{rb}]" if const_b is None else str(const_b))
        + " + " + ("c.ca" if const_c is None else str(const_c)),
        "_r = _f & M64",
    ]
    if set_ca:
        carry_in = "c.ca" if const_c is None else str(const_c)
        b_low = f"(g[{rb}] & M32)" if const_b is None else str(const_b & M32)
        lines[1:1] = [f"_ci = {carry_in}"]
        lines[2] = "_f = _a + " + (f"g[{rb}]" if const_b is None else str(const_b)) + " + _ci"
        lines += [f"c.ca32 = ((_a & M32) + {b_low} + _ci) >> 32",
                  "c.ca = _f >> 64" if sf else "c.ca = c.ca32"]
    lines.append(f"g[{rt}] = _r")
    if do_rc:
        lines += cr0_src("_r", sf)
    return inline(ex, *lines)


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


def muldiv(
    w: int,
    x: Ctx,
    *,
    fn: Callable[[int, int], tuple[int, int]],
    xo_form: bool = True,
) -> Exec:
    """RT <- fn(RA, RB), with OE (OV, OV32 = OV, SO) and Rc for the XO forms.

    QEMU sets OV32 to OV for every multiply and divide (ISA 3.0B leaves OV32
    of the doubleword forms to the implementation).
    """
    rt, ra, rb = f_rt(w), f_ra(w), f_rb(w)
    npc = x.npc
    oe = xo_form and bool(w & 0x400)
    rc = xo_form and bool(w & 1)
    cr0 = cr0_for(x.sf)
    if not (oe or rc):

        def plain(c: VCPU) -> int:
            g = c.gpr
            g[rt] = fn(g[ra], g[rb])[0]
            return npc

        return plain

    def ex(c: VCPU) -> int:
        g = c.gpr
        r, ov = fn(g[ra], g[rb])
        g[rt] = r
        if oe:
            set_ov(c, ov, ov)
        if rc:
            cr0(c, r)
        return npc

    return ex


def mulli(w: int, x: Ctx) -> Exec:
    """mulli: RT <- low 64 bits of RA * SI."""
    rt, ra, imm = f_rt(w), f_ra(w), f_si(w)
    npc = x.npc

    def ex(c: VCPU) -> int:
        g = c.gpr
        g[rt] = (g[ra] * imm) & M64
        return npc

    return ex


def madd(w: int, x: Ctx, *, kind: str) -> Exec:
    """maddhd/maddhdu/maddld (VA form): RT <- (RA * RB + RC), high or low doubleword."""
    rt, ra, rb, rc = f_rt(w), f_ra(w), f_rb(w), f_rc_field(w)
    npc = x.npc

    def ex(c: VCPU) -> int:
        g = c.gpr
        if kind == "hd":
            g[rt] = ((s64(g[ra]) * s64(g[rb]) + s64(g[rc])) >> 64) & M64
        elif kind == "hdu":
            g[rt] = (g[ra] * g[rb] + g[rc]) >> 64
        else:
            g[rt] = (g[ra] * g[rb] + g[rc]) & M64
        return npc

    return ex


def addpcis(w: int, x: Ctx) -> Exec:
    """addpcis (DX form): RT <- NIA + EXTS(d || 0x0000), NIA being the next instruction."""
    rt = f_rt(w)
    d = sext((((w >> 6) & 0x3FF) << 6) | (((w >> 16) & 31) << 1) | (w & 1), 16)
    value = (x.npc + (d << 16)) & M64

    npc = x.npc

    def ex(c: VCPU) -> int:
        c.gpr[rt] = value
        return npc

    return ex


# -- darn ------------------------------------------------------------------------
DARN_ERROR = M64  # the ISA's "no random number available" value


def darn_next(c: VCPU) -> int:
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


def darn(w: int, x: Ctx) -> Exec:
    """darn RT,L: L=0 a 32-bit value, L=1/2 a 64-bit one, L=3 (reserved) the error value."""
    rt, lvl = f_rt(w), (w >> 16) & 3
    npc = x.npc

    def ex(c: VCPU) -> int:
        if lvl == 3:
            v = DARN_ERROR  # as QEMU
        elif lvl == 0:
            v = darn_next(c) & M32
        else:
            v = darn_next(c)
            while v == DARN_ERROR:  # never hand out the error value as a number
                v = darn_next(c)
        c.gpr[rt] = v
        return npc

    return ex


def _md(name: str, xo: int, fn: Callable[[int, int], tuple[int, int]], oe: bool = True) -> Op:
    """A multiply/divide XO line; the mulh* forms have no OE bit (QEMU: bit 21 must be 0)."""
    if oe:
        return op(name, Form.XO, 31, xo, muldiv, fn=fn, suffixes=("oe", "rc"))
    return op(name, Form.XO, 31, xo, muldiv, fn=fn, suffixes=("rc",), fixed=(0x400, 0))


def _mod(name: str, xo: int, fn: Callable[[int, int], tuple[int, int]]) -> Op:
    # QEMU treats bit 31 of the modulo forms as reserved (invalid when set).
    return op(name, Form.X, 31, xo, muldiv, fn=fn, xo_form=False, fixed=(1, 0))


def _xo(name: str, xo: int, **kw: object) -> Op:
    return op(name, Form.XO, 31, xo, add_family, suffixes=("oe", "rc"), **kw)


OPS: list[Op] = [
    op("addi", Form.D, 14, None, addi),
    op("addis", Form.D, 15, None, addi, shift=16),
    op(
        "addic",
        Form.D,
        12,
        None,
        add_family,
        invert_a=False,
        b="imm",
        cin="0",
        set_ca=True,
        rc="never",
    ),
    op(
        "addic.",
        Form.D,
        13,
        None,
        add_family,
        invert_a=False,
        b="imm",
        cin="0",
        set_ca=True,
        rc="always",
    ),
    op(
        "subfic",
        Form.D,
        8,
        None,
        add_family,
        invert_a=True,
        b="imm",
        cin="1",
        set_ca=True,
        rc="never",
    ),
    _xo("add", 266, invert_a=False, b="rb", cin="0", set_ca=False),
    _xo("addc", 10, invert_a=False, b="rb", cin="0", set_ca=True),
    _xo("adde", 138, invert_a=False, b="rb", cin="ca", set_ca=True),
    _xo("addme", 234, invert_a=False, b="ones", cin="ca", set_ca=True, fixed=(0xF800, 0)),
    _xo("addze", 202, invert_a=False, b="zero", cin="ca", set_ca=True, fixed=(0xF800, 0)),
    _xo("subf", 40, invert_a=True, b="rb", cin="1", set_ca=False),
    _xo("subfc", 8, invert_a=True, b="rb", cin="1", set_ca=True),
    _xo("subfe", 136, invert_a=True, b="rb", cin="ca", set_ca=True),
    _xo("subfme", 232, invert_a=True, b="ones", cin="ca", set_ca=True, fixed=(0xF800, 0)),
    _xo("subfze", 200, invert_a=True, b="zero", cin="ca", set_ca=True, fixed=(0xF800, 0)),
    _xo("neg", 104, invert_a=True, b="zero", cin="1", set_ca=False, fixed=(0xF800, 0)),
    op("addpcis", Form.DX, 19, 2, addpcis),
    op("mulli", Form.D, 7, None, mulli),
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
    op("maddhd", Form.VA, 4, 48, madd, kind="hd"),
    op("maddhdu", Form.VA, 4, 49, madd, kind="hdu"),
    op("maddld", Form.VA, 4, 51, madd, kind="ld"),
    # darn's bits 11:13, 16:20 and 31 are reserved (QEMU 7.2: HEAI when set).
    op("darn", Form.X, 31, 755, darn, fixed=(0x001C_F801, 0)),
]
