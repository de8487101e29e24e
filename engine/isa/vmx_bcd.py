"""VMX decimal (BCD) instructions: bcdadd. bcdsub. bcdcpsgn. bcdsetsgn. bcds. bcdus. bcdsr.
bcdtrunc. bcdutrunc. bcdcfn. bcdctn. bcdcfz. bcdctz. bcdcfsq. bcdctsq. (ISA 3.0B 5.9.3).

A signed decimal is 31 digits and a sign code, one per nibble: nibble n (bits
4n..4n+3 of the 128-bit register, counting from the least significant end)
is digit n, and nibble 0 is the sign (0xA, 0xC, 0xE, 0xF plus; 0xB, 0xD
minus; anything else invalid). The preferred signs are 0xC (PS=0) or 0xF
(PS=1) for plus and 0xD for minus. CR6 gets LT/GT/EQ/SO (8/4/2/1) from the
result; an invalid operand gives SO alone and an undefined result.

The undefined results, and the corners where QEMU 7.2 differs from the ISA, are
QEMU 7.2's (target/ppc/int_helper.c helper_bcd*), and we follow QEMU:

- Invalid operands: bcdadd./bcdsub. write all ones; bcdcpsgn. writes VRA with
  VRB's sign code when only a digit is invalid, nothing when a sign is; bcds.,
  bcdus., bcdsr., bcdtrunc. and bcdutrunc. leave VRT unchanged; bcdsetsgn. and the
  conversions write what they computed up to the bad digit.
- bcdadd. of operands with opposite signs compares the magnitudes from digit 31
  down and stops at the first invalid digit calling them equal: the result is
  then +0 with CR6 = EQ and no SO.
- bcdadd. of two operands with the same sign whose sum is zero sets GT (or LT)
  and EQ together.
- bcdus. and bcdctsq./bcdctn./bcdctz. take CR6's LT/GT from the sign code even
  where there is none: a nonzero unsigned bcdus. result is LT, and a result whose
  only nonzero digit is digit 0 is EQ.
- bcdtrunc. with VRA's halfword 3 = -1 (keep no digit) keeps the low 16 digits (a
  C shift by 64, x86-64's count taken modulo 64); the halfword beyond 30 keeps all.
- bcdcfsq. of an out-of-range value leaves VRT unchanged (SO). bcdcfz. with PS=0
  treats a zone's 0x4 bit as minus, and its plus sign is 0xC whatever PS is.
- bcdctsq. accumulates the value in two 64-bit halves without carrying the
  digit added into the low half (as QEMU's mulu64 loop does).
- With VRT = VRB, QEMU writes VRT before it is done reading VRB: bcdcpsgn. keeps
  VRA's sign, bcdsetsgn. checks only the digits, bcdctsq. takes CR6 from the
  integer result.
- QEMU 7.2 also executes bcds. (PS=1) and bcdsr. with Rc=0 (its table entries for
  those opcodes do not look at bit 31), setting CR6 all the same: the "bcds" and
  "bcdsr" lines. bcdctsq. ignores PS; bcdctn., bcdus., bcdutrunc. need PS=0.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .fields import BCD, VX
from .insn import Insn, table
from .vector import M64, M128

if TYPE_CHECKING:
    from ..state import CPUState

LT, GT, EQ, SO = 8, 4, 2, 1
CR6_CLEAR = 0xFFFF_FF0F  # CR6 is CR bits 24:27, 4 bits above the least significant end
_PLUS = frozenset((0xA, 0xC, 0xE, 0xF))
_MINUS = frozenset((0xB, 0xD))
NATIONAL_PLUS, NATIONAL_MINUS = 0x2B, 0x2D
BCD_MAX = 10**31 - 1


def _nib(v: int, n: int) -> int:
    return (v >> (4 * n)) & 0xF


def _put(v: int, n: int, d: int) -> int:
    return (v & ~(0xF << (4 * n))) | ((d & 0xF) << (4 * n))


def sign(v: int) -> int:
    """1 (plus), -1 (minus) or 0 (not a sign code) for nibble 0 of ``v``."""
    s = v & 0xF
    return 1 if s in _PLUS else -1 if s in _MINUS else 0


def preferred(sgn: int, ps: int) -> int:
    return (0xF if ps else 0xC) if sgn >= 0 else 0xD


def bad_digits(v: int, first: int = 1) -> bool:
    """Whether a nibble ``first``..31 of ``v`` is not a decimal digit."""
    v >>= 4 * first
    return any((v >> (4 * i)) & 0xF > 9 for i in range(32 - first))


def valid(v: int) -> bool:
    return sign(v) != 0 and not bad_digits(v)


def cmp_zero(v: int) -> int:
    """CR6 for ``v``: EQ when digits 1..31 are zero, else GT for a plus sign, LT otherwise."""
    if v >> 4 == 0:
        return EQ
    return GT if sign(v) == 1 else LT


def _digits_of(v: int) -> int:
    """The digits 1..31 of ``v`` as a number (all valid)."""
    r = 0
    for i in range(31, 0, -1):
        r = r * 10 + _nib(v, i)
    return r


def _pack(mag: int, sgn_code: int) -> int:
    """``mag`` (< 10**31) in digits 1..31 with sign code ``sgn_code``."""
    r = sgn_code
    i = 1
    while mag:
        mag, d = divmod(mag, 10)
        r |= d << (4 * i)
        i += 1
    return r


# -- add and subtract ----------------------------------------------------------------------
def _cmp_mag(a: int, b: int) -> int:
    for i in range(31, 0, -1):
        da, db = _nib(a, i), _nib(b, i)
        if da > 9 or db > 9:
            return 0  # QEMU's bcd_cmp_mag: "doesn't matter", and the invalid flag is lost
        if da != db:
            return 1 if da > db else -1
    return 0


def add(a: int, b: int, ps: int) -> tuple[int, int]:
    """bcdadd.: (VRT, CR6) as QEMU 7.2's helper_bcdadd computes them."""
    sa, sb = sign(a), sign(b)
    if sa == 0 or sb == 0:
        return M128, SO
    if sa == sb:
        if bad_digits(a) or bad_digits(b):
            return M128, SO
        total = _digits_of(a) + _digits_of(b)
        cr = GT if sa > 0 else LT
        r = _pack(total % 10**31, preferred(sa, ps))
        if total > BCD_MAX:
            return r, cr | SO
        return r, cr | (EQ if total == 0 else 0)
    mag = _cmp_mag(a, b)
    if mag == 0:
        return preferred(0, ps), EQ
    if bad_digits(a) or bad_digits(b):
        return M128, SO
    big, small, s = (a, b, sa) if mag > 0 else (b, a, sb)
    diff = _digits_of(big) - _digits_of(small)
    return _pack(diff, preferred(s, ps)), GT if s > 0 else LT


