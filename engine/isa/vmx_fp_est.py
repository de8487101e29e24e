"""VMX 2**x and log2(x) estimates, vexptefp and vlogefp, as QEMU 7.2 computes them.

The ISA only bounds these estimates, so the bits are implementation-defined; the
reference is QEMU 7.2's softfloat, which is integer arithmetic throughout and
therefore reproducible exactly. Both work on an unpacked value: a sign, an unbounded
exponent and a 64-bit significand with its leading one at bit 63 (value = frac *
2**(exp - 63)); products are taken to 128 bits and narrowed with the bits shifted
out ORed into bit 0 (a sticky bit), and the result is rounded once to binary32,
nearest-even, with VSCR[NJ] flushing denormal operands and tiny results as the
other VMX floating-point instructions do (engine/isa/vmx_fp.py).

How the reference computes them (the ISA leaves the bits to the implementation):

* vexptefp: with t = x * ln 2 (ln 2 as a binary64), 1 + t/1! + t**2/2! + ... +
  t**15/15!, the coefficients 1/n! as binary64 constants, each term added by a fused
  multiply-add in the wide format and each power t**n a wide product. QEMU 7.2.0's
  source multiplies every coefficient by t instead of t**n; the reference binary
  does not (it computes 2**1 = 2, 2**0.5 = 0x3FB504F3: programs/vmx_est.S), so we
  follow the binary. Special cases: NaN quieted, -inf -> +0, +inf -> +inf,
  +-0 -> 1.0.
* vlogefp: the exponent plus the fraction's binary logarithm, taken bit by bit by
  repeated squaring (25 bits; 48 for x in [0.5, 1); for x in [1, 2) counted from
  the first one bit), the bits below ORed into a sticky bit. Special cases: NaN
  quieted, +-0 -> -inf, +inf -> +inf, any other negative -> the default NaN.

Both lines require VRA = 0 (QEMU 7.2 raises HEAI otherwise).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..fpu import RN_NEAR, UE_MODE, round_pack
from .fields import VX
from .insn import Insn, table
from .vector import join
from .vmx_fp import VSCR_NJ, _ftz4, _out

if TYPE_CHECKING:
    from ..state import CPUState

M64 = (1 << 64) - 1
M128 = (1 << 128) - 1
IMPL = 1 << 63  # the leading one of an unpacked significand
ONE_S = 0x3F80_0000
INF_S = 0x7F80_0000
DEFAULT_NAN_S = 0x7FC0_0000

# An unpacked normal number: (sign, exp, frac), value (-1)**sign * frac * 2**(exp - 63).
Parts = tuple[int, int, int]


def _parts(m: int, e: int, s: int = 0) -> Parts:
    """The unpacked form of (-1)**s * m * 2**e, for 0 < m < 2**64."""
    n = m.bit_length()
    return s, e + n - 1, m << (64 - n)


def _d(bits: int) -> Parts:
    """A binary64 constant (normal) unpacked."""
    return _parts((bits & ((1 << 52) - 1)) | (1 << 52), ((bits >> 52) & 0x7FF) - 1075, bits >> 63)


LN2 = _d(0x3FE6_2E42_FEFA_39EF)
# 1/n! for n = 1..15 as binary64, the coefficients of QEMU 7.2's series
EXP2_COEFFICIENTS = tuple(
    _d(b)
    for b in (
        0x3FF0000000000000, 0x3FE0000000000000, 0x3FC5555555555555, 0x3FA5555555555555,
        0x3F81111111111111, 0x3F56C16C16C16C17, 0x3F2A01A01A01A01A, 0x3EFA01A01A01A01A,
        0x3EC71DE3A556C734, 0x3E927E4FB7789F5C, 0x3E5AE64567F544E4, 0x3E21EED8EFF8D898,
        0x3DE6124613A86D09, 0x3DA93974A8C07C9D, 0x3D6AE7F3E733B81F,
    )
)  # fmt: skip


def _jam(f: int, n: int) -> int:
    """``f`` shifted right by ``n``, the bits shifted out ORed into bit 0."""
    if n <= 0:
        return f
    return (f >> n) | ((f & ((1 << n) - 1)) != 0)


def _mul(a: Parts, b: Parts) -> Parts:
    """a * b: the 128-bit product narrowed to 64 bits with a sticky bit, then normalised."""
    p = a[2] * b[2]
    f = (p >> 64) | ((p & M64) != 0)
    e = a[1] + b[1] + 1
    if not f & IMPL:
        f <<= 1
        e -= 1
    return a[0] ^ b[0], e, f


def _muladd(a: Parts, b: Parts, c: Parts | None) -> Parts | None:
    """a * b + c (``None``: zero) in 128 bits, narrowed to 64 with a sticky bit; None for
    an exact zero sum (+0 in round-to-nearest)."""
    s = a[0] ^ b[0]
    e = a[1] + b[1] + 1
    f = a[2] * b[2]
    if not f >> 127:
        f <<= 1
        e -= 1
    if c is not None:
        cs, ce, cf = c[0], c[1], c[2] << 64
        d = e - ce
        if s == cs:
            if d > 0:
                cf = _jam(cf, d)
            elif d < 0:
                f = _jam(f, -d)
                e = ce
            f += cf
            if f >> 128:
                f = _jam(f & M128, 1) | (1 << 127)
                e += 1
        else:
            if d > 0:
                f -= _jam(cf, d)
            elif d < 0:
                e = ce
                s ^= 1
                f = cf - _jam(f, -d)
            else:
                f -= cf
                if f < 0:
                    f = -f
                    s ^= 1
            if not f:
                return None
            sh = 128 - f.bit_length()
            f <<= sh
            e -= sh
    return s, e, (f >> 64) | ((f & M64) != 0)


def _round(p: Parts | None, nj: int) -> int:
    """The binary32 word of ``p`` rounded to nearest-even (None: +0); under NJ a result
    tiny before rounding is a zero of its sign."""
    if p is None:
        return 0
    r, exc = round_pack(p[0], p[2], p[1] - 63, True, UE_MODE if nj else RN_NEAR)
    return _out(r, exc, nj)


def _unpack_s(x: int) -> Parts:
    """A finite, nonzero binary32 unpacked (denormals normalised)."""
    ef = (x >> 23) & 0xFF
    m = x & 0x7F_FFFF
    if ef:
        return _parts(m | 0x80_0000, ef - 150, x >> 31)
    return _parts(m, -149, x >> 31)


def exp2_est(x: int, nj: int) -> int:
    """vexptefp's result for the binary32 ``x`` (already flushed under NJ)."""
    if x & 0x7FFF_FFFF > INF_S:
        return x | 0x0040_0000  # NaN, quieted
    if x & 0x7FFF_FFFF == INF_S:
        return 0 if x >> 31 else INF_S
    if not x & 0x7FFF_FFFF:
        return ONE_S
    t = _mul(_unpack_s(x), LN2)
    tn = t  # t**n
    r: Parts | None = (0, 0, IMPL)
    for k in EXP2_COEFFICIENTS:
        r = _muladd(k, tn, r)
        tn = _mul(tn, t)
    return _round(r, nj)


