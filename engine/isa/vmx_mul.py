"""VMX integer multiply and sum: vmule*/vmulo* (b, h, w), vmuluwm, the multiply-sums
(vmsumubm, vmsummbm, vmsumuhm, vmsumuhs, vmsumshm, vmsumshs, vmsumudm), the sums across
(vsum4ubs, vsum4sbs, vsum4shs, vsum2sws, vsumsws), vmhaddshs, vmhraddshs, vmladduhm
and the decimal-digit multiplies vmul10uq/vmul10cuq/vmul10euq/vmul10ecuq.

The doubleword multiplies vmuled/vmulod and the high multiplies (vmulhsw...)
are Power ISA 3.1: a POWER9 rejects them, so they are not here.
Saturating forms set VSCR[SAT] (sticky) when any result was clamped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .fields import VA, VX
from .insn import Insn, table
from .vector import M64, M128, VSCR_SAT, elems, join, selems

if TYPE_CHECKING:
    from ..state import CPUState

S32_MIN = -(1 << 31)
S32_MAX = (1 << 31) - 1
U32_MAX = (1 << 32) - 1


def vmuleo(c: CPUState, vrt: int, vra: int, vrb: int, *, w: int, signed: bool, odd: int) -> None:
    """vmule[us][bhw] (``odd`` 0) / vmulo..: the even (odd) elements of VRA and VRB
    multiplied into double-width products."""
    vs = c.vsr
    if signed:
        ea = selems(vs[32 + vra], w)[odd::2]
        eb = selems(vs[32 + vrb], w)[odd::2]
    else:
        ea = elems(vs[32 + vra], w)[odd::2]
        eb = elems(vs[32 + vrb], w)[odd::2]
    vs[32 + vrt] = join([x * y for x, y in zip(ea, eb, strict=True)], 2 * w)


def vmuluwm(c: CPUState, vrt: int, vra: int, vrb: int) -> None:
    """VRT <- VRA * VRB per word, the low 32 bits of each product."""
    vs = c.vsr
    ea = elems(vs[32 + vra], 32)
    eb = elems(vs[32 + vrb], 32)
    vs[32 + vrt] = join([x * y for x, y in zip(ea, eb, strict=True)], 32)


def vmsum(
    c: CPUState, vrt: int, vra: int, vrb: int, vrc: int, *, w: int, sa: bool, sb: bool, sat: bool
) -> None:
    """vmsum{u,m,s}{b,h}{m,s}: each word of VRT <- its word of VRC plus the products of the
    ``w``-bit elements of VRA and VRB in that word (signed ``sa``/``sb``); modulo 2**32,
    or (``sat``) clamped, setting VSCR[SAT]."""
    vs = c.vsr
    ea = selems(vs[32 + vra], w) if sa else elems(vs[32 + vra], w)
    eb = selems(vs[32 + vrb], w) if sb else elems(vs[32 + vrb], w)
    p = [x * y for x, y in zip(ea, eb, strict=True)]
    n = 32 // w
    ec = selems(vs[32 + vrc], 32) if sa else elems(vs[32 + vrc], 32)
    t = [ec[i] + sum(p[n * i : n * i + n]) for i in range(4)]
    if sat:
        lo = S32_MIN if sa else 0
        hi = S32_MAX if sa else U32_MAX
        r = [lo if v < lo else (hi if v > hi else v) for v in t]
        if r != t:
            c.vscr |= VSCR_SAT
        vs[32 + vrt] = join(r, 32)
    else:
        vs[32 + vrt] = join(t, 32)


def vmsumudm(c: CPUState, vrt: int, vra: int, vrb: int, vrc: int) -> None:
    """VRT <- VRA.dw0 * VRB.dw0 + VRA.dw1 * VRB.dw1 + VRC, modulo 2**128."""
    vs = c.vsr
    a = vs[32 + vra]
    b = vs[32 + vrb]
    vs[32 + vrt] = ((a >> 64) * (b >> 64) + (a & M64) * (b & M64) + vs[32 + vrc]) & M128


def vsum4(c: CPUState, vrt: int, vra: int, vrb: int, *, w: int, signed: bool) -> None:
    """vsum4ubs/sbs/shs: each word of VRT <- its word of VRB plus the ``w``-bit elements of
    VRA in that word, clamped to 32 bits (VSCR[SAT])."""
    vs = c.vsr
    ea = selems(vs[32 + vra], w) if signed else elems(vs[32 + vra], w)
    eb = selems(vs[32 + vrb], 32) if signed else elems(vs[32 + vrb], 32)
    n = 32 // w
    t = [eb[i] + sum(ea[n * i : n * i + n]) for i in range(4)]
    lo = S32_MIN if signed else 0
    hi = S32_MAX if signed else U32_MAX
    r = [lo if v < lo else (hi if v > hi else v) for v in t]
    if r != t:
        c.vscr |= VSCR_SAT
    vs[32 + vrt] = join(r, 32)


def vsum2sws(c: CPUState, vrt: int, vra: int, vrb: int) -> None:
    """Words 1 and 3 of VRT <- the signed sums of words 0-1 (2-3) of VRA plus word 1 (3) of
    VRB, clamped (VSCR[SAT]); words 0 and 2 <- 0."""
    vs = c.vsr
    ea = selems(vs[32 + vra], 32)
    eb = selems(vs[32 + vrb], 32)
    t0 = ea[0] + ea[1] + eb[1]
    t1 = ea[2] + ea[3] + eb[3]
    r0 = S32_MIN if t0 < S32_MIN else (S32_MAX if t0 > S32_MAX else t0)
    r1 = S32_MIN if t1 < S32_MIN else (S32_MAX if t1 > S32_MAX else t1)
    if r0 != t0 or r1 != t1:
        c.vscr |= VSCR_SAT
    vs[32 + vrt] = ((r0 & U32_MAX) << 64) | (r1 & U32_MAX)


def vsumsws(c: CPUState, vrt: int, vra: int, vrb: int) -> None:
    """Word 3 of VRT <- the signed sum of VRA's words and word 3 of VRB, clamped
    (VSCR[SAT]); words 0-2 <- 0."""
    vs = c.vsr
    t = sum(selems(vs[32 + vra], 32)) + selems(vs[32 + vrb], 32)[3]
    r = S32_MIN if t < S32_MIN else (S32_MAX if t > S32_MAX else t)
    if r != t:
        c.vscr |= VSCR_SAT
    vs[32 + vrt] = r & U32_MAX


def vmhadd(c: CPUState, vrt: int, vra: int, vrb: int, vrc: int, *, rnd: int) -> None:
    """vmhaddshs (``rnd`` 0) / vmhraddshs (``rnd`` 0x4000): each halfword <- VRC +
    ((VRA * VRB + rnd) >> 15), signed, clamped to 16 bits (VSCR[SAT])."""
    vs = c.vsr
    ea = selems(vs[32 + vra], 16)
    eb = selems(vs[32 + vrb], 16)
    ec = selems(vs[32 + vrc], 16)
    t = [z + ((x * y + rnd) >> 15) for x, y, z in zip(ea, eb, ec, strict=True)]
    r = [-32768 if v < -32768 else (32767 if v > 32767 else v) for v in t]
    if r != t:
        c.vscr |= VSCR_SAT
    vs[32 + vrt] = join(r, 16)


def vmladduhm(c: CPUState, vrt: int, vra: int, vrb: int, vrc: int) -> None:
    """Each halfword <- VRA * VRB + VRC, modulo 2**16."""
    vs = c.vsr
    ea = elems(vs[32 + vra], 16)
    eb = elems(vs[32 + vrb], 16)
    ec = elems(vs[32 + vrc], 16)
    vs[32 + vrt] = join([x * y + z for x, y, z in zip(ea, eb, ec, strict=True)], 16)


def vmul10(c: CPUState, vrt: int, vra: int, vrb: int, *, ext: bool, carry: bool) -> None:
    """vmul10uq/vmul10euq (``ext``: plus the carry-in digit, VRB bits 124:127) and their
    carry forms vmul10cuq/vmul10ecuq: VRA * 10 (+ CI) modulo 2**128, or what carries out
    of it. The digit is not checked to be at most 9 (what the ISA leaves undefined):
    any value 0-15 is simply added, as POWER9 does."""
    vs = c.vsr
    t = vs[32 + vra] * 10 + (vs[32 + vrb] & 0xF if ext else 0)
    if carry:
        vs[32 + vrt] = t >> 128
    else:
        vs[32 + vrt] = t & M128


def _vx(mn: str, xo: int, sem: object, **params: object) -> Insn:
    return Insn(mn, VX(4, xo), sem, params, facility="vec")  # type: ignore[arg-type]


def _va(mn: str, xo: int, sem: object, **params: object) -> Insn:
    return Insn(mn, VA(4, xo), sem, params, facility="vec")  # type: ignore[arg-type]


_MUL = (("ub", 8, False), ("uh", 16, False), ("uw", 32, False),
        ("sb", 8, True), ("sh", 16, True), ("sw", 32, True))  # fmt: skip

OPS: list[Insn] = table(
    # vmulo: xo 8 + 64i (unsigned b/h/w, then signed at +256); vmule: +512
    *(_vx(f"vmulo{s}", 8 + 64 * (i % 3) + (256 if sg else 0), vmuleo, w=w, signed=sg, odd=1)
      for i, (s, w, sg) in enumerate(_MUL)),
    *(_vx(f"vmule{s}", 520 + 64 * (i % 3) + (256 if sg else 0), vmuleo, w=w, signed=sg, odd=0)
      for i, (s, w, sg) in enumerate(_MUL)),
    _vx("vmuluwm", 137, vmuluwm),
    _va("vmsumubm", 36, vmsum, w=8, sa=False, sb=False, sat=False),
    _va("vmsummbm", 37, vmsum, w=8, sa=True, sb=False, sat=False),
    _va("vmsumuhm", 38, vmsum, w=16, sa=False, sb=False, sat=False),
    _va("vmsumuhs", 39, vmsum, w=16, sa=False, sb=False, sat=True),
    _va("vmsumshm", 40, vmsum, w=16, sa=True, sb=True, sat=False),
    _va("vmsumshs", 41, vmsum, w=16, sa=True, sb=True, sat=True),
    _va("vmsumudm", 35, vmsumudm),
    _vx("vsum4ubs", 1544, vsum4, w=8, signed=False),
    _vx("vsum4sbs", 1800, vsum4, w=8, signed=True),
    _vx("vsum4shs", 1608, vsum4, w=16, signed=True),
    _vx("vsum2sws", 1672, vsum2sws),
    _vx("vsumsws", 1928, vsumsws),
    _va("vmhaddshs", 32, vmhadd, rnd=0),
    _va("vmhraddshs", 33, vmhadd, rnd=0x4000),
    _va("vmladduhm", 34, vmladduhm),
    # VRB is reserved in the forms without a carry-in (the reference rejects it set)
    Insn("vmul10uq", VX(4, 513, vrb=0), vmul10, {"ext": False, "carry": False},
         facility="vec", syntax="vrt, vra"),
    Insn("vmul10cuq", VX(4, 1, vrb=0), vmul10, {"ext": False, "carry": True},
         facility="vec", syntax="vrt, vra"),
    _vx("vmul10euq", 577, vmul10, ext=True, carry=False),
    _vx("vmul10ecuq", 65, vmul10, ext=True, carry=True),
)  # fmt: skip