def sub(a: int, b: int, ps: int) -> tuple[int, int]:
    """bcdsub.: bcdadd. with VRB's sign code replaced by the opposite preferred one."""
    sb = sign(b)
    if sb:
        b = _put(b, 0, 0xC if sb < 0 else 0xD)
    return add(a, b, ps)


# -- sign and shift --------------------------------------------------------------------------
def cpsgn(t: int, a: int, b: int, in_b: bool = False) -> tuple[int, int]:
    """bcdcpsgn.: VRA with VRB's sign code (``in_b``: VRT is VRB, which QEMU overwrites
    with VRA before it reads VRB's sign, so VRA's own sign stays)."""
    if sign(a) == 0 or sign(b) == 0:
        return t, SO
    if in_b:
        b = a
    r = _put(a, 0, b & 0xF)
    if bad_digits(a) or bad_digits(b):
        return r, SO
    return r, cmp_zero(r)


def setsgn(b: int, ps: int, in_b: bool = False) -> tuple[int, int]:
    """bcdsetsgn.: VRB with its preferred sign code (``in_b``: VRT is VRB, whose validity
    QEMU checks after writing the new sign, so only its digits count)."""
    r = _put(b, 0, preferred(sign(b), ps))
    return r, cmp_zero(r) if valid(r if in_b else b) else SO


def _sb7(a: int) -> int:
    """Byte 7 of VRA, signed: the shift count of bcds./bcdus./bcdsr."""
    n = (a >> 64) & 0xFF
    return n - 256 if n & 0x80 else n