def log2_est(x: int, nj: int) -> int:
    """vlogefp's result for the binary32 ``x`` (already flushed under NJ)."""
    if x & 0x7FFF_FFFF > INF_S:
        return x | 0x0040_0000  # NaN, quieted
    if not x & 0x7FFF_FFFF:
        return 0x8000_0000 | INF_S
    if x >> 31:
        return DEFAULT_NAN_S
    if x == INF_S:
        return INF_S
    _, a_exp, a0 = _unpack_s(x)
    a1 = 0
    f_exp = -1
    r = 0
    t = IMPL
    n = 48 if a_exp == -1 else 25
    i = 0
    exact = False
    while i < n:
        # square the fraction (a0:a1 holds it with the binary point after bit 63)
        if a1:
            sq = ((a0 << 64) | a1) ** 2
            a0, a1 = sq >> 192, (sq >> 128) & M64
        elif a0 & 0xFFFF_FFFF:
            sq = a0 * a0
            a0, a1 = sq >> 64, sq & M64
        elif a0 & ~IMPL:
            a0 = (a0 >> 32) ** 2
        else:
            exact = True  # a power of two is left: no more one bits
            break
        if a0 & IMPL:  # the square is >= 2: this bit of the logarithm is 1
            if a_exp == 0 and r == 0:
                # x in [1, 2): restart with the first one bit at the top
                f_exp -= i
                t = r = IMPL
                i = 0
            else:
                r |= t
        else:
            a0, a1 = (a0 << 1) | (a1 >> 63), (a1 << 1) & M64
        t >>= 1
        i += 1
    if not exact:
        r |= bool(a1 or a0 & ~IMPL)  # sticky: the fraction's logarithm is inexact
    if r == 0:
        return 0 if a_exp == 0 else _round(_parts(abs(a_exp), 0, int(a_exp < 0)), nj)
    _, fe, ff = _parts(r, f_exp - 63)
    if a_exp == 0:
        return _round((0, fe, ff), nj)
    s, ae, af = _parts(abs(a_exp), 0, int(a_exp < 0))
    ff = _jam(ff, ae - fe)  # the exponent is >= 1, the fraction's logarithm < 1
    if s:
        af -= ff
        sh = 64 - af.bit_length()
        af <<= sh
        ae -= sh
    else:
        af += ff
        if af >> 64:
            af = _jam(af & M64, 1) | IMPL
            ae += 1
    return _round((s, ae, af), nj)


def vexptefp(c: CPUState, vrt: int, vrb: int) -> None:
    """vexptefp: each word of VRT <- QEMU 7.2's estimate of 2**(VRB's word)."""
    vs = c.vsr
    nj = c.vscr & VSCR_NJ
    vs[32 + vrt] = join([exp2_est(x, nj) for x in _ftz4(vs[32 + vrb], nj)], 32)


def vlogefp(c: CPUState, vrt: int, vrb: int) -> None:
    """vlogefp: each word of VRT <- QEMU 7.2's estimate of log2(VRB's word)."""
    vs = c.vsr
    nj = c.vscr & VSCR_NJ
    vs[32 + vrt] = join([log2_est(x, nj) for x in _ftz4(vs[32 + vrb], nj)], 32)


OPS: list[Insn] = table(
    Insn("vexptefp", VX(4, 394, vra=0), vexptefp, facility="vec", syntax="vrt, vrb"),
    Insn("vlogefp", VX(4, 458, vra=0), vlogefp, facility="vec", syntax="vrt, vrb"),
)