def _shift(v: int, n: int) -> tuple[int, bool]:
    """``v`` shifted left by ``n`` digits (right for n < 0) in 128 bits; whether a 1 fell off."""
    if n > 0:
        r = v << (4 * n)
        return r & M128, r >> 128 != 0
    return v >> (-4 * n), False


def shift(t: int, a: int, b: int, ps: int, rnd: bool) -> tuple[int, int]:
    """bcds. (``rnd`` False) and bcdsr.: VRB's digits shifted by VRA byte 7 (-31..31)."""
    if not valid(b):
        return t, SO
    n = max(-31, min(31, _sb7(a)))
    r, ox = _shift(b & ~0xF, n)
    if rnd and n <= 0 and r & 0xF >= 5:
        # digits 1..31 plus one, the carry out of digit 31 dropped (QEMU's bcd_add_mag)
        r = (r & 0xF) | (_pack((_digits_of(r) + 1) % 10**31, 0) & ~0xF)
    r = _put(r, 0, preferred(sign(b), ps))
    return r, cmp_zero(r) | (SO if ox else 0)


def ushift(t: int, a: int, b: int) -> tuple[int, int]:
    """bcdus.: VRB's 32 digits shifted by VRA byte 7 (all gone beyond 31 either way)."""
    if bad_digits(b, 0):
        return t, SO
    n = _sb7(a)
    if n >= 32:
        r, ox = 0, True
    elif n <= -32:
        r, ox = 0, False
    else:
        r, ox = _shift(b, n)
    return r, cmp_zero(r) | (SO if ox else 0)


def _sh3(a: int) -> int:
    """Halfword 3 of VRA, signed: the digit count of bcdtrunc./bcdutrunc."""
    n = (a >> 64) & 0xFFFF
    return n - 0x10000 if n & 0x8000 else n


def _low_mask(bits: int) -> int:
    """C's ``(uint64_t)-1 >> (64 - bits)`` on x86-64: the count is taken modulo 64."""
    return M64 >> ((64 - bits) & 63)


def trunc(t: int, a: int, b: int, ps: int) -> tuple[int, int]:
    """bcdtrunc.: VRB with only its low VRA.hw3 digits kept (and its sign)."""
    if not valid(b):
        return t, SO
    i = _sh3(a) + 1
    hi, lo = b >> 64, b & M64
    ox = False
    if 16 < i < 32:
        m = _low_mask(i * 4 - 64)
        ox = hi & ~m != 0
        hi &= m
    elif 0 <= i <= 16:
        m = _low_mask(i * 4)
        ox = hi != 0 or lo & ~m != 0
        hi, lo = 0, lo & m
    r = _put((hi << 64) | lo, 0, preferred(sign(b), ps))
    return r, cmp_zero(r) | (SO if ox else 0)


def utrunc(t: int, a: int, b: int) -> tuple[int, int]:
    """bcdutrunc.: VRB's low VRA.hw3 digits (of 32, no sign)."""
    if bad_digits(b, 0):
        return t, SO
    i = _sh3(a)
    hi, lo = b >> 64, b & M64
    ox = False
    if 16 < i < 33:
        m = _low_mask(i * 4 - 64)
        ox = hi & ~m != 0
        hi &= m
    elif 0 < i <= 16:
        m = _low_mask(i * 4)
        ox = hi != 0 or lo & ~m != 0
        hi, lo = 0, lo & m
    elif i == 0:
        ox = b != 0
        hi = lo = 0
    r = (hi << 64) | lo
    return r, (EQ if r == 0 else GT) | (SO if ox else 0)


# -- conversions -------------------------------------------------------------------------------
def cfn(b: int, ps: int) -> tuple[int, int]:
    """bcdcfn.: national decimal (7 digits in halfwords, sign 0x2B/0x2D) to signed BCD."""
    sgn = b & 0xFFFF
    invalid = sgn not in (NATIONAL_PLUS, NATIONAL_MINUS)
    r = 0
    for i in range(1, 8):
        h = (b >> (16 * i)) & 0xFFFF
        if not 0x30 <= h <= 0x39:
            invalid = True
            break
        r |= (h & 0xF) << (4 * i)
    r |= preferred(1, ps) if sgn == NATIONAL_PLUS else 0xD
    return r, SO if invalid else cmp_zero(r)


def ctn(b: int) -> tuple[int, int]:
    """bcdctn.: signed BCD to national decimal (its digits 1..7); SO if more digits."""
    sgn = sign(b)
    invalid = sgn == 0
    r = 0
    for i in range(1, 8):
        d = _nib(b, i)
        invalid = invalid or d > 9
        r |= (0x30 + d) << (16 * i)
        if invalid:
            break
    r |= NATIONAL_MINUS if sgn == -1 else NATIONAL_PLUS
    if invalid:
        return r, SO
    return r, cmp_zero(b) | (SO if b >> 32 else 0)


def cfz(b: int, ps: int) -> tuple[int, int]:
    """bcdcfz.: zoned decimal (16 bytes, zone 0x3 or 0xF by PS, sign in byte 15's zone)."""
    lead = 0xF if ps else 0x3
    sgn = (b >> 4) & 0xF
    invalid = bool(ps) and sgn < 0xA
    r = 0
    for i in range(16):
        byte = (b >> (8 * i)) & 0xFF
        zone = byte >> 4 if i else lead
        d = byte & 0xF
        if zone != lead or d > 9:
            invalid = True
            break
        r |= d << (4 * (i + 1))
    r &= M128
    neg = sgn in (0xB, 0xD) if ps else bool(sgn & 0x4)
    r |= 0xD if neg else 0xC
    return r, SO if invalid else cmp_zero(r)


def ctz(b: int, ps: int) -> tuple[int, int]:
    """bcdctz.: signed BCD to zoned decimal (its digits 1..16); SO if more digits."""
    sgn = sign(b)
    invalid = sgn == 0
    lead = 0xF0 if ps else 0x30
    r = 0
    for i in range(16):
        d = _nib(b, i + 1)
        if invalid or d > 9:
            invalid = True
            break
        r |= (lead + d) << (8 * i)
    if ps:
        code = 0xC if sgn == 1 else 0xD
    else:
        code = 0x3 if sgn == 1 else 0x7
    r = _put(r, 1, code)
    if invalid:
        return r, SO
    return r, cmp_zero(b) | (SO if (b >> 64) >> 4 else 0)


def cfsq(t: int, b: int, ps: int) -> tuple[int, int]:
    """bcdcfsq.: a signed quadword to signed BCD; beyond 31 digits SO and VRT unchanged."""
    if b >> 127:
        mag, code, cr = (1 << 128) - b, 0xD, LT
    else:
        mag, code, cr = b, preferred(0, ps), (EQ if b == 0 else GT)
    if mag > BCD_MAX:
        return t, cr | SO
    return _pack(mag, code), cr


def ctsq(b: int, in_b: bool = False) -> tuple[int, int]:
    """bcdctsq.: signed BCD to a signed quadword (QEMU's 64-bit halves, see the docstring);
    ``in_b``: VRT is VRB, and QEMU takes CR6 from the integer it wrote there."""
    sgn = sign(b)
    invalid = sgn == 0
    lo, hi = _nib(b, 31), 0
    invalid = invalid or lo > 9
    for i in range(30, 0, -1):
        p = lo * 10
        d = _nib(b, i)
        lo = ((p & M64) + d) & M64
        hi = (hi * 10 + (p >> 64)) & M64
        invalid = invalid or d > 9
        if invalid:
            break
    v = (hi << 64) | lo
    if sgn == -1:
        v = -v & M128
    return v, SO if invalid else cmp_zero(v if in_b else b)


# -- semantics: VRT and CR6 ----------------------------------------------------------------
def bcd_vab(c: CPUState, vrt: int, vra: int, vrb: int, ps: int, *, op: str) -> None:
    """bcdadd. bcdsub. bcdcpsgn. bcds. bcdus. bcdsr. bcdtrunc. bcdutrunc. (VRA, VRB)."""
    vs = c.vsr
    a, b, t = vs[32 + vra], vs[32 + vrb], vs[32 + vrt]
    if op == "add":
        r, cr = add(a, b, ps)
    elif op == "sub":
        r, cr = sub(a, b, ps)
    elif op == "cpsgn":
        r, cr = cpsgn(t, a, b, vrt == vrb)
    elif op == "s":
        r, cr = shift(t, a, b, ps, False)
    elif op == "sr":
        r, cr = shift(t, a, b, ps, True)
    elif op == "us":
        r, cr = ushift(t, a, b)
    elif op == "trunc":
        r, cr = trunc(t, a, b, ps)
    else:
        r, cr = utrunc(t, a, b)
    vs[32 + vrt] = r
    c.cr = (c.cr & CR6_CLEAR) | (cr << 4)


def bcd_vb(c: CPUState, vrt: int, vrb: int, ps: int, *, op: str) -> None:
    """bcdcfn. bcdctn. bcdcfz. bcdctz. bcdcfsq. bcdctsq. bcdsetsgn. (VRB only)."""
    vs = c.vsr
    b = vs[32 + vrb]
    if op == "cfn":
        r, cr = cfn(b, ps)
    elif op == "ctn":
        r, cr = ctn(b)
    elif op == "cfz":
        r, cr = cfz(b, ps)
    elif op == "ctz":
        r, cr = ctz(b, ps)
    elif op == "cfsq":
        r, cr = cfsq(vs[32 + vrt], b, ps)
    elif op == "ctsq":
        r, cr = ctsq(b, vrt == vrb)
    else:
        r, cr = setsgn(b, ps, vrt == vrb)
    vs[32 + vrt] = r
    c.cr = (c.cr & CR6_CLEAR) | (cr << 4)


# -- the table -----------------------------------------------------------------------------
# BCD: bit 21 = 1, extended opcode bits 23:30, PS bit 22 and Rc bit 31. The Rc=0 words of
# most of these opcodes are other instructions (vsububm, vsubuqm...), whose lines fix every
# bit and so win in the decoder.
_AB = "vrt, vra, vrb, ps"
_B = "vrt, vrb, ps"


def _ab(mn: str, xo: int, op: str, rc: int = 1, syntax: str = _AB) -> Insn:
    return Insn(mn, BCD(4, xo, b21=1, rc=rc), bcd_vab, {"op": op}, facility="vec",
                syntax=syntax)  # fmt: skip


def _b(mn: str, sel: int, op: str, syntax: str = _B) -> Insn:
    return Insn(mn, BCD(4, 0xC0, b21=1, rc=1, vra=sel), bcd_vb, {"op": op}, facility="vec",
                syntax=syntax)  # fmt: skip


def _ps0(mn: str, xo: int, sem: object, op: str, syntax: str, **fixed: int) -> Insn:
    # No PS operand: bit 22 must be 0 (QEMU 7.2 runs other instructions there), a VX line.
    return Insn(mn, VX(4, xo, **fixed), sem, {"op": op}, facility="vec", syntax=syntax)  # type: ignore[arg-type]


OPS: list[Insn] = table(
    _ab("bcdadd.", 0x00, "add"),
    _ab("bcdsub.", 0x20, "sub"),
    _ps0("bcdcpsgn.", 0x341, bcd_vab, "cpsgn", "vrt, vra, vrb"),  # bit 22 set: its opcode
    _ab("bcds.", 0x60, "s"),
    _ps0("bcdus.", 0x481, bcd_vab, "us", "vrt, vra, vrb"),
    _ab("bcdsr.", 0xE0, "sr"),
    _ab("bcdtrunc.", 0x80, "trunc"),
    _ps0("bcdutrunc.", 0x541, bcd_vab, "utrunc", "vrt, vra, vrb"),
    _b("bcdctsq.", 0, "ctsq", "vrt, vrb"),  # PS ignored (QEMU 7.2)
    _b("bcdcfsq.", 2, "cfsq"),
    _b("bcdctz.", 4, "ctz"),
    _ps0("bcdctn.", 0x581, bcd_vb, "ctn", "vrt, vrb", vra=5),
    _b("bcdcfz.", 6, "cfz"),
    _b("bcdcfn.", 7, "cfn"),
    _b("bcdsetsgn.", 31, "setsgn"),
    # QEMU 7.2's own: its entries for these opcodes ignore bit 31 (see the docstring).
    Insn("bcds", VX(4, 0x6C0), bcd_vab, {"op": "s"}, facility="vec", syntax=_AB),
    _ab("bcdsr", 0xE0, "sr", rc=0),
)
